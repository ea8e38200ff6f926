"""Entitlements: what a customer may use, and how much of it is left this period.

A plan entitles its contracts to boolean features (`featureEntitlements`: key, display
name) and metered limits (`usageLimits`: metric, quantity per billing period, HARD or
SOFT); a contract may override either (`setContractEntitlement`, one revision in the
amendment log). `entitlements(customerId)` lists them for every contract in force today;
`checkEntitlement(customerId, featureKey | metricKey, quantity)` is the gateway's question
("may this customer use X, and how much is left?"), answered from a few small reads and one
usage aggregate, with the next plan up that would allow it (the upgrade prompt).

A metered check adds `quantity` to this period's use for additive aggregations (SUM, COUNT,
UNIQUE_COUNT, WEIGHTED_SUM) and compares `quantity` itself (the value about to be
reported) for MAX and LATEST. A HARD limit refuses what would exceed it; a SOFT one allows
it and says `overLimit`. Ingestion never refuses usage (it is a fact): `ingest_events`
reports the accepted events that take a customer past a HARD limit (`over_hard_limits`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import models
from pricing_graph.rating.calendar import BillingCalendar
from pricing_graph.rating.models import ZERO, Aggregation
from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.errors import DomainError, ErrorCode, Problem, problem, refuse_if
from pricing_graph.services.ids import db_id
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import date_out_of_range, key_errors
from pricing_graph.store import entitlements as store
from pricing_graph.store import plans
from pricing_graph.store.contracts import claim_revision
from pricing_graph.store.contracts_repo import amendment
from pricing_graph.store.entitlements import ActiveContract, Override, PlanEntitlements
from pricing_graph.store.usage_repo import UsageRequest
from pricing_graph.store.usage_store import UsageStore

FEATURE = "FEATURE"
METERED = "METERED"
HARD = "HARD"
SOFT = "SOFT"
#: Aggregations where a new event adds to the period's quantity.
ADDITIVE = (Aggregation.SUM, Aggregation.COUNT, Aggregation.UNIQUE_COUNT, Aggregation.WEIGHTED_SUM)
#: The largest quantity a check takes (a request never needs more; bounds the arithmetic).
MAX_QUANTITY = Decimal("1e15")


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One entitlement of one contract in force today."""

    kind: str  # FEATURE or METERED
    key: str  # the feature key, or the metric key
    display_name: str
    product_key: str
    plan_key: str
    contract_id: int
    enabled: bool  # FEATURE: granted; METERED: always (the limit says how much)
    limit: Decimal | None = None  # METERED: per billing period; None = unlimited
    enforcement: str | None = None  # METERED: HARD or SOFT
    used: Decimal | None = None  # METERED: this period's use so far
    remaining: Decimal | None = None  # METERED: limit - used, never below 0
    period_start: date | None = None
    period_end: date | None = None
    overridden: bool = False  # the contract overrides the plan's value


@dataclass(frozen=True, slots=True)
class EntitlementCheck:
    """The gateway's answer: may the customer use `quantity` more of it now?"""

    allowed: bool
    kind: str
    key: str
    quantity: Decimal
    plan_key: str | None = None  # the plan in force that decided (None: no contract has it)
    limit: Decimal | None = None
    enforcement: str | None = None
    used: Decimal | None = None
    remaining: Decimal | None = None
    over_limit: bool = False  # past the limit (a SOFT limit allows it anyway)
    next_plan_key: str | None = None  # the next plan up that would allow it, when refused


@dataclass(frozen=True, slots=True)
class EntitlementQuestion:
    """checkEntitlement's arguments: exactly one of `feature_key` and `metric_key`."""

    customer_id: str
    feature_key: str | None = None
    metric_key: str | None = None
    quantity: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class EntitlementOverride:
    """setContractEntitlement: a feature on or off (`feature_key`, `enabled`), or a metered
    limit (`metric_key`, `limit` None = unlimited, `enforcement`), from now on."""

    contract_id: str
    expected_revision: int
    feature_key: str | None = None
    enabled: bool | None = None
    metric_key: str | None = None
    limit: Decimal | None = None
    enforcement: str | None = None


@dataclass(frozen=True, slots=True)
class OverLimit:
    """An accepted event that took its customer past a HARD limit this period."""

    index: int
    customer_id: str
    metric_key: str
    limit: Decimal
    used: Decimal  # the period's use after the batch


# -- shared pieces ---------------------------------------------------------------------------


def _error(field: str, code: ErrorCode, message: str) -> DomainError:
    return DomainError([Problem(field=field, code=code, message=message)])


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _period(contract: ActiveContract, today: date) -> tuple[date, date]:
    calendar = BillingCalendar(
        contract.start_date,
        contract.end_date,
        models.BillingInterval(contract.billing_interval),
        models.BillingAnchor(contract.billing_anchor),
    )
    period = calendar.period(calendar.index_of(today))
    return period.start, period.end


@dataclass(frozen=True, slots=True)
class _Limit:
    metric_id: int | None
    metric: models.Metric | None
    limit: Decimal | None
    enforcement: str
    overridden: bool


def _features(plan: PlanEntitlements, overrides: Sequence[Override]) -> dict[str, tuple[str, bool]]:
    """key -> (display name, overridden) of the features granted, overrides applied."""
    granted = {key: (name, False) for key, name in plan.features}
    for override in overrides:
        if override.kind != store.FEATURE:
            continue
        if override.enabled:
            name = granted.get(override.key, (override.key, False))[0]
            granted[override.key] = (name, True)
        else:
            granted.pop(override.key, None)
    return granted


def _limits(
    plan: PlanEntitlements, overrides: Sequence[Override], metrics: dict[str, _Limit]
) -> dict[str, _Limit]:
    """metric key -> limit, overrides applied (`metrics` gives an overridden metric's id)."""
    found = {
        limit.metric.key: _Limit(
            limit.metric_id, limit.metric, limit.limit, limit.enforcement, False
        )
        for limit in plan.limits
    }
    for override in overrides:
        if override.kind != store.LIMIT:
            continue
        known = found.get(override.key) or metrics.get(override.key)
        found[override.key] = _Limit(
            known.metric_id if known else None,
            known.metric if known else None,
            override.limit,
            override.enforcement or HARD,
            True,
        )
    return found


def _fits(aggregation: Aggregation, used: Decimal, quantity: Decimal, limit: Decimal) -> bool:
    if aggregation in ADDITIVE:
        return used + quantity <= limit
    return quantity <= limit


@dataclass(frozen=True, slots=True)
class _Contracts:
    """The customer's contracts in force today, with their plans and overrides."""

    active: list[ActiveContract]
    plans: dict[int, PlanEntitlements]
    overrides: dict[int, list[Override]]


async def _contracts(session: AsyncSession, customer_ids: Sequence[int], today: date) -> _Contracts:
    active = await store.active_contracts(session, customer_ids, today)
    if not active:
        return _Contracts([], {}, {})
    plans = {
        p.plan_id: p
        for p in await store.plan_entitlements(session, plan_ids={c.plan_id for c in active})
    }
    overrides = await store.contract_overrides(session, [c.contract_id for c in active])
    return _Contracts(active, plans, overrides)


async def _override_metrics(
    session: AsyncSession, overrides: dict[int, list[Override]]
) -> dict[str, _Limit]:
    keys = {o.key for found in overrides.values() for o in found if o.kind == store.LIMIT}
    metrics: dict[str, _Limit] = {}
    for key in sorted(keys):
        found = await store.metric_by_key(session, key)
        if found is not None:
            metrics[key] = _Limit(found[0], found[1], None, HARD, True)
    return metrics


async def _used(
    session: AsyncSession,
    usage: UsageStore,
    wanted: Sequence[tuple[int, ActiveContract, dict[int, models.Metric]]],
    today: date,
) -> list[dict[str, Decimal]]:
    """This period's use of some metrics, per (customer, contract): one aggregate for all."""
    requests = []
    for customer_id, contract, metrics in wanted:
        start, end = _period(contract, today)
        requests.append(
            UsageRequest(
                customer_id=customer_id,
                metrics=tuple(sorted(metrics.items())),
                periods=((_midnight(start), _midnight(end)),),
            )
        )
    snapshots = await usage.aggregate_usage_many(session, requests) if requests else []
    result: list[dict[str, Decimal]] = []
    for (_, _, metrics), [snapshot] in zip(wanted, snapshots, strict=True):
        by_key = {m.key: m for m in metrics.values()}
        used: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for entry in snapshot.usage:
            metric = by_key[entry.metric_key]
            if metric.aggregation in ADDITIVE or entry.metric_key not in used:
                used[entry.metric_key] += entry.quantity
            else:
                used[entry.metric_key] = max(used[entry.metric_key], entry.quantity)
        result.append(dict(used))
    return result


async def _customer(
    session: AsyncSession, actor: Actor, rule: access.Rule, external_id: str
) -> int:
    customer = await store.customer_by_external_id(session, external_id)
    if customer is None or (rule is access.OWN and not access.owns(actor, customer.partner_owner)):
        raise _error("customerId", ErrorCode.NOT_FOUND, f"no customer {external_id!r}")
    assert customer.id is not None
    return customer.id


def _check_day(day: date | None) -> None:
    message = None if day is None else date_out_of_range(day)
    if message is not None:
        raise _error("date", ErrorCode.INVALID_DATES, message)


# -- entitlements(customerId) ----------------------------------------------------------------


async def entitlements(
    uow: UnitOfWork, actor: Actor, customer_id: str, *, today: date | None = None
) -> list[Entitlement]:
    """Every entitlement of the customer's contracts in force today: features first, then
    metered limits with this period's use."""
    rule = access.authorize(actor, "entitlements")
    _check_day(today)
    day = today or datetime.now(UTC).date()
    async with uow.reader() as session:
        cid = await _customer(session, actor, rule, customer_id)
        found = await _contracts(session, [cid], day)
        metrics = await _override_metrics(session, found.overrides)
        result: list[Entitlement] = []
        metered: list[tuple[ActiveContract, PlanEntitlements, dict[str, _Limit]]] = []
        for contract in found.active:
            plan = found.plans[contract.plan_id]
            overrides = found.overrides.get(contract.contract_id, [])
            for key, (name, overridden) in sorted(_features(plan, overrides).items()):
                result.append(
                    Entitlement(
                        FEATURE,
                        key,
                        name,
                        plan.product_key,
                        plan.key,
                        contract.contract_id,
                        True,
                        overridden=overridden,
                    )
                )
            metered.append((contract, plan, _limits(plan, overrides, metrics)))
        used = await _used(
            session,
            uow.database.usage,
            [
                (
                    cid,
                    contract,
                    {
                        limit.metric_id: limit.metric
                        for limit in limits.values()
                        if limit.metric_id is not None and limit.metric is not None
                    },
                )
                for contract, _, limits in metered
            ],
            day,
        )
    for (contract, plan, limits), amounts in zip(metered, used, strict=True):
        start, end = _period(contract, day)
        for key, limit in limits.items():
            spent = amounts.get(key, ZERO)
            result.append(
                Entitlement(
                    METERED,
                    key,
                    limit.metric.name if limit.metric else key,
                    plan.product_key,
                    plan.key,
                    contract.contract_id,
                    True,
                    limit=limit.limit,
                    enforcement=limit.enforcement,
                    used=spent,
                    remaining=None if limit.limit is None else max(ZERO, limit.limit - spent),
                    period_start=start,
                    period_end=end,
                    overridden=limit.overridden,
                )
            )
    return result


# -- checkEntitlement ------------------------------------------------------------------------


def _question_problems(given: EntitlementQuestion) -> list[Problem]:
    if (given.feature_key is None) == (given.metric_key is None):
        return [
            Problem("featureKey", ErrorCode.INVALID_VALUE, "give featureKey or metricKey (one)")
        ]
    if given.quantity < 0:
        return [Problem("quantity", ErrorCode.NEGATIVE_VALUE, "must be 0 or more")]
    if given.quantity > MAX_QUANTITY:
        return [Problem("quantity", ErrorCode.INVALID_VALUE, f"at most {MAX_QUANTITY:f}")]
    key = given.feature_key if given.feature_key is not None else given.metric_key
    assert key is not None
    field = "featureKey" if given.feature_key is not None else "metricKey"
    return [Problem(field, p.code, p.message) for p in key_errors((field,), key)]


async def check_entitlement(
    uow: UnitOfWork, actor: Actor, given: EntitlementQuestion, *, today: date | None = None
) -> EntitlementCheck:
    """May the customer use `quantity` more of a metric, or a feature, now?"""
    rule = access.authorize(actor, "checkEntitlement")
    problems = _question_problems(given)
    if problems:
        raise DomainError(problems)
    _check_day(today)
    day = today or datetime.now(UTC).date()
    async with uow.reader() as session:
        cid = await _customer(session, actor, rule, given.customer_id)
        if given.feature_key is not None:
            return await _check_feature(session, cid, given.feature_key, given.quantity, day)
        assert given.metric_key is not None
        return await _check_metric(
            session, uow.database.usage, cid, given.metric_key, given.quantity, day
        )


async def _check_feature(
    session: AsyncSession, customer_id: int, key: str, quantity: Decimal, day: date
) -> EntitlementCheck:
    found = await _contracts(session, [customer_id], day)
    for contract in found.active:
        plan = found.plans[contract.plan_id]
        if key in _features(plan, found.overrides.get(contract.contract_id, [])):
            return EntitlementCheck(True, FEATURE, key, quantity, plan_key=plan.key)
    for contract in found.active:
        plan = found.plans[contract.plan_id]
        for upgrade in await store.plan_entitlements(
            session, upgrades_of=(plan.product_id, plan.tier_rank)
        ):
            if any(feature == key for feature, _ in upgrade.features):
                return EntitlementCheck(False, FEATURE, key, quantity, next_plan_key=upgrade.key)
    return EntitlementCheck(False, FEATURE, key, quantity)


async def _check_metric(
    session: AsyncSession,
    usage: UsageStore,
    customer_id: int,
    key: str,
    quantity: Decimal,
    day: date,
) -> EntitlementCheck:
    known = await store.metric_by_key(session, key)
    if known is None:
        raise _error("metricKey", ErrorCode.UNKNOWN_METRIC, f"no metric has the key {key!r}")
    metric_id, metric = known
    found = await _contracts(session, [customer_id], day)
    if not found.active:
        return EntitlementCheck(False, METERED, key, quantity)
    governing: tuple[ActiveContract, PlanEntitlements, _Limit] | None = None
    for contract in found.active:
        plan = found.plans[contract.plan_id]
        overrides = found.overrides.get(contract.contract_id, [])
        limits = _limits(plan, overrides, {key: _Limit(metric_id, metric, None, HARD, True)})
        if key in limits:
            governing = (contract, plan, limits[key])
            break
    if governing is None:  # no contract limits it: unlimited
        return EntitlementCheck(True, METERED, key, quantity)
    contract, plan, limit = governing
    if limit.limit is None:
        return EntitlementCheck(
            True, METERED, key, quantity, plan_key=plan.key, enforcement=limit.enforcement
        )
    [amounts] = await _used(session, usage, [(customer_id, contract, {metric_id: metric})], day)
    used = amounts.get(key, ZERO)
    fits = _fits(metric.aggregation, used, quantity, limit.limit)
    allowed = fits or limit.enforcement == SOFT
    next_plan = None
    if not allowed:
        needed = used + quantity if metric.aggregation in ADDITIVE else quantity
        next_plan = await _next_plan_for(session, plan, key, needed)
    return EntitlementCheck(
        allowed,
        METERED,
        key,
        quantity,
        plan_key=plan.key,
        limit=limit.limit,
        enforcement=limit.enforcement,
        used=used,
        remaining=max(ZERO, limit.limit - used),
        over_limit=not fits,
        next_plan_key=next_plan,
    )


async def _next_plan_for(
    session: AsyncSession, plan: PlanEntitlements, metric_key: str, needed: Decimal
) -> str | None:
    """The lowest published public plan of a higher tier whose limit on the metric (none =
    unlimited) takes `needed`."""
    for upgrade in await store.plan_entitlements(
        session, upgrades_of=(plan.product_id, plan.tier_rank)
    ):
        limit = next((x.limit for x in upgrade.limits if x.metric.key == metric_key), None)
        if limit is None or needed <= limit:
            return upgrade.key
    return None


# -- setContractEntitlement ------------------------------------------------------------------


def _override_from(given: EntitlementOverride) -> tuple[Override | None, list[Problem]]:
    if (given.feature_key is None) == (given.metric_key is None):
        return None, [
            problem(("feature_key",), ErrorCode.INVALID_VALUE, "give featureKey or metricKey (one)")
        ]
    if given.feature_key is not None:
        errors = key_errors(("feature_key",), given.feature_key)
        if given.enabled is None:
            errors.append(
                problem(("enabled",), ErrorCode.REQUIRED, "a feature override needs enabled")
            )
        if given.limit is not None or given.enforcement is not None:
            errors.append(
                problem(
                    ("limit",), ErrorCode.INVALID_VALUE, "limit and enforcement are for a metricKey"
                )
            )
        return Override(store.FEATURE, given.feature_key, given.enabled, None, None), errors
    assert given.metric_key is not None
    errors = key_errors(("metric_key",), given.metric_key)
    if given.enabled is not None:
        errors.append(problem(("enabled",), ErrorCode.INVALID_VALUE, "enabled is for a featureKey"))
    if given.limit is not None and given.limit < 0:
        errors.append(problem(("limit",), ErrorCode.NEGATIVE_VALUE, "must be 0 or more"))
    elif given.limit is not None and given.limit > MAX_QUANTITY:
        errors.append(problem(("limit",), ErrorCode.INVALID_VALUE, f"at most {MAX_QUANTITY:f}"))
    enforcement = given.enforcement or HARD
    if enforcement not in (HARD, SOFT):
        errors.append(problem(("enforcement",), ErrorCode.INVALID_VALUE, "HARD or SOFT"))
    return Override(store.LIMIT, given.metric_key, None, given.limit, enforcement), errors


async def set_contract_entitlement(
    uow: UnitOfWork, actor: Actor, given: EntitlementOverride
) -> int:
    """Override one entitlement of a contract, as one revision; returns the contract's id."""
    access.authorize(actor, "setContractEntitlement")

    async def work(session: AsyncSession) -> int:
        cid = db_id(("contract_id",), given.contract_id, "Contract")
        override, errors = _override_from(given)
        if (
            override is not None
            and override.kind == store.LIMIT
            and not errors
            and await store.metric_by_key(session, override.key) is None
        ):
            errors.append(
                problem(("metric_key",), ErrorCode.UNKNOWN_METRIC, f"no metric {override.key!r}")
            )
        refuse_if(errors)
        assert override is not None
        row, claimed = await claim_revision(session, cid, given.expected_revision)
        if row is None:
            raise DomainError([problem(("contract_id",), ErrorCode.NOT_FOUND, "no such contract")])
        if not claimed:
            raise DomainError(
                [
                    problem(
                        ("expected_revision",),
                        ErrorCode.CONFLICT,
                        f"the contract is at revision {row.revision}, not "
                        f"{given.expected_revision}: read it again and retry",
                    )
                ]
            )
        await store.save_override(session, cid, override, row.revision)
        payload: dict[str, Any] = {
            "kind": override.kind,
            "key": override.key,
            "enabled": override.enabled,
            "limit": None if override.limit is None else str(override.limit),
            "enforcement": override.enforcement,
        }
        session.add(amendment(cid, row.revision, "SET_ENTITLEMENT", None, payload))
        audit.record(
            session,
            actor,
            "setContractEntitlement",
            object_type="Contract",
            object_id=cid,
            given=given,
        )
        return cid

    return await uow.run(work)


async def limit_overrides(
    uow: UnitOfWork, contract_id: int
) -> dict[str, tuple[Decimal | None, str]]:
    """The contract's metered-limit overrides: metric key -> (limit, enforcement)."""
    async with uow.reader() as session:
        found = await store.contract_overrides(session, [contract_id])
    return {
        o.key: (o.limit, o.enforcement or HARD)
        for o in found.get(contract_id, [])
        if o.kind == store.LIMIT
    }


# -- ingestion -------------------------------------------------------------------------------


async def over_hard_limits(
    session: AsyncSession,
    usage: UsageStore,
    accepted: Sequence[tuple[int, dict[str, Any]]],
    external_ids: dict[int, str],
    *,
    today: date | None = None,
) -> tuple[OverLimit, ...]:
    """The accepted events (index, row) that take their customer past a HARD limit of a
    contract in force today, in this period. One statement when no customer of the batch
    has a contract; the aggregate runs only for (customer, metric) pairs with a HARD limit.

    Additive metrics: the batch's events of the period count in index order from the use
    before them; an event past the limit is reported. MAX and LATEST: an event whose value
    is above the limit. Any other: every event of the pair once the period is past it."""
    day = today or datetime.now(UTC).date()
    customers = sorted({row["customer_id"] for _, row in accepted})
    found = await _contracts(session, customers, day)
    if not found.active:
        return ()
    metrics = await _override_metrics(session, found.overrides)
    batch_metrics = {row["metric_id"] for _, row in accepted}
    wanted: list[tuple[int, ActiveContract, dict[int, models.Metric]]] = []
    caps: list[dict[int, Decimal]] = []
    for contract in found.active:
        plan = found.plans[contract.plan_id]
        limits = _limits(plan, found.overrides.get(contract.contract_id, []), metrics)
        hard = {
            limit.metric_id: limit
            for limit in limits.values()
            if limit.enforcement == HARD
            and limit.limit is not None
            and limit.metric_id in batch_metrics
            and limit.metric is not None
        }
        if hard:
            wanted.append(
                (
                    contract.customer_id,
                    contract,
                    {mid: lim.metric for mid, lim in hard.items() if lim.metric and mid},
                )
            )
            caps.append({mid: lim.limit for mid, lim in hard.items() if mid and lim.limit})
    if not wanted:
        return ()
    # the aggregation on plans for its parameters again (an ingestion batch runs on
    # generic ones, store/plans.py)
    await plans.own_plans(session)
    used = await _used(session, usage, wanted, day)
    reports: list[OverLimit] = []
    for (customer_id, contract, limited), cap, amounts in zip(wanted, caps, used, strict=True):
        start, end = _period(contract, day)
        low, high = _midnight(start), _midnight(end)
        for metric_id, metric in limited.items():
            limit = cap[metric_id]
            total = amounts.get(metric.key, ZERO)
            events = [
                (index, row)
                for index, row in accepted
                if row["customer_id"] == customer_id
                and row["metric_id"] == metric_id
                and low <= row["occurred_at"] < high
            ]
            if metric.aggregation in (Aggregation.SUM, Aggregation.COUNT):
                running = total - sum((_value(metric, row) for _, row in events), ZERO)
                for index, row in events:
                    running += _value(metric, row)
                    if running > limit:
                        reports.append(
                            _over(index, customer_id, external_ids, metric, limit, total)
                        )
            elif metric.aggregation in (Aggregation.MAX, Aggregation.LATEST):
                for index, row in events:
                    if (row.get("value") or ZERO) > limit:
                        reports.append(
                            _over(index, customer_id, external_ids, metric, limit, total)
                        )
            elif total > limit:
                for index, _ in events:
                    reports.append(_over(index, customer_id, external_ids, metric, limit, total))
    return tuple(sorted(reports, key=lambda report: report.index))


def _value(metric: models.Metric, row: dict[str, Any]) -> Decimal:
    if metric.aggregation is Aggregation.COUNT:
        return Decimal(1)
    value = row.get("value")
    return value if isinstance(value, Decimal) else ZERO


def _over(
    index: int,
    customer_id: int,
    external_ids: dict[int, str],
    metric: models.Metric,
    limit: Decimal,
    used: Decimal,
) -> OverLimit:
    return OverLimit(index, external_ids.get(customer_id, ""), metric.key, limit, used)
