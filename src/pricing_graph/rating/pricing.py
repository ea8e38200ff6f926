"""One small calculator per pricing model behind one dispatcher (Lago-style).

Calculators are exact: they never round. They return the line amount, the unit price the
invoice shows (None when no single unit price describes the line) and, for tiered models,
a per-tier breakdown. Rounding happens once, when the invoice line is made.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .models import ONE, ZERO, ConversionRounding, PackageRounding, PricingModel, Rate
from .usage import MetricUsage

HUNDRED = Decimal(100)


class TierLine(NamedTuple):
    """Units in `(above, up_to]` of a graduated table (or the single tier a volume price
    reached): `quantity * unit_price + flat_fee = amount` (exact, unrounded). `tier` is
    1-based. (An immutable NamedTuple: invoices make many of these.)"""

    tier: int
    above: Decimal
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal


class Priced(NamedTuple):
    quantity: Decimal
    amount: Decimal
    unit_price: Decimal | None
    tiers: tuple[TierLine, ...]


#: A compiled quantity calculator: billable quantity -> (amount, unit price, tiers).
QuantityCalc = Callable[[Decimal], tuple[Decimal, Decimal | None, tuple[TierLine, ...]]]

_NO_TIERS: tuple[TierLine, ...] = ()


def convert_quantity(q: Decimal, factor: Decimal, rounding: ConversionRounding) -> Decimal:
    """Step 2 of the pipeline: `q / factor`, then NONE | UP | DOWN | NEAREST to whole units.
    NEAREST rounds half up."""
    if factor != ONE:
        q = q / factor
    if rounding is ConversionRounding.NONE:
        return q
    if rounding is ConversionRounding.UP:
        return q.to_integral_value(rounding=ROUND_CEILING)
    if rounding is ConversionRounding.DOWN:
        return q.to_integral_value(rounding=ROUND_FLOOR)
    return q.to_integral_value(rounding=ROUND_HALF_UP)


def _compile_flat(rate: Rate) -> QuantityCalc:
    price = rate.unit_price

    def calc(q: Decimal) -> tuple[Decimal, Decimal | None, tuple[TierLine, ...]]:
        return q * price, price, _NO_TIERS

    return calc


def _compile_tiered(rate: Rate) -> QuantityCalc:
    """Graduated: units in `(previous up_to, up_to]` pay that tier's price; a tier's flat
    fee is added when any unit falls in it, and the first tier's even at q = 0.

    Precomputed: the bounds (bisected), and for each tier the lines and running total of
    the tiers before it, which q passes entirely."""
    bounds: list[Decimal] = []
    rows: list[tuple[int, Decimal, Decimal | None, Decimal, Decimal]] = []
    before: list[tuple[tuple[TierLine, ...], Decimal]] = []
    lower = ZERO
    passed: tuple[TierLine, ...] = ()
    running = ZERO
    for i, tier in enumerate(rate.tiers):
        rows.append((i + 1, lower, tier.up_to, tier.unit_price, tier.flat_fee))
        before.append((passed, running))
        if tier.up_to is None:
            break
        bounds.append(tier.up_to)
        units = tier.up_to - lower
        amount = units * tier.unit_price + tier.flat_fee
        passed = (
            *passed,
            TierLine(i + 1, lower, tier.up_to, units, tier.unit_price, tier.flat_fee, amount),
        )
        running += amount
        lower = tier.up_to
    table = tuple(zip(rows, before, strict=True))

    def calc(q: Decimal) -> tuple[Decimal, Decimal | None, tuple[TierLine, ...]]:
        (n, low, upper, price, fee), (lines, total) = table[bisect_left(bounds, q)]
        units = q - low
        amount = units * price + fee
        return total + amount, None, (*lines, TierLine(n, low, upper, units, price, fee, amount))

    return calc


def _compile_volume(rate: Rate) -> QuantityCalc:
    """Volume: the tier that q reaches prices every unit (q = 0 reaches the first tier)."""
    table: list[tuple[int, Decimal, Decimal | None, Decimal, Decimal]] = []
    lower = ZERO
    for i, tier in enumerate(rate.tiers):
        table.append((i + 1, lower, tier.up_to, tier.unit_price, tier.flat_fee))
        if tier.up_to is not None:
            lower = tier.up_to
    frozen_table = tuple(table)
    last = frozen_table[-1]

    def calc(q: Decimal) -> tuple[Decimal, Decimal | None, tuple[TierLine, ...]]:
        n, low, upper, price, fee = last
        for row in frozen_table:
            if row[2] is None or q <= row[2]:
                n, low, upper, price, fee = row
                break
        amount = q * price + fee
        return amount, price, (TierLine(n, low, upper, q, price, fee, amount),)

    return calc


def _compile_package(rate: Rate) -> QuantityCalc:
    """`ceil(q / size) * price` (or floor with DOWN)."""
    size = rate.package_size
    price = rate.package_price
    assert size is not None and price is not None
    mode = ROUND_CEILING if rate.package_rounding is PackageRounding.UP else ROUND_FLOOR

    def calc(q: Decimal) -> tuple[Decimal, Decimal | None, tuple[TierLine, ...]]:
        packages = (q / size).to_integral_value(rounding=mode)
        return packages * price, price, _NO_TIERS

    return calc


_COMPILERS: dict[PricingModel, Callable[[Rate], QuantityCalc]] = {
    PricingModel.FLAT: _compile_flat,
    PricingModel.TIERED: _compile_tiered,
    PricingModel.VOLUME: _compile_volume,
    PricingModel.PACKAGE: _compile_package,
}


def compile_quantity_rate(rate: Rate) -> QuantityCalc:
    """The calculator for a FLAT/TIERED/VOLUME/PACKAGE rate, with its table precomputed."""
    return _COMPILERS[rate.model](rate)


def _clamp(fee: Decimal, rate: Rate) -> Decimal:
    if rate.min_per_event is not None and fee < rate.min_per_event:
        fee = rate.min_per_event
    if rate.max_per_event is not None and fee > rate.max_per_event:
        fee = rate.max_per_event
    return fee


def _transaction_fee(chargeable: Decimal, rate: Rate, pct: Decimal) -> Decimal:
    return _clamp(chargeable * pct + rate.fixed_fee_per_event, rate)


def percentage(rate: Rate, usage: MetricUsage | None) -> Priced:
    """Each transaction pays `amount * rate / 100 + fixed fee`, clamped to min/max.

    The period's free allowance covers transactions in order (Lago's free units): the first
    `free_events` transactions, and `free_amount` of volume. A transaction the allowance
    covers entirely pays nothing (no percentage, no fixed fee, no minimum); one it covers in
    part pays on the rest. With both set, the allowance ends with whichever runs out first:
    the `free_events`-th transaction, or the one that uses up `free_amount`."""
    assert rate.rate_percent is not None
    if usage is None:
        return Priced(ZERO, ZERO, None, _NO_TIERS)
    pct = rate.rate_percent / HUNDRED
    if usage.transaction_count is not None:
        return _percentage_projection(rate, pct, usage)
    if rate.free_events > 0:
        return _percentage_free_events(rate, pct, usage.transactions)
    free = rate.free_amount
    total = ZERO
    volume_ = ZERO
    for amount in usage.transactions:
        volume_ += amount
        if free > ZERO and amount > ZERO:
            covered = amount if amount <= free else free
            free -= covered
            amount -= covered
            if amount == ZERO:
                continue
        total += _transaction_fee(amount, rate, pct)
    return Priced(volume_, total, None, _NO_TIERS)


def _percentage_free_events(rate: Rate, pct: Decimal, transactions: tuple[Decimal, ...]) -> Priced:
    """The first `free_events` transactions are free; with a `free_amount` too, only while
    it lasts (the one that uses it up pays on the rest, and ends the free ones)."""
    events_left = rate.free_events
    free = rate.free_amount
    by_volume = free > ZERO
    total = ZERO
    volume_ = ZERO
    for amount in transactions:
        volume_ += amount
        if events_left > 0:
            events_left -= 1
            if not by_volume:
                continue
            if amount <= free:
                free -= amount
                if free == ZERO:
                    events_left = 0
                continue
            amount -= free
            free = ZERO
            events_left = 0
        total += _transaction_fee(amount, rate, pct)
    return Priced(volume_, total, None, _NO_TIERS)


def _percentage_projection(rate: Rate, pct: Decimal, usage: MetricUsage) -> Priced:
    """`transaction_count` identical transactions of `average_amount`, priced as above."""
    n = usage.transaction_count or 0
    avg = usage.average_amount if usage.average_amount is not None else ZERO
    volume_ = avg * n
    if n == 0:
        return Priced(volume_, ZERO, None, _NO_TIERS)
    free = rate.free_amount
    limit = rate.free_events if rate.free_events > 0 else n
    if free == ZERO:
        # no volume allowance: only the count frees transactions (none without one)
        fully_free = min(n, rate.free_events)
        left = ZERO
    elif avg == ZERO:
        fully_free, left = min(n, rate.free_events), ZERO
    else:
        fully_free = min(n, limit, int((free / avg).to_integral_value(rounding=ROUND_FLOOR)))
        left = free - avg * fully_free if fully_free < limit else ZERO
    rest = n - fully_free
    total = ZERO
    if rest > 0 and left > ZERO:
        total += _transaction_fee(avg - left, rate, pct)
        rest -= 1
    total += _transaction_fee(avg, rate, pct) * rest
    return Priced(volume_, total, None, _NO_TIERS)


def dynamic(rate: Rate, usage: MetricUsage | None) -> Priced:
    """Cost-plus: each event pays its own cost times `1 + markup_percent / 100`, clamped to
    the optional per-event minimum and maximum; the line is the sum. A projection of
    `transaction_count` events of `average_amount` cost prices that many identical events.
    The line shows the cost as quantity and, when no per-event bound is set (so that
    quantity x unit price = amount), the multiplier as unit price."""
    multiplier = (HUNDRED + rate.markup_percent) / HUNDRED
    bounded = rate.min_per_event is not None or rate.max_per_event is not None
    shown = None if bounded else multiplier
    cost = ZERO
    if usage is None:
        return Priced(cost, cost, shown, _NO_TIERS)
    if usage.transaction_count is not None:
        n = usage.transaction_count
        avg = usage.average_amount if usage.average_amount is not None else ZERO
        cost = avg * n
        if not bounded:
            return Priced(cost, cost * multiplier, shown, _NO_TIERS)
        return Priced(cost, _clamp(avg * multiplier, rate) * n if n else ZERO, shown, _NO_TIERS)
    if not bounded:
        for c in usage.event_costs:
            cost += c
        return Priced(cost, cost * multiplier, shown, _NO_TIERS)
    total = ZERO
    for c in usage.event_costs:
        cost += c
        total += _clamp(c * multiplier, rate)
    return Priced(cost, total, shown, _NO_TIERS)


QUANTITY_MODELS = frozenset(_COMPILERS)
EVENT_MODELS: dict[PricingModel, Callable[[Rate, MetricUsage | None], Priced]] = {
    PricingModel.PERCENTAGE: percentage,
    PricingModel.DYNAMIC: dynamic,
}


def price_quantity(rate: Rate, q: Decimal) -> Priced:
    """Price a billable quantity with a FLAT/TIERED/VOLUME/PACKAGE rate."""
    amount, unit_price, tiers = compile_quantity_rate(rate)(q)
    return Priced(q, amount, unit_price, tiers)
