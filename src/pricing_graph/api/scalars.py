"""The strict `Decimal` scalar: a string on the wire, never a float, never NaN or Infinity."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

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


def serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description=(
        'An exact decimal number as a string, e.g. "0.002" or "-15". At most 12 decimal '
        "places; exponents, NaN and Infinity are rejected."
    ),
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 via the standard library (which reads "Z" since 3.11): several times faster
    than the default parser, which a 10,000-event ingestion batch calls 10,000 times."""
    if not isinstance(value, str):
        raise ValueError(f"DateTime must be an ISO 8601 string, got {type(value).__name__}")
    return datetime.fromisoformat(value)


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="An ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z.",
    serialize=lambda value: value.isoformat(),
    parse_value=parse_datetime,
)


def schema_config() -> StrawberryConfig:
    return StrawberryConfig(scalar_map={Decimal: DecimalScalar, datetime: DateTimeScalar})
