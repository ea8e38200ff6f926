"""Per-plan precomputation: validated once, cached by identity, reused on every call.

`compile_contract(plan, terms)` checks the plan and the terms (once per pair of objects)
and returns a `CompiledContract`: the calendar, the effective settings, the normalized
credit grants and, lazily, one `CompiledRamp` per (ramp, set of active adjustments).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from .adjustments import effective_prices
from .calendar import BillingCalendar, Period, overlap_days
from .credits import GrantSpec, grant_specs
from .errors import InvalidUsage
from .models import (
    ONE,
    ZERO,
    Aggregation,
    CompositeKind,
    CompositePrice,
    ConversionRounding,
    FixedPrice,
    Plan,
    PricingModel,
    Rate,
    Trial,
    UsagePrice,
)
from .money import ROUNDING, currency_decimals, quantum, unit_decimals
from .pricing import EVENT_MODELS, QUANTITY_MODELS, QuantityCalc, compile_quantity_rate
from .terms import Commitment, CommitmentKind, ContractTerms, PriceAdjustment
from .usage import Group, MetricUsage
from .validate import check_plan, check_terms

RateMatch = tuple[frozenset[tuple[str, str]], Rate]


class Slot:
    """How one usage group of one price is rated: the resolved rate, its compiled
    calculator (None for PERCENTAGE/DYNAMIC) and the line description."""

    __slots__ = ("calc", "description", "group", "rate")

    def __init__(self, rate: Rate, calc: QuantityCalc | None, description: str, group: Group):
        self.rate = rate
        self.calc = calc
        self.description = description
        self.group = group


class CompiledUsage:
    """A usage price ready to rate: conversion, free units, default rate and a rate-card
    resolver with a per-group cache."""

    __slots__ = (
        "aggregation",
        "calcs",
        "conversion_rounding",
        "convert",
        "description",
        "dims",
        "factor",
        "free_units",
        "key",
        "metric_key",
        "price",
        "rate",
        "resolved",
    )

    def __init__(self, price: UsagePrice) -> None:
        self.price = price
        self.key = price.key
        self.description = price.display_name
        self.metric_key = price.metric.key
        self.aggregation = price.metric.aggregation
        self.factor = price.conversion_factor
        self.conversion_rounding = price.conversion_rounding
        self.convert = (
            price.conversion_factor != ONE
            or price.conversion_rounding is not ConversionRounding.NONE
        )
        self.free_units = price.free_units
        self.rate = price.rate
        dims = [(frozenset(d.match), d.rate) for d in price.dimension_rates]
        # most specific first; equally specific entries keep their declared order
        dims.sort(key=lambda m: -len(m[0]))
        self.dims: tuple[RateMatch, ...] = tuple(dims)
        self.resolved: dict[Group, Slot | None] = {}
        self.calcs: dict[int, QuantityCalc] = {}

    def resolve(self, group: Group) -> Slot | None:
        """How to rate a usage group: the most specific rate-card entry whose match the
        group satisfies, else the default rate (None = unpriced)."""
        try:
            return self.resolved[group]
        except KeyError:
            pass
        found = self.rate
        if self.dims:
            values = frozenset(group)
            for match, rate in self.dims:
                if match <= values:
                    found = rate
                    break
        slot = None
        if found is not None:
            calc = None
            if found.model in QUANTITY_MODELS:
                calc = self.calcs.get(id(found))
                if calc is None:
                    calc = self.calcs[id(found)] = compile_quantity_rate(found)
            description = self.description
            if group:
                description = f"{description} ({', '.join(f'{k}={v}' for k, v in group)})"
            slot = Slot(found, calc, description, group)
        self.resolved[group] = slot
        return slot

    def combine(self, entries: list[MetricUsage], field: str) -> MetricUsage:
        """Merge usage groups for a price without a rate card, by the metric's aggregation."""
        if len(entries) == 1:
            return entries[0]
        agg = self.aggregation
        if any(e.transaction_count is not None for e in entries):
            raise InvalidUsage(
                f"{field}.transaction_count",
                f"{self.metric_key!r}: send one count and average per period, not one per group",
            )
        if agg in (Aggregation.SUM, Aggregation.COUNT, Aggregation.WEIGHTED_SUM):
            q = ZERO
            for e in entries:
                q += e.quantity
        elif agg is Aggregation.MAX:
            q = max(e.quantity for e in entries)
        else:
            raise InvalidUsage(
                field,
                f"{self.metric_key!r} ({agg.value}) is not priced per dimension; "
                "send one ungrouped value per period",
            )
        return MetricUsage(
            self.metric_key,
            q,
            (),
            tuple(t for e in entries for t in e.transactions),
            None,
            None,
            tuple(c for e in entries for c in e.event_costs),
        )


class CompiledRamp:
    __slots__ = ("composites_min", "composites_pct", "fixed", "invoice_minimum", "usage")

    def __init__(self, prices: tuple[object, ...], invoice_minimum: Decimal | None) -> None:
        self.usage = tuple(CompiledUsage(p) for p in prices if isinstance(p, UsagePrice))
        self.fixed = tuple(p for p in prices if isinstance(p, FixedPrice))
        composites = [p for p in prices if isinstance(p, CompositePrice) and p.quantity != ZERO]
        pct = [c for c in composites if c.composite is CompositeKind.PERCENTAGE]
        self.composites_pct = tuple(_dependency_order(pct))
        self.composites_min = tuple(c for c in composites if c.composite is CompositeKind.MINIMUM)
        self.invoice_minimum = invoice_minimum


def _dependency_order(pct: list[CompositePrice]) -> list[CompositePrice]:
    keys = {c.key for c in pct}
    done: list[CompositePrice] = []
    placed: set[str] = set()
    pending = list(pct)
    while pending:
        progressed = False
        for c in list(pending):
            if all(k in placed or k not in keys for k in c.price_keys):
                done.append(c)
                placed.add(c.key)
                pending.remove(c)
                progressed = True
        if not progressed:
            from .errors import InvalidPlan

            raise InvalidPlan(
                "prices",
                f"percentage composites reference each other in a cycle: "
                f"{', '.join(c.key for c in pending)}",
            )
    return done


class CompiledContract:
    """A (plan, terms) pair, validated, with every setting resolved."""

    __slots__ = (
        "adjustments",
        "auto_pay",
        "calendar",
        "currency",
        "currency_decimals",
        "decimals",
        "grants",
        "is_custom",
        "list_contract",
        "metrics",
        "mode",
        "net_payment_days",
        "overage_rate",
        "plan",
        "postpaid",
        "prepaid",
        "quantum",
        "ramp_cache",
        "ramp_starts",
        "rounding",
        "terms",
        "trial",
        "trial_end",
        "unit_code",
    )

    def __init__(self, plan: Plan, terms: ContractTerms) -> None:
        _checked_plan(plan)
        check_terms(plan, terms)
        self.list_contract: CompiledContract | None = None
        o = terms.overrides
        self.plan = plan
        self.terms = terms
        self.calendar = BillingCalendar(
            terms.start,
            terms.end,
            o.billing_interval or plan.billing_interval,
            o.billing_anchor or plan.billing_anchor,
        )
        unit = plan.pricing_unit
        self.unit_code = unit.code
        self.decimals = unit_decimals(unit)
        self.quantum = quantum(self.decimals)
        self.mode = plan.rounding_mode
        self.rounding = ROUNDING[plan.rounding_mode]
        self.is_custom = unit.is_custom
        self.currency = unit.invoice_currency if unit.invoice_currency else unit.code
        self.currency_decimals = currency_decimals(self.currency)
        self.overage_rate = unit.overage_rate
        self.net_payment_days = (
            o.net_payment_days if o.net_payment_days is not None else plan.net_payment_days
        )
        self.auto_pay = bool(o.auto_pay)
        trial: Trial | None = o.trial if o.trial is not None else plan.trial
        self.trial = trial if trial is not None and trial.days > 0 else None
        self.trial_end: date | None = (
            terms.start + timedelta(days=self.trial.days) if self.trial is not None else None
        )
        starts: list[int] = []
        at = 0
        for ramp in plan.ramps:
            starts.append(at)
            at += ramp.duration_periods or 0
        self.ramp_starts = tuple(starts)
        self.metrics = frozenset(
            p.metric.key for ramp in plan.ramps for p in ramp.prices if isinstance(p, UsagePrice)
        )
        self.adjustments: tuple[tuple[int, PriceAdjustment], ...] = tuple(
            enumerate(terms.adjustments)
        )
        self.grants: tuple[GrantSpec, ...] = grant_specs(terms, ZERO.quantize(self.quantum))
        self.prepaid: tuple[Commitment, ...] = tuple(
            c for c in terms.commitments if c.kind is CommitmentKind.PREPAID
        )
        self.postpaid: tuple[Commitment, ...] = tuple(
            c for c in terms.commitments if c.kind is CommitmentKind.POSTPAID
        )
        self.ramp_cache: dict[tuple[int, tuple[int, ...]], CompiledRamp] = {}

    def trial_days_in(self, period: Period) -> int:
        if self.trial_end is None:
            return 0
        return overlap_days(period.start, period.end, self.terms.start, self.trial_end)

    def ramp_index(self, period: Period, in_trial: bool) -> int:
        if in_trial:
            return 0
        idx = 0
        for i, s in enumerate(self.ramp_starts):
            if period.index >= s:
                idx = i
        return idx

    def ramp(self, index: int, day: date) -> CompiledRamp:
        active = tuple(i for i, a in self.adjustments if a.applies_on(day))
        key = (index, active)
        compiled = self.ramp_cache.get(key)
        if compiled is None:
            ramp = self.plan.ramps[index]
            adjs = [(i, self.terms.adjustments[i]) for i in active]
            prices = effective_prices(ramp.prices, adjs, self.mode)
            minimum = self.terms.overrides.invoice_minimum
            compiled = CompiledRamp(
                prices, minimum if minimum is not None else ramp.invoice_minimum
            )
            self.ramp_cache[key] = compiled
        return compiled


_CACHE: dict[tuple[int, int], CompiledContract] = {}
_PLANS: dict[int, Plan] = {}
_CACHE_LIMIT = 512


def _checked_plan(plan: Plan) -> None:
    """`check_plan`, once per plan object."""
    if _PLANS.get(id(plan)) is plan:
        return
    check_plan(plan)
    if len(_PLANS) >= _CACHE_LIMIT:
        _PLANS.clear()
    _PLANS[id(plan)] = plan


def list_contract(c: CompiledContract) -> CompiledContract:
    """The list-price twin of a contract (same calendar, no contract pricing terms)."""
    if c.terms.is_list_price:
        return c
    if c.list_contract is None:
        c.list_contract = CompiledContract(c.plan, c.terms.list_price())
    return c.list_contract


def compile_contract(plan: Plan, terms: ContractTerms) -> CompiledContract:
    """Validated, precomputed view of (plan, terms), cached by object identity (the cache
    holds both objects, so their ids cannot be reused while cached)."""
    key = (id(plan), id(terms))
    hit = _CACHE.get(key)
    if hit is not None and hit.plan is plan and hit.terms is terms:
        return hit
    compiled = CompiledContract(plan, terms)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = compiled
    return compiled


def is_event_model(rate: Rate) -> bool:
    return rate.model in EVENT_MODELS


def is_quantity_model(model: PricingModel) -> bool:
    return model in QUANTITY_MODELS
