"""Quote results as GraphQL types: thin views of the rating core's `Quote`."""

from __future__ import annotations

from dataclasses import field as dataclass_field
from decimal import Decimal

import strawberry

from pricing_graph.api.describe import describe
from pricing_graph.api.errors import ErrorCode, UserError
from pricing_graph.api.rating.issued import IssuedInvoice
from pricing_graph.api.rating.types import InvoicePreview
from pricing_graph.rating import Quote as RatedQuote
from pricing_graph.rating.timing import issued_invoices
from pricing_graph.services import quotes


@strawberry.type
class CreditUse:
    grant_key: str
    granted: Decimal
    used: Decimal
    expired: Decimal
    remaining: Decimal


@strawberry.type(description="What a metric costs per unit over the quote, all in.")
class EffectivePrice:
    metric_key: str
    quantity: Decimal = strawberry.field(description="Projected metric units over the term.")
    amount: Decimal = strawberry.field(description="Its usage lines, before credits.")
    price_per_unit: Decimal | None = strawberry.field(description="amount / quantity.")


@strawberry.type(description="A term's invoices and what they add up to.")
class Quote:
    plan_key: str
    plan_version: int
    currency: str
    pricing_unit: str
    invoices: list[InvoicePreview]
    total: Decimal = strawberry.field(description="Sum of the invoices' totals.")
    credits: list[CreditUse]
    credits_used: Decimal
    trial_credit: Decimal
    breakage: Decimal = strawberry.field(description="Credits that expire unused.")
    list_price_total: Decimal = strawberry.field(description="The same usage at list price.")
    saving: Decimal = strawberry.field(description="listPriceTotal - total.")
    effective_prices: list[EffectivePrice]
    discounts_total: Decimal = strawberry.field(
        description="Discounts (coupons, promotion codes) taken off over the term, in the "
        "pricing unit."
    )
    # What `issuedInvoices` lists: worked out from `rated` when asked for (most callers do
    # not ask), or as a saved quote revision stored them.
    rated: strawberry.Private[RatedQuote | None] = None
    saved_issued_invoices: strawberry.Private[list[IssuedInvoice]] = dataclass_field(
        default_factory=list
    )

    @strawberry.field(
        description="The same charges as invoice documents by issue date: in-advance fees "
        "and prepaid commitments at a period's start (the first on the start date), the rest "
        "at its end. Empty for a saved quote revision priced before invoice documents."
    )
    def issued_invoices(self) -> list[IssuedInvoice]:
        if self.rated is None:
            return self.saved_issued_invoices
        return [IssuedInvoice.of(doc) for doc in issued_invoices(self.rated.invoices)]

    @classmethod
    def of(cls, priced: quotes.PricedQuote) -> Quote:
        rated = priced.rated
        return cls(
            plan_key=rated.plan_key,
            plan_version=rated.plan_version,
            currency=rated.currency,
            pricing_unit=rated.pricing_unit,
            invoices=[InvoicePreview.of(invoice) for invoice in rated.invoices],
            total=rated.total,
            credits=[
                CreditUse(
                    grant_key=c.grant_key,
                    granted=c.granted,
                    used=c.used,
                    expired=c.expired,
                    remaining=c.remaining,
                )
                for c in rated.credits
            ],
            credits_used=rated.credits_used,
            trial_credit=rated.trial_credit,
            breakage=rated.breakage,
            list_price_total=rated.list_price_total,
            saving=rated.saving,
            discounts_total=rated.discounts_total,
            effective_prices=[
                EffectivePrice(
                    metric_key=e.metric_key,
                    quantity=e.quantity,
                    amount=e.amount,
                    price_per_unit=e.price_per_unit,
                )
                for e in priced.effective_prices
            ],
            rated=rated,
        )


@strawberry.type
class QuotePayload:
    quote: Quote | None
    errors: list[UserError]


@strawberry.type(description="One plan priced for the usage profile; cheapest first.")
class PlanComparison:
    rank: int
    plan_key: str
    plan_version: int
    plan_name: str
    currency: str
    total: Decimal
    monthly_equivalent: Decimal = strawberry.field(
        description="total spread over the months the periods cover, rounded to the currency."
    )

    @classmethod
    def of(cls, found: quotes.PlanComparison) -> PlanComparison:
        return cls(
            rank=found.rank,
            plan_key=found.plan_key,
            plan_version=found.plan_version,
            plan_name=found.plan_name,
            currency=found.currency,
            total=found.total,
            monthly_equivalent=found.monthly_equivalent,
        )


@strawberry.type(
    description="A plan comparePlans could not price for this usage, and why: an invalid "
    "plan (say BIWEEKLY periods anchored on the first of the month), usage it cannot price "
    "(a transaction count for a FLAT price), or another currency than the plans ranked."
)
class UnratedPlan:
    plan_key: str = strawberry.field(description="Key of the plan.")
    plan_version: int = strawberry.field(description="Its published version.")
    plan_name: str = strawberry.field(description="Its name.")
    code: ErrorCode = strawberry.field(
        description="Why, for programs: INVALID_PLAN, INVALID_USAGE, CURRENCY_MISMATCH, "
        "PERIOD_OUT_OF_RANGE."
    )
    message: str = strawberry.field(
        description="Why, for people: the field of the plan or of the usage, and what is "
        "wrong with it."
    )

    @classmethod
    def of(cls, skipped: quotes.UnratedPlan) -> UnratedPlan:
        return cls(
            plan_key=skipped.plan_key,
            plan_version=skipped.plan_version,
            plan_name=skipped.plan_name,
            code=skipped.code,
            message=skipped.message,
        )


@strawberry.type
class ComparisonPayload:
    plans: list[PlanComparison]
    unrated: list[UnratedPlan] = strawberry.field(
        description="The plans that could not be priced for this usage, each with the "
        "reason; every other plan is ranked in `plans`."
    )
    errors: list[UserError]


describe(
    CreditUse,
    "One credit grant (or prepaid commitment) over the quote's term.",
    grant_key="Key of the grant or commitment.",
    granted="Credits granted, in the pricing unit.",
    used="Credits spent on the quote's invoices.",
    expired="Credits that expired unused (breakage).",
    remaining="Credits left after the last quoted period.",
)
describe(EffectivePrice, metric_key='The metric, e.g. "input_tokens".')
describe(
    Quote,
    plan_key="Key of the plan version quoted.",
    plan_version="Version of the plan quoted.",
    currency='ISO currency of the totals, e.g. "USD".',
    pricing_unit="Unit of the lines and credits (the currency, or a custom unit).",
    invoices="One invoice per quoted billing period, as a preview would show it.",
    credits="Every credit grant and prepaid commitment: granted, used, expired, left.",
    credits_used="Credits spent over the term.",
    trial_credit="What the trial paid for.",
    effective_prices="Per metric: the all-in price per unit over the term.",
)
describe(
    QuotePayload,
    "A priced quote, or why it could not be priced.",
    quote="The priced quote; null when refused.",
    errors="Why it could not be priced; empty on success.",
)
describe(
    PlanComparison,
    rank="1 for the cheapest.",
    plan_key="Key of the plan.",
    plan_version="Its published version.",
    plan_name="Its name on invoices and the pricing page.",
    currency="ISO currency of the totals.",
    total="Cost of the usage over every period at list price.",
)
describe(
    ComparisonPayload,
    "Plans priced for one usage profile, or why they could not be.",
    plans="The product's public plans, cheapest first.",
    errors="Why the plans could not be priced; empty on success.",
)
