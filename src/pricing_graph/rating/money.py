"""Money: the single rounding function and minor units (ISO 4217, from `currencies.py`).

All rating arithmetic runs under `RATING_CONTEXT` (entered once per public call): 50 digits
of precision, and `FloatOperation` trapped so that a float mixed into a Decimal operation
raises instead of leaking binary rounding into an invoice.
"""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    FloatOperation,
    InvalidOperation,
    Overflow,
)

from .currencies import ISO_4217_MINOR_UNITS
from .models import PricingUnit, RoundingMode

RATING_CONTEXT = Context(
    prec=50,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow, FloatOperation],
)

#: Unit prices keep at most this many decimal places.
UNIT_PRICE_DECIMALS = 12

#: Minor units of every ISO 4217 code (`currencies.py`, the one table). A code outside it
#: gets 2 (the plan checks refuse a currency plan in such a code; a custom unit declares
#: its own decimals).
MINOR_UNITS = ISO_4217_MINOR_UNITS
DEFAULT_MINOR_UNITS = 2

ROUNDING: dict[RoundingMode, str] = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.UP: ROUND_UP,
    RoundingMode.DOWN: ROUND_DOWN,
}

_QUANTA: dict[int, Decimal] = {d: Decimal(1).scaleb(-d) for d in range(0, 19)}


def currency_decimals(code: str) -> int:
    """Minor units of an ISO 4217 currency code (`currencies.ISO_4217_MINOR_UNITS`)."""
    return MINOR_UNITS.get(code, DEFAULT_MINOR_UNITS)


def unit_decimals(unit: PricingUnit | str) -> int:
    """Decimals of a pricing unit: the ISO table for currencies, the declared value for
    custom units (a unit with an `invoice_currency`)."""
    if isinstance(unit, str):
        return currency_decimals(unit)
    if unit.is_custom:
        return unit.decimals
    return currency_decimals(unit.code)


def quantum(decimals: int) -> Decimal:
    """`Decimal('1e-<decimals>')`, cached."""
    q = _QUANTA.get(decimals)
    if q is None:
        q = _QUANTA[decimals] = Decimal(1).scaleb(-decimals)
    return q


def round_money(
    amount: Decimal,
    unit: PricingUnit | str,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> Decimal:
    """Round an exact amount once, to the unit's minor units, with the plan's mode.

    UP and DOWN are away from / towards zero (so a discount of -0.125 rounds UP to -0.13).
    """
    return amount.quantize(quantum(unit_decimals(unit)), rounding=ROUNDING[mode])


def round_to(amount: Decimal, decimals: int, rounding: str) -> Decimal:
    """Hot-path variant of `round_money` with the quantum and rounding already resolved."""
    return amount.quantize(_QUANTA[decimals], rounding=rounding)


def limit_unit_price(price: Decimal, mode: RoundingMode = RoundingMode.HALF_UP) -> Decimal:
    """An adjusted unit price to at most `UNIT_PRICE_DECIMALS` places, without the trailing
    zeros its arithmetic left (50% of 0.0008 is 0.0004, not 0.00040)."""
    exponent = price.as_tuple().exponent
    if not (isinstance(exponent, int) and exponent >= -UNIT_PRICE_DECIMALS):
        price = price.quantize(_QUANTA[UNIT_PRICE_DECIMALS], rounding=ROUNDING[mode])
    if price == price.to_integral_value():
        return price.quantize(_QUANTA[0])
    return price.normalize()
