"""A plan input -> domain `Plan` values, with every problem found.

What needs the database (unknown metric keys) is resolved by the caller, which passes the
metrics it found; structural rules live in `rating.plan_checks`, shared with the rating core.
Each function appends its problems to `errors` and returns what it could build, so one
request reports everything wrong with it at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from pricing_graph.rating import models
from pricing_graph.rating.currencies import ISO_4217_CODES, ISO_4217_MINOR_UNITS
from pricing_graph.rating.plan_checks import Path, check_plan
from pricing_graph.services.catalog.inputs import (
    LimitSpec,
    PriceSpec,
    PricingUnitSpec,
    RampSpec,
    RateSpec,
    TierSpec,
)
from pricing_graph.services.errors import ErrorCode, Problem, problem
from pricing_graph.services.validation import key_errors, text_errors
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.catalog_repo import UsageLimitSpec
from pricing_graph.store.mappers import metric_to_domain

#: The rating core's table (`rating/currencies.py`), so every currency accepted is priced
#: with the minor units it was accepted with.
ISO_CURRENCIES = ISO_4217_CODES


def pricing_unit_from_input(
    given: PricingUnitSpec, errors: list[Problem], path: Path = ("pricing_unit",)
) -> models.PricingUnit:
    code = given.code.strip()
    if given.invoice_currency is None:
        if code not in ISO_CURRENCIES:
            errors.append(
                problem(
                    (*path, "code"),
                    ErrorCode.UNKNOWN_CURRENCY,
                    f"{code!r} is not an ISO 4217 currency; for a custom pricing unit also give "
                    "decimals, invoiceCurrency and overageRate",
                )
            )
            return models.PricingUnit(code=code, decimals=2)
        precision = ISO_4217_MINOR_UNITS[code]
        if given.decimals is not None and given.decimals != precision:
            errors.append(
                problem(
                    (*path, "decimals"),
                    ErrorCode.INVALID_VALUE,
                    f"{code} has {precision} minor digits by ISO 4217; leave decimals empty",
                )
            )
        if given.overage_rate is not None:
            errors.append(
                problem(
                    (*path, "overage_rate"),
                    ErrorCode.INVALID_VALUE,
                    "only custom pricing units have an overage rate",
                )
            )
        return models.PricingUnit(code=code, decimals=precision)

    if code in ISO_CURRENCIES:
        errors.append(
            problem(
                (*path, "code"),
                ErrorCode.INVALID_VALUE,
                f"{code} is a currency; a custom pricing unit needs a name of its own",
            )
        )
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,19}", code):
        errors.append(
            problem((*path, "code"), ErrorCode.INVALID_VALUE, "use 1-20 letters and digits")
        )
    if given.invoice_currency not in ISO_CURRENCIES:
        errors.append(
            problem(
                (*path, "invoice_currency"),
                ErrorCode.UNKNOWN_CURRENCY,
                f"{given.invoice_currency!r} is not an ISO 4217 currency",
            )
        )
    if given.decimals is None:
        errors.append(
            problem((*path, "decimals"), ErrorCode.REQUIRED, "a custom unit needs decimals")
        )
    if given.overage_rate is None:
        errors.append(
            problem(
                (*path, "overage_rate"),
                ErrorCode.REQUIRED,
                "a custom unit needs the price of one unit in the invoice currency",
            )
        )
    return models.PricingUnit(
        code=code,
        decimals=given.decimals if given.decimals is not None else 2,
        invoice_currency=given.invoice_currency,
        overage_rate=given.overage_rate,
    )


def referenced_metric_keys(
    ramps: Iterable[RampSpec] | None, limits: Iterable[LimitSpec] | None
) -> set[str]:
    keys = {limit.metric_key for limit in limits or ()}
    for ramp in ramps or ():
        keys.update(price.usage.metric_key for price in ramp.prices if price.usage is not None)
    return keys


def ramps_from_input(
    ramps: Iterable[RampSpec], metrics: Mapping[str, MetricRow], errors: list[Problem]
) -> tuple[models.Ramp, ...]:
    return tuple(
        models.Ramp(
            prices=tuple(
                price
                for j, given in enumerate(ramp.prices)
                if (price := _price(("ramps", i, "prices", j), given, metrics, errors))
            ),
            duration_periods=ramp.duration_periods,
            invoice_minimum=ramp.invoice_minimum,
        )
        for i, ramp in enumerate(ramps)
    )


def _price(
    path: Path, given: PriceSpec, metrics: Mapping[str, MetricRow], errors: list[Problem]
) -> models.Price | None:
    errors.extend(key_errors((*path, "key"), given.key))
    errors.extend(text_errors((*path, "name"), given.name))
    if given.invoice_display_name is not None:
        errors.extend(
            text_errors((*path, "invoice_display_name"), given.invoice_display_name, required=False)
        )
    kinds = [k for k in ("usage", "fixed", "composite") if getattr(given, k) is not None]
    if len(kinds) != 1:
        errors.append(
            problem(
                path,
                ErrorCode.REQUIRED if not kinds else ErrorCode.INVALID_VALUE,
                f"give exactly one of usage, fixed or composite (got {', '.join(kinds) or 'none'})",
            )
        )
        return None
    display_name = given.invoice_display_name or given.name
    if given.usage is not None:
        usage = given.usage
        metric = metrics.get(usage.metric_key)
        if metric is None:
            errors.append(
                problem(
                    (*path, "usage", "metric_key"),
                    ErrorCode.UNKNOWN_METRIC,
                    f"no billable metric has key {usage.metric_key!r}; create it first",
                )
            )
            return None
        rate_path = (*path, "usage")
        return models.UsagePrice(
            key=given.key,
            name=given.name,
            display_name=display_name,
            metric=metric_to_domain(metric),
            rate=_rate((*rate_path, "rate"), usage.rate, errors) if usage.rate else None,
            dimension_rates=tuple(
                models.DimensionRate(
                    match=tuple(sorted((v.name, v.value) for v in entry.match)),
                    rate=_rate((*rate_path, "dimension_rates", k, "rate"), entry.rate, errors),
                )
                for k, entry in enumerate(usage.dimension_rates)
            ),
            conversion_factor=usage.conversion_factor,
            conversion_rounding=models.ConversionRounding(usage.conversion_rounding),
            free_units=usage.free_units,
        )
    if given.fixed is not None:
        fixed = given.fixed
        return models.FixedPrice(
            key=given.key,
            name=given.name,
            display_name=display_name,
            amount=fixed.amount,
            quantity=fixed.quantity,
            cadence=models.FixedCadence(fixed.cadence),
            every_periods=fixed.every_periods,
            timing=models.ChargeTiming(fixed.timing),
            prorate=fixed.prorate,
            is_discount=fixed.is_discount,
        )
    composite = given.composite
    assert composite is not None
    return models.CompositePrice(
        key=given.key,
        name=given.name,
        display_name=display_name,
        composite=models.CompositeKind(composite.kind),
        value=composite.value,
        price_keys=tuple(composite.price_keys),
        quantity=composite.quantity,
    )


def _rate(path: Path, given: RateSpec, errors: list[Problem]) -> models.Rate:
    model = models.PricingModel(given.model)
    if model is models.PricingModel.FLAT and given.unit_price is None:
        errors.append(problem((*path, "unit_price"), ErrorCode.REQUIRED, "FLAT needs unitPrice"))
    return models.Rate(
        model=model,
        unit_price=given.unit_price if given.unit_price is not None else Decimal(0),
        tiers=_tiers((*path, "tiers"), given.tiers or (), errors),
        package_size=given.package_size,
        package_price=given.package_price,
        package_rounding=models.PackageRounding(given.package_rounding),
        rate_percent=given.rate_percent,
        fixed_fee_per_event=given.fixed_fee_per_event,
        min_per_event=given.min_per_event,
        max_per_event=given.max_per_event,
        free_amount=given.free_amount,
        markup_percent=given.markup_percent,
        free_events=given.free_events,
    )


def _tiers(
    path: Path, tiers: tuple[TierSpec, ...], errors: list[Problem]
) -> tuple[models.Tier, ...]:
    previous: Decimal | None = Decimal(0)
    for index, tier in enumerate(tiers):
        if tier.from_ is not None and previous is not None and tier.from_ != previous:
            gap = tier.from_ > previous
            errors.append(
                problem(
                    (*path, index, "from"),
                    ErrorCode.TIER_GAP if gap else ErrorCode.TIER_OVERLAP,
                    f"tier starts after {tier.from_} but the previous tier ends at {previous}: "
                    + ("units in between would have no price" if gap else "the ranges overlap"),
                )
            )
        previous = tier.up_to
    return tuple(models.Tier(t.up_to, t.unit_price, t.flat_fee) for t in tiers)


def usage_limits_from_input(
    limits: Iterable[LimitSpec], metrics: Mapping[str, MetricRow], errors: list[Problem]
) -> tuple[UsageLimitSpec, ...]:
    seen: set[str] = set()
    specs = []
    for index, limit in enumerate(limits):
        path = ("usage_limits", index)
        if limit.metric_key not in metrics:
            errors.append(
                problem(
                    (*path, "metric_key"),
                    ErrorCode.UNKNOWN_METRIC,
                    f"no billable metric has key {limit.metric_key!r}",
                )
            )
            continue
        if limit.metric_key in seen:
            errors.append(
                problem(
                    (*path, "metric_key"),
                    ErrorCode.DUPLICATE_KEY,
                    f"{limit.metric_key!r} already has a limit in this plan",
                )
            )
        seen.add(limit.metric_key)
        if limit.limit is not None and limit.limit < 0:
            errors.append(problem((*path, "limit"), ErrorCode.NEGATIVE_VALUE, "must be 0+"))
        if (limit.rate_limit is None) != (limit.rate_limit_window is None):
            errors.append(
                problem(
                    (*path, "rate_limit"),
                    ErrorCode.REQUIRED,
                    "give rateLimit and rateLimitWindow together",
                )
            )
        elif limit.rate_limit is not None and limit.rate_limit < 1:
            errors.append(problem((*path, "rate_limit"), ErrorCode.NOT_POSITIVE, "must be 1+"))
        specs.append(
            UsageLimitSpec(
                metric_key=limit.metric_key,
                limit_quantity=limit.limit,
                enforcement=limit.enforcement.value,
                rate_limit=limit.rate_limit,
                rate_limit_window=limit.rate_limit_window.value
                if limit.rate_limit_window
                else None,
            )
        )
    return tuple(specs)


def plan_errors(plan: models.Plan) -> list[Problem]:
    return [problem(p.path, p.code, p.message) for p in check_plan(plan)]
