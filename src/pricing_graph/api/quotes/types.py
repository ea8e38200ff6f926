"""Quote results as GraphQL types: thin views of the rating core's `Quote`."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from pricing_graph.api.errors import UserError
from pricing_graph.api.rating.types import InvoicePreview
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
            effective_prices=[
                EffectivePrice(
                    metric_key=e.metric_key,
                    quantity=e.quantity,
                    amount=e.amount,
                    price_per_unit=e.price_per_unit,
                )
                for e in priced.effective_prices
            ],
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


@strawberry.type
class ComparisonPayload:
    plans: list[PlanComparison]
    errors: list[UserError]
