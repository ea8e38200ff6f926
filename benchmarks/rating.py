"""Rating-core benchmark: prints medians (ms) of repeated runs.

    .venv/bin/python benchmarks/rating.py

Targets on one core: preview <= 0.5 ms, 36-period quote <= 20 ms, ranking 10 plans over
12 periods <= 60 ms. Every run uses fresh usage values but the same plan objects, as the
API does (plans are cached by identity).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pricing_graph.rating import (
    Commitment,
    CommitmentKind,
    ContractTerms,
    CreditGrant,
    MetricUsage,
    UsageProjection,
    UsageSnapshot,
    compare_plans,
    preview_invoice,
    quote,
)
from pricing_graph.rating.models import (
    Aggregation,
    BillingAnchor,
    BillingInterval,
    ChargeTiming,
    DimensionRate,
    FixedPrice,
    Metric,
    Plan,
    PricingModel,
    PricingUnit,
    Ramp,
    Rate,
    Tier,
    UsagePrice,
)

D = Decimal
REGIONS = ("us", "eu", "apac")
START = date(2024, 1, 31)


def tier_table(scale: int) -> tuple[Tier, ...]:
    bounds = (D(1000), D(10000), D(100000), D(1000000), None)
    return tuple(
        Tier(b, D("0.0100") * scale / (i + 1), D(5) if i == 0 else D(0))
        for i, b in enumerate(bounds)
    )


def big_plan(key: str = "bench", scale: int = 1) -> Plan:
    prices: list[UsagePrice | FixedPrice] = []
    for n in range(20):
        m = Metric(f"m{n}", f"m{n}", "unit", Aggregation.SUM, None, ("region",))
        dims = tuple(
            DimensionRate(
                ((("region", r),)), Rate(PricingModel.TIERED, tiers=tier_table(scale + j))
            )
            for j, r in enumerate(REGIONS)
        )
        prices.append(UsagePrice(f"p{n}", f"p{n}", f"Price {n}", m, None, dims))
    prices.append(
        FixedPrice("platform", "platform", "Platform fee", D(499), timing=ChargeTiming.IN_ADVANCE)
    )
    return Plan(
        key=key,
        version=1,
        name=key,
        display_name=key,
        product_key="product",
        billing_interval=BillingInterval.MONTHLY,
        billing_anchor=BillingAnchor.CONTRACT_START,
        pricing_unit=PricingUnit("USD", 2),
        ramps=(Ramp(tuple(prices), None, D(1000)),),
    )


def usage(seed: int) -> UsageSnapshot:
    return UsageSnapshot(
        tuple(
            MetricUsage(f"m{n}", D(1500 + 37 * n * (j + 1) + seed * 250000), (("region", r),))
            for n in range(20)
            for j, r in enumerate(REGIONS)
        )
    )


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm the per-plan caches
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    plan = big_plan()
    list_terms = ContractTerms(START)
    snaps = [usage(i % 4) for i in range(8)]
    counter = iter(range(10**9))

    def one_preview() -> object:
        return preview_invoice(plan, list_terms, snaps[next(counter) % 8], 0)

    terms = ContractTerms(
        START,
        date(2027, 1, 31),
        credit_grants=(
            CreditGrant("promo", D(5000), "USD", START, date(2024, 7, 31), priority=0),
            CreditGrant("support", D(20000), "USD", START, None, priority=1),
        ),
        commitments=(
            Commitment(
                "annual", CommitmentKind.PREPAID, D(100000), D(125000), end=date(2025, 1, 31)
            ),
        ),
    )
    projection = UsageProjection(per_period=tuple(snaps[i % 8] for i in range(36)))

    def one_quote() -> object:
        return quote(plan, terms, projection, 36)

    plans = [big_plan(f"plan{i}", scale=i + 1) for i in range(10)]
    projection12 = UsageProjection(per_period=tuple(snaps[i % 8] for i in range(12)))

    def one_ranking() -> object:
        return compare_plans(plans, projection12, 12, START)

    preview = median_ms(one_preview, 400)
    q = median_ms(one_quote, 30)
    rank = median_ms(one_ranking, 10)
    print(f"preview (20 prices x 5 tiers x 3 groups): {preview:.3f} ms  (target <= 0.5 ms)")
    print(f"quote (36 periods, credits, commitment):  {q:.2f} ms  (target <= 20 ms)")
    print(f"ranking (10 plans x 12 periods):          {rank:.2f} ms  (target <= 60 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
