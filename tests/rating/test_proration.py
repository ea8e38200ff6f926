"""Changes inside a period (issue 12): seats added and removed, a plan change on day 10.
Hand-computed figures, exact Decimal equality."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pricing_graph.rating import (
    AdjustmentKind,
    ContractTerms,
    MetricUsage,
    PriceAdjustment,
    UsageSnapshot,
    preview_invoice,
)
from pricing_graph.rating.models import ChargeTiming, FixedPrice, PricingModel, Rate
from pricing_graph.rating.proration import Segment, rate_split_period
from pricing_graph.rating.timing import issued_invoices, split

from .factories import D, plan, tiers, usage_price

APRIL = date(2026, 4, 1)  # April has 30 days
SEAT = FixedPrice("seats", "seats", "Seats", D(25), timing=ChargeTiming.IN_ADVANCE)
SEATS = plan(SEAT)


def seats(*changes: tuple[str, date | None]) -> ContractTerms:
    return ContractTerms(
        APRIL,
        adjustments=tuple(
            PriceAdjustment("seats", AdjustmentKind.QUANTITY, D(q), effective_from=day)
            for q, day in changes
        ),
    )


def test_four_seats_added_half_way_cost_50():
    terms = seats(("10", None), ("14", date(2026, 4, 16)))  # 15 of 30 days left
    april = preview_invoice(SEATS, terms, UsageSnapshot(), 0)
    assert [(line.description, line.amount) for line in april.lines] == [
        ("Seats", D("250.00")),
        ("Seats: 4 added 2026-04-16", D("50.00")),  # 4 x 25 x 15/30
    ]
    assert [(p.issue_date, p.total) for p in split(april)] == [
        (date(2026, 4, 1), D("250.00")),
        (date(2026, 4, 16), D("50.00")),  # an immediate adjustment
    ]
    may = preview_invoice(SEATS, terms, UsageSnapshot(), 1)
    assert may.total == D("350.00")  # 14 seats


def test_a_seat_removed_is_not_credited():
    terms = seats(("10", None), ("9", date(2026, 4, 16)))
    april = preview_invoice(SEATS, terms, UsageSnapshot(), 0)
    assert april.total == D("250.00")
    assert preview_invoice(SEATS, terms, UsageSnapshot(), 1).total == D("225.00")


def test_a_seat_removed_and_added_back_costs_nothing_more():
    terms = seats(("10", None), ("9", date(2026, 4, 10)), ("10", date(2026, 4, 20)))
    assert preview_invoice(SEATS, terms, UsageSnapshot(), 0).total == D("250.00")


def test_seats_in_arrears_are_on_the_period_invoice():
    arrears = FixedPrice("seats", "seats", "Seats", D(25))
    terms = seats(("4", date(2026, 4, 16)))  # from 1 seat to 4: 3 added
    april = preview_invoice(plan(arrears), terms, UsageSnapshot(), 0)
    assert [(p.issue_date, p.total) for p in split(april)] == [
        (date(2026, 5, 1), D("62.50"))  # 25 + 3 x 25 x 15/30
    ]


def _tiered(first: str, then: str) -> Rate:
    return Rate(PricingModel.TIERED, tiers=tiers(("1000", first), (None, then)))


BASIC = plan(
    FixedPrice("base", "base", "Basic fee", D(100), timing=ChargeTiming.IN_ADVANCE),
    usage_price("calls", _tiered("0.10", "0.05")),
    key="basic",
)
PRO = plan(
    FixedPrice("base", "base", "Pro fee", D(200), timing=ChargeTiming.IN_ADVANCE),
    usage_price("calls", _tiered("0.08", "0.04")),
    key="pro",
)
TERMS = ContractTerms(APRIL)
CHANGE = date(2026, 4, 10)  # day 10: 9 days on Basic, 21 on Pro


def calls(n: int) -> UsageSnapshot:
    return UsageSnapshot((MetricUsage("calls", D(n)),))


def test_upgrade_on_day_10_prorates_fees_and_splits_usage():
    inv = rate_split_period(
        [
            Segment(BASIC, TERMS, APRIL, CHANGE, calls(1500)),
            Segment(PRO, TERMS, CHANGE, date(2026, 5, 1), calls(3000)),
        ],
        0,
        None,
    )
    assert inv.plan_key == "pro"
    assert [(line.description, line.amount) for line in inv.lines] == [
        ("Calls", D("125.00")),  # Basic: 1,000 x 0.10 + 500 x 0.05
        ("Basic fee", D("100.00")),  # invoiced in full on April 1
        ("Unused Basic fee 2026-04-10 - 2026-04-30", D("-70.00")),  # 100 x 21/30
        ("Calls", D("160.00")),  # Pro's tiers start again: 1,000 x 0.08 + 2,000 x 0.04
        ("Pro fee", D("140.00")),  # 200 x 21/30
    ]
    assert inv.total == D("455.00")
    assert [(d.issue_date, d.total) for d in issued_invoices([inv])] == [
        (date(2026, 4, 1), D("100.00")),
        (date(2026, 4, 10), D("70.00")),  # the change: -70 + 140
        (date(2026, 5, 1), D("285.00")),  # April's usage: 125 + 160
    ]
    unchanged = preview_invoice(BASIC, TERMS, calls(4500), 0)
    assert unchanged.total == D("375.00")  # 100 + 1,000 x 0.10 + 3,500 x 0.05


def test_a_prospects_quote_with_an_upgrade_spreads_the_projected_usage():
    from pricing_graph.rating import UsageProjection
    from pricing_graph.rating.proration import quote_with_change

    q = quote_with_change(BASIC, PRO, TERMS, UsageProjection(calls(4500)), 2, CHANGE)
    april, may = q.invoices
    # April: 4,500 calls spread over 30 days: 1,350 on Basic (9 days), 3,150 on Pro (21).
    assert [(line.description, line.amount) for line in april.lines] == [
        ("Calls", D("117.50")),  # 1,000 x 0.10 + 350 x 0.05
        ("Basic fee", D("100.00")),
        ("Unused Basic fee 2026-04-10 - 2026-04-30", D("-70.00")),
        ("Calls", D("166.00")),  # 1,000 x 0.08 + 2,150 x 0.04
        ("Pro fee", D("140.00")),
    ]
    assert (april.total, may.total) == (D("453.50"), D("420.00"))  # May: 200 + 80 + 140
    assert (q.plan_key, q.total, q.list_price_total, q.saving) == (
        "pro",
        D("873.50"),
        D("873.50"),
        D("0.00"),
    )


def test_a_split_period_keeps_every_segments_discount():
    # 50% off forever, Basic -> Pro on day 10: each segment's lines are discounted, and the
    # merged invoice lists both discounts, so subtotal - discounts = total (455.00 / 2).
    from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind

    half = Discount("half", DiscountKind.PERCENT, D(50), DiscountDuration.FOREVER)
    terms = replace(TERMS, discounts=(half,))
    inv = rate_split_period(
        [
            Segment(BASIC, terms, APRIL, CHANGE, calls(1500)),
            Segment(PRO, terms, CHANGE, date(2026, 5, 1), calls(3000)),
        ],
        0,
        None,
    )
    assert inv.subtotal == D("455.00")
    assert [d.amount for d in inv.discounts] == [D("77.50"), D("150.00")]
    assert inv.discounts_total == D("227.50")
    assert inv.total == inv.subtotal - inv.discounts_total == D("227.50")
