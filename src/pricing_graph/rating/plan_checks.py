"""Structural checks of a plan: what makes a price book impossible to rate.

`check_plan` returns every problem it finds, each with the path of the offending field in
the vocabulary of the createPlan input (`ramps`, 0, `prices`, 2, `usage`, `rate`, `tiers`,
1, `up_to`), a stable code and a message that says how to fix it.

This is the one set of plan rules: createPlan, updatePlan and publishPlan refuse a plan
with any of these problems, and the rating core (`validate.check_plan`) runs it first on
every plan it is given, so a plan that publishes is a plan that can be rated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pricing_graph.rating.currencies import ISO_4217_CODES, ISO_4217_MINOR_UNITS
from pricing_graph.rating.models import (
    ONE,
    ZERO,
    BillingAnchor,
    BillingInterval,
    CompositeKind,
    CompositePrice,
    FixedCadence,
    FixedPrice,
    Plan,
    Price,
    PricingModel,
    Ramp,
    Rate,
    Tier,
    UsagePrice,
)

Path = tuple[str | int, ...]

#: Models priced per event (each transaction's amount, each event's cost), not per quantity.
EVENT_MODELS = frozenset({PricingModel.PERCENTAGE, PricingModel.DYNAMIC})


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    code: str
    message: str


#: Intervals counted in days from the contract start, which cannot follow the calendar.
DAY_INTERVALS = frozenset({BillingInterval.BIWEEKLY, BillingInterval.WEEKLY})


def check_plan(plan: Plan) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    _check_pricing_unit(problems, plan)
    if plan.billing_interval in DAY_INTERVALS and plan.billing_anchor is (
        BillingAnchor.FIRST_OF_MONTH
    ):
        problems.append(
            Problem(
                ("billing_anchor",),
                "INVALID_VALUE",
                f"FIRST_OF_MONTH needs a month-based interval; {plan.billing_interval.value} "
                "periods run from the contract start (use CONTRACT_START)",
            )
        )
    if plan.trial is not None:
        if plan.trial.days < 0:
            problems.append(Problem(("trial", "days"), "NEGATIVE_VALUE", "must be 0 or more"))
        if plan.trial.spending_cap is not None:
            _non_negative(problems, ("trial", "spending_cap"), plan.trial.spending_cap)
    if plan.net_payment_days < 0:
        problems.append(Problem(("net_payment_days",), "NEGATIVE_VALUE", "must be 0 or more"))
    if not plan.ramps:
        problems.append(Problem(("ramps",), "REQUIRED", "a plan needs at least one pricing ramp"))
    for index, ramp in enumerate(plan.ramps):
        _check_ramp(problems, ("ramps", index), ramp, is_last=index == len(plan.ramps) - 1)
    return tuple(problems)


def _check_pricing_unit(problems: list[Problem], plan: Plan) -> None:
    """A currency is an ISO 4217 code with ISO's minor units (`currencies.py`); a custom
    unit declares 0 to 12 decimals and is invoiced in such a currency."""
    unit = plan.pricing_unit
    path: Path = ("pricing_unit",)
    if unit.decimals < 0 or unit.decimals > 12:
        problems.append(Problem((*path, "decimals"), "INVALID_VALUE", "must be between 0 and 12"))
    if unit.overage_rate is not None:
        _non_negative(problems, (*path, "overage_rate"), unit.overage_rate)
    if unit.is_custom:
        if unit.invoice_currency not in ISO_4217_CODES:
            problems.append(
                Problem(
                    (*path, "invoice_currency"),
                    "UNKNOWN_CURRENCY",
                    f"{unit.invoice_currency!r} is not an ISO 4217 currency",
                )
            )
        return
    iso = ISO_4217_MINOR_UNITS.get(unit.code)
    if iso is None:
        problems.append(
            Problem(
                (*path, "code"),
                "UNKNOWN_CURRENCY",
                f"{unit.code!r} is not an ISO 4217 currency; a custom pricing unit names "
                "its invoice currency",
            )
        )
    elif unit.decimals != iso:
        problems.append(
            Problem(
                (*path, "decimals"),
                "INVALID_VALUE",
                f"{unit.code} has {iso} minor units in ISO 4217, got {unit.decimals}",
            )
        )


def _check_ramp(problems: list[Problem], path: Path, ramp: Ramp, *, is_last: bool) -> None:
    if ramp.duration_periods is None and not is_last:
        problems.append(
            Problem(
                (*path, "duration_periods"),
                "RAMP_DURATION_REQUIRED",
                "every ramp but the last needs a duration in billing periods",
            )
        )
    elif ramp.duration_periods is not None and is_last:
        problems.append(
            Problem(
                (*path, "duration_periods"),
                "LAST_RAMP_HAS_DURATION",
                "the last ramp applies until the contract ends; leave its duration empty",
            )
        )
    elif ramp.duration_periods is not None and ramp.duration_periods < 1:
        problems.append(
            Problem((*path, "duration_periods"), "NOT_POSITIVE", "must be at least 1 period")
        )
    if ramp.invoice_minimum is not None:
        _non_negative(problems, (*path, "invoice_minimum"), ramp.invoice_minimum)

    by_key: dict[str, Price] = {}
    for index, price in enumerate(ramp.prices):
        if price.key in by_key:
            problems.append(
                Problem(
                    (*path, "prices", index, "key"),
                    "DUPLICATE_KEY",
                    f"price key {price.key!r} is used twice in this ramp",
                )
            )
        by_key[price.key] = price
    for index, price in enumerate(ramp.prices):
        price_path = (*path, "prices", index)
        if isinstance(price, UsagePrice):
            _check_usage(problems, (*price_path, "usage"), price)
        elif isinstance(price, FixedPrice):
            _check_fixed(problems, (*price_path, "fixed"), price)
        else:
            _check_composite(problems, (*price_path, "composite"), price, by_key)


def _check_usage(problems: list[Problem], path: Path, price: UsagePrice) -> None:
    if price.conversion_factor <= ZERO:
        problems.append(
            Problem((*path, "conversion_factor"), "NOT_POSITIVE", "must be greater than 0")
        )
    _non_negative(problems, (*path, "free_units"), price.free_units)
    if price.rate is None and not price.dimension_rates:
        problems.append(
            Problem((*path, "rate"), "REQUIRED", "give a default rate, dimension rates, or both")
        )
    if price.rate is not None:
        _check_rate(problems, (*path, "rate"), price.rate)
    rates = [price.rate] if price.rate is not None else []
    rates += [entry.rate for entry in price.dimension_rates]
    event_models = sorted({r.model.value for r in rates if r.model in EVENT_MODELS})
    if event_models and (price.conversion_factor != ONE or price.free_units != ZERO):
        problems.append(
            Problem(
                (*path, "conversion_factor" if price.conversion_factor != ONE else "free_units"),
                "INVALID_VALUE",
                f"unit conversion and free units apply to quantities, not to a "
                f"{' or '.join(event_models)} rate (PERCENTAGE has free_amount)",
            )
        )
    seen: set[frozenset[tuple[str, str]]] = set()
    for index, entry in enumerate(price.dimension_rates):
        entry_path = (*path, "dimension_rates", index)
        match = frozenset(entry.match)
        if not match:
            problems.append(
                Problem(
                    (*entry_path, "match"),
                    "REQUIRED",
                    "a dimension rate matches at least one dimension; use `rate` for the default",
                )
            )
        for name, _value in entry.match:
            if name not in price.metric.dimensions:
                known = ", ".join(price.metric.dimensions) or "none"
                problems.append(
                    Problem(
                        (*entry_path, "match"),
                        "UNKNOWN_DIMENSION",
                        f"metric {price.metric.key!r} has no dimension {name!r} (it has: {known})",
                    )
                )
        if match in seen:
            problems.append(
                Problem(
                    (*entry_path, "match"),
                    "DUPLICATE_MATCH",
                    "another dimension rate of this price has the same match",
                )
            )
        seen.add(match)
        _check_rate(problems, (*entry_path, "rate"), entry.rate)


def _check_rate(problems: list[Problem], path: Path, rate: Rate) -> None:
    model = rate.model
    _check_free_events(problems, path, rate)
    if model is PricingModel.FLAT:
        _non_negative(problems, (*path, "unit_price"), rate.unit_price)
    elif model in (PricingModel.TIERED, PricingModel.VOLUME):
        _check_tiers(problems, (*path, "tiers"), rate.tiers)
    elif model is PricingModel.PACKAGE:
        _required_positive(problems, (*path, "package_size"), rate.package_size)
        if rate.package_price is None:
            problems.append(
                Problem((*path, "package_price"), "REQUIRED", "PACKAGE needs package_price")
            )
        else:
            _non_negative(problems, (*path, "package_price"), rate.package_price)
    elif model is PricingModel.PERCENTAGE:
        if rate.rate_percent is None:
            problems.append(
                Problem((*path, "rate_percent"), "REQUIRED", "PERCENTAGE needs rate_percent")
            )
        else:
            _non_negative(problems, (*path, "rate_percent"), rate.rate_percent)
        _non_negative(problems, (*path, "fixed_fee_per_event"), rate.fixed_fee_per_event)
        _non_negative(problems, (*path, "free_amount"), rate.free_amount)
        _check_per_event_bounds(problems, path, rate)
    elif model is PricingModel.DYNAMIC:
        if rate.markup_percent < -100:
            problems.append(
                Problem(
                    (*path, "markup_percent"),
                    "INVALID_VALUE",
                    "a markup below -100% would make the charge negative",
                )
            )
        _check_per_event_bounds(problems, path, rate)


#: The largest `free_events` a rate takes (a PostgreSQL INTEGER holds it).
MAX_FREE_EVENTS = 1_000_000_000


def _check_free_events(problems: list[Problem], path: Path, rate: Rate) -> None:
    """`free_events`: the first N transactions of a period are free (PERCENTAGE only)."""
    free = rate.free_events
    if free < 0:
        problems.append(
            Problem((*path, "free_events"), "NEGATIVE_VALUE", f"must be 0 or more, got {free}")
        )
    elif free > MAX_FREE_EVENTS:
        problems.append(
            Problem((*path, "free_events"), "INVALID_VALUE", f"must be {MAX_FREE_EVENTS:,} at most")
        )
    elif free and rate.model is not PricingModel.PERCENTAGE:
        problems.append(
            Problem(
                (*path, "free_events"),
                "INVALID_VALUE",
                f"free transactions apply to PERCENTAGE rates, not to {rate.model.value}",
            )
        )


def _check_per_event_bounds(problems: list[Problem], path: Path, rate: Rate) -> None:
    """PERCENTAGE and DYNAMIC clamp each event's charge to [min_per_event, max_per_event]."""
    for name in ("min_per_event", "max_per_event"):
        value = getattr(rate, name)
        if value is not None:
            _non_negative(problems, (*path, name), value)
    low, high = rate.min_per_event, rate.max_per_event
    if low is not None and high is not None and low > high:
        problems.append(
            Problem(
                (*path, "max_per_event"),
                "INVALID_RANGE",
                f"max_per_event {high} is below min_per_event {low}",
            )
        )


def _check_tiers(problems: list[Problem], path: Path, tiers: tuple[Tier, ...]) -> None:
    if not tiers:
        problems.append(Problem(path, "REQUIRED", "TIERED and VOLUME prices need tiers"))
        return
    previous = ZERO
    last = len(tiers) - 1
    for index, tier in enumerate(tiers):
        tier_path = (*path, index)
        _non_negative(problems, (*tier_path, "unit_price"), tier.unit_price)
        _non_negative(problems, (*tier_path, "flat_fee"), tier.flat_fee)
        if tier.up_to is None:
            if index != last:
                problems.append(
                    Problem(
                        (*tier_path, "up_to"),
                        "UNBOUNDED_TIER_NOT_LAST",
                        "only the last tier may leave up_to empty",
                    )
                )
            continue
        if tier.up_to <= previous:
            problems.append(
                Problem(
                    (*tier_path, "up_to"),
                    "TIERS_NOT_ASCENDING",
                    f"up_to {tier.up_to} must be greater than the previous bound {previous}",
                )
            )
        else:
            previous = tier.up_to
        if index == last:
            problems.append(
                Problem(
                    (*tier_path, "up_to"),
                    "BOUNDED_LAST_TIER",
                    "the last tier must be unbounded (up_to empty) so every quantity is priced",
                )
            )


def _check_fixed(problems: list[Problem], path: Path, price: FixedPrice) -> None:
    if price.amount < ZERO and not price.is_discount:
        problems.append(
            Problem(
                (*path, "amount"),
                "NEGATIVE_VALUE",
                "a negative fixed amount is only allowed with is_discount: true",
            )
        )
    if price.amount > ZERO and price.is_discount:
        problems.append(
            Problem((*path, "amount"), "INVALID_VALUE", "a discount's amount must be negative")
        )
    _non_negative(problems, (*path, "quantity"), price.quantity)
    if price.cadence is FixedCadence.RECURRING and price.every_periods < 1:
        problems.append(
            Problem((*path, "every_periods"), "NOT_POSITIVE", "must be at least 1 period")
        )


def _check_composite(
    problems: list[Problem], path: Path, price: CompositePrice, by_key: dict[str, Price]
) -> None:
    _non_negative(problems, (*path, "quantity"), price.quantity)
    if price.composite is CompositeKind.MINIMUM:
        _non_negative(problems, (*path, "value"), price.value)
    if not price.price_keys:
        problems.append(
            Problem((*path, "price_keys"), "REQUIRED", "list the prices this charge covers")
        )
    for key in price.price_keys:
        listed = by_key.get(key)
        if key == price.key:
            problems.append(
                Problem((*path, "price_keys"), "COMPOSITE_SELF_REFERENCE", "lists itself")
            )
        elif listed is None:
            problems.append(
                Problem(
                    (*path, "price_keys"),
                    "COMPOSITE_UNKNOWN_PRICE",
                    f"{key!r} is not a price of this ramp; a composite covers its own ramp only",
                )
            )
        elif isinstance(listed, CompositePrice) and (
            price.composite is CompositeKind.PERCENTAGE or listed.composite is CompositeKind.MINIMUM
        ):
            problems.append(
                Problem(
                    (*path, "price_keys"),
                    "COMPOSITE_INVALID_TARGET",
                    f"{key!r} is a {listed.composite.value} composite; a percentage covers "
                    "usage and fixed prices, a minimum may also cover percentage composites",
                )
            )


def _non_negative(problems: list[Problem], path: Path, value: Decimal) -> None:
    if value < ZERO:
        problems.append(Problem(path, "NEGATIVE_VALUE", f"must be 0 or more, got {value}"))


def _required_positive(problems: list[Problem], path: Path, value: Decimal | None) -> None:
    if value is None:
        problems.append(Problem(path, "REQUIRED", "is required for this model"))
    elif value <= ZERO:
        problems.append(Problem(path, "NOT_POSITIVE", f"must be greater than 0, got {value}"))
