"""`quote` (what a deal would cost) and `comparePlans` (every public plan for one usage)."""

from __future__ import annotations

from datetime import date

import strawberry

from pricing_graph.api.catalog.queries import argument_id
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import describe_args
from pricing_graph.api.errors import user_errors
from pricing_graph.api.quotes.inputs import ProjectedUsageInput, QuoteInput
from pricing_graph.api.quotes.types import (
    ComparisonPayload,
    PlanComparison,
    Quote,
    QuotePayload,
    UnratedPlan,
)
from pricing_graph.api.rating.reads import LoaderReads
from pricing_graph.services import quotes
from pricing_graph.services.errors import DomainError


@strawberry.type
class QuoteQuery:
    @strawberry.field(
        description="Price a deal that does not exist yet: a plan version, draft terms and "
        "projected usage over some periods. Without a sales or admin key only published "
        "public plans can be quoted (any other answers NOT_FOUND); drafts need a sales key."
    )
    async def quote(self, info: ContextInfo, input: QuoteInput) -> QuotePayload:
        context = info.context
        try:
            priced = await quotes.price_quote(
                context.uow,
                context.actor,
                to_domain(input, quotes.QuoteRequest),
                reads=LoaderReads(context),
            )
        except DomainError as refused:
            return QuotePayload(quote=None, errors=user_errors(refused))
        return QuotePayload(quote=Quote.of(priced), errors=[])

    @strawberry.field(
        description="Every published public plan of a product priced for the same usage, "
        "cheapest first, with a monthly equivalent; a plan that cannot be priced for it is "
        "reported in `unrated` with the reason, and the others are still ranked."
    )
    async def compare_plans(
        self,
        info: ContextInfo,
        product_id: strawberry.ID,
        usage: list[ProjectedUsageInput],
        periods: int = 12,
        start_date: date | None = None,
    ) -> ComparisonPayload:
        context = info.context
        given = quotes.ComparisonRequest(
            product_id=argument_id(product_id, "Product", "productId")[1],
            usage=tuple(to_domain(item, quotes.ProjectedUsage) for item in usage),
            periods=periods,
            start_date=start_date,
        )
        try:
            compared = await quotes.compare_plans(
                context.uow, context.actor, given, reads=LoaderReads(context)
            )
        except DomainError as refused:
            return ComparisonPayload(plans=[], unrated=[], errors=user_errors(refused))
        return ComparisonPayload(
            plans=[PlanComparison.of(found) for found in compared.plans],
            unrated=[UnratedPlan.of(skipped) for skipped in compared.unrated],
            errors=[],
        )


describe_args(
    QuoteQuery,
    {
        "quote": {"input": "The deal; `errors` paths start at `input`."},
        "compare_plans": {
            "product_id": "Global ID of the product.",
            "usage": "Projected usage per metric, per billing period.",
            "periods": "Billing periods to price each plan over; 12 by default.",
            "start_date": "First day; default: today (UTC).",
        },
    },
)
