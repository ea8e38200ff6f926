"""Checks of input values that several domains share."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

from pricing_graph.rating.plan_checks import Path
from pricing_graph.services.errors import ErrorCode, Problem, problem

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
# Every date an operation takes lies in this range: the calendar walks periods from it, and
# a date near 9999-12-31 has no period after it.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def key_errors(path: Path, key: str) -> list[Problem]:
    if KEY_PATTERN.fullmatch(key):
        return []
    return [
        problem(
            path,
            ErrorCode.INVALID_VALUE,
            f"{key!r} is not a key: use 1-100 lowercase letters, digits, '.', '-' or '_', "
            "starting with a letter or digit",
        )
    ]


def text_errors(
    path: Path, text: str, *, max_length: int = 200, required: bool = True
) -> list[Problem]:
    """Refuse empty text (when required), text longer than its column, and NUL characters
    (a PostgreSQL text column cannot hold them)."""
    if required and not text.strip():
        return [problem(path, ErrorCode.REQUIRED, "must not be empty")]
    if len(text) > max_length:
        return [problem(path, ErrorCode.INVALID_VALUE, f"at most {max_length} characters")]
    if "\x00" in text:
        return [problem(path, ErrorCode.INVALID_VALUE, "must not contain NUL characters")]
    return []


def date_out_of_range(day: date) -> str | None:
    """Why `day` is outside the dates any operation takes, or None."""
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return f"{day.isoformat()} is outside {EARLIEST_DATE.isoformat()}..{LATEST_DATE.isoformat()}"


def dates_out_of_range(given: Any, path: Path = ()) -> list[Problem]:
    """INVALID_DATES for every date in `given` (a dataclass input, walked through nested
    dataclasses and tuples) outside EARLIEST_DATE..LATEST_DATE, at its input path."""
    if isinstance(given, date):
        message = date_out_of_range(given)
        return [] if message is None else [problem(path, ErrorCode.INVALID_DATES, message)]
    if dataclasses.is_dataclass(given) and not isinstance(given, type):
        return [
            found
            for item in dataclasses.fields(given)
            for found in dates_out_of_range(getattr(given, item.name), (*path, item.name))
        ]
    if isinstance(given, tuple | list):
        return [
            found
            for index, item in enumerate(given)
            for found in dates_out_of_range(item, (*path, index))
        ]
    return []
