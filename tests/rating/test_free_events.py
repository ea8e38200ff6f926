"""PERCENTAGE free transactions per period (rating/pricing.py), figures by hand."""

from __future__ import annotations

from decimal import Decimal

from pricing_graph.rating.models import PricingModel, Rate
from pricing_graph.rating.pricing import percentage
from pricing_graph.rating.usage import MetricUsage

D = Decimal


def rate(free_events: int, free_amount: str = "0", **extra: Decimal) -> Rate:
    return Rate(
        PricingModel.PERCENTAGE,
        rate_percent=D("2"),
        fixed_fee_per_event=D("0.25"),
        free_events=free_events,
        free_amount=D(free_amount),
        **extra,
    )


def charged(given: Rate, *amounts: str) -> Decimal:
    return percentage(given, MetricUsage("pay", transactions=tuple(D(a) for a in amounts))).amount


def projected(given: Rate, count: int, average: str) -> Decimal:
    usage = MetricUsage("pay", transaction_count=count, average_amount=D(average))
    return percentage(given, usage).amount


def test_the_first_n_transactions_pay_nothing_then_each_pays() -> None:
    # 2% + $0.25, 2 free: $100, $100 free; $100 -> $2.25; $0 -> $0.25 (fixed fee)
    assert charged(rate(2), "100", "100", "100", "0") == D("2.50")
    # a minimum does not apply to a free transaction: min $1 -> $100 free, $10 -> $1
    assert charged(rate(1, min_per_event=D(1)), "100", "10") == D(1)
    # 3 x $50 projected, 2 free: 1 x $1.25
    assert projected(rate(2), 3, "50") == D("1.25")
    assert projected(rate(5), 3, "50") == D(0)


def test_with_a_free_amount_whichever_runs_out_first() -> None:
    # 3 free, $150 free: $100 free ($50 left), $100 pays on $50 -> $1.25, $100 -> $2.25
    assert charged(rate(3, "150"), "100", "100", "100") == D("3.50")
    # the amount is used up exactly by the 2nd: the 3rd pays in full -> $2.25
    assert charged(rate(3, "200"), "100", "100", "100") == D("2.25")
    # 2 free, $1,000 free: the count runs out first: $100, $100 free, $100 -> $2.25
    assert charged(rate(2, "1000"), "100", "100", "100") == D("2.25")
    # projected: 5 x $100, 2 free and $150: $100 free, $50 rest -> $1.25, 3 x $2.25 = $8.00
    assert projected(rate(2, "150"), 5, "100") == D("8.00")
    # projected: 5 x $100, 2 free and $1,000: 3 x $2.25 = $6.75
    assert projected(rate(2, "1000"), 5, "100") == D("6.75")
