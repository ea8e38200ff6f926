"""Fixed charges, composites and minimums for one period (exact amounts, unrounded).

Proration basis: days. A fixed charge for a block of periods is
`amount * quantity * billable days / nominal days`, where billable days exclude days
outside the contract (partial first/last period) and trial days.
"""

from __future__ import annotations

from decimal import Decimal

from .calendar import Period
from .compiled import CompiledContract
from .errors import PeriodOutOfRange
from .models import ZERO, ChargeTiming, FixedCadence, FixedPrice

HUNDRED = Decimal(100)


def billable_days(contract: CompiledContract, period: Period) -> tuple[int, int]:
    """(days billed, nominal days) of one period: trial days are not billed."""
    return period.days - contract.trial_days_in(period), period.nominal_days


def _block(contract: CompiledContract, first: int, n: int) -> tuple[int, int]:
    billed = nominal = 0
    for j in range(first, first + n):
        try:
            p = contract.calendar.period(j)
        except PeriodOutOfRange:
            break
        b, d = billable_days(contract, p)
        billed += b
        nominal += d
    return billed, nominal


def fixed_charge(
    contract: CompiledContract, price: FixedPrice, period: Period, is_last: bool
) -> Decimal | None:
    """The exact amount of `price` billed on `period`'s invoice, or None when the schedule
    does not bill it on this period. Discounts (negative amounts) come out negative."""
    if price.cadence is FixedCadence.ONE_TIME:
        if period.index != 0:
            return None
        amount = price.amount * price.quantity
    else:
        n = price.every_periods
        i = period.index
        if price.timing is ChargeTiming.IN_ADVANCE:
            if i % n:
                return None
            first = i
        else:
            if (i + 1) % n and not is_last:
                return None
            first = i - i % n
        if n == 1:
            billed, nominal = billable_days(contract, period)
        else:
            billed, nominal = _block(contract, first, n)
        base = price.amount * price.quantity
        if not price.prorate:
            amount = base if billed > 0 else ZERO
        elif billed == nominal:
            amount = base
        else:
            amount = base * billed / nominal
    return amount


def prorated_minimum(contract: CompiledContract, value: Decimal, period: Period) -> Decimal:
    """A per-period minimum, prorated like a fixed charge (partial periods, trial days)."""
    billed, nominal = billable_days(contract, period)
    if billed == nominal:
        return value
    return value * billed / nominal
