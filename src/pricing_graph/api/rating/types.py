"""Invoice previews as GraphQL types: thin views of the rating core's values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.types import DimensionValue
from pricing_graph.api.describe import describe, describe_enum
from pricing_graph.rating import InvoiceLine as RatedLine
from pricing_graph.rating import InvoicePreview as RatedInvoice
from pricing_graph.rating import LineKind
from pricing_graph.rating.timing import InvoicePart as RatedPart
from pricing_graph.rating.timing import split
from pricing_graph.rating.usage import Group
from pricing_graph.services import billing

strawberry.enum(LineKind)


def _group(group: Group) -> list[DimensionValue]:
    return [DimensionValue(name=name, value=value) for name, value in group]


@strawberry.type(description="Units of one tier: quantity * unitPrice + flatFee = amount.")
class TierBreakdown:
    tier: int
    above: Decimal
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal = strawberry.field(description="Exact; the line is rounded once.")


@strawberry.type
class InvoiceLine:
    kind: LineKind
    description: str
    price_key: str | None
    quantity: Decimal
    unit_price: Decimal | None = strawberry.field(
        description="After the contract's adjustments; how it was reached is not shown."
    )
    amount: Decimal
    pricing_unit: str
    tiers: list[TierBreakdown]
    dimension_group: list[DimensionValue]
    in_advance: bool

    @classmethod
    def of(cls, line: RatedLine) -> InvoiceLine:
        return cls(
            kind=line.kind,
            description=line.description,
            price_key=line.price_key,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            pricing_unit=line.pricing_unit,
            tiers=[TierBreakdown(**t._asdict()) for t in line.tiers],
            dimension_group=_group(line.group),
            in_advance=line.in_advance,
        )


@strawberry.type
class CreditApplied:
    grant_key: str
    description: str
    amount: Decimal
    remaining: Decimal | None = strawberry.field(description="The grant's balance after.")


@strawberry.type(description="A discount (coupon) taken off the invoice.")
class InvoiceDiscount:
    discount_key: str
    description: str
    amount: Decimal
    remaining: Decimal | None


@strawberry.type(description="Usage no rate matched (and the price has no default rate).")
class UnpricedUsage:
    price_key: str
    metric_key: str
    dimension_group: list[DimensionValue]
    quantity: Decimal


@strawberry.type(description="Credits that expired unused.")
class CreditBreakage:
    grant_key: str
    amount: Decimal
    expired_on: date


@strawberry.type(description="One billing period's invoice as it stands.")
class InvoicePreview:
    plan_key: str
    plan_version: int
    invoice_display_name: str = strawberry.field(
        description="The plan's name on invoices (its invoiceDisplayName, else its name)."
    )
    period_index: int
    period_start: date
    period_end: date = strawberry.field(description="Exclusive.")
    ramp_index: int
    trial_days: int
    issue_date: date
    due_date: date
    currency: str
    pricing_unit: str
    auto_pay: bool
    lines: list[InvoiceLine]
    subtotal: Decimal
    minimum_true_ups: list[InvoiceLine]
    credits_applied: list[CreditApplied]
    credits_total: Decimal
    amount_due_in_unit: Decimal
    currency_lines: list[InvoiceLine] = strawberry.field(
        description="Charges in the invoice currency: converted overage, prepaid purchases."
    )
    total: Decimal = strawberry.field(description="In `currency`.")
    unpriced: list[UnpricedUsage]
    breakage: list[CreditBreakage]
    # Defaults: a quote saved before discounts existed reads back without them.
    discounts: list[InvoiceDiscount] = strawberry.field(default_factory=list)
    discounts_total: Decimal = Decimal("0")
    rated: strawberry.Private[RatedInvoice | None] = None

    @strawberry.field(
        description="When this period's charges are invoiced: the in-advance part on the "
        "period's first day (the contract's first invoice: its start date), the rest on its "
        "end, a mid-period change on its day. Empty for a saved quote revision."
    )
    def issued_parts(self) -> list[InvoicePart]:
        return [] if self.rated is None else [InvoicePart.of(p) for p in split(self.rated)]

    @classmethod
    def of(cls, invoice: RatedInvoice) -> InvoicePreview:
        return cls(
            plan_key=invoice.plan_key,
            plan_version=invoice.plan_version,
            invoice_display_name=invoice.plan_display_name,
            period_index=invoice.period.index,
            period_start=invoice.period.start,
            period_end=invoice.period.end,
            ramp_index=invoice.ramp_index,
            trial_days=invoice.trial_days,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            pricing_unit=invoice.pricing_unit,
            auto_pay=invoice.auto_pay,
            lines=[InvoiceLine.of(line) for line in invoice.lines],
            subtotal=invoice.subtotal,
            minimum_true_ups=[InvoiceLine.of(line) for line in invoice.minimum_true_ups],
            credits_applied=[
                CreditApplied(
                    grant_key=c.grant_key,
                    description=c.description,
                    amount=c.amount,
                    remaining=c.remaining,
                )
                for c in invoice.credits_applied
            ],
            credits_total=invoice.credits_total,
            amount_due_in_unit=invoice.amount_due_in_unit,
            currency_lines=[InvoiceLine.of(line) for line in invoice.currency_lines],
            total=invoice.total,
            unpriced=[
                UnpricedUsage(
                    price_key=u.price_key,
                    metric_key=u.metric_key,
                    dimension_group=_group(u.group),
                    quantity=u.quantity,
                )
                for u in invoice.unpriced
            ],
            breakage=[
                CreditBreakage(grant_key=b.grant_key, amount=b.amount, expired_on=b.expired_on)
                for b in invoice.breakage
            ],
            discounts=[
                InvoiceDiscount(
                    discount_key=d.discount_key,
                    description=d.description,
                    amount=d.amount,
                    remaining=d.remaining,
                )
                for d in invoice.discounts
            ],
            discounts_total=invoice.discounts_total,
            rated=invoice,
        )


@strawberry.type(description="A metric's use this period against the plan's limit.")
class UsageStatus:
    metric_key: str
    used: Decimal
    limit: Decimal | None
    percent_of_limit: Decimal | None = strawberry.field(description="Two decimals.")
    next_plan_key: str | None = strawberry.field(
        description="The next published public plan up in tier rank whose limit fits "
        "this usage (the pricing page's upgrade prompt); null when none is needed or none fits."
    )
    blocked: bool = strawberry.field(
        default=False,
        description="At or past a HARD limit: checkEntitlement refuses more of this metric "
        "this period (usage is still ingested and billed).",
    )

    @classmethod
    def of(cls, status: billing.UsageStatus) -> UsageStatus:
        return cls(
            metric_key=status.metric_key,
            used=status.used,
            limit=status.limit,
            percent_of_limit=status.percent_of_limit,
            next_plan_key=status.next_plan_key,
            blocked=status.blocked,
        )


@strawberry.type(description="What the next usage would add to this period's invoice.")
class CostEstimate:
    period_index: int
    pricing_unit: str
    amount: Decimal = strawberry.field(
        description="Subtotal after minus before: the marginal charge, before credits."
    )
    total_before: Decimal
    total_after: Decimal

    @classmethod
    def of(cls, estimate: billing.CostEstimate) -> CostEstimate:
        return cls(
            period_index=estimate.period_index,
            pricing_unit=estimate.pricing_unit,
            amount=estimate.amount,
            total_before=estimate.total_before,
            total_after=estimate.total_after,
        )


describe_enum(
    LineKind,
    "What an invoice line charges for.",
    USAGE="A usage price on metered usage (one line per dimension group).",
    FIXED="A fixed fee (subscription, platform fee, setup, discount).",
    COMPOSITE="A composite PERCENTAGE price over other lines.",
    MINIMUM="A composite MINIMUM's true-up to its minimum.",
    INVOICE_MINIMUM="The true-up to the ramp's (or contract's) invoice minimum.",
    COMMITMENT_TRUE_UP="A POSTPAID commitment's true-up for spend short of it.",
    PREPAID_COMMITMENT="A PREPAID commitment's purchase, invoiced in advance in the currency.",
    OVERAGE="A custom unit's usage beyond its credits, converted to the invoice currency.",
)
describe(
    TierBreakdown,
    tier="Tier number, 1 for the first.",
    above="Lower bound (exclusive) of the tier's quantities.",
    up_to="Upper bound (inclusive); null for the last tier.",
    quantity="Units priced in this tier.",
    unit_price="Price per unit in this tier.",
    flat_fee="The tier's flat fee, if charged.",
)
describe(
    InvoiceLine,
    "One charge of an invoice: quantity x unit price = amount, rounded once.",
    kind="What the line charges for.",
    description='Text on the invoice, e.g. "Model usage (model=gpt-4)".',
    price_key="Key of the plan's price; null for minimums and commitments.",
    quantity="Priced units (after conversion and free units).",
    amount="Rounded to the pricing unit's minor digits, e.g. 20000.00.",
    pricing_unit='Unit of `amount`, e.g. "USD".',
    tiers="TIERED and VOLUME: the units and amount of each tier.",
    dimension_group="The dimension values of the usage priced, e.g. model = gpt-4; empty: all.",
    in_advance="True for a fee invoiced at the start of the period it pays for.",
)
describe(
    CreditApplied,
    "Credits that paid part of the invoice.",
    grant_key='Key of the credit grant or commitment, or "trial" for the trial credit.',
    description="Text on the invoice.",
    amount="Credits used on this invoice, in the pricing unit.",
)
describe(
    InvoiceDiscount,
    discount_key="Key of the contract's discount (a promotion code's is the code).",
    description='Text on the invoice, e.g. "Launch offer".',
    amount="Taken off this invoice, in the pricing unit; never more than what it applies to.",
    remaining="A ONCE AMOUNT discount: what is left for later invoices; null for others.",
)
describe(
    UnpricedUsage,
    price_key="The price the usage reached.",
    metric_key="The metric it was reported on.",
    dimension_group="Its dimension values: none of the price's rates matches them.",
    quantity="The quantity left unpriced (never dropped, never guessed).",
)
describe(
    CreditBreakage,
    grant_key="Key of the grant or commitment whose credits expired.",
    amount="Credits that expired unused, in the pricing unit.",
    expired_on="The day they expired.",
)
describe(
    InvoicePreview,
    plan_key="Key of the plan version rated.",
    plan_version="Version of the plan rated.",
    period_index="Billing period: 0 is the first.",
    period_start="First day of the period.",
    ramp_index="Which of the plan's ramps priced the period (0 is the first).",
    trial_days="Days of the period inside the trial.",
    issue_date="The period's issue date as a whole: its start when every line is in "
    "advance, else its end. Each part's own date is in `issuedParts`.",
    due_date="Issue date + net payment days.",
    currency='ISO currency of `total` and `currencyLines`, e.g. "USD".',
    pricing_unit="Unit of the lines, subtotal and credits: the currency, or a custom unit "
    'such as "CCU".',
    auto_pay="Whether the invoice is charged automatically.",
    lines="The charges, in the pricing unit.",
    subtotal="Sum of the lines, in the pricing unit.",
    minimum_true_ups="True-ups to composite and invoice minimums and postpaid commitments.",
    credits_applied="Credits that paid part of it (grants, prepaid commitments, the trial).",
    credits_total="Sum of the credits applied.",
    amount_due_in_unit="What credits did not cover, in the pricing unit.",
    unpriced="Usage no rate priced: reported, not charged.",
    discounts="Discounts taken off, one line each, after minimums and before credits.",
    discounts_total="Sum of the discounts, in the pricing unit: total = subtotal + "
    "minimumTrueUps - discountsTotal - creditsTotal (+ currencyLines).",
    breakage="Credits that expired unused in this period.",
)
describe(
    UsageStatus,
    metric_key='The metric, e.g. "api_calls".',
    used="Used this billing period so far, in the metric's unit.",
    limit="The plan's limit per period; null = none.",
)
describe(
    CostEstimate,
    period_index="The billing period the usage would fall in (0 is the first).",
    pricing_unit="Unit of the amounts.",
    total_before="This period's subtotal with the usage so far.",
    total_after="This period's subtotal with the new usage added.",
)


@strawberry.type
class InvoicePart:
    period_index: int
    period_start: date
    period_end: date
    issue_date: date
    due_date: date
    in_advance: bool
    lines: list[InvoiceLine]
    credits: Decimal
    total: Decimal
    discounts: Decimal = Decimal("0")  # a quote revision saved before parts had discounts

    @classmethod
    def of(cls, part: RatedPart) -> InvoicePart:
        return cls(
            period_index=part.period_index,
            period_start=part.period_start,
            period_end=part.period_end,
            issue_date=part.issue_date,
            due_date=part.due_date,
            in_advance=part.in_advance,
            lines=[InvoiceLine.of(line) for line in part.lines],
            credits=part.credits,
            total=part.total,
            discounts=part.discounts,
        )


describe(
    InvoicePart,
    "The lines of one billing period issued on one invoice.",
    period_index="Billing period: 0 is the first.",
    period_start="First day of the period.",
    period_end="Exclusive end of the period.",
    issue_date="When this part is invoiced.",
    due_date="Issue date + the contract's payment terms.",
    in_advance="True when issued before the period's end (in-advance fees, prepaid "
    "purchases, a mid-period change).",
    lines="The lines, in the pricing unit (currency lines in the currency).",
    credits="Credits this part burned, in the pricing unit.",
    total="What this part adds to the invoice, in the currency.",
    discounts="The period's discounts taken off this part (the first parts first, never "
    "below zero), in the pricing unit.",
)
