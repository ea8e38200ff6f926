"""Billing: rate a stored contract (invoice previews, upcoming invoices, usage against
limits, the cost of the next usage).

All pricing happens in `rating/`; this module only gathers the values it needs. Billing
state (credit balances, commitment spend, a capped trial) carries from one period to the
next, so period N is computed by walking periods 0..N with `preview_invoice`, each with the
plan version and settings in force on the period's first day.

The reads go through `RatingReads`: the GraphQL edge passes its DataLoaders (so a page of
fifty previews costs the statements of one), any other caller gets `StoreReads`, which reads
the store directly. Refusals name the query's argument (`periodIndex`, `contractId`), not an
input field.

Access (services.access): the contract's fields (`invoicePreview`, `upcomingInvoices`,
`usageStatus`) follow the `contract` rule and `estimateCost` its own: sales and admin rate
any contract, a partner only those of the customers it owns (another's answers NOT_FOUND,
as a missing one). Bounds come first, before any period is walked: a period index is 0 to
`MAX_PERIOD_INDEX` and within the contract, a date within the dates any operation takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import pairwise
from typing import Protocol

from pricing_graph.rating import (
    BillingState,
    ContractTerms,
    InvoicePreview,
    MetricUsage,
    RatingError,
    UsageSnapshot,
    models,
    preview_invoice,
    timing,
)
from pricing_graph.rating.calendar import BillingCalendar, Period
from pricing_graph.rating.models import ZERO
from pricing_graph.rating.proration import Segment, rate_split_period
from pricing_graph.rating.timing import IssuedInvoice
from pricing_graph.rating.usage import Group, group_of
from pricing_graph.services import access, entitlements
from pricing_graph.services.actor import Actor
from pricing_graph.services.catalog.inputs import DimensionValueSpec
from pricing_graph.services.errors import DomainError, ErrorCode, Problem
from pricing_graph.services.ids import InvalidGlobalId, decode_id
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import date_out_of_range
from pricing_graph.store.batch import children_by_parent_ids, rows_by_ids
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow, UsageLimitRow
from pricing_graph.store.catalog_queries import domain_plans_by_ids
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.contracts_repo import ContractRecord, load_records, to_terms
from pricing_graph.store.usage_repo import UsageRequest

DETAIL_MODELS = (models.PricingModel.PERCENTAGE, models.PricingModel.DYNAMIC)
MAX_UPCOMING = 24
# The last period index a preview may ask for (100 years of months): previewing period N
# walks periods 0..N, each carrying its billing state to the next.
MAX_PERIOD_INDEX = 1200
HUNDRED = Decimal(100)


# -- reads ---------------------------------------------------------------------------------


class RatingReads(Protocol):
    """The reads rating needs, one relation each, so an edge can batch them across a page."""

    async def contract(self, contract_id: int) -> ContractRecord | None: ...
    async def customer(self, customer_id: int) -> CustomerRow | None: ...
    async def plans(self, plan_ids: Sequence[int]) -> Sequence[LoadedPlan | None]: ...
    async def usage(self, request: UsageRequest) -> list[UsageSnapshot]: ...
    async def usage_limits(self, plan_id: int) -> Sequence[UsageLimitRow]: ...
    async def metrics(self, metric_ids: Sequence[int]) -> Sequence[MetricRow | None]: ...
    async def product(self, product_id: int) -> ProductRow | None: ...
    async def product_plans(self, product_id: int) -> Sequence[PlanRow]: ...


class StoreReads:
    """`RatingReads` straight from the store through the unit of work (no batching across
    calls); published plans come from the database's plan cache."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def contract(self, contract_id: int) -> ContractRecord | None:
        records = await load_records(self._uow.read, [contract_id])
        return records[0] if records else None

    async def customer(self, customer_id: int) -> CustomerRow | None:
        return (await rows_by_ids(self._uow.read, CustomerRow, [customer_id]))[0]

    async def plans(self, plan_ids: Sequence[int]) -> Sequence[LoadedPlan | None]:
        return await domain_plans_by_ids(self._uow.read, self._uow.database.plans, plan_ids)

    async def usage(self, request: UsageRequest) -> list[UsageSnapshot]:
        async with self._uow.reader() as session:
            return (await self._uow.database.usage.aggregate_usage_many(session, [request]))[0]

    async def usage_limits(self, plan_id: int) -> Sequence[UsageLimitRow]:
        [limits] = await children_by_parent_ids(
            self._uow.read, UsageLimitRow, "plan_id", ("position", "id"), [plan_id]
        )
        return limits

    async def metrics(self, metric_ids: Sequence[int]) -> Sequence[MetricRow | None]:
        return await rows_by_ids(self._uow.read, MetricRow, metric_ids)

    async def product(self, product_id: int) -> ProductRow | None:
        return (await rows_by_ids(self._uow.read, ProductRow, [product_id]))[0]

    async def product_plans(self, product_id: int) -> Sequence[PlanRow]:
        [plans] = await children_by_parent_ids(
            self._uow.read, PlanRow, "product_id", ("tier_rank", "key", "version"), [product_id]
        )
        return plans


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsageStatus:
    """A metric's use this period against the plan's limit."""

    metric_key: str
    used: Decimal
    limit: Decimal | None
    percent_of_limit: Decimal | None  # two decimals
    next_plan_key: str | None  # the next plan up whose limit fits, when at the limit
    blocked: bool = False  # at or past a HARD limit: checkEntitlement refuses more


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """What the next usage would add to this period's invoice."""

    period_index: int
    pricing_unit: str
    amount: Decimal  # subtotal after minus before: the marginal charge, before credits
    total_before: Decimal
    total_after: Decimal


@dataclass(frozen=True, slots=True)
class CostQuestion:
    """estimateCost's arguments: `contract_id` is a global ID."""

    contract_id: str
    metric_key: str
    quantity: Decimal
    dimensions: tuple[DimensionValueSpec, ...] | None = None


# -- one contract's rating -----------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _argument_error(field: str, code: ErrorCode, message: str) -> DomainError:
    return DomainError([Problem(field=field, code=code, message=message)])


def _refusal(error: RatingError, field: str) -> DomainError:
    try:
        code = ErrorCode(error.code)
    except ValueError:
        code = ErrorCode.INVALID_VALUE
    return _argument_error(field, code, error.message)


@dataclass(frozen=True, slots=True)
class ContractRating:
    """A contract with everything the rating core needs, loaded once per request."""

    record: ContractRecord
    plans: dict[int, LoadedPlan]
    calendar: BillingCalendar
    terms_by_settings: dict[int | None, ContractTerms]

    def plan_for(self, period: Period) -> models.Plan:
        return self.plans[self.record.plan_id_on(period.start)].plan

    def terms_for(self, period: Period) -> ContractTerms:
        return self.terms_by_settings[self.record.settings_on(period.start).id]

    def segments(self, period: Period) -> list[tuple[int, date, date]]:
        """`(plan id, first day, end)` of each part of `period` one plan version rates: one
        part, or two and more when a plan change falls inside the period."""
        cuts = [
            row.effective_from
            for row in self.record.plans
            if period.start < row.effective_from < period.end
        ]
        bounds = [period.start, *cuts, period.end]
        return [(self.record.plan_id_on(start), start, end) for start, end in pairwise(bounds)]

    def current_index(self, today: date | None = None) -> int:
        """The period containing `today`, clipped to the contract's first and last."""
        day = today or datetime.now(UTC).date()
        if day < self.record.contract.start_date:
            return 0
        end = self.record.contract.end_date
        if end is not None and day >= end:
            count = self.calendar.period_count()
            return max(0, (count or 1) - 1)
        return self.calendar.index_of(day)

    def metrics(self) -> tuple[dict[int, models.Metric], set[int]]:
        """Every metric a used plan version prices, and those needing per-event values."""
        metrics: dict[int, models.Metric] = {}
        detail: set[int] = set()
        for loaded in self.plans.values():
            for ramp in loaded.plan.ramps:
                for price in ramp.prices:
                    if not isinstance(price, models.UsagePrice):
                        continue
                    metric_id = loaded.metric_ids[price.metric.key]
                    metrics[metric_id] = price.metric
                    rates = [price.rate] if price.rate else []
                    rates += [entry.rate for entry in price.dimension_rates]
                    if any(rate.model in DETAIL_MODELS for rate in rates):
                        detail.add(metric_id)
        return metrics, detail


async def contract_rating(
    reads: RatingReads,
    contract_id: int,
    *,
    actor: Actor | None = None,
    rule: access.Rule = access.ALL,
) -> ContractRating:
    """The contract's plans, calendar and terms; NOT_FOUND on `contractId` if it is gone,
    or (rule OWN) if its customer is not the `actor`'s."""
    record = await reads.contract(contract_id)
    if record is None or not await _visible(reads, actor, rule, record):
        raise _argument_error("contractId", ErrorCode.NOT_FOUND, "no such contract")
    plan_ids = sorted({p.plan_id for p in record.plans})
    loaded = await reads.plans(plan_ids)
    plans = {plan_id: plan for plan_id, plan in zip(plan_ids, loaded, strict=True) if plan}
    contract = record.contract
    calendar = BillingCalendar(
        contract.start_date,
        contract.end_date,
        models.BillingInterval(contract.billing_interval),
        models.BillingAnchor(contract.billing_anchor),
    )
    # One terms object per settings version: the rating core caches its compiled form.
    terms = {s.id: to_terms(contract, s, record) for s in record.settings}
    return ContractRating(record, plans, calendar, terms)


async def _visible(
    reads: RatingReads, actor: Actor | None, rule: access.Rule, record: ContractRecord
) -> bool:
    if rule is access.ALL:
        return True
    if actor is None or rule is not access.OWN:
        return False
    customer = await reads.customer(record.contract.customer_id)
    return customer is not None and access.owns(actor, customer.partner_owner)


async def period_usage(
    reads: RatingReads, rating: ContractRating, periods: Sequence[Period]
) -> list[UsageSnapshot]:
    return await span_usage(reads, rating, [(p.start, p.end) for p in periods])


async def span_usage(
    reads: RatingReads, rating: ContractRating, spans: Sequence[tuple[date, date]]
) -> list[UsageSnapshot]:
    """The usage of each `[start, end)` span, in one aggregation."""
    metrics, detail = rating.metrics()
    request = UsageRequest(
        customer_id=rating.record.contract.customer_id,
        metrics=tuple(sorted(metrics.items())),
        periods=tuple((_midnight(start), _midnight(end)) for start, end in spans),
        detail_metric_ids=frozenset(detail),
    )
    return await reads.usage(request)


def invoices(
    rating: ContractRating,
    periods: Sequence[Period],
    usage: Sequence[UsageSnapshot],
    state: BillingState | None = None,
) -> list[InvoicePreview]:
    """Periods 0..N in order, each handed the closing state of the one before (`usage`:
    one snapshot per segment of each period, `ContractRating.segments`)."""
    state = state or BillingState()
    result = []
    at = 0
    for period in periods:
        terms = rating.terms_for(period)
        parts = rating.segments(period)
        if len(parts) == 1:
            preview = preview_invoice(
                rating.plan_for(period), terms, usage[at], period.index, state
            )
        else:
            segments = [
                Segment(rating.plans[plan_id].plan, terms, start, end, usage[at + n])
                for n, (plan_id, start, end) in enumerate(parts)
            ]
            preview = rate_split_period(segments, period.index, state)
        at += len(parts)
        state = preview.closing_state
        result.append(preview)
    return result


async def invoices_through(
    reads: RatingReads, rating: ContractRating, last: int
) -> list[InvoicePreview]:
    periods = [rating.calendar.period(i) for i in range(last + 1)]
    spans = [(start, end) for p in periods for _, start, end in rating.segments(p)]
    return invoices(rating, periods, await span_usage(reads, rating, spans))


def with_extra_usage(
    snapshot: UsageSnapshot, metric: models.Metric, group: Group, quantity: Decimal
) -> UsageSnapshot:
    """`snapshot` as if one more event of `quantity` arrived in `group`: added for SUM,
    COUNT and UNIQUE_COUNT (a new value), the new maximum for MAX, the new value for
    LATEST; per-event prices (PERCENTAGE, DYNAMIC) also see it as one more transaction."""
    usage = list(snapshot.usage)
    found = next(
        (i for i, e in enumerate(usage) if e.metric_key == metric.key and e.group == group), None
    )
    old = usage[found] if found is not None else MetricUsage(metric.key, ZERO, group)
    if metric.aggregation is models.Aggregation.MAX:
        total = max(old.quantity, quantity)
    elif metric.aggregation is models.Aggregation.LATEST:
        total = quantity
    else:
        total = old.quantity + quantity
    new = replace(
        old,
        quantity=total,
        transactions=(*old.transactions, quantity),
        event_costs=(*old.event_costs, quantity),
    )
    if found is None:
        usage.append(new)
    else:
        usage[found] = new
    return UsageSnapshot(tuple(usage))


# -- operations ----------------------------------------------------------------------------


def _index_problem(period_index: int | None, on: date | None) -> DomainError | None:
    """What is wrong with a requested period, known before the contract is read."""
    if period_index is not None and not 0 <= period_index <= MAX_PERIOD_INDEX:
        return _argument_error(
            "periodIndex",
            ErrorCode.PERIOD_OUT_OF_RANGE,
            f"must be 0 to {MAX_PERIOD_INDEX}, got {period_index}",
        )
    if on is not None:
        message = date_out_of_range(on)
        if message is not None:
            return _argument_error("date", ErrorCode.INVALID_DATES, message)
    return None


def _index(rating: ContractRating, period_index: int | None, on: date | None) -> int:
    """The requested period, checked against the contract before any period is walked."""
    if period_index is not None:
        rating.calendar.period(period_index)  # PeriodOutOfRange past the contract's end
        return period_index
    if on is None:
        return rating.current_index()
    index = rating.calendar.index_of(on)
    if index > MAX_PERIOD_INDEX:
        raise _argument_error(
            "date",
            ErrorCode.PERIOD_OUT_OF_RANGE,
            f"{on.isoformat()} is in period {index}; a preview reaches period "
            f"{MAX_PERIOD_INDEX} at most",
        )
    rating.calendar.period(index)
    return index


async def invoice_preview(
    uow: UnitOfWork,
    actor: Actor,
    contract_id: int,
    *,
    period_index: int | None = None,
    on: date | None = None,
    reads: RatingReads | None = None,
) -> InvoicePreview:
    """The invoice for one period (by index, by a day in it, default the current one) from
    the usage ingested so far."""
    rule = access.authorize(actor, "contract")
    refused = _index_problem(period_index, on)
    if refused is not None:
        raise refused
    reads = reads or StoreReads(uow)
    rating = await contract_rating(reads, contract_id, actor=actor, rule=rule)
    try:
        last = _index(rating, period_index, on)
        return (await invoices_through(reads, rating, last))[-1]
    except RatingError as refused_by_rating:
        raise _refusal(refused_by_rating, "periodIndex" if on is None else "date") from None
    except ArithmeticError:
        raise _argument_error("contractId", ErrorCode.INVALID_VALUE, TOO_LARGE) from None


TOO_LARGE = "the amounts are too large to rate exactly"


async def upcoming_invoices(
    uow: UnitOfWork,
    actor: Actor,
    contract_id: int,
    count: int = 3,
    *,
    reads: RatingReads | None = None,
) -> list[InvoicePreview]:
    """The current period's invoice and the ones after it (fewer if the contract ends)."""
    rule = access.authorize(actor, "contract")
    if not 1 <= count <= MAX_UPCOMING:
        raise _argument_error("count", ErrorCode.INVALID_VALUE, f"must be 1 to {MAX_UPCOMING}")
    reads = reads or StoreReads(uow)
    rating = await contract_rating(reads, contract_id, actor=actor, rule=rule)
    first = rating.current_index()
    total = rating.calendar.period_count()
    last = first + count - 1 if total is None else min(first + count, total) - 1
    try:
        rated = await invoices_through(reads, rating, last)
    except RatingError as refused:
        raise _refusal(refused, "count") from None
    except ArithmeticError:
        raise _argument_error("contractId", ErrorCode.INVALID_VALUE, TOO_LARGE) from None
    return rated[first:]


async def issued_invoices(
    uow: UnitOfWork,
    actor: Actor,
    contract_id: int,
    *,
    period_index: int | None = None,
    count: int = 3,
    reads: RatingReads | None = None,
) -> tuple[IssuedInvoice, ...]:
    """The invoice documents (`rating.timing`) of `count` periods' charges from
    `period_index` (default: the current period), by issue date."""
    rule = access.authorize(actor, "contract")
    if not 1 <= count <= MAX_UPCOMING:
        raise _argument_error("count", ErrorCode.INVALID_VALUE, f"must be 1 to {MAX_UPCOMING}")
    refused = _index_problem(period_index, None)
    if refused is not None:
        raise refused
    reads = reads or StoreReads(uow)
    rating = await contract_rating(reads, contract_id, actor=actor, rule=rule)
    try:
        first = _index(rating, period_index, None)
        total = rating.calendar.period_count()
        last = first + count - 1 if total is None else min(first + count, total) - 1
        rated = await invoices_through(reads, rating, last)
    except RatingError as refused_by_rating:
        raise _refusal(refused_by_rating, "periodIndex") from None
    except ArithmeticError:
        raise _argument_error("contractId", ErrorCode.INVALID_VALUE, TOO_LARGE) from None
    return timing.issued_invoices(rated[first:])


async def usage_status(
    uow: UnitOfWork, actor: Actor, contract_id: int, *, reads: RatingReads | None = None
) -> list[UsageStatus]:
    """Each limited metric's use this period, and the plan to upgrade to when at a limit."""
    rule = access.authorize(actor, "contract")
    reads = reads or StoreReads(uow)
    rating = await contract_rating(reads, contract_id, actor=actor, rule=rule)
    period = rating.calendar.period(rating.current_index())
    plan_id = rating.record.plan_id_on(period.start)
    [snapshot] = await period_usage(reads, rating, [period])
    used = _used_by_metric(snapshot, rating)
    limits = await reads.usage_limits(plan_id)
    metric_rows = await reads.metrics([limit.metric_id for limit in limits])
    plan_row = rating.plans[plan_id].row
    upgrade = await _next_plan_up(reads, plan_row.product_id, plan_row.tier_rank, used)
    # the contract's own limits (setContractEntitlement) replace the plan's
    overrides = await entitlements.limit_overrides(uow, contract_id)
    statuses = []
    for limit, metric in zip(limits, metric_rows, strict=True):
        assert metric is not None
        amount = used.get(metric.key, Decimal(0))
        cap, enforcement = overrides.get(metric.key, (limit.limit_quantity, limit.enforcement))
        at_limit = cap is not None and amount >= cap
        statuses.append(
            UsageStatus(
                metric_key=metric.key,
                used=amount,
                limit=cap,
                percent_of_limit=(amount * HUNDRED / cap).quantize(Decimal("0.01"))
                if cap
                else None,
                next_plan_key=upgrade if at_limit else None,
                blocked=at_limit and enforcement == "HARD",
            )
        )
    return statuses


def _used_by_metric(snapshot: UsageSnapshot, rating: ContractRating) -> dict[str, Decimal]:
    metrics = {m.key: m for m in rating.metrics()[0].values()}
    used: dict[str, Decimal] = {}
    for entry in snapshot.usage:
        metric = metrics.get(entry.metric_key)
        previous = used.get(entry.metric_key)
        if previous is None:
            used[entry.metric_key] = entry.quantity
        elif metric is not None and metric.aggregation is models.Aggregation.MAX:
            used[entry.metric_key] = max(previous, entry.quantity)
        else:
            used[entry.metric_key] = previous + entry.quantity
    return used


async def _next_plan_up(
    reads: RatingReads, product_id: int, tier_rank: int, used: dict[str, Decimal]
) -> str | None:
    candidates = [
        plan
        for plan in await reads.product_plans(product_id)
        if plan.status == "PUBLISHED" and plan.visibility == "PUBLIC" and plan.tier_rank > tier_rank
    ]
    for plan in sorted(candidates, key=lambda p: p.tier_rank):
        limits = await reads.usage_limits(plan.id or 0)
        metrics = await reads.metrics([limit.metric_id for limit in limits])
        fits = all(
            limit.limit_quantity is None or used.get(metric.key, Decimal(0)) <= limit.limit_quantity
            for limit, metric in zip(limits, metrics, strict=True)
            if metric is not None
        )
        if fits:
            key: str = plan.key
            return key
    return None


def _unpriced(invoice: InvoicePreview, metric_key: str, group: Group) -> Decimal:
    return sum(
        (u.quantity for u in invoice.unpriced if u.metric_key == metric_key and u.group == group),
        Decimal(0),
    )


async def estimate_cost(
    uow: UnitOfWork, actor: Actor, given: CostQuestion, *, reads: RatingReads | None = None
) -> CostEstimate:
    """The marginal cost of the next usage given this period's usage so far."""
    rule = access.authorize(actor, "estimateCost")
    if given.quantity < 0:
        raise _argument_error("quantity", ErrorCode.NEGATIVE_VALUE, "must be 0 or more")
    try:
        contract_id = decode_id(given.contract_id, "Contract")[1]
    except InvalidGlobalId as bad:
        raise _argument_error("contractId", ErrorCode.INVALID_ID, str(bad)) from None
    reads = reads or StoreReads(uow)
    rating = await contract_rating(reads, contract_id, actor=actor, rule=rule)
    metric_key = given.metric_key
    metric = next((m for m in rating.metrics()[0].values() if m.key == metric_key), None)
    if metric is None:
        raise _argument_error(
            "metricKey", ErrorCode.UNKNOWN_METRIC, f"the plan prices no metric {metric_key!r}"
        )
    index = rating.current_index()
    periods = [rating.calendar.period(i) for i in range(index + 1)]
    try:
        spans = [(start, end) for p in periods for _, start, end in rating.segments(p)]
        usage = await span_usage(reads, rating, spans)
        before = invoices(rating, periods, usage)
        group = group_of({d.name: d.value for d in given.dimensions or ()})
        # The next usage lands in the current period's last segment (after any plan change).
        usage[-1] = with_extra_usage(usage[-1], metric, group, given.quantity)
        state = before[-2].closing_state if len(before) > 1 else BillingState()
        last = len(rating.segments(periods[-1]))
        after = invoices(rating, periods[-1:], usage[-last:], state)[-1]
    except RatingError as refused:
        raise _refusal(refused, "dimensions") from None
    except ArithmeticError:
        raise _argument_error("quantity", ErrorCode.INVALID_VALUE, TOO_LARGE) from None
    if _unpriced(after, metric_key, group) > _unpriced(before[-1], metric_key, group):
        shown = ", ".join(f"{k}: {v}" for k, v in group) or "no dimensions"
        raise _argument_error(
            "dimensions",
            ErrorCode.INVALID_USAGE,
            f"no rate prices {metric_key} usage with {shown}: the plan's rate card has no "
            "entry for it and no default rate",
        )
    return CostEstimate(
        period_index=index,
        pricing_unit=after.pricing_unit,
        amount=after.subtotal - before[-1].subtotal,
        total_before=before[-1].total,
        total_after=after.total,
    )
