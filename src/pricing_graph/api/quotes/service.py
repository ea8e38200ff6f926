"""Price a quote input: the plan, the draft terms (under createContract's rules) and the
projected usage go to the rating core's `quote`; refusals come back as `UserError`s."""

from __future__ import annotations

from dataclasses import dataclass

from pricing_graph.api.context import Context
from pricing_graph.api.contracts.terms_input import build_terms, date_errors, terms_problems
from pricing_graph.api.errors import ErrorCode, UserError, user_error
from pricing_graph.api.ids import InvalidGlobalId, decode_id
from pricing_graph.api.quotes.inputs import MAX_PERIODS, QuoteInput
from pricing_graph.api.quotes.projection import projection_from_input
from pricing_graph.api.quotes.types import Quote
from pricing_graph.rating import ContractTerms, RatingError, UsageProjection, models, quote
from pricing_graph.store.catalog_repo import LoadedPlan

SALES_SCOPE = "sales"


@dataclass(frozen=True, slots=True)
class PricedQuote:
    loaded: LoadedPlan
    terms: ContractTerms
    projection: UsageProjection
    result: Quote


def usage_metric_keys(plan: models.Plan) -> set[str]:
    return {
        price.metric.key
        for ramp in plan.ramps
        for price in ramp.prices
        if isinstance(price, models.UsagePrice)
    }


async def quotable_plan(
    context: Context, global_id: str, errors: list[UserError]
) -> LoadedPlan | None:
    """The plan a caller may quote: published ones for anyone, drafts for sales, never an
    archived one."""
    try:
        plan_id = decode_id(global_id, "Plan")[1]
    except InvalidGlobalId as bad:
        errors.append(user_error(("plan_id",), ErrorCode.INVALID_ID, str(bad)))
        return None
    loaded = await context.loaders.domain_plan_by_id.load(plan_id)
    if loaded is None:
        errors.append(user_error(("plan_id",), ErrorCode.NOT_FOUND, f"no plan {global_id}"))
        return None
    status = loaded.row.status
    if status == "ARCHIVED":
        errors.append(
            user_error(
                ("plan_id",),
                ErrorCode.PLAN_ARCHIVED,
                f"plan {loaded.row.key} v{loaded.row.version} is archived; quote its latest "
                "published version",
            )
        )
        return None
    if status == "DRAFT" and SALES_SCOPE not in context.scopes:
        errors.append(
            user_error(
                ("plan_id",),
                ErrorCode.FORBIDDEN,
                "draft plans can be quoted with a sales API key only",
            )
        )
        return None
    return loaded


async def price_quote(
    context: Context, given: QuoteInput
) -> tuple[PricedQuote | None, list[UserError]]:
    errors: list[UserError] = []
    if not 1 <= given.periods <= MAX_PERIODS:
        errors.append(
            user_error(
                ("periods",),
                ErrorCode.INVALID_VALUE,
                f"must be 1 to {MAX_PERIODS}, got {given.periods}",
            )
        )
    loaded = await quotable_plan(context, given.plan_id, errors)
    if loaded is None or errors:
        return None, errors
    plan = loaded.plan
    errors += date_errors(given)
    terms = build_terms(plan, given, errors)
    projection = projection_from_input(given.usage, given.periods, usage_metric_keys(plan), errors)
    if errors:
        return None, errors
    problems = terms_problems(plan, terms)
    if problems:
        return None, problems
    try:
        rated = quote(plan, terms, projection, given.periods)
    except RatingError as refused:
        field = "periods" if refused.code == "PERIOD_OUT_OF_RANGE" else "usage"
        try:
            code = ErrorCode(refused.code)
        except ValueError:
            code = ErrorCode.INVALID_VALUE
        return None, [user_error((field,), code, refused.message)]
    return PricedQuote(loaded, terms, projection, Quote.of(rated, plan, projection)), []
