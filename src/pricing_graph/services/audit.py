"""The audit log: who changed what, when, with which input.

A write calls `record(session, actor, ...)` inside its own transaction (`uow.run`,
`idempotent_write`), so the event lands with the write or not at all; an idempotent retry
that writes nothing records nothing. Admins read the log newest first with `audit_events`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services.actor import Actor
from pricing_graph.services.errors import ErrorCode, Problem, refuse_if
from pricing_graph.services.inputs import UNCHANGED
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.store.access import (
    AuditEventRow,
    add_audit_event,
    audit_event_count,
    audit_event_page,
    write_audit_event,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    occurred_at: datetime
    key_id: int | None
    caller: str  # Actor.caller_id: "key:<id>", "env:<digest>", "system", "anonymous"
    role: str
    operation: str
    object_type: str
    object_id: int | None
    object_ids: tuple[int, ...]
    input: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Events newest first; `end_cursor` (the last event's id) is the next page's `after`."""

    events: list[AuditEvent]
    has_next_page: bool

    @property
    def end_cursor(self) -> int | None:
        return self.events[-1].id if self.events else None


def record(
    session: AsyncSession,
    actor: Actor,
    operation: str,
    *,
    object_type: str,
    object_id: int | None = None,
    object_ids: Iterable[int] = (),
    given: Any = None,
) -> AuditEventRow:
    """Add an event to the caller's transaction: it commits or rolls back with the write.

    `operation` is the public name (`createContract`); `object_type` the GraphQL type of
    what was written (`Contract`), `object_id` its database id; `object_ids` any others
    the write touched. `given` (a dataclass or a mapping) is stored as JSON: decimals,
    dates and times as strings, enums by name, fields left UNCHANGED omitted."""
    return add_audit_event(
        session, _row(actor, operation, object_type, object_id, object_ids, given)
    )


async def record_now(
    session: AsyncSession,
    actor: Actor,
    operation: str,
    *,
    object_type: str,
    object_id: int | None = None,
    object_ids: Iterable[int] = (),
    given: Any = None,
) -> None:
    """`record`, written now rather than at the transaction's flush: on PostgreSQL one
    prepared statement on the driver's connection (an ingestion batch's, where the ORM's
    flush of one row costs more than the statement); on SQLite as `record`."""
    await write_audit_event(
        session, _row(actor, operation, object_type, object_id, object_ids, given)
    )


def _row(
    actor: Actor,
    operation: str,
    object_type: str,
    object_id: int | None,
    object_ids: Iterable[int],
    given: Any,
) -> AuditEventRow:
    return AuditEventRow(
        key_id=actor.key_id,
        caller=actor.caller_id,
        role=actor.role.value,
        operation=operation,
        object_type=object_type,
        object_id=object_id,
        object_ids=list(object_ids),
        input={} if given is None else _input(given),
    )


async def audit_events(
    uow: UnitOfWork,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    key_id: int | None = None,
    first: int = DEFAULT_PAGE_SIZE,
    after: int | None = None,
) -> AuditPage:
    """Events newest first, optionally of one object (type, and id) or one key; `after` is
    the `end_cursor` of the previous page. Callers check that the actor is an admin."""
    refuse_if(_page_problems(first, after))
    rows = await audit_event_page(
        uow.read,
        object_type=object_type,
        object_id=object_id,
        key_id=key_id,
        before_id=after,
        limit=first + 1,
    )
    events = [_event(row) for row in rows[:first]]
    return AuditPage(events=events, has_next_page=len(rows) > first)


async def count_audit_events(
    uow: UnitOfWork,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    key_id: int | None = None,
) -> int:
    """How many events `audit_events` pages through with the same filters."""
    return await audit_event_count(
        uow.read, object_type=object_type, object_id=object_id, key_id=key_id
    )


def _page_problems(first: int, after: int | None) -> list[Problem]:
    problems = []
    if first > MAX_PAGE_SIZE:
        problems.append(
            Problem("first", ErrorCode.PAGE_SIZE_TOO_LARGE, f"first may be at most {MAX_PAGE_SIZE}")
        )
    elif first < 0:
        problems.append(Problem("first", ErrorCode.INVALID_VALUE, "first must be 0 or more"))
    if after is not None and after < 1:
        problems.append(Problem("after", ErrorCode.INVALID_CURSOR, f"{after} is not a cursor"))
    return problems


def _event(row: AuditEventRow) -> AuditEvent:
    assert row.id is not None
    return AuditEvent(
        id=row.id,
        occurred_at=row.occurred_at,
        key_id=row.key_id,
        caller=row.caller,
        role=row.role,
        operation=row.operation,
        object_type=row.object_type,
        object_id=row.object_id,
        object_ids=tuple(row.object_ids),
        input=row.input,
    )


def _input(given: Any) -> dict[str, Any]:
    value = _json(given)
    return value if isinstance(value, dict) else {"value": value}


def _json(value: Any) -> Any:
    """A JSON-safe copy: exact decimals and ISO dates as strings, enums by name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not UNCHANGED
        }
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items() if v is not UNCHANGED}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)
