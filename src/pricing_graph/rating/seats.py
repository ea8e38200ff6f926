"""Seat (quantity) changes inside a billing period: see `rating.proration` for the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .calendar import Period
from .compiled import CompiledContract, CompiledRamp
from .invoice import InvoiceLine, LineKind
from .models import ChargeTiming, FixedCadence, FixedPrice
from .terms import AdjustmentKind


def _quantity_on(c: CompiledContract, ramp_index: int, key: str, day: date) -> Decimal | None:
    base = next(
        (p for p in c.plan.ramps[ramp_index].prices if p.key == key and isinstance(p, FixedPrice)),
        None,
    )
    if base is None:
        return None
    quantity = base.quantity
    for adj in c.terms.adjustments:
        if (
            adj.price_key == key
            and adj.kind is AdjustmentKind.QUANTITY
            and adj.value is not None
            and adj.applies_on(day)
        ):
            quantity = adj.value
    return quantity


def _change_days(c: CompiledContract, key: str, period: Period) -> list[date]:
    days: set[date] = set()
    for adj in c.terms.adjustments:
        if adj.price_key != key or adj.kind is not AdjustmentKind.QUANTITY:
            continue
        for day in (adj.effective_from, adj.effective_until):
            if day is not None and period.start < day < period.end:
                days.add(day)
    return sorted(days)


def seat_lines(
    c: CompiledContract, ramp_index: int, ramp: CompiledRamp, period: Period
) -> list[InvoiceLine]:
    """The prorated lines for units added inside `period` (none for units removed)."""
    lines: list[InvoiceLine] = []
    if not any(a.kind is AdjustmentKind.QUANTITY for a in c.terms.adjustments):
        return lines
    for fp in ramp.fixed:
        if fp.cadence is not FixedCadence.RECURRING or fp.every_periods != 1:
            continue
        paid = fp.quantity
        for day in _change_days(c, fp.key, period):
            quantity = _quantity_on(c, ramp_index, fp.key, day)
            if quantity is None or quantity <= paid:
                continue
            added = quantity - paid
            paid = quantity
            left = (period.end - day).days
            amount = fp.amount * added
            if fp.prorate:
                amount = amount * left / period.nominal_days
            advance = fp.timing is ChargeTiming.IN_ADVANCE
            lines.append(
                InvoiceLine(
                    LineKind.FIXED,
                    f"{fp.display_name}: {added} added {day.isoformat()}",
                    fp.key,
                    added,
                    fp.amount,
                    amount.quantize(c.quantum, rounding=c.rounding),
                    c.unit_code,
                    in_advance=advance,
                    issued_on=day if advance else None,
                )
            )
    return lines
