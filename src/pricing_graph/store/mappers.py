"""`to_domain` mappers: catalog rows -> the frozen values in `rating.models`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pricing_graph.rating.models import (
    ONE,
    ZERO,
    Aggregation,
    BillingAnchor,
    BillingInterval,
    ChargeTiming,
    CompositeKind,
    CompositePrice,
    ConversionRounding,
    DimensionRate,
    FixedCadence,
    FixedPrice,
    Metric,
    PackageRounding,
    Plan,
    Price,
    PriceKind,
    PricingModel,
    PricingUnit,
    Ramp,
    Rate,
    RoundingMode,
    Tier,
    Trial,
    UsagePrice,
)
from pricing_graph.store.catalog import MetricRow, PlanRow, PriceRow, RateRow, TierRow

RateRows = tuple[RateRow, Sequence[TierRow]]


def metric_to_domain(row: MetricRow) -> Metric:
    return Metric(
        key=row.key,
        name=row.name,
        unit_label=row.unit_label,
        aggregation=Aggregation(row.aggregation),
        event_property=row.event_property,
        dimensions=tuple(row.dimensions),
    )


def tier_to_domain(row: TierRow) -> Tier:
    return Tier(up_to=row.up_to, unit_price=row.unit_price, flat_fee=row.flat_fee)


def rate_to_domain(row: RateRow, tiers: Sequence[TierRow]) -> Rate:
    return Rate(
        model=PricingModel(row.model),
        unit_price=_or(row.unit_price, ZERO),
        tiers=tuple(tier_to_domain(t) for t in tiers),
        package_size=row.package_size,
        package_price=row.package_price,
        package_rounding=PackageRounding(row.package_rounding or "UP"),
        rate_percent=row.rate_percent,
        fixed_fee_per_event=_or(row.fixed_fee_per_event, ZERO),
        min_per_event=row.min_per_event,
        max_per_event=row.max_per_event,
        free_amount=_or(row.free_amount, ZERO),
        markup_percent=_or(row.markup_percent, ZERO),
        free_events=row.free_events or 0,
    )


def price_to_domain(row: PriceRow, metric: MetricRow | None, rates: Sequence[RateRows]) -> Price:
    kind = PriceKind(row.kind)
    if kind is PriceKind.USAGE:
        if metric is None:
            raise ValueError(f"usage price {row.id} has no metric")
        default: Rate | None = None
        entries: list[DimensionRate] = []
        for rate_row, tiers in rates:
            rate = rate_to_domain(rate_row, tiers)
            if rate_row.match:
                entries.append(DimensionRate(tuple((k, v) for k, v in rate_row.match), rate))
            else:
                default = rate
        return UsagePrice(
            key=row.key,
            name=row.name,
            display_name=row.invoice_display_name,
            metric=metric_to_domain(metric),
            rate=default,
            dimension_rates=tuple(entries),
            conversion_factor=_or(row.conversion_factor, ONE),
            conversion_rounding=ConversionRounding(row.conversion_rounding or "NONE"),
            free_units=_or(row.free_units, ZERO),
        )
    if kind is PriceKind.FIXED:
        return FixedPrice(
            key=row.key,
            name=row.name,
            display_name=row.invoice_display_name,
            amount=_or(row.amount, ZERO),
            quantity=_or(row.quantity, ONE),
            cadence=FixedCadence(row.cadence or "RECURRING"),
            every_periods=row.every_periods or 1,
            timing=ChargeTiming(row.timing or "IN_ARREARS"),
            prorate=True if row.prorate is None else row.prorate,
            is_discount=bool(row.is_discount),
        )
    return CompositePrice(
        key=row.key,
        name=row.name,
        display_name=row.invoice_display_name,
        composite=CompositeKind(row.composite_kind or "PERCENTAGE"),
        value=_or(row.composite_value, ZERO),
        price_keys=tuple(row.composite_price_keys),
        quantity=_or(row.quantity, ONE),
    )


def pricing_unit_of(row: PlanRow) -> PricingUnit:
    return PricingUnit(
        code=row.pricing_unit_code,
        decimals=row.pricing_unit_decimals,
        invoice_currency=row.invoice_currency,
        overage_rate=row.overage_rate,
    )


def plan_to_domain(row: PlanRow, product_key: str, ramps: Sequence[Ramp]) -> Plan:
    return Plan(
        key=row.key,
        version=row.version,
        name=row.name,
        display_name=row.invoice_display_name,
        product_key=product_key,
        billing_interval=BillingInterval(row.billing_interval),
        billing_anchor=BillingAnchor(row.billing_anchor),
        pricing_unit=pricing_unit_of(row),
        ramps=tuple(ramps),
        rounding_mode=RoundingMode(row.rounding_mode),
        trial=Trial(row.trial_days, row.trial_spending_cap) if row.trial_days else None,
        net_payment_days=row.net_payment_days,
    )


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value
