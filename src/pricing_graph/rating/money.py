"""Money: the single rounding function and the ISO 4217 minor-units table.

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

from .models import PricingUnit, RoundingMode

RATING_CONTEXT = Context(
    prec=50,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow, FloatOperation],
)

#: Unit prices keep at most this many decimal places.
UNIT_PRICE_DECIMALS = 12

#: ISO 4217 currencies whose minor unit is not 2 (everything else defaults to 2).
MINOR_UNITS: dict[str, int] = {
    # zero-decimal currencies
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three-decimal currencies
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # four-decimal units of account
    "CLF": 4,
    "UYW": 4,
}
DEFAULT_MINOR_UNITS = 2

ROUNDING: dict[RoundingMode, str] = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.UP: ROUND_UP,
    RoundingMode.DOWN: ROUND_DOWN,
}

_QUANTA: dict[int, Decimal] = {d: Decimal(1).scaleb(-d) for d in range(0, 19)}


def currency_decimals(code: str) -> int:
    """Minor units of an ISO 4217 currency code (2 unless listed in `MINOR_UNITS`)."""
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
