"""Billing calendar: half-open periods at midnight UTC, anchors, proration fractions.

Dates are `datetime.date` values and stand for midnight UTC of that day. A period is
`[start, end)`. `nominal_start`/`nominal_end` are the bounds the period would have if it
were not cut short by the contract's start (FIRST_OF_MONTH) or end; proration compares
`days` with `nominal_days`.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .errors import InvalidPlan, PeriodOutOfRange
from .models import BillingAnchor, BillingInterval

INTERVAL_MONTHS: dict[BillingInterval, int] = {
    BillingInterval.MONTHLY: 1,
    BillingInterval.QUARTERLY: 3,
    BillingInterval.SEMIANNUAL: 6,
    BillingInterval.ANNUAL: 12,
}
BIWEEKLY_DAYS = 14
#: Intervals counted in days from the contract start (WEEKLY anchors as BIWEEKLY).
DAY_INTERVAL_DAYS: dict[BillingInterval, int] = {
    BillingInterval.WEEKLY: 7,
    BillingInterval.BIWEEKLY: BIWEEKLY_DAYS,
}


@dataclass(frozen=True, slots=True)
class Period:
    index: int
    start: date
    end: date
    nominal_start: date
    nominal_end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def nominal_days(self) -> int:
        return (self.nominal_end - self.nominal_start).days

    @property
    def is_partial(self) -> bool:
        return self.start != self.nominal_start or self.end != self.nominal_end


def add_months(d: date, months: int, day: int | None = None) -> date:
    """`d` moved by `months`, on `day` (default `d.day`) clamped to the month's length:
    Jan 31 + 1 month = Feb 28 (29 in a leap year); Jan 31 + 2 months = Mar 31."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    wanted = d.day if day is None else day
    return date(year, month, min(wanted, _calendar.monthrange(year, month)[1]))


def overlap_days(a_start: date, a_end: date, b_start: date, b_end: date) -> int:
    """Days in the intersection of `[a_start, a_end)` and `[b_start, b_end)`."""
    lo = max(a_start, b_start)
    hi = min(a_end, b_end)
    return max(0, (hi - lo).days)


@dataclass(frozen=True, slots=True)
class BillingCalendar:
    """The periods of one contract: start, optional end, interval and anchor."""

    start: date
    end: date | None
    interval: BillingInterval
    anchor: BillingAnchor

    def __post_init__(self) -> None:
        days = DAY_INTERVAL_DAYS.get(self.interval)
        if days is not None and self.anchor is BillingAnchor.FIRST_OF_MONTH:
            raise InvalidPlan(
                "billing_anchor",
                f"FIRST_OF_MONTH needs a month-based interval; {self.interval.value} periods "
                f"run {days} days from the contract start (use CONTRACT_START)",
            )

    def _nominal(self, index: int) -> tuple[date, date]:
        days = DAY_INTERVAL_DAYS.get(self.interval)
        if days is not None:
            s = self.start + timedelta(days=days * index)
            return s, s + timedelta(days=days)
        k = INTERVAL_MONTHS[self.interval]
        if self.anchor is BillingAnchor.CONTRACT_START:
            day = self.start.day
            return (
                add_months(self.start, k * index, day),
                add_months(self.start, k * (index + 1), day),
            )
        # FIRST_OF_MONTH: boundaries on the 1st of months aligned to the interval
        # (every month; Jan/Apr/Jul/Oct; Jan/Jul; Jan), the first period partial.
        month = self.start.month - (self.start.month - 1) % k
        base = date(self.start.year, month, 1)
        return add_months(base, k * index, 1), add_months(base, k * (index + 1), 1)

    def period(self, index: int) -> Period:
        """Period `index` (0-based) of the contract; raises `PeriodOutOfRange` outside it."""
        if index < 0:
            raise PeriodOutOfRange("period_index", f"must be >= 0, got {index}")
        nominal_start, nominal_end = self._nominal(index)
        start = max(nominal_start, self.start)
        end = nominal_end
        if self.end is not None:
            if start >= self.end:
                raise PeriodOutOfRange(
                    "period_index",
                    f"period {index} starts on {start.isoformat()}, on or after the contract "
                    f"end {self.end.isoformat()}",
                )
            end = min(end, self.end)
        return Period(index, start, end, nominal_start, nominal_end)

    def period_count(self) -> int | None:
        """How many periods the contract has (None when it has no end date)."""
        if self.end is None:
            return None
        n = 0
        while True:
            s, _ = self._nominal(n)
            if max(s, self.start) >= self.end:
                return n
            n += 1

    def index_of(self, day: date) -> int:
        """The index of the period containing `day` (which must be on or after the start)."""
        if day < self.start:
            raise PeriodOutOfRange("date", f"{day.isoformat()} is before the contract start")
        days = DAY_INTERVAL_DAYS.get(self.interval)
        if days is not None:
            return (day - self.start).days // days
        k = INTERVAL_MONTHS[self.interval]
        guess = max(0, ((day.year - self.start.year) * 12 + day.month - self.start.month) // k)
        while guess > 0 and self._nominal(guess)[0] > day:
            guess -= 1
        while self._nominal(guess)[1] <= day:
            guess += 1
        return guess


def fraction(days: int, nominal_days: int) -> Decimal:
    """Proration fraction `days / nominal_days` as an exact Decimal quotient."""
    if days == nominal_days:
        return Decimal(1)
    return Decimal(days) / Decimal(nominal_days)
