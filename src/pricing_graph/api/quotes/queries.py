"""`quote` (what a deal would cost) and `comparePlans` (every public plan for one usage)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import strawberry

from pricing_graph.api.catalog.queries import argument_id
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.errors import ErrorCode, UserError, user_error
from pricing_graph.api.quotes.inputs import MAX_PERIODS, ProjectedUsageInput, QuoteInput
from pricing_graph.api.quotes.projection import projection_from_input
from pricing_graph.api.quotes.service import price_quote, usage_metric_keys
from pricing_graph.api.quotes.types import ComparisonPayload, PlanComparison, QuotePayload
from pricing_graph.rating import RatingError, compare_plans, models
from pricing_graph.rating.calendar import INTERVAL_MONTHS

BIWEEKS_PER_MONTH = Decimal(365) / Decimal(12) / Decimal(14)


def _months(interval: models.BillingInterval, periods: int) -> Decimal:
    if interval is models.BillingInterval.BIWEEKLY:
        return Decimal(periods) / BIWEEKS_PER_MONTH
    return Decimal(periods * INTERVAL_MONTHS[interval])


def _argument_error(error: UserError) -> UserError:
    """comparePlans takes plain arguments: a field is `usage.0.quantity`, not `input.…`."""
    field = error.field.removeprefix("input.") if error.field else error.field
    return UserError(field=field, code=error.code, message=error.message)


@strawberry.type
class QuoteQuery:
    @strawberry.field(
        description="Price a deal that does not exist yet: a plan version, draft terms and "
        "projected usage over some periods. Drafts need a sales API key."
    )
    async def quote(self, info: ContextInfo, input: QuoteInput) -> QuotePayload:
        priced, errors = await price_quote(info.context, input)
        return QuotePayload(quote=priced.result if priced else None, errors=errors)

    @strawberry.field(
        description="Every published public plan of a product priced for the same usage, "
        "cheapest first, with a monthly equivalent."
    )
    async def compare_plans(
        self,
        info: ContextInfo,
        product_id: strawberry.ID,
        usage: list[ProjectedUsageInput],
        periods: int = 12,
        start_date: date | None = None,
    ) -> ComparisonPayload:
        errors: list[UserError] = []
        if not 1 <= periods <= MAX_PERIODS:
            errors.append(
                user_error(("periods",), ErrorCode.INVALID_VALUE, f"must be 1 to {MAX_PERIODS}")
            )
        product = argument_id(product_id, "Product", "productId")[1]
        loaders = info.context.loaders
        if await loaders.product_by_id.load(product) is None:
            errors.append(
                UserError(field="productId", code=ErrorCode.NOT_FOUND, message="no such product")
            )
        rows = [
            row
            for row in await loaders.plans_by_product_id.load(product)
            if row.status == "PUBLISHED" and row.visibility == "PUBLIC"
        ]
        loaded = [p for p in await loaders.domain_plan_by_id.load_many([r.id for r in rows]) if p]
        metric_keys = set().union(*(usage_metric_keys(p.plan) for p in loaded))
        projection = projection_from_input(usage, max(periods, 1), metric_keys, errors)
        if errors or not loaded:
            return ComparisonPayload(plans=[], errors=[_argument_error(e) for e in errors])
        start = start_date or datetime.now(UTC).date().replace(day=1)
        try:
            ranked = compare_plans([p.plan for p in loaded], projection, periods, start)
        except RatingError as refused:
            return ComparisonPayload(
                plans=[], errors=[user_error(("usage",), ErrorCode.INVALID_USAGE, refused.message)]
            )
        names = {(p.plan.key, p.plan.version): p.plan for p in loaded}
        comparisons = []
        for ranking in ranked:
            plan = names[(ranking.plan_key, ranking.plan_version)]
            quantum = Decimal(1).scaleb(-plan.pricing_unit.decimals)
            monthly = (ranking.total / _months(plan.billing_interval, periods)).quantize(
                quantum, rounding=ROUND_HALF_UP
            )
            comparisons.append(
                PlanComparison(
                    rank=ranking.rank,
                    plan_key=ranking.plan_key,
                    plan_version=ranking.plan_version,
                    plan_name=plan.name,
                    currency=ranking.quote.currency,
                    total=ranking.total,
                    monthly_equivalent=monthly,
                )
            )
        return ComparisonPayload(plans=comparisons, errors=[])
