"""The audit log lands with its write or not at all; idempotency keys are per caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services import audit
from pricing_graph.services.actor import ANONYMOUS, Actor, Role
from pricing_graph.services.errors import DomainError, ErrorCode, Problem, refuse
from pricing_graph.services.idempotency import idempotent_write
from pricing_graph.services.inputs import UNCHANGED, Unchanged
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.store.access import ApiKeyRow

PARTNER_A = Actor.for_key(1, Role.PARTNER, "partner-a")
PARTNER_B = Actor.for_key(2, Role.PARTNER, "partner-b")


class Interval(Enum):
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Line:
    amount: Decimal
    starts: date


@dataclass(frozen=True)
class Given:
    name: str
    interval: Interval
    lines: tuple[Line, ...]
    note: str | Unchanged | None = UNCHANGED
    idempotency_key: str | None = None


GIVEN = Given(
    name="Acme",
    interval=Interval.MONTHLY,
    lines=(Line(Decimal("1E+3"), date(2026, 1, 1)), Line(Decimal("0.000001"), date(2026, 2, 1))),
)


async def test_an_event_commits_with_its_write(database: Database) -> None:
    uow = UnitOfWork(database)

    async def work(session: AsyncSession) -> int:
        row = audit.record(
            session,
            PARTNER_A,
            "createCustomer",
            object_type="Customer",
            object_id=7,
            object_ids=(8, 9),
            given=GIVEN,
        )
        await session.flush()
        assert row.id is not None
        return row.id

    event_id = await uow.run(work)
    page = await audit.audit_events(uow)
    assert page.has_next_page is False
    assert page.end_cursor == event_id
    [event] = page.events
    assert isinstance(event.occurred_at, datetime)
    assert event.occurred_at.tzinfo is not None
    assert (event.key_id, event.caller, event.role, event.operation) == (
        1,
        "key:1",
        "partner",
        "createCustomer",
    )
    assert (event.object_type, event.object_id, event.object_ids) == ("Customer", 7, (8, 9))
    # Exact decimals and dates as strings, enums by name, UNCHANGED fields left out.
    assert event.input == {
        "name": "Acme",
        "interval": "MONTHLY",
        "lines": [
            {"amount": "1000", "starts": "2026-01-01"},
            {"amount": "0.000001", "starts": "2026-02-01"},
        ],
        "idempotency_key": None,
    }
    await uow.close()


async def test_an_event_rolls_back_with_its_write(database: Database) -> None:
    uow = UnitOfWork(database)

    async def refused(session: AsyncSession) -> int:
        audit.record(session, ANONYMOUS, "createCustomer", object_type="Customer", object_id=1)
        await session.flush()
        raise refuse(("name",), ErrorCode.INVALID_VALUE, "no")

    with pytest.raises(DomainError):
        await uow.run(refused)

    async def conflicting(session: AsyncSession) -> int:
        for _ in range(2):  # the second row breaks the unique prefix: an IntegrityError
            session.add(ApiKeyRow(prefix="samesame", secret_hash="0" * 64, role="admin"))
            audit.record(session, ANONYMOUS, "createApiKey", object_type="ApiKey")
            await session.flush()
        return 0

    with pytest.raises(DomainError) as duplicate:
        await uow.run(conflicting)
    assert [p.code for p in duplicate.value.problems] == [ErrorCode.DUPLICATE_KEY]
    assert (await audit.audit_events(uow)).events == []
    await uow.close()


async def test_audit_events_filter_and_page_newest_first(database: Database) -> None:
    uow = UnitOfWork(database)

    async def work(session: AsyncSession) -> int:
        for index in range(5):
            actor = PARTNER_A if index % 2 == 0 else PARTNER_B
            audit.record(
                session, actor, "amendContract", object_type="Contract", object_id=index % 2
            )
        audit.record(session, ANONYMOUS, "createCustomer", object_type="Customer", object_id=0)
        return 0

    await uow.run(work)

    def ids(page: audit.AuditPage) -> list[tuple[str, int | None, int | None]]:
        return [(e.object_type, e.object_id, e.key_id) for e in page.events]

    everything = await audit.audit_events(uow)
    assert [e.id for e in everything.events] == sorted(
        (e.id for e in everything.events), reverse=True
    )
    assert len(everything.events) == 6
    assert (
        ids(await audit.audit_events(uow, object_type="Contract", object_id=0))
        == [("Contract", 0, 1)] * 3
    )
    assert ids(await audit.audit_events(uow, key_id=2)) == [("Contract", 1, 2)] * 2
    assert ids(await audit.audit_events(uow, object_type="Customer")) == [("Customer", 0, None)]

    first = await audit.audit_events(uow, first=4)
    assert (len(first.events), first.has_next_page) == (4, True)
    rest = await audit.audit_events(uow, first=4, after=first.end_cursor)
    assert (len(rest.events), rest.has_next_page) == (2, False)
    assert [e.id for e in first.events + rest.events] == [e.id for e in everything.events]
    empty = await audit.audit_events(uow, first=0)
    assert (empty.events, empty.has_next_page, empty.end_cursor) == ([], True, None)

    for first_size, after, problem in (
        (101, None, Problem("first", ErrorCode.PAGE_SIZE_TOO_LARGE, "first may be at most 100")),
        (-1, None, Problem("first", ErrorCode.INVALID_VALUE, "first must be 0 or more")),
        (10, 0, Problem("after", ErrorCode.INVALID_CURSOR, "0 is not a cursor")),
    ):
        with pytest.raises(DomainError) as refused:
            await audit.audit_events(uow, first=first_size, after=after)
        assert refused.value.problems == [problem]
    await uow.close()


@dataclass(frozen=True)
class NewThing:
    name: str
    idempotency_key: str | None = None


async def test_idempotency_keys_are_per_caller(database: Database) -> None:
    """Partner B claiming `order-1001` no longer answers, or blocks, partner A's request."""
    uow = UnitOfWork(database)

    async def make(caller: Actor, given: NewThing) -> int:
        async def work(session: AsyncSession) -> int:
            row = audit.record(session, caller, "createThing", object_type="Thing", given=given)
            await session.flush()
            assert row.id is not None
            return row.id

        return await idempotent_write(uow, "createThing", given, work, caller=caller.caller_id)

    for_b = await make(PARTNER_B, NewThing("B's order", "order-1001"))
    for_a = await make(PARTNER_A, NewThing("A's order", "order-1001"))
    assert for_a != for_b
    # Each caller's retry gets its own first result and writes nothing.
    assert await make(PARTNER_A, NewThing("A's order", "order-1001")) == for_a
    assert await make(PARTNER_B, NewThing("B's order", "order-1001")) == for_b
    # Reusing one's own key for another input is still refused.
    with pytest.raises(DomainError) as refused:
        await make(PARTNER_A, NewThing("B's order", "order-1001"))
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("input.idempotencyKey", ErrorCode.IDEMPOTENCY_KEY_REUSED)
    ]
    # Callers that do not say who they are share the anonymous scope (the default).
    anonymous = await make(ANONYMOUS, NewThing("B's order", "order-1001"))
    assert anonymous not in (for_a, for_b)
    assert await make(ANONYMOUS, NewThing("B's order", "order-1001")) == anonymous
    events = (await audit.audit_events(uow)).events
    assert [e.caller for e in events] == ["anonymous", "key:1", "key:2"]
    await uow.close()
