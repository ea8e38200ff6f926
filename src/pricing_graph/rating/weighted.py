"""WEIGHTED_SUM: a gauge integrated over time (GB stored -> GB-hours).

Each event of a WEIGHTED_SUM metric reports the gauge's new value; the value holds until
the next event. A period's quantity is the integral of the value over the period, in
value-hours (the metric's unit times hours), so a price turns it into GB-months with its
unit conversion (`conversion_factor` 720 for 30-day months, 730 for the average month).

The integral is exact: value x seconds is summed exactly and divided by 3,600 once, under
the rating context (50 significant digits). Before a period's first event the value is the
last one reported before the period started (carried over), or nothing (0) if none was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, localcontext

from .models import ZERO
from .money import RATING_CONTEXT

SECONDS_PER_HOUR = Decimal(3600)
_MICROS = Decimal(1_000_000)

#: (when, new value): a gauge's change, in time order (ties in the order stored).
Change = tuple[datetime, Decimal]


def seconds(span: timedelta) -> Decimal:
    """A timedelta as exact decimal seconds."""
    whole = Decimal(span.days * 86_400 + span.seconds)
    return whole + Decimal(span.microseconds) / _MICROS if span.microseconds else whole


def value_hours(
    opening: Decimal | None, changes: Sequence[Change], start: datetime, end: datetime
) -> Decimal | None:
    """The integral of the gauge over `[start, end)` in value-hours; `changes` are the
    period's events in time order (those outside the period are ignored). None when no
    value is known in the period (no opening value and no event)."""
    return weighted_by_period(opening, changes, [(start, end)])[0]


def weighted_by_period(
    opening: Decimal | None,
    changes: Sequence[Change],
    periods: Sequence[tuple[datetime, datetime]],
) -> list[Decimal | None]:
    """`value_hours` for each of `periods` (ascending, half-open), from the value before the
    first period's start and every change from then on: a period's opening value is the
    last change before its start, wherever it fell (an earlier period, or a gap)."""
    result: list[Decimal | None] = []
    index = 0
    current = opening
    with localcontext(RATING_CONTEXT):
        for start, end in periods:
            while index < len(changes) and changes[index][0] < start:
                current = changes[index][1]
                index += 1
            known = current is not None
            total = ZERO
            since = start
            while index < len(changes) and changes[index][0] < end:
                moment, value = changes[index]
                if current is not None:
                    total += current * seconds(moment - since)
                current, since, known = value, moment, True
                index += 1
            if current is not None:
                total += current * seconds(end - since)
            result.append(total / SECONDS_PER_HOUR if known else None)
    return result
