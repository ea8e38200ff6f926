"""Relay global IDs: standard base64 (with padding) of "TypeName:database id".

graphql-relay-js's `fromGlobalId` decodes them, and the type name is the object's
`__typename` (a usage price's ID names "UsagePrice"). Decoding also accepts the unpadded
URL-safe form issued before, and the old "Price:<id>" IDs of prices, so stored and
bookmarked IDs keep working.
"""

from __future__ import annotations

import base64
import binascii
import re

from pricing_graph.rating.plan_checks import Path
from pricing_graph.services.errors import DomainError, ErrorCode, problem

# Primary keys are 32-bit integers on PostgreSQL; a larger number can name nothing.
MAX_DB_ID = 2**31 - 1
_DB_ID = re.compile(r"[0-9]{1,10}")
_BASE64 = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")

# The concrete types of the Price interface; "Price" alone is the old IDs' name for all three.
PRICE_TYPES = ("UsagePrice", "FixedPrice", "CompositePrice")
# An expected type name -> every type name an ID of it may carry.
_ACCEPTED = {"Price": frozenset({"Price", *PRICE_TYPES})}


class InvalidGlobalId(ValueError):
    pass


def global_id(type_name: str, db_id: int) -> str:
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode("ascii")


def _decode(global_id: str) -> str:
    standard = "+" in global_id or "/" in global_id
    url_safe = "-" in global_id or "_" in global_id
    if not _BASE64.fullmatch(global_id) or (standard and url_safe):
        raise ValueError("not base64")
    unpadded = global_id.rstrip("=")
    if len(global_id) % 4 and global_id != unpadded:
        raise ValueError("wrong padding")
    text = unpadded.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")


def decode_id(global_id: str, expected: str | None = None) -> tuple[str, int]:
    """Return (type name, database id); raise InvalidGlobalId naming what is wrong.

    `expected="Price"` accepts the three price types and the old "Price" name."""
    try:
        raw = _decode(global_id)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidGlobalId(f"{global_id!r} is not a pricing-graph ID") from exc
    type_name, _, db_id = raw.partition(":")
    if not type_name or not _DB_ID.fullmatch(db_id) or int(db_id) > MAX_DB_ID:
        raise InvalidGlobalId(f"{global_id!r} is not a pricing-graph ID")
    if expected is not None and type_name not in _ACCEPTED.get(expected, (expected,)):
        raise InvalidGlobalId(f"{global_id!r} is a {type_name} ID, expected a {expected} ID")
    return type_name, int(db_id)


def db_id(path: Path, global_id: str, expected: str) -> int:
    """Decode a global ID from input, or refuse with INVALID_ID at `path`."""
    try:
        return decode_id(global_id, expected)[1]
    except InvalidGlobalId as exc:
        raise DomainError([problem(path, ErrorCode.INVALID_ID, str(exc))]) from None
