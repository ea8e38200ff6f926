"""`price_quote` (what a deal would cost) and `compare_plans` (every public plan of a
product for one usage profile).

A quote takes the plan, draft terms checked under createContract's rules
(`services.terms`) and projected usage to the rating core's `quote`; the result is the
rating core's `Quote` plus each metric's effective price. Nothing is written.

Access (services.access): anyone may price the public price book (PUBLISHED, PUBLIC plans;
any other plan answers NOT_FOUND on planId, exactly as a missing one); sales and admin
price every plan, drafts with the sales scope. The bounds (periods, dates, growth) are
checked before any list is built or any period walked.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from pricing_graph.rating import (
    ContractTerms,
    RatingError,
    UsageProjection,
    models,
    quote,
    rank_plans,
)
from pricing_graph.rating import Quote as RatedQuote
from pricing_graph.rating.calendar import INTERVAL_MONTHS
from pricing_graph.rating.proration import quote_with_change
from pricing_graph.services import access
from pricing_graph.services.actor import Actor
from pricing_graph.services.billing import RatingReads, StoreReads
from pricing_graph.services.discounts import DiscountSpec, granted_discounts
from pricing_graph.services.errors import DomainError, ErrorCode, Problem, problem, refuse_if
from pricing_graph.services.ids import InvalidGlobalId, decode_id
from pricing_graph.services.quotes.catalog_reads import SnapshotReads
from pricing_graph.services.quotes.projection import ProjectedUsage, projection_from_input
from pricing_graph.services.terms import (
    CommitmentSpec,
    ContractSettingsSpec,
    CreditGrantSpec,
    PriceAdjustmentSpec,
    build_terms,
    date_errors,
    terms_problems,
)
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import date_out_of_range, dates_out_of_range
from pricing_graph.store.catalog_repo import LoadedPlan

MAX_PERIODS = 120
PRICE_QUANTUM = Decimal("1e-12")
BIWEEKS_PER_MONTH = Decimal(365) / Decimal(12) / Decimal(14)
WEEKS_PER_MONTH = Decimal(365) / Decimal(12) / Decimal(7)


@dataclass(frozen=True, slots=True)
class QuotePlanChange:
    """A prospect's plan change inside the quoted term: from `effective_date` the deal is
    on `plan_id` (a plan of the same product and pricing unit); `rating.proration` rules."""

    plan_id: str
    effective_date: date


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """What a deal would cost: a plan version (global ID), the terms createContract takes
    and projected usage over `periods` billing periods (1 to MAX_PERIODS). The fields and
    their order are the GraphQL QuoteInput's: a saved quote stores it as sent."""

    plan_id: str
    start_date: date
    periods: int
    usage: tuple[ProjectedUsage, ...]
    end_date: date | None = None
    billing_interval: models.BillingInterval | None = None
    billing_anchor: models.BillingAnchor | None = None
    settings: ContractSettingsSpec | None = None
    adjustments: tuple[PriceAdjustmentSpec, ...] = ()
    credit_grants: tuple[CreditGrantSpec, ...] = ()
    commitments: tuple[CommitmentSpec, ...] = ()
    discounts: tuple[DiscountSpec, ...] = ()
    promotion_code: str | None = None
    apply_plan_discounts: bool = True
    plan_change: QuotePlanChange | None = None


@dataclass(frozen=True, slots=True)
class EffectivePrice:
    """What a metric costs per unit over the quote, all in."""

    metric_key: str
    quantity: Decimal  # projected metric units over the term
    amount: Decimal  # its usage lines, before credits
    price_per_unit: Decimal | None  # amount / quantity


@dataclass(frozen=True, slots=True)
class PricedQuote:
    loaded: LoadedPlan
    terms: ContractTerms
    projection: UsageProjection
    rated: RatedQuote
    effective_prices: tuple[EffectivePrice, ...]


@dataclass(frozen=True, slots=True)
class ComparisonRequest:
    """comparePlans' arguments; refusals name them (`periods`, `usage.0.quantity`)."""

    product_id: int
    usage: tuple[ProjectedUsage, ...]
    periods: int = 12
    start_date: date | None = None


@dataclass(frozen=True, slots=True)
class PlanComparison:
    """One plan priced for the usage profile; cheapest first."""

    rank: int
    plan_key: str
    plan_version: int
    plan_name: str
    currency: str
    total: Decimal
    monthly_equivalent: Decimal  # total spread over the months, rounded to the currency


@dataclass(frozen=True, slots=True)
class UnratedPlan:
    """A plan comparePlans could not price for the usage profile, and why (the rating
    core's code, and its message naming the field of the plan or of the usage)."""

    plan_key: str
    plan_version: int
    plan_name: str
    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """comparePlans' answer: the plans priced, cheapest first, and those that could not
    be (each with the reason)."""

    plans: list[PlanComparison]
    unrated: list[UnratedPlan]


@dataclass(frozen=True, slots=True)
class PlanMetrics:
    """The metrics a plan's usage prices price: all, those some PERCENTAGE or DYNAMIC rate
    prices (per transaction or event), and those some quantity rate (FLAT, TIERED, VOLUME,
    PACKAGE) prices."""

    usage: frozenset[str]
    per_event: frozenset[str]
    per_quantity: frozenset[str]


_PER_EVENT = (models.PricingModel.PERCENTAGE, models.PricingModel.DYNAMIC)
# by plan object (plans are immutable; each entry keeps its plan, so ids are not reused)
_PLAN_METRICS: dict[int, tuple[models.Plan, PlanMetrics]] = {}
_PLAN_METRICS_LIMIT = 512


def plan_metrics(plan: models.Plan) -> PlanMetrics:
    kept = _PLAN_METRICS.get(id(plan))
    if kept is not None and kept[0] is plan:
        return kept[1]
    usage: set[str] = set()
    per_event: set[str] = set()
    per_quantity: set[str] = set()
    for ramp in plan.ramps:
        for price in ramp.prices:
            if not isinstance(price, models.UsagePrice):
                continue
            usage.add(price.metric.key)
            rates = [price.rate] if price.rate is not None else []
            rates += [entry.rate for entry in price.dimension_rates]
            for rate in rates:
                (per_event if rate.model in _PER_EVENT else per_quantity).add(price.metric.key)
    found = PlanMetrics(frozenset(usage), frozenset(per_event), frozenset(per_quantity))
    if len(_PLAN_METRICS) >= _PLAN_METRICS_LIMIT:
        _PLAN_METRICS.clear()
    _PLAN_METRICS[id(plan)] = (plan, found)
    return found


async def quotable_plan(
    actor: Actor, rule: access.Rule, reads: RatingReads, global_id: str, errors: list[Problem]
) -> LoadedPlan | None:
    """The plan a caller may quote: for the public (rule PUBLIC) a published public plan,
    any other answering as a missing one; for the rest published ones, drafts with the
    sales scope, never an archived one."""
    try:
        plan_id = decode_id(global_id, "Plan")[1]
    except InvalidGlobalId as bad:
        errors.append(problem(("plan_id",), ErrorCode.INVALID_ID, str(bad)))
        return None
    [loaded] = await reads.plans([plan_id])
    if loaded is None or (rule is access.PUBLIC and not _public(loaded)):
        errors.append(problem(("plan_id",), ErrorCode.NOT_FOUND, f"no plan {global_id}"))
        return None
    status = loaded.row.status
    if status == "ARCHIVED":
        errors.append(
            problem(
                ("plan_id",),
                ErrorCode.PLAN_ARCHIVED,
                f"plan {loaded.row.key} v{loaded.row.version} is archived; quote its latest "
                "published version",
            )
        )
        return None
    if status == "DRAFT" and not actor.may_quote_drafts():
        errors.append(
            problem(
                ("plan_id",),
                ErrorCode.FORBIDDEN,
                "draft plans can be quoted with a sales API key only",
            )
        )
        return None
    return loaded


def _public(loaded: LoadedPlan) -> bool:
    return loaded.row.status == "PUBLISHED" and loaded.row.visibility == "PUBLIC"


# Terms priced again (a deal re-quoted with other usage, a calculator's default terms) are
# the object priced before: the rating core caches a compiled contract by the identity of
# its plan and terms, so it is compiled once, not per request. Keyed by repr, which spells
# every field (a Decimal with its exponent: "-50" and "-50.0" stay apart), so only terms
# that are the same to the last digit share. Bounded, least recently used first out.
_KNOWN_TERMS: OrderedDict[str, ContractTerms] = OrderedDict()
MAX_KNOWN_TERMS = 256


def known_terms(terms: ContractTerms) -> ContractTerms:
    """`terms`, or the equal terms object priced before (the same in every digit)."""
    key = repr(terms)
    found = _KNOWN_TERMS.get(key)
    if found is not None:
        _KNOWN_TERMS.move_to_end(key)
        return found
    _KNOWN_TERMS[key] = terms
    if len(_KNOWN_TERMS) > MAX_KNOWN_TERMS:
        _KNOWN_TERMS.popitem(last=False)
    return terms


def _periods_problem(periods: int, path: tuple[str, ...]) -> Problem | None:
    if 1 <= periods <= MAX_PERIODS:
        return None
    return problem(path, ErrorCode.INVALID_VALUE, f"must be 1 to {MAX_PERIODS}, got {periods}")


async def price_quote(
    uow: UnitOfWork, actor: Actor, given: QuoteRequest, *, reads: RatingReads | None = None
) -> PricedQuote:
    """Price a deal that does not exist yet; problems are on the QuoteRequest's fields
    (`input.adjustments.0.value`)."""
    rule = access.authorize(actor, "quote")
    return await priced_for(uow, actor, rule, given, reads=reads)


async def priced_for(
    uow: UnitOfWork,
    actor: Actor,
    rule: access.Rule,
    given: QuoteRequest,
    *,
    reads: RatingReads | None = None,
) -> PricedQuote:
    """`price_quote` for a caller already authorized with `rule` (saved quotes price
    through here under their own operation's rule)."""
    catalog = SnapshotReads(uow, reads or StoreReads(uow))
    reads = catalog
    errors: list[Problem] = []
    periods = _periods_problem(given.periods, ("periods",))
    if periods is not None:
        errors.append(periods)
    errors += dates_out_of_range(given)
    loaded = await quotable_plan(actor, rule, reads, given.plan_id, errors)
    if loaded is None or errors:
        raise DomainError(errors)
    plan = loaded.plan
    errors += date_errors(given)
    terms = build_terms(plan, given, errors)
    assert loaded.row.id is not None
    granted = await granted_discounts(
        uow.read, loaded.row.id, plan, given, errors, defaults=catalog.plan_discounts
    )
    terms = known_terms(replace(terms, discounts=granted.terms))
    target = await _changed_plan(actor, rule, reads, loaded, given, errors)
    metrics = plan_metrics(plan)
    metric_keys, per_event, per_quantity = metrics.usage, metrics.per_event, metrics.per_quantity
    if target is not None:
        more = plan_metrics(target.plan)
        metric_keys, per_event = metric_keys | more.usage, per_event | more.per_event
        per_quantity = per_quantity | more.per_quantity
    projection = projection_from_input(
        given.usage,
        given.periods,
        metric_keys,
        errors,
        per_event=per_event,
        per_quantity=per_quantity,
    )
    refuse_if(errors)
    refuse_if(terms_problems(plan, terms))
    if target is not None:
        refuse_if(
            [
                problem(("plan_change", "plan_id"), found.code, found.message)
                for found in terms_problems(target.plan, terms)
            ]
        )
    try:
        if target is not None and given.plan_change is not None:
            rated = quote_with_change(
                plan,
                target.plan,
                terms,
                projection,
                given.periods,
                given.plan_change.effective_date,
            )
        else:
            rated = quote(plan, terms, projection, given.periods)
        effective = effective_prices(rated, plan, projection)
    except RatingError as refused:
        field = "periods" if refused.code == "PERIOD_OUT_OF_RANGE" else "usage"
        try:
            code = ErrorCode(refused.code)
        except ValueError:
            code = ErrorCode.INVALID_VALUE
        raise DomainError([problem((field,), code, refused.message)]) from None
    except ArithmeticError:  # amounts beyond exact decimal arithmetic (say 10^21 x 10^21)
        raise DomainError([problem(("usage",), ErrorCode.INVALID_VALUE, TOO_LARGE)]) from None
    return PricedQuote(loaded, terms, projection, rated, effective)


async def _changed_plan(
    actor: Actor,
    rule: access.Rule,
    reads: RatingReads,
    loaded: LoadedPlan,
    given: QuoteRequest,
    errors: list[Problem],
) -> LoadedPlan | None:
    """The plan a quoted plan change moves to (quotable by the caller, same product and
    pricing unit), its date inside the term and after the start; problems on `planChange`."""
    change = given.plan_change
    if change is None:
        return None
    found: list[Problem] = []
    target = await quotable_plan(actor, rule, reads, change.plan_id, found)
    errors += [problem(("plan_change", "plan_id"), p.code, p.message) for p in found]
    path = ("plan_change", "effective_date")
    day = change.effective_date
    if day <= given.start_date or (given.end_date is not None and day >= given.end_date):
        errors.append(
            problem(path, ErrorCode.INVALID_DATES, "must fall inside the term, after its start")
        )
    if target is None:
        return None
    if target.row.product_id != loaded.row.product_id or target.row.id == loaded.row.id:
        errors.append(
            problem(
                ("plan_change", "plan_id"),
                ErrorCode.INVALID_VALUE,
                "a plan change moves to another plan (or version) of the same product",
            )
        )
    elif target.row.pricing_unit_code != loaded.row.pricing_unit_code:
        errors.append(
            problem(
                ("plan_change", "plan_id"),
                ErrorCode.CURRENCY_MISMATCH,
                f"{target.row.key} is priced in {target.row.pricing_unit_code}, "
                f"{loaded.row.key} in {loaded.row.pricing_unit_code}",
            )
        )
    return target


TOO_LARGE = (
    "the projected amounts are too large to price exactly: lower the quantities or the "
    "prices of the adjustments"
)


def effective_prices(
    rated: RatedQuote, plan: models.Plan, projection: UsageProjection
) -> tuple[EffectivePrice, ...]:
    """Per metric priced by the plan: projected units, what their usage lines cost, and
    the price per unit that makes."""
    metric_of = {
        price.key: price.metric.key
        for ramp in plan.ramps
        for price in ramp.prices
        if isinstance(price, models.UsagePrice)
    }
    zero = Decimal(0).scaleb(-plan.pricing_unit.decimals)  # "0.00": money reads as money
    amounts: dict[str, Decimal] = {}
    for invoice in rated.invoices:
        for line in invoice.lines:
            metric = metric_of.get(line.price_key or "")
            if metric is not None:
                amounts[metric] = amounts.get(metric, zero) + line.amount
    quantities: dict[str, Decimal] = {}
    for period in range(len(rated.invoices)):
        snapshot = projection.for_period(period)
        for usage in snapshot.usage if snapshot else ():
            quantities[usage.metric_key] = quantities.get(usage.metric_key, Decimal(0)) + (
                usage.quantity
                if usage.transaction_count is None
                else usage.transaction_count * (usage.average_amount or Decimal(0))
            )
    return tuple(
        EffectivePrice(
            metric_key=metric,
            quantity=quantity,
            amount=amounts.get(metric, zero),
            price_per_unit=(amounts.get(metric, zero) / quantity)
            .quantize(PRICE_QUANTUM)
            .normalize()
            if quantity
            else None,
        )
        for metric, quantity in sorted(quantities.items())
    )


def _months(interval: models.BillingInterval, periods: int) -> Decimal:
    if interval is models.BillingInterval.BIWEEKLY:
        return Decimal(periods) / BIWEEKS_PER_MONTH
    if interval is models.BillingInterval.WEEKLY:
        return Decimal(periods) / WEEKS_PER_MONTH
    return Decimal(periods * INTERVAL_MONTHS[interval])


def _as_argument(found: Problem) -> Problem:
    """comparePlans takes plain arguments: a field is `usage.0.quantity`, not `input.…`."""
    field = found.field.removeprefix("input.") if found.field else found.field
    return Problem(field=field, code=found.code, message=found.message)


async def compare_plans(
    uow: UnitOfWork, actor: Actor, given: ComparisonRequest, *, reads: RatingReads | None = None
) -> Comparison:
    """Every published public plan of the product priced for the same usage, cheapest
    first, with a monthly equivalent; a plan that cannot be priced for it (an invalid plan,
    usage it cannot price, another currency than the plans ranked before it) is reported
    in `unrated` with the reason, and the others are still ranked. What is wrong with the
    usage for every plan (a negative quantity, a metric no plan prices) refuses the whole
    request."""
    access.authorize(actor, "comparePlans")
    reads = SnapshotReads(uow, reads or StoreReads(uow))
    periods = given.periods
    errors: list[Problem] = []
    bad_periods = _periods_problem(periods, ("periods",))
    if bad_periods is not None:
        errors.append(bad_periods)
    if given.start_date is not None:
        message = date_out_of_range(given.start_date)
        if message is not None:
            errors.append(problem(("start_date",), ErrorCode.INVALID_DATES, message))
    if await reads.product(given.product_id) is None:
        errors.append(
            Problem(field="productId", code=ErrorCode.NOT_FOUND, message="no such product")
        )
    rows = [
        row
        for row in await reads.product_plans(given.product_id)
        if row.status == "PUBLISHED" and row.visibility == "PUBLIC"
    ]
    loaded = [p for p in await reads.plans([r.id or 0 for r in rows]) if p]
    metric_keys: set[str] = set()
    per_event: set[str] = set()
    per_quantity: set[str] = set()
    for p in loaded:
        metrics = plan_metrics(p.plan)
        metric_keys |= metrics.usage
        per_event |= metrics.per_event
        per_quantity |= metrics.per_quantity
    if bad_periods is None:  # never build a projection of 2,147,483,647 periods
        projection = projection_from_input(
            given.usage,
            periods,
            metric_keys,
            errors,
            per_event=per_event,
            per_quantity=per_quantity,
        )
    if errors:
        raise DomainError([_as_argument(e) for e in errors])
    if not loaded:
        return Comparison(plans=[], unrated=[])
    start = given.start_date or datetime.now(UTC).date().replace(day=1)
    rankings = rank_plans([p.plan for p in loaded], projection, periods, start)
    names = {(p.plan.key, p.plan.version): p.plan for p in loaded}
    comparisons = []
    for ranking in rankings.ranked:
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
    unrated = [
        UnratedPlan(
            plan_key=skipped.plan_key,
            plan_version=skipped.plan_version,
            plan_name=names[(skipped.plan_key, skipped.plan_version)].name,
            code=_code(skipped.error),
            message=f"{skipped.error.field}: {skipped.error.message}",
        )
        for skipped in rankings.unrated
    ]
    return Comparison(plans=comparisons, unrated=unrated)


def _code(error: RatingError) -> ErrorCode:
    try:
        return ErrorCode(error.code)
    except ValueError:
        return ErrorCode.INVALID_VALUE
