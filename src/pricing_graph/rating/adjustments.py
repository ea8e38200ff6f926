"""Contract price adjustments: turn a ramp's prices into the customer's effective prices.

The invoice only ever sees the effective price, so it shows the adjusted unit price and
never how it was reached. Adjustments on the same price apply in the order listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from .errors import InvalidTerms
from .models import (
    ZERO,
    CompositeKind,
    CompositePrice,
    DimensionRate,
    FixedPrice,
    Price,
    PricingModel,
    Rate,
    RoundingMode,
    Tier,
    UsagePrice,
)
from .money import limit_unit_price
from .terms import AdjustmentKind, PriceAdjustment

HUNDRED = Decimal(100)


def _factor(adj: PriceAdjustment, field: str) -> Decimal:
    value = _value(adj, field)
    if value < -HUNDRED:
        raise InvalidTerms(f"{field}.value", f"a PERCENT adjustment must be >= -100, got {value}")
    return (HUNDRED + value) / HUNDRED


def _value(adj: PriceAdjustment, field: str) -> Decimal:
    if adj.value is None:
        raise InvalidTerms(f"{field}.value", f"a {adj.kind.value} adjustment needs a value")
    return adj.value


def _plus(price: Decimal, delta: Decimal, mode: RoundingMode) -> Decimal:
    result = price + delta
    return limit_unit_price(result if result > ZERO else ZERO, mode)


def _scale_tiers(tiers: tuple[Tier, ...], f: Decimal, mode: RoundingMode) -> tuple[Tier, ...]:
    return tuple(
        Tier(t.up_to, limit_unit_price(t.unit_price * f, mode), limit_unit_price(t.flat_fee * f))
        for t in tiers
    )


def adjust_rate(rate: Rate, adj: PriceAdjustment, field: str, mode: RoundingMode) -> Rate:
    """One adjustment applied to one rate."""
    kind = adj.kind
    model = rate.model
    if kind is AdjustmentKind.PERCENT:
        f = _factor(adj, field)
        if model is PricingModel.FLAT:
            return replace(rate, unit_price=limit_unit_price(rate.unit_price * f, mode))
        if model in (PricingModel.TIERED, PricingModel.VOLUME):
            return replace(rate, tiers=_scale_tiers(rate.tiers, f, mode))
        if model is PricingModel.PACKAGE:
            assert rate.package_price is not None
            return replace(rate, package_price=limit_unit_price(rate.package_price * f, mode))
        if model is PricingModel.PERCENTAGE:
            assert rate.rate_percent is not None
            return replace(
                rate,
                rate_percent=limit_unit_price(rate.rate_percent * f, mode),
                fixed_fee_per_event=limit_unit_price(rate.fixed_fee_per_event * f, mode),
                min_per_event=None
                if rate.min_per_event is None
                else limit_unit_price(rate.min_per_event * f, mode),
                max_per_event=None
                if rate.max_per_event is None
                else limit_unit_price(rate.max_per_event * f, mode),
            )
        # DYNAMIC: (1 + markup) * f = 1 + markup'; the per-event bounds scale like a price
        markup = (HUNDRED + rate.markup_percent) * f - HUNDRED
        return replace(
            rate,
            markup_percent=limit_unit_price(markup, mode),
            min_per_event=None
            if rate.min_per_event is None
            else limit_unit_price(rate.min_per_event * f, mode),
            max_per_event=None
            if rate.max_per_event is None
            else limit_unit_price(rate.max_per_event * f, mode),
        )
    if kind is AdjustmentKind.FIXED:
        delta = _value(adj, field)
        if model is PricingModel.FLAT:
            return replace(rate, unit_price=_plus(rate.unit_price, delta, mode))
        if model in (PricingModel.TIERED, PricingModel.VOLUME):
            return replace(
                rate,
                tiers=tuple(
                    Tier(t.up_to, _plus(t.unit_price, delta, mode), t.flat_fee) for t in rate.tiers
                ),
            )
        if model is PricingModel.PACKAGE:
            assert rate.package_price is not None
            return replace(rate, package_price=_plus(rate.package_price, delta, mode))
        if model is PricingModel.PERCENTAGE:
            return replace(rate, fixed_fee_per_event=_plus(rate.fixed_fee_per_event, delta, mode))
        raise InvalidTerms(
            f"{field}.kind", "a FIXED adjustment has no unit price to add to on a DYNAMIC rate"
        )
    if kind is AdjustmentKind.OVERRIDE:
        if adj.rate is not None:
            return adj.rate
        if adj.tiers is not None:
            keep = model in (PricingModel.TIERED, PricingModel.VOLUME)
            return Rate(model=model if keep else PricingModel.TIERED, tiers=adj.tiers)
        value = _value(adj, field)
        if model is PricingModel.FLAT:
            return replace(rate, unit_price=value)
        if model is PricingModel.PACKAGE:
            return replace(rate, package_price=value)
        if model is PricingModel.PERCENTAGE:
            return replace(rate, rate_percent=value)
        if model is PricingModel.DYNAMIC:
            return replace(rate, markup_percent=value)
        raise InvalidTerms(
            f"{field}.value",
            f"an OVERRIDE of a {model.value} rate needs `tiers` (the whole table) or `rate`",
        )
    raise InvalidTerms(
        f"{field}.kind", "a QUANTITY adjustment applies to fixed or composite prices"
    )


def _canonical(match: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(match))


def adjust_usage_price(
    price: UsagePrice, adj: PriceAdjustment, field: str, mode: RoundingMode
) -> UsagePrice:
    if adj.match is None:
        rate = None if price.rate is None else adjust_rate(price.rate, adj, field, mode)
        dims = tuple(
            DimensionRate(d.match, adjust_rate(d.rate, adj, field, mode))
            for d in price.dimension_rates
        )
        return replace(price, rate=rate, dimension_rates=dims)
    match = _canonical(adj.match)
    if not match:
        raise InvalidTerms(f"{field}.match", "must name at least one dimension value (or be null)")
    known = set(price.metric.dimensions)
    for dim, _ in match:
        if known and dim not in known:
            raise InvalidTerms(
                f"{field}.match",
                f"metric {price.metric.key!r} has no dimension {dim!r} "
                f"(known: {', '.join(sorted(known))})",
            )
    found = False
    dims_out: list[DimensionRate] = []
    for d in price.dimension_rates:
        if _canonical(d.match) == match:
            found = True
            dims_out.append(DimensionRate(d.match, adjust_rate(d.rate, adj, field, mode)))
        else:
            dims_out.append(d)
    if not found:
        if adj.kind is AdjustmentKind.OVERRIDE and adj.rate is not None:
            base = adj.rate
        elif adj.kind is AdjustmentKind.OVERRIDE and adj.tiers is not None:
            model = price.rate.model if price.rate is not None else PricingModel.TIERED
            base = adjust_rate(Rate(model=model, tiers=adj.tiers), adj, field, mode)
        elif price.rate is None:
            raise InvalidTerms(
                f"{field}.match",
                f"price {price.key!r} has no rate for {dict(match)} and no default to adjust",
            )
        else:
            base = adjust_rate(price.rate, adj, field, mode)
        dims_out.append(DimensionRate(match, base))
    return replace(price, dimension_rates=tuple(dims_out))


def adjust_fixed(price: FixedPrice, adj: PriceAdjustment, field: str) -> FixedPrice:
    if adj.match is not None or adj.tiers is not None or adj.rate is not None:
        raise InvalidTerms(field, f"fixed price {price.key!r} takes only a value")
    value = _value(adj, field)
    if adj.kind is AdjustmentKind.PERCENT:
        return replace(price, amount=price.amount * _factor(adj, field))
    if adj.kind is AdjustmentKind.FIXED:
        total = price.amount + value
        if price.is_discount:  # a discount stays a discount: never above 0
            return replace(price, amount=total if total < ZERO else ZERO)
        return replace(price, amount=total if total > ZERO else ZERO)
    if adj.kind is AdjustmentKind.OVERRIDE:
        return replace(price, amount=value)
    if value < ZERO:
        raise InvalidTerms(f"{field}.value", f"a quantity must be >= 0, got {value}")
    return replace(price, quantity=value)


def adjust_composite(price: CompositePrice, adj: PriceAdjustment, field: str) -> CompositePrice:
    if adj.match is not None or adj.tiers is not None or adj.rate is not None:
        raise InvalidTerms(field, f"composite price {price.key!r} takes only a value")
    value = _value(adj, field)
    if adj.kind is AdjustmentKind.PERCENT:
        return replace(price, value=price.value * _factor(adj, field))
    if adj.kind is AdjustmentKind.FIXED:
        total = price.value + value
        if price.composite is CompositeKind.MINIMUM and total < ZERO:
            total = ZERO
        return replace(price, value=total)
    if adj.kind is AdjustmentKind.OVERRIDE:
        return replace(price, value=value)
    if value < ZERO:
        raise InvalidTerms(f"{field}.value", f"a quantity must be >= 0, got {value}")
    return replace(price, quantity=value)


def effective_prices(
    prices: Sequence[Price],
    adjustments: Sequence[tuple[int, PriceAdjustment]],
    mode: RoundingMode,
) -> tuple[Price, ...]:
    """The ramp's prices with the given `(index in terms.adjustments, adjustment)` pairs
    applied, in order."""
    if not adjustments:
        return tuple(prices)
    by_key: dict[str, list[tuple[int, PriceAdjustment]]] = {}
    for i, adj in adjustments:
        by_key.setdefault(adj.price_key, []).append((i, adj))
    out: list[Price] = []
    for price in prices:
        for i, adj in by_key.get(price.key, ()):
            field = f"adjustments[{i}]"
            if isinstance(price, UsagePrice):
                price = adjust_usage_price(price, adj, field, mode)
            elif isinstance(price, FixedPrice):
                price = adjust_fixed(price, adj, field)
            else:
                price = adjust_composite(price, adj, field)
        out.append(price)
    return tuple(out)
