"""WEIGHTED_SUM integration in the rating core (rating/weighted.py), figures by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pricing_graph.rating.weighted import seconds, value_hours, weighted_by_period


def at(day: int, hour: int = 0, month: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


SEPTEMBER = (at(1), at(1, month=10))
OCTOBER = (at(1, month=10), at(1, month=11))


def test_100_gb_for_10_days_then_400_gb_for_20_days() -> None:
    # 100 x 240 h + 400 x 480 h = 24,000 + 192,000 = 216,000 GB-hours (300 GB-months at 720)
    changes = [(at(11), Decimal(400))]
    assert value_hours(Decimal(100), changes, *SEPTEMBER) == Decimal(216000)


def test_no_value_known_is_none_and_a_value_starts_counting_when_reported() -> None:
    assert value_hours(None, [], *SEPTEMBER) is None
    # nothing before Sep 21 12:00, then 10 GB for 9.5 days = 2,280 GB-hours
    assert value_hours(None, [(at(21, 12), Decimal(10))], *SEPTEMBER) == Decimal(2280)


def test_the_last_value_carries_across_periods_and_gaps() -> None:
    # 400 GB set on Sep 11 carries through October (744 h): 297,600 GB-hours; an event in
    # a gap between the periods asked for still sets the value carried into the next one.
    changes = [(at(11), Decimal(400)), (at(20, month=10), Decimal(7))]
    november = (at(1, month=11), at(2, month=11))
    assert weighted_by_period(Decimal(100), changes, [SEPTEMBER, november]) == [
        Decimal(216000),
        Decimal(168),  # 7 GB x 24 h
    ]


def test_exact_below_the_second_and_with_ties() -> None:
    # 1 GB for 1.5 s = 1.5 / 3600 GB-h; two changes at the same instant: the later one wins
    start = at(1)
    changes = [
        (start + timedelta(microseconds=500_000), Decimal(1)),
        (start + timedelta(seconds=2), Decimal(5)),
        (start + timedelta(seconds=2), Decimal(0)),
    ]
    hours = value_hours(Decimal(0), changes, start, start + timedelta(seconds=3))
    # one division at the end, to the rating context's 50 significant digits
    assert hours == Decimal("0.00041666666666666666666666666666666666666666666666667")
    assert seconds(timedelta(days=1, microseconds=1)) == Decimal("86400.000001")
