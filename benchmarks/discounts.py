"""What discounts cost the rating core: a 36-period quote with and without them.

    .venv/bin/python benchmarks/discounts.py

A $100.00 monthly fee and 1,000 API calls at $0.05 a month, a $30.00 credit grant, over 36
monthly periods: (a) no discount; (b) one price adjustment (-10% on the calls), which like
any discount makes the quote rate the list-price twin of the contract as well (for
`list_price_total`); (c) five discounts at once (20% for 3 periods, 10% off
the calls forever, a ONCE $400 allowance that carries over, a $5 monthly amount with start
and expiry dates, 15% forever), the most a checkout would stack. Fresh terms every call,
so each call compiles the contract as a request does. Prints the median of 200 calls each,
measured alternately in one run, and the ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pricing_graph.rating import (
    AdjustmentKind,
    ContractTerms,
    CreditGrant,
    PriceAdjustment,
    quote,
)
from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind
from pricing_graph.rating.models import (
    Aggregation,
    BillingAnchor,
    BillingInterval,
    FixedPrice,
    Metric,
    Plan,
    PricingModel,
    PricingUnit,
    Ramp,
    Rate,
    RoundingMode,
    UsagePrice,
)
from pricing_graph.rating.usage import MetricUsage, UsageProjection, UsageSnapshot

D = Decimal
START = date(2026, 1, 1)
PERIODS = 36
CALLS = 200
PLAN = Plan(
    key="starter",
    version=1,
    name="Starter",
    display_name="Starter",
    product_key="shop",
    billing_interval=BillingInterval.MONTHLY,
    billing_anchor=BillingAnchor.CONTRACT_START,
    pricing_unit=PricingUnit("USD", 2),
    ramps=(
        Ramp(
            (
                FixedPrice("platform", "Platform", "Platform fee", D(100)),
                UsagePrice(
                    "api_calls",
                    "API calls",
                    "API calls",
                    Metric("api_calls", "api_calls", "call", Aggregation.SUM, None, ()),
                    Rate(PricingModel.FLAT, unit_price=D("0.05")),
                ),
            ),
            None,
            None,
        ),
    ),
    rounding_mode=RoundingMode.HALF_UP,
)
USAGE = UsageProjection.constant(UsageSnapshot((MetricUsage("api_calls", D(1000)),)))
P, A = DiscountKind.PERCENT, DiscountKind.AMOUNT
ONCE, N, ALWAYS = DiscountDuration.ONCE, DiscountDuration.PERIODS, DiscountDuration.FOREVER
FIVE = (
    Discount("intro", P, D(20), N, periods=3),
    Discount("calls", P, D(10), ALWAYS, price_keys=("api_calls",)),
    Discount("allowance", A, D(400), ONCE),
    Discount("spring", A, D(5), ALWAYS, starts=date(2026, 3, 1), expires=date(2027, 3, 1)),
    Discount("loyal", P, D(15), ALWAYS),
)


ADJUSTMENT = (PriceAdjustment("api_calls", AdjustmentKind.PERCENT, D(-10)),)


def run(discounts: tuple[Discount, ...], adjustments: tuple[PriceAdjustment, ...] = ()) -> float:
    terms = ContractTerms(
        start=START,
        discounts=discounts,
        adjustments=adjustments,
        credit_grants=(CreditGrant("welcome", D(30), "USD", START),),
    )
    began = time.perf_counter()
    quote(PLAN, terms, USAGE, PERIODS)
    return (time.perf_counter() - began) * 1000


def main() -> None:
    plain: list[float] = []
    adjusted: list[float] = []
    discounted: list[float] = []
    for _ in range(CALLS):
        plain.append(run(()))
        adjusted.append(run((), ADJUSTMENT))
        discounted.append(run(FIVE))
    a, b, c = (statistics.median(x) for x in (plain, adjusted, discounted))
    print(f"36-period quote, median of {CALLS} calls each (alternating, one run):")
    print(f"  (a) no discount            {a:7.3f} ms")
    print(f"  (b) one adjustment         {b:7.3f} ms   {b / a:5.2f}x (a)")
    print(f"  (c) five discounts         {c:7.3f} ms   {c / a:5.2f}x (a), {c / b:5.2f}x (b)")


if __name__ == "__main__":
    main()
