"""Relay global IDs: unpadded URL-safe base64 of "TypeName:database id"."""

from __future__ import annotations

import base64
import binascii
import re

from pricing_graph.rating.plan_checks import Path
from pricing_graph.services.errors import DomainError, ErrorCode, problem

# Primary keys are 32-bit integers on PostgreSQL; a larger number can name nothing.
MAX_DB_ID = 2**31 - 1
_DB_ID = re.compile(r"[0-9]{1,10}")


class InvalidGlobalId(ValueError):
    pass


def global_id(type_name: str, db_id: int) -> str:
    raw = f"{type_name}:{db_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_id(global_id: str, expected: str | None = None) -> tuple[str, int]:
    """Return (type name, database id); raise InvalidGlobalId naming what is wrong."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidGlobalId(f"{global_id!r} is not a pricing-graph ID") from exc
    type_name, _, db_id = raw.partition(":")
    if not type_name or not _DB_ID.fullmatch(db_id) or int(db_id) > MAX_DB_ID:
        raise InvalidGlobalId(f"{global_id!r} is not a pricing-graph ID")
    if expected is not None and type_name != expected:
        raise InvalidGlobalId(f"{global_id!r} is a {type_name} ID, expected a {expected} ID")
    return type_name, int(db_id)


def db_id(path: Path, global_id: str, expected: str) -> int:
    """Decode a global ID from input, or refuse with INVALID_ID at `path`."""
    try:
        return decode_id(global_id, expected)[1]
    except InvalidGlobalId as exc:
        raise DomainError([problem(path, ErrorCode.INVALID_ID, str(exc))]) from None
