"""Column types that keep values exact on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Context, Decimal, Inexact
from typing import Any

import orjson
from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.dialects.postgresql import NUMERIC
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; on SQLite a canonical decimal string, because SQLite's NUMERIC
    affinity stores REAL (a float) and would lose digits like 123456789012.123456789012."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(NUMERIC(asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes Decimal, got {type(value).__name__}")
        if dialect.name == "postgresql":
            return value
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps in UTC on every backend. SQLite keeps no offset, so values are stored as
    naive UTC there and read back as aware UTC, as PostgreSQL's timestamptz does. A naive
    value given to it is taken to be UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


#: Exact arithmetic on stored decimals: an inexact result raises instead of rounding.
EXACT = Context(prec=1000, traps=[Inexact])
_ONE = Decimal(1)


def exact_decimal(value: Any) -> Decimal:
    """An exact Decimal from what a driver returns: Decimal, int or decimal text, never float."""
    if isinstance(value, Decimal):
        # asyncpg may hand back 1E+20 for NUMERIC 100000000000000000000: same number, plain form
        exponent = value.as_tuple().exponent
        return (
            value.quantize(_ONE, context=EXACT)
            if isinstance(exponent, int) and exponent > 0
            else value
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        return Decimal(value)
    raise TypeError(f"expected an exact number from the database, got {type(value).__name__}")


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def json_text(value: Any) -> str:
    """Compact JSON text (orjson: the engine's serializer for every JSON column, and the
    canonical form of dimension groups)."""
    return orjson.dumps(value).decode()
