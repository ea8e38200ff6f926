"""store/usage_copy.py: a fresh batch goes in with COPY (PostgreSQL), a batch holding a
stored event the INSERT's way; both store the same rows and rollups, text kept exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from tests.support.graphql import StatementCounter

from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.usage_copy import COPY, ROLLBACK, copy_data, copy_new_events
from pricing_graph.store.usage_repo import EVENTS, group_key, insert_events
from pricing_graph.store.usage_rollup import ROLLUPS

AT = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
NOW = datetime(2026, 1, 5, 11, tzinfo=UTC)
# Every character COPY's text format escapes, and JSON that needs backslashes.
AWKWARD = 'tab\there, line\nbreak, cr\r, back\\slash, \\N, quote"'


def _row(customer_id: int, metric_id: int, event_id: str, value: str | None, **extra: Any) -> Any:
    dimensions = extra.pop("dimensions", {})
    return {
        "customer_id": customer_id,
        "metric_id": metric_id,
        "event_id": event_id,
        "occurred_at": extra.pop("occurred_at", AT),
        "value": None if value is None else Decimal(value),
        "unique_value": extra.pop("unique_value", None),
        "group_key": group_key(dimensions),
        "dimensions": dimensions,
        "properties": extra.pop("properties", {}),
        "ingested_at": NOW,
    }


def test_copy_text_escapes_what_its_format_needs() -> None:
    plain = _row(1, 2, "e1", "1E+2", properties={"a": 1})
    awkward = _row(
        1,
        2,
        AWKWARD,
        None,
        unique_value=AWKWARD,
        dimensions={"model": AWKWARD},
        properties={"note": AWKWARD},
    )
    data, hours = copy_data([plain, awkward])
    lines = data.decode().split("\n")
    assert lines[0] == (
        '1\t2\te1\t2026-01-05T10:30:00+00:00\t100\t\\N\t\t{}\t{"a":1}\t2026-01-05T11:00:00+00:00'
    )
    fields = lines[1].split("\t")
    assert len(lines) == 3 and lines[2] == "" and len(fields) == 10
    assert fields[2] == 'tab\\there, line\\nbreak, cr\\r, back\\\\slash, \\\\N, quote"'
    assert fields[4] == "\\N"
    assert fields[8] == '{"note":"tab\\\\there, line\\\\nbreak, cr\\\\r, back\\\\\\\\slash, ' + (
        '\\\\\\\\N, quote\\\\""}'
    )
    assert hours == {
        (1, 2, "2026-01-05T10", ""): [1, Decimal("100"), Decimal("100")],
        (1, 2, "2026-01-05T10", group_key({"model": AWKWARD})): [1, None, None],
    }


def test_copy_text_writes_timestamps_in_utc() -> None:
    from datetime import timedelta, timezone

    naive = _row(1, 2, "n", "1", occurred_at=datetime(2026, 1, 5, 10, 30))
    paris = _row(
        1,
        2,
        "p",
        "2",
        occurred_at=datetime(2026, 1, 5, 11, 45, tzinfo=timezone(timedelta(hours=1))),
    )
    del paris["ingested_at"]
    data, hours = copy_data([naive, paris])
    first, second = data.decode().splitlines()
    assert first.split("\t")[3] == "2026-01-05T10:30:00+00:00"
    assert second.split("\t")[3] == "2026-01-05T10:45:00+00:00"
    assert second.split("\t")[9].endswith("+00:00")
    assert hours == {(1, 2, "2026-01-05T10", ""): [2, Decimal("3"), Decimal("2")]}


async def _ids(database: Any) -> tuple[int, int]:
    async with database.sessions() as session, session.begin():
        customer = CustomerRow(external_id="acme", name="Acme")
        metric = MetricRow(key="tokens", name="T", unit_label="t", aggregation="SUM")
        session.add_all([customer, metric])
        await session.flush()
        assert customer.id is not None and metric.id is not None
        return customer.id, metric.id


async def _insert(database: Any, rows: list[Any]) -> tuple[set[tuple[int, str]], list[str]]:
    with StatementCounter(database) as counter:
        async with database.sessions() as session, session.begin():
            stored = await insert_events(session, rows)
    return stored, counter.statements


async def test_a_fresh_batch_is_copied_and_a_replay_skips_what_is_stored(database: Any) -> None:
    postgres = database.engine.dialect.name == "postgresql"
    customer, metric = await _ids(database)
    first = [
        _row(customer, metric, "e1", "1.50"),
        _row(customer, metric, "e2", "2", occurred_at=datetime(2026, 1, 5, 11, tzinfo=UTC)),
        _row(customer, metric, AWKWARD, "0.25", properties={"note": AWKWARD}),
    ]
    stored, statements = await _insert(database, first)
    assert stored == {(customer, "e1"), (customer, "e2"), (customer, AWKWARD)}
    if postgres:
        assert statements[1:3] == ["SAVEPOINT usage_copy", COPY], statements
        assert "usage_rollup" in statements[3]
        assert not any("json_to_recordset" in s for s in statements)

    # e1 again (stored: skipped, COPY fails on it), e3 new, e3 twice in the batch
    second = [
        _row(customer, metric, "e3", "4"),
        _row(customer, metric, "e1", "1.50"),
        _row(customer, metric, "e3", "4"),
    ]
    stored, statements = await _insert(database, second)
    assert stored == {(customer, "e3")}
    if postgres:
        assert any("json_to_recordset" in s for s in statements), statements

    # e4 new, e2 stored: the COPY fails on e2 and stores nothing, the INSERT skips e2
    stored, statements = await _insert(
        database, [_row(customer, metric, "e4", "8"), _row(customer, metric, "e2", "2")]
    )
    assert stored == {(customer, "e4")}
    if postgres:
        assert statements[1:4] == ["SAVEPOINT usage_copy", COPY, ROLLBACK], statements
        assert "json_to_recordset" in statements[4], statements

    async with database.engine.connect() as connection:
        events = (
            await connection.execute(
                select(EVENTS.c.event_id, EVENTS.c.value, EVENTS.c.properties).order_by(
                    EVENTS.c.event_id
                )
            )
        ).all()
        rollups = (
            await connection.execute(
                select(ROLLUPS.c.hour, ROLLUPS.c.event_count, ROLLUPS.c.value_sum).order_by(
                    ROLLUPS.c.hour
                )
            )
        ).all()
        if postgres:
            raw = await connection.execute(
                text("SELECT properties::text FROM usage_event WHERE event_id = :e"),
                {"e": AWKWARD},
            )
            assert raw.scalar_one() == (
                '{"note":"tab\\there, line\\nbreak, cr\\r, back\\\\slash, \\\\N, quote\\""}'
            )
    assert sorted((e, Decimal(str(v)), p) for e, v, p in events) == [
        ("e1", Decimal("1.50"), {}),
        ("e2", Decimal("2"), {}),
        ("e3", Decimal("4"), {}),
        ("e4", Decimal("8"), {}),
        (AWKWARD, Decimal("0.25"), {"note": AWKWARD}),
    ]
    assert [(h.astimezone(UTC).hour, n, Decimal(str(s))) for h, n, s in rollups] == [
        (10, 4, Decimal("13.75")),
        (11, 1, Decimal("2")),
    ]


async def test_rows_copy_cannot_write_leave_nothing_behind(database: Any) -> None:
    if database.engine.dialect.name != "postgresql":
        return
    customer, metric = await _ids(database)
    rows = [_row(customer, metric, f"e{i:04d}", "1") for i in range(300)]
    rows[250] = _row(customer, metric, "e0250", "1", properties={"bad": "\ud800"})
    async with database.sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(text("SELECT 1"))  # the transaction has begun
        # the first chunks are sent before the bad row is reached: the savepoint undoes them
        assert not await copy_new_events(connection, rows)
        count = await connection.execute(text("SELECT count(*) FROM usage_event"))
        assert count.scalar_one() == 0
        assert await copy_new_events(connection, rows[:250])
    async with database.engine.connect() as connection:
        stored = await connection.execute(text("SELECT count(*) FROM usage_event"))
        rolled = await connection.execute(text("SELECT sum(event_count) FROM usage_rollup"))
        assert (stored.scalar_one(), rolled.scalar_one()) == (250, 250)
