"""Exact decimals as text: the one form every edge accepts ("0.002", "-15").

A string, never a float; plain digits with an optional sign and point, no exponent, NaN or
Infinity, at most 12 decimal places. The GraphQL `Decimal` scalar and the bulk usage
endpoint both parse with `parse_decimal`, so they accept and refuse the same values.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

MAX_DECIMAL_PLACES = 12
_DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]+)?")


class DecimalInputError(ValueError):
    """A Decimal argument that is not a plain decimal string."""


def parse_decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise DecimalInputError(
            f'Decimal must be a string such as "0.002", got {type(value).__name__} {value!r}'
        )
    text = value.strip()
    if not _DECIMAL_TEXT.fullmatch(text):
        raise DecimalInputError(
            f"Decimal must be plain digits with an optional sign and point (no exponent, "
            f"NaN or Infinity), got {value!r}"
        )
    _, _, fraction = text.partition(".")
    if len(fraction) > MAX_DECIMAL_PLACES:
        raise DecimalInputError(
            f"Decimal allows at most {MAX_DECIMAL_PLACES} decimal places, got {len(fraction)} "
            f"in {value!r}"
        )
    return Decimal(text)
