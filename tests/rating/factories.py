"""Small builders for rating tests and the benchmark."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pricing_graph.rating.models import (
    Aggregation,
    BillingAnchor,
    BillingInterval,
    DimensionRate,
    Metric,
    Plan,
    Price,
    PricingModel,
    PricingUnit,
    Ramp,
    Rate,
    RoundingMode,
    Tier,
    Trial,
    UsagePrice,
)

D = Decimal
USD = PricingUnit("USD", 2)
START = date(2024, 1, 1)


def metric(key: str, *dims: str, aggregation: Aggregation = Aggregation.SUM) -> Metric:
    return Metric(key, key, "unit", aggregation, None, tuple(dims))


def flat(price: str) -> Rate:
    return Rate(PricingModel.FLAT, unit_price=D(price))


def tiers(*spec: tuple[str | None, str] | tuple[str | None, str, str]) -> tuple[Tier, ...]:
    out = []
    for s in spec:
        up_to = None if s[0] is None else D(s[0])
        fee = D(s[2]) if len(s) == 3 else D(0)  # type: ignore[misc]
        out.append(Tier(up_to, D(s[1]), fee))
    return tuple(out)


def usage_price(
    key: str,
    rate: Rate | None,
    *,
    m: Metric | None = None,
    dims: tuple[DimensionRate, ...] = (),
    **kw: object,
) -> UsagePrice:
    return UsagePrice(
        key,
        key,
        key.replace("_", " ").title(),
        m or metric(key),
        rate,
        dims,
        **kw,  # type: ignore[arg-type]
    )


def plan(
    *prices: Price,
    key: str = "plan",
    interval: BillingInterval = BillingInterval.MONTHLY,
    anchor: BillingAnchor = BillingAnchor.CONTRACT_START,
    unit: PricingUnit = USD,
    ramps: tuple[Ramp, ...] | None = None,
    minimum: Decimal | None = None,
    rounding: RoundingMode = RoundingMode.HALF_UP,
    trial: Trial | None = None,
    net_payment_days: int = 30,
) -> Plan:
    return Plan(
        key=key,
        version=1,
        name=key,
        display_name=key.title(),
        product_key="product",
        billing_interval=interval,
        billing_anchor=anchor,
        pricing_unit=unit,
        ramps=ramps if ramps is not None else (Ramp(tuple(prices), None, minimum),),
        rounding_mode=rounding,
        trial=trial,
        net_payment_days=net_payment_days,
    )
