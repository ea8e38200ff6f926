"""Discounts (coupons): PERCENT or AMOUNT off the whole invoice or off listed prices, for
ONCE, a number of billing PERIODS or FOREVER, from a start date to an expiry date.

Where they sit on an invoice (`invoice.rate_period`): after the minimum true-ups (composite
MINIMUMs, the invoice minimum) and before the trial credit, the POSTPAID commitment spend and
the credit grants, as Lago applies coupons before credits. Rules:

- An invoice shows one line per discount that took something off it (none for 0.00).
- Discounts apply in the order given (the contract's order: plan defaults first, then the
  contract's own, then a promotion code's). A PERCENT discount takes its percent of what is
  left of its base after the discounts before it.
- Base: the whole invoice (lines + minimum true-ups) or, with `price_keys`, the lines (and
  composite minimum true-ups) of those prices. A discount never takes more than what is
  left of its base and of the invoice: no line and no invoice goes below zero.
- Duration counts billing periods from the first period that starts on or after `starts`
  (the contract start by default): ONCE is that period, PERIODS the `periods` periods from
  it, FOREVER every period. A period that starts on or after `expires` gets no discount.
- AMOUNT discounts: each period of a PERIODS or FOREVER discount gets `value`, and what the
  invoice cannot use is lost (it is a per-period price reduction). A ONCE AMOUNT discount
  is a one-time allowance: what its first invoice cannot use carries to the following
  invoices until it is used up or the discount expires (Lago's fixed-amount coupons).
  The carried balance travels in `BillingState.discount_left`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from functools import lru_cache

from .calendar import BillingCalendar, Period
from .errors import InvalidTerms, PeriodOutOfRange

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class DiscountKind(StrEnum):
    PERCENT = "PERCENT"
    AMOUNT = "AMOUNT"


class DiscountDuration(StrEnum):
    ONCE = "ONCE"
    PERIODS = "PERIODS"
    FOREVER = "FOREVER"


@dataclass(frozen=True, slots=True)
class Discount:
    """`value` percent (20 = 20% off) or `value` of the pricing unit off, per invoice.

    `price_keys` empty = the whole invoice. `periods` is required for PERIODS only.
    `starts` (default: the contract start) and `expires` (exclusive) are dates: the
    discount applies to periods that start in `[starts, expires)`.
    """

    key: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration = DiscountDuration.FOREVER
    periods: int | None = None
    price_keys: tuple[str, ...] = ()
    starts: date | None = None
    expires: date | None = None
    description: str = ""

    @property
    def label(self) -> str:
        if self.description:
            return self.description
        off = f"{self.value}%" if self.kind is DiscountKind.PERCENT else f"{self.value}"
        return f"Discount {self.key} ({off} off)"


@dataclass(frozen=True, slots=True)
class DiscountApplication:
    """`amount` taken off an invoice by discount `discount_key`; `remaining` is what a ONCE
    AMOUNT discount still has for later invoices (None for the others)."""

    discount_key: str
    description: str
    amount: Decimal
    remaining: Decimal | None


def check_discounts(discounts: Sequence[Discount], price_keys: set[str]) -> None:
    """Raise `InvalidTerms` naming the field of the first invalid discount."""
    keys: set[str] = set()
    for i, d in enumerate(discounts):
        f = f"discounts[{i}]"
        if d.key in keys:
            raise InvalidTerms(f"{f}.key", f"duplicate discount key {d.key!r}")
        keys.add(d.key)
        if not isinstance(d.value, Decimal) or not d.value.is_finite() or d.value <= ZERO:
            raise InvalidTerms(f"{f}.value", f"must be above 0, got {d.value}")
        if d.kind is DiscountKind.PERCENT and d.value > HUNDRED:
            raise InvalidTerms(f"{f}.value", f"a PERCENT discount is at most 100, got {d.value}")
        if d.duration is DiscountDuration.PERIODS:
            if d.periods is None or d.periods < 1:
                raise InvalidTerms(f"{f}.periods", "a PERIODS discount needs periods >= 1")
        elif d.periods is not None:
            raise InvalidTerms(f"{f}.periods", "only a PERIODS discount takes periods")
        for k, key in enumerate(d.price_keys):
            if key not in price_keys:
                raise InvalidTerms(f"{f}.price_keys[{k}]", f"the plan has no price {key!r}")
        if d.starts is not None and d.expires is not None and d.expires <= d.starts:
            raise InvalidTerms(f"{f}.expires", "must be after starts")


@lru_cache(maxsize=4096)
def first_period(calendar: BillingCalendar, starts: date | None) -> int:
    """The index of the first period that starts on or after `starts` (cached: a
    calendar is a frozen value, asked once per discount and period)."""
    if starts is None or starts <= calendar.start:
        return 0
    index = calendar.index_of(starts)
    try:
        if calendar.period(index).start == starts:
            return index
    except PeriodOutOfRange:
        return index
    return index + 1


def _active(d: Discount, first: int, period: Period) -> bool:
    if period.index < first:
        return False
    if d.expires is not None and period.start >= d.expires:
        return False
    if d.duration is DiscountDuration.ONCE:
        return period.index == first or d.kind is DiscountKind.AMOUNT
    if d.duration is DiscountDuration.PERIODS:
        assert d.periods is not None
        return period.index < first + d.periods
    return True


def carries_into(discounts: Sequence[Discount], calendar: BillingCalendar, period: Period) -> bool:
    """Whether a ONCE AMOUNT discount that began before `period` may still have a balance
    for it (the period then needs the previous period's closing state)."""
    for d in discounts:
        if (
            d.kind is DiscountKind.AMOUNT
            and d.duration is DiscountDuration.ONCE
            and first_period(calendar, d.starts) < period.index
            and _active(d, 0, period)
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Charge:
    """What a discount may apply to: an amount of the invoice and the price it charges
    (None for the invoice minimum and commitment true-ups)."""

    price_key: str | None
    amount: Decimal


def apply_discounts(
    discounts: Sequence[Discount],
    calendar: BillingCalendar,
    period: Period,
    charges: Sequence[Charge],
    left: dict[str, Decimal],
    quantum: Decimal,
    rounding: str,
) -> list[DiscountApplication]:
    """The discounts of one invoice, in order. `left` (ONCE AMOUNT balances by key) is
    updated in place."""
    invoice_left = ZERO
    by_key: dict[str, Decimal] = {}
    for ch in charges:
        invoice_left += ch.amount
        if ch.price_key is not None:
            by_key[ch.price_key] = by_key.get(ch.price_key, ZERO) + ch.amount
    zero = ZERO.quantize(quantum)
    out: list[DiscountApplication] = []
    for d in discounts:
        first = first_period(calendar, d.starts)
        if not _active(d, first, period):
            continue
        once_amount = d.kind is DiscountKind.AMOUNT and d.duration is DiscountDuration.ONCE
        balance = left.get(d.key, d.value + zero) if once_amount else None
        if balance is not None and balance <= ZERO:
            continue
        if d.price_keys:
            base = ZERO
            for k in d.price_keys:
                base += max(by_key.get(k, ZERO), ZERO)
            base = min(base, invoice_left)
        else:
            base = invoice_left
        if base <= ZERO:
            amount = ZERO
        elif d.kind is DiscountKind.PERCENT:
            amount = (base * d.value / HUNDRED).quantize(quantum, rounding=rounding)
        else:
            wanted = balance if balance is not None else d.value
            # Down, so an amount with more digits than the unit never takes more than it
            # has (0.005 off in USD takes 0.00) nor more than its base.
            amount = min(wanted, base).quantize(quantum, rounding=ROUND_DOWN)
        amount = min(amount, base) if base > ZERO else ZERO
        invoice_left -= amount
        rest = amount
        for k in d.price_keys:
            if rest <= ZERO:
                break
            have = max(by_key.get(k, ZERO), ZERO)
            take = min(have, rest)
            by_key[k] = by_key.get(k, ZERO) - take
            rest -= take
        if amount <= ZERO:
            continue  # nothing to take off (an empty invoice, or prices not charged)
        if balance is not None:
            balance -= amount
            left[d.key] = balance
        out.append(DiscountApplication(d.key, d.label, amount + zero, balance))
    return out
