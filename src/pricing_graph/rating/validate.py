"""Structural checks of plans, contract terms and usage, each raising one typed
`RatingError` that names the offending field.

Plans and terms are checked once per object (results are cached by identity: these are
frozen values), usage on every call. A plan is checked by `plan_checks.check_plan` first,
the rules createPlan, updatePlan and publishPlan apply too; its first problem is raised as
`InvalidPlan`. What follows it here only guards plans built in code (a float, an infinite
Decimal) and reports a custom unit without an overage rate as a `CurrencyMismatch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from . import plan_checks
from .adjustments import effective_prices
from .discounts import check_discounts
from .errors import CurrencyMismatch, InvalidPlan, InvalidTerms, InvalidUsage, RatingError
from .models import (
    ONE,
    ZERO,
    CompositeKind,
    CompositePrice,
    FixedCadence,
    FixedPrice,
    Plan,
    PricingModel,
    Rate,
    UsagePrice,
)
from .money import currency_decimals
from .terms import AdjustmentKind, CommitmentKind, ContractTerms
from .usage import MetricUsage, UsageSnapshot

HUNDRED = Decimal(100)


def number(
    value: object,
    field: str,
    *,
    error: type[RatingError] = InvalidPlan,
    minimum: Decimal | None = None,
    positive: bool = False,
) -> Decimal:
    """`value` as a finite Decimal (ints allowed, floats never), within bounds."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise error(field, f"must be a Decimal, got {type(value).__name__}")
    d = Decimal(value) if isinstance(value, int) else value
    if not d.is_finite():
        raise error(field, f"must be finite, got {d}")
    if positive and d <= ZERO:
        raise error(field, f"must be > 0, got {d}")
    if minimum is not None and d < minimum:
        raise error(field, f"must be >= {minimum}, got {d}")
    return d


def _optional(value: object, field: str, **kw: Any) -> None:
    if value is not None:
        number(value, field, **kw)


def check_rate(rate: Rate, field: str, error: type[RatingError] = InvalidPlan) -> None:
    model = rate.model
    if model is PricingModel.FLAT:
        number(rate.unit_price, f"{field}.unit_price", error=error)
    elif model in (PricingModel.TIERED, PricingModel.VOLUME):
        if not rate.tiers:
            raise error(f"{field}.tiers", f"a {model.value} rate needs at least one tier")
        previous = ZERO
        last = len(rate.tiers) - 1
        for i, tier in enumerate(rate.tiers):
            tf = f"{field}.tiers[{i}]"
            number(tier.unit_price, f"{tf}.unit_price", error=error)
            number(tier.flat_fee, f"{tf}.flat_fee", error=error)
            if tier.up_to is None:
                if i != last:
                    raise error(f"{tf}.up_to", "only the last tier may be unbounded")
                continue
            up_to = number(tier.up_to, f"{tf}.up_to", error=error)
            if i == last:
                raise error(f"{tf}.up_to", "the last tier must be unbounded (up_to = null)")
            if up_to <= previous:
                raise error(
                    f"{tf}.up_to",
                    f"tiers must be in increasing up_to order: {up_to} after {previous}",
                )
            previous = up_to
    elif model is PricingModel.PACKAGE:
        number(rate.package_size, f"{field}.package_size", error=error, positive=True)
        if rate.package_price is None:
            raise error(f"{field}.package_price", "a PACKAGE rate needs a package price")
        number(rate.package_price, f"{field}.package_price", error=error)
    elif model is PricingModel.PERCENTAGE:
        if rate.rate_percent is None:
            raise error(f"{field}.rate_percent", "a PERCENTAGE rate needs rate_percent")
        number(rate.rate_percent, f"{field}.rate_percent", error=error, minimum=ZERO)
        number(rate.fixed_fee_per_event, f"{field}.fixed_fee_per_event", error=error)
        number(rate.free_amount, f"{field}.free_amount", error=error, minimum=ZERO)
        if type(rate.free_events) is not int or rate.free_events < 0:
            raise error(f"{field}.free_events", "free_events must be a whole number, 0 or more")
    else:
        number(rate.markup_percent, f"{field}.markup_percent", error=error, minimum=-HUNDRED)
    if model in (PricingModel.PERCENTAGE, PricingModel.DYNAMIC):
        _optional(rate.min_per_event, f"{field}.min_per_event", error=error, minimum=ZERO)
        _optional(rate.max_per_event, f"{field}.max_per_event", error=error, minimum=ZERO)
        if (
            rate.min_per_event is not None
            and rate.max_per_event is not None
            and rate.min_per_event > rate.max_per_event
        ):
            raise error(f"{field}.max_per_event", "must be >= min_per_event")


def format_path(path: object) -> str:
    """`("ramps", 0, "prices", 2, "up_to")` -> `ramps[0].prices[2].up_to`."""
    if isinstance(path, str):
        return path
    if not isinstance(path, tuple):
        return str(path)
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def check_plan(plan: Plan) -> None:
    """Raise `InvalidPlan` (or `CurrencyMismatch`) on the first problem in `plan`."""
    for problem in plan_checks.check_plan(plan):
        raise InvalidPlan(format_path(problem.path), f"{problem.message} ({problem.code})")
    unit = plan.pricing_unit
    if not 0 <= unit.decimals <= 18:
        raise InvalidPlan("pricing_unit.decimals", f"must be 0..18, got {unit.decimals}")
    if unit.is_custom:
        if unit.overage_rate is None:
            raise CurrencyMismatch(
                "pricing_unit.overage_rate",
                f"custom unit {unit.code} is invoiced in {unit.invoice_currency} and needs "
                "an overage rate to convert",
            )
        number(unit.overage_rate, "pricing_unit.overage_rate", minimum=ZERO)
    elif unit.decimals != currency_decimals(unit.code):
        raise InvalidPlan(
            "pricing_unit.decimals",
            f"{unit.code} has {currency_decimals(unit.code)} minor units in ISO 4217, "
            f"got {unit.decimals}",
        )
    if plan.net_payment_days < 0:
        raise InvalidPlan("net_payment_days", f"must be >= 0, got {plan.net_payment_days}")
    if plan.trial is not None:
        if plan.trial.days < 0:
            raise InvalidPlan("trial.days", f"must be >= 0, got {plan.trial.days}")
        _optional(plan.trial.spending_cap, "trial.spending_cap", minimum=ZERO)
    if not plan.ramps:
        raise InvalidPlan("ramps", "a plan needs at least one ramp")
    last = len(plan.ramps) - 1
    for r, ramp in enumerate(plan.ramps):
        rf = f"ramps[{r}]"
        if r < last and (ramp.duration_periods is None or ramp.duration_periods < 1):
            raise InvalidPlan(
                f"{rf}.duration_periods", "every ramp but the last needs a duration >= 1"
            )
        if r == last and ramp.duration_periods is not None:
            raise InvalidPlan(f"{rf}.duration_periods", "the last ramp has no duration")
        _optional(ramp.invoice_minimum, f"{rf}.invoice_minimum", minimum=ZERO)
        check_prices(ramp.prices, rf)


def check_prices(prices: Sequence[object], rf: str, error: type[RatingError] = InvalidPlan) -> None:
    keys: dict[str, object] = {}
    for p, price in enumerate(prices):
        pf = f"{rf}.prices[{p}]"
        if not isinstance(price, UsagePrice | FixedPrice | CompositePrice):
            raise error(pf, f"not a price: {type(price).__name__}")
        if price.key in keys:
            raise error(f"{pf}.key", f"duplicate price key {price.key!r}")
        keys[price.key] = price
        if isinstance(price, UsagePrice):
            _check_usage_price(price, pf, error)
        elif isinstance(price, FixedPrice):
            amount = number(price.amount, f"{pf}.amount", error=error)
            if price.is_discount and amount > ZERO:
                raise error(f"{pf}.amount", "a discount's amount must be negative (or 0)")
            if not price.is_discount and amount < ZERO:
                raise error(f"{pf}.amount", "must be >= 0 (use is_discount for a discount)")
            number(price.quantity, f"{pf}.quantity", error=error, minimum=ZERO)
            if price.cadence is FixedCadence.RECURRING and price.every_periods < 1:
                raise error(f"{pf}.every_periods", f"must be >= 1, got {price.every_periods}")
    for p, price in enumerate(prices):
        if isinstance(price, CompositePrice):
            _check_composite(price, f"{rf}.prices[{p}]", keys, error)


def _check_usage_price(price: UsagePrice, pf: str, error: type[RatingError]) -> None:
    number(price.conversion_factor, f"{pf}.conversion_factor", error=error, positive=True)
    number(price.free_units, f"{pf}.free_units", error=error, minimum=ZERO)
    if price.rate is None and not price.dimension_rates:
        raise error(f"{pf}.rate", "a usage price needs a rate or dimension rates")
    rates: list[tuple[str, Rate]] = []
    if price.rate is not None:
        rates.append((f"{pf}.rate", price.rate))
    seen: set[tuple[tuple[str, str], ...]] = set()
    known = set(price.metric.dimensions)
    for d, dim in enumerate(price.dimension_rates):
        df = f"{pf}.dimension_rates[{d}]"
        match = tuple(sorted(dim.match))
        if not match:
            raise error(f"{df}.match", "must name at least one dimension value")
        if match in seen:
            raise error(f"{df}.match", f"duplicate rate-card entry {dict(match)}")
        seen.add(match)
        for name, _ in match:
            if known and name not in known:
                raise error(f"{df}.match", f"metric {price.metric.key!r} has no dimension {name!r}")
        rates.append((f"{df}.rate", dim.rate))
    for rf, rate in rates:
        check_rate(rate, rf, error)
        if rate.model in (PricingModel.PERCENTAGE, PricingModel.DYNAMIC) and (
            price.conversion_factor != ONE or price.free_units != ZERO
        ):
            raise error(
                f"{pf}.conversion_factor",
                f"unit conversion and free units apply to quantities, not to a "
                f"{rate.model.value} rate (use free_amount)",
            )


def _check_composite(
    price: CompositePrice, pf: str, keys: dict[str, object], error: type[RatingError]
) -> None:
    number(price.quantity, f"{pf}.quantity", error=error, minimum=ZERO)
    if price.composite is CompositeKind.PERCENTAGE:
        number(price.value, f"{pf}.value", error=error, minimum=-HUNDRED)
    else:
        number(price.value, f"{pf}.value", error=error, minimum=ZERO)
    if not price.price_keys:
        raise error(f"{pf}.price_keys", "a composite lists at least one price")
    for key in price.price_keys:
        target = keys.get(key)
        if target is None:
            raise error(f"{pf}.price_keys", f"unknown price key {key!r} in this ramp")
        if target is price:
            raise error(f"{pf}.price_keys", "a composite cannot list itself")
        if isinstance(target, CompositePrice) and (
            target.composite is CompositeKind.MINIMUM or price.composite is CompositeKind.PERCENTAGE
        ):
            raise error(
                f"{pf}.price_keys",
                f"{price.composite.value} composites list usage, fixed"
                + (" and percentage composites" if price.composite is CompositeKind.MINIMUM else "")
                + f" prices; {key!r} is a {target.composite.value} composite",
            )


def check_terms(plan: Plan, terms: ContractTerms) -> None:
    """Raise `InvalidTerms` (or `CurrencyMismatch`) on the first problem in `terms`."""
    if not isinstance(terms.start, date):
        raise InvalidTerms("start", "must be a date")
    if terms.end is not None and terms.end <= terms.start:
        raise InvalidTerms("end", f"must be after the start {terms.start.isoformat()}")
    o = terms.overrides
    if o.net_payment_days is not None and o.net_payment_days < 0:
        raise InvalidTerms("overrides.net_payment_days", "must be >= 0")
    if o.trial is not None:
        if o.trial.days < 0:
            raise InvalidTerms("overrides.trial.days", "must be >= 0")
        _optional(
            o.trial.spending_cap, "overrides.trial.spending_cap", error=InvalidTerms, minimum=ZERO
        )
    _optional(o.invoice_minimum, "overrides.invoice_minimum", error=InvalidTerms, minimum=ZERO)

    price_keys = {p.key for ramp in plan.ramps for p in ramp.prices}
    for i, adj in enumerate(terms.adjustments):
        af = f"adjustments[{i}]"
        if adj.price_key not in price_keys:
            raise InvalidTerms(f"{af}.price_key", f"the plan has no price {adj.price_key!r}")
        _optional(adj.value, f"{af}.value", error=InvalidTerms)
        if adj.kind is AdjustmentKind.OVERRIDE:
            given = sum(x is not None for x in (adj.value, adj.tiers, adj.rate))
            if given != 1:
                raise InvalidTerms(af, "an OVERRIDE takes exactly one of value, tiers, rate")
            if adj.tiers is not None:
                from .models import Rate as _Rate

                check_rate(_Rate(PricingModel.TIERED, tiers=adj.tiers), f"{af}", InvalidTerms)
            if adj.rate is not None:
                check_rate(adj.rate, f"{af}.rate", InvalidTerms)
        elif adj.tiers is not None or adj.rate is not None:
            raise InvalidTerms(af, f"a {adj.kind.value} adjustment takes only a value")
        if (
            adj.effective_from is not None
            and adj.effective_until is not None
            and adj.effective_until <= adj.effective_from
        ):
            raise InvalidTerms(f"{af}.effective_until", "must be after effective_from")
    check_discounts(terms.discounts, price_keys)
    # Dry run: every adjustment against every ramp, so errors surface now, not in month 7.
    indexed = list(enumerate(terms.adjustments))
    for r, ramp in enumerate(plan.ramps):
        prices = effective_prices(ramp.prices, indexed, plan.rounding_mode)
        check_prices(prices, f"ramps[{r}] (adjusted)", InvalidTerms)

    code = plan.pricing_unit.code
    keys: set[str] = set()
    for i, g in enumerate(terms.credit_grants):
        gf = f"credit_grants[{i}]"
        if g.key in keys:
            raise InvalidTerms(f"{gf}.key", f"duplicate grant key {g.key!r}")
        keys.add(g.key)
        number(g.amount, f"{gf}.amount", error=InvalidTerms, minimum=ZERO)
        if g.pricing_unit != code:
            raise CurrencyMismatch(
                f"{gf}.pricing_unit",
                f"the grant is in {g.pricing_unit} but the plan is priced in {code}",
            )
        if g.expires is not None and g.expires <= g.effective:
            raise InvalidTerms(f"{gf}.expires", "must be after the effective date")
    for i, c in enumerate(terms.commitments):
        cf = f"commitments[{i}]"
        if c.key in keys:
            raise InvalidTerms(f"{cf}.key", f"duplicate grant/commitment key {c.key!r}")
        keys.add(c.key)
        number(c.amount, f"{cf}.amount", error=InvalidTerms, minimum=ZERO)
        if c.kind is CommitmentKind.PREPAID:
            _optional(c.credit_amount, f"{cf}.credit_amount", error=InvalidTerms, minimum=ZERO)
        elif c.credit_amount is not None:
            raise InvalidTerms(f"{cf}.credit_amount", "only PREPAID commitments grant credits")
        start = c.start or terms.start
        end = c.end or terms.end
        if end is None:
            raise InvalidTerms(f"{cf}.end", "needs an end date (the contract has none)")
        if end <= start:
            raise InvalidTerms(f"{cf}.end", "must be after the commitment start")
        if start < terms.start:
            raise InvalidTerms(f"{cf}.start", "must not be before the contract start")


def index_usage(
    snapshot: UsageSnapshot, metrics: frozenset[str], field: str = "usage"
) -> dict[str, list[MetricUsage]]:
    """Check one period's usage and group it by metric key."""
    out: dict[str, list[MetricUsage]] = {}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for i, mu in enumerate(snapshot.usage):
        key = mu.metric_key
        if key not in metrics:
            raise InvalidUsage(
                f"{field}[{i}].metric_key", f"metric {key!r} is not priced by this plan"
            )
        ident = (key, mu.group)
        if ident in seen:
            raise InvalidUsage(
                f"{field}[{i}]", f"duplicate usage for {key!r} group {dict(mu.group)}"
            )
        seen.add(ident)
        q = mu.quantity
        if q.__class__ is not Decimal or not q.is_finite() or q < ZERO:
            number(q, f"{field}[{i}].quantity", error=InvalidUsage, minimum=ZERO)
        if mu.transactions:
            for t, amount in enumerate(mu.transactions):
                number(amount, f"{field}[{i}].transactions[{t}]", error=InvalidUsage, minimum=ZERO)
        if mu.transaction_count is not None:
            if (
                isinstance(mu.transaction_count, bool)
                or not isinstance(mu.transaction_count, int)
                or mu.transaction_count < 0
            ):
                raise InvalidUsage(f"{field}[{i}].transaction_count", "must be a whole number >= 0")
            if mu.transactions:
                raise InvalidUsage(
                    f"{field}[{i}].transaction_count",
                    "give either transactions or a count and an average, not both",
                )
            if mu.average_amount is None:
                raise InvalidUsage(f"{field}[{i}].average_amount", "needed with a count")
            number(
                mu.average_amount, f"{field}[{i}].average_amount", error=InvalidUsage, minimum=ZERO
            )
        if mu.event_costs:
            for e, cost in enumerate(mu.event_costs):
                number(cost, f"{field}[{i}].event_costs[{e}]", error=InvalidUsage, minimum=ZERO)
        out.setdefault(key, []).append(mu)
    return out
