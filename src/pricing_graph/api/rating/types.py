"""Invoice previews as GraphQL types: thin views of the rating core's values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.types import DimensionValue
from pricing_graph.rating import InvoiceLine as RatedLine
from pricing_graph.rating import InvoicePreview as RatedInvoice
from pricing_graph.rating import LineKind
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

    @classmethod
    def of(cls, invoice: RatedInvoice) -> InvoicePreview:
        return cls(
            plan_key=invoice.plan_key,
            plan_version=invoice.plan_version,
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

    @classmethod
    def of(cls, status: billing.UsageStatus) -> UsageStatus:
        return cls(
            metric_key=status.metric_key,
            used=status.used,
            limit=status.limit,
            percent_of_limit=status.percent_of_limit,
            next_plan_key=status.next_plan_key,
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
