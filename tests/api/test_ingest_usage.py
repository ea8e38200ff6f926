"""ingestUsage: exact counts, dedup for ever (replays, in-batch and concurrent duplicates),
every refusal code with its index and field, the batch limit, and unbilled usage."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.support.graphql import StatementCounter, execute
from tests.support.usage_rows import StoredRow, stored_count, stored_rows

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.services.actor import SYSTEM
from pricing_graph.settings import Settings
from pricing_graph.store import plans
from pricing_graph.store.catalog import MetricRow, ProductRow
from pricing_graph.store.contracts import ContractRow, CustomerRow

INGEST = """
mutation Ingest($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) {
    accepted duplicates rejected unbilled
    errors { index field code message }
  }
}
"""

JAN_15 = "2024-01-15T12:00:00Z"

# Every test runs on each usage store: SQLite, PostgreSQL, ClickHouse (tests/conftest.py).
USAGE_STORES = True


async def seed(database: Database) -> None:
    """acme has contracts for January 2024 and from March 2024 on; globex has none."""
    async with database.sessions() as session, session.begin():
        product = ProductRow(key="api", name="API")
        acme = CustomerRow(external_id="acme", name="Acme")
        globex = CustomerRow(external_id="globex", name="Globex")
        session.add_all([product, acme, globex])
        session.add_all(
            [
                MetricRow(
                    key="tokens",
                    name="Tokens",
                    unit_label="tokens",
                    aggregation="SUM",
                    event_property="tokens",
                    dimensions=["model", "region"],
                ),
                MetricRow(key="calls", name="Calls", unit_label="calls", aggregation="COUNT"),
                MetricRow(
                    key="users",
                    name="Users",
                    unit_label="users",
                    aggregation="UNIQUE_COUNT",
                    event_property="user_id",
                ),
                MetricRow(
                    key="seats",
                    name="Seats",
                    unit_label="seats",
                    aggregation="LATEST",
                    event_property="seats",
                ),
            ]
        )
        await session.flush()
        assert product.id is not None and acme.id is not None
        for start, end in ((date(2024, 1, 1), date(2024, 2, 1)), (date(2024, 3, 1), None)):
            session.add(
                ContractRow(
                    customer_id=acme.id,
                    product_id=product.id,
                    start_date=start,
                    end_date=end,
                    billing_interval="MONTHLY",
                    billing_anchor="CONTRACT_START",
                )
            )


def event(event_id: str, metric: str = "calls", **fields: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "customerId": fields.pop("customerId", "acme"),
        "metricKey": metric,
        "timestamp": fields.pop("timestamp", JAN_15),
        **fields,
    }


async def ingest(database: Database, events: list[dict[str, Any]]) -> dict[str, Any]:
    payload: dict[str, Any] = (await execute(database, INGEST, events=events))["ingestUsage"]
    return payload


def counts(payload: dict[str, Any]) -> tuple[int, int, int, int]:
    return (payload["accepted"], payload["duplicates"], payload["rejected"], payload["unbilled"])


async def stored(database: Database) -> list[StoredRow]:
    return await stored_rows(database)


async def row_count(database: Database) -> int:
    return await stored_count(database)


@pytest.fixture
async def db(database: Database) -> Database:
    await seed(database)
    return database


async def test_accepts_events_and_stores_them_exactly(db: Database) -> None:
    payload = await ingest(
        db,
        [
            event(
                "t1",
                "tokens",
                properties={"tokens": 0.1, "prompt": "hi"},
                dimensions=[
                    {"name": "region", "value": "eu"},
                    {"name": "model", "value": "gpt-4"},
                ],
            ),
            event("t2", "tokens", value="123456789012.123456789012", properties={"tokens": 5}),
            event("t3", "tokens", properties={"tokens": " 2.50 "}),
            event("t4", "tokens", properties={"tokens": 1e20}),
            event("c1", timestamp="2024-01-15T14:00:00+02:00"),
            event("c2", value="3"),
            event("u1", "users", properties={"user_id": "alice"}),
            event("u2", "users", properties={"user_id": 42}),
            event("s1", "seats", value="7"),
        ],
    )
    assert payload == {
        "accepted": 9,
        "duplicates": 0,
        "rejected": 0,
        "unbilled": 0,
        "errors": [],
    }
    rows = {row.event_id: row for row in await stored(db)}
    values = {key: (r.value and format(r.value, "f"), r.unique_value) for key, r in rows.items()}
    assert values == {
        "c1": (None, None),
        "c2": ("3", None),
        "s1": ("7", None),
        "t1": (
            "0.1",
            None,
        ),  # a JSON float, converted through its text: never 0.1000000000000000055
        "t2": ("123456789012.123456789012", None),  # `value` wins over the property
        "t3": ("2.50", None),
        "t4": ("100000000000000000000", None),
        "u1": (None, "alice"),
        "u2": (None, "42"),
    }
    assert rows["t1"].group_key == '[["model","gpt-4"],["region","eu"]]'
    assert rows["t1"].dimensions == {"model": "gpt-4", "region": "eu"}
    assert rows["t1"].properties == {"tokens": 0.1, "prompt": "hi"}
    assert rows["t2"].group_key == "" and rows["t2"].dimensions == {}
    occurred = rows["c1"].occurred_at.replace(tzinfo=None)  # SQLite hands back naive UTC
    assert occurred == datetime(2024, 1, 15, 12, 0)


async def test_a_replayed_batch_is_all_duplicates(db: Database) -> None:
    batch = [event(f"e{i}", value="1") for i in range(5)]
    assert counts(await ingest(db, batch)) == (5, 0, 0, 0)
    assert counts(await ingest(db, batch)) == (0, 5, 0, 0)
    assert counts(await ingest(db, [*batch[:2], event("e5")])) == (1, 2, 0, 0)
    assert await row_count(db) == 6


async def test_duplicates_inside_one_batch_count_once(db: Database) -> None:
    payload = await ingest(
        db,
        [
            event("a", value="1"),
            event("a", value="2"),  # same customer and ID, another value: EVENT_ID_REUSED
            event("a", customerId="globex", timestamp=JAN_15),  # another customer's "a"
            event("b"),
            event("a", value="3"),
            event("a", value="1.0"),  # the same event again: a duplicate, not stored
        ],
    )
    assert counts(payload) == (3, 1, 2, 1)  # globex has no contract: unbilled
    assert [(e["index"], e["field"], e["code"]) for e in payload["errors"]] == [
        (1, "events.1.eventId", "EVENT_ID_REUSED"),
        (4, "events.4.eventId", "EVENT_ID_REUSED"),
    ]
    rows = await stored(db)
    assert sorted((r.event_id, str(r.value)) for r in rows) == [
        ("a", "1"),
        ("a", "None"),
        ("b", "None"),
    ]


async def test_a_rejected_event_does_not_shadow_a_later_good_one(db: Database) -> None:
    payload = await ingest(db, [event("x", "tokens"), event("x", "tokens", value="4")])
    assert counts(payload) == (1, 0, 1, 0)
    assert [(e["index"], e["code"]) for e in payload["errors"]] == [(0, "MISSING_VALUE")]


async def test_every_refusal_has_its_index_field_and_code(db: Database) -> None:
    in_two_hours = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    payload = await ingest(
        db,
        [
            event("ok", value="1"),
            event("e1", customerId="nobody"),
            event("e2", "nope"),
            event(
                "e3",
                "tokens",
                value="1",
                dimensions=[{"name": "model", "value": "a"}, {"name": "colour", "value": "red"}],
            ),
            event("e4", "tokens"),
            event("e5", "tokens", properties={"tokens": "lots"}),
            event("e6", timestamp=in_two_hours),
            event("e7", "tokens", value="-1"),
            event("e8", timestamp="2024-01-15T12:00:00"),
            event("e9", "seats", properties={"seats": True}),
            event("e10", properties=[1, 2]),
            event(""),
            event("e12", "users", properties={"other": "x"}),
            event("e13", "nope", customerId="nobody"),
            event(
                "e14",
                "tokens",
                value="1",
                dimensions=[{"name": "model", "value": "a"}, {"name": "model", "value": "b"}],
            ),
            event("e15", "tokens", properties={"tokens": "1e5"}),
            event("e16", "users", properties={"user_id": {"nested": 1}}),
            event("e17", "seats", properties={"seats": -0.5}),
            event("x" * 201),
        ],
    )
    assert counts(payload) == (1, 0, 18, 0)
    assert [(e["index"], e["field"], e["code"]) for e in payload["errors"]] == [
        (1, "events.1.customerId", "UNKNOWN_CUSTOMER"),
        (2, "events.2.metricKey", "UNKNOWN_METRIC"),
        (3, "events.3.dimensions.1.name", "UNKNOWN_DIMENSION"),
        (4, "events.4.value", "MISSING_VALUE"),
        (5, "events.5.properties.tokens", "INVALID_VALUE"),
        (6, "events.6.timestamp", "TIMESTAMP_IN_FUTURE"),
        (7, "events.7.value", "NEGATIVE_VALUE"),
        (8, "events.8.timestamp", "INVALID_VALUE"),
        (9, "events.9.properties.seats", "INVALID_VALUE"),
        (10, "events.10.properties", "INVALID_VALUE"),
        (11, "events.11.eventId", "INVALID_VALUE"),
        (12, "events.12.value", "MISSING_VALUE"),
        (13, "events.13.customerId", "UNKNOWN_CUSTOMER"),
        (13, "events.13.metricKey", "UNKNOWN_METRIC"),
        (14, "events.14.dimensions.1.name", "INVALID_VALUE"),
        (15, "events.15.properties.tokens", "INVALID_VALUE"),
        (16, "events.16.properties.user_id", "INVALID_VALUE"),
        (17, "events.17.properties.seats", "NEGATIVE_VALUE"),
        (18, "events.18.eventId", "INVALID_VALUE"),
    ]
    messages = {e["index"]: e["message"] for e in payload["errors"]}
    assert messages[1] == "no customer with external ID 'nobody'"
    assert messages[3] == "metric tokens has no dimension 'colour' (it has: model, region)"
    assert messages[4] == ("metric tokens (SUM) needs a value: give `value` or properties.tokens")
    assert messages[6].endswith("is more than 3600 seconds in the future")
    assert [r.event_id for r in await stored(db)] == ["ok"]


async def test_the_future_window_comes_from_settings(database: Database) -> None:
    await seed(database)
    strict = Database(
        engine=database.engine,
        sessions=database.sessions,
        settings=Settings(usage_max_future_seconds=60),
        usage=database.usage,
    )
    now = datetime.now(UTC)
    payload = await ingest(
        strict,
        [
            event("soon", timestamp=(now + timedelta(seconds=30)).isoformat()),
            event("later", timestamp=(now + timedelta(seconds=300)).isoformat()),
        ],
    )
    assert counts(payload) == (1, 0, 1, 0)  # "soon" falls in acme's open-ended contract
    assert payload["errors"][0]["field"] == "events.1.timestamp"
    assert payload["errors"][0]["code"] == "TIMESTAMP_IN_FUTURE"


async def test_unbilled_events_are_stored_and_counted(db: Database) -> None:
    payload = await ingest(
        db,
        [
            event("before", timestamp="2023-12-31T23:59:59Z"),  # before January's contract
            event("first", timestamp="2024-01-01T00:00:00Z"),
            event("last", timestamp="2024-01-31T23:59:59.999999Z"),
            event("end", timestamp="2024-02-01T00:00:00Z"),  # end_date is exclusive
            event("gap", timestamp="2024-02-15T00:00:00Z"),
            event("offset", timestamp="2024-02-01T00:30:00+01:00"),  # 2024-01-31T23:30Z
            event("march", timestamp="2024-03-01T00:00:00Z"),  # open-ended contract
            event("globex", customerId="globex"),  # no contract at all
        ],
    )
    assert counts(payload) == (8, 0, 0, 4)
    assert await row_count(db) == 8
    replay = await ingest(db, [event("gap", timestamp="2024-02-15T00:00:00Z")])
    assert counts(replay) == (0, 1, 0, 0)  # a duplicate is not unbilled again


async def test_more_than_ten_thousand_events_are_refused_whole(db: Database) -> None:
    events = [event(f"e{i}") for i in range(10_001)]
    payload = await ingest(db, events)
    assert payload == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": 10_001,
        "unbilled": 0,
        "errors": [
            {
                "index": None,
                "field": "events",
                "code": "BATCH_TOO_LARGE",
                "message": "at most 10000 events per call, got 10001; split the batch "
                "(nothing was stored)",
            }
        ],
    }
    assert await row_count(db) == 0
    assert counts(await ingest(db, events[:10_000])) == (10_000, 0, 0, 0)
    assert await row_count(db) == 10_000


async def test_an_empty_batch_writes_nothing(db: Database) -> None:
    assert counts(await ingest(db, [])) == (0, 0, 0, 0)


async def test_a_batch_takes_six_statements(db: Database) -> None:
    events = [
        event(f"e{i}", "tokens", value="0.1", customerId=("acme", "globex")[i % 2])
        for i in range(1000)
    ]
    with StatementCounter(db) as counter:
        payload = await ingest(db, events)
    assert counts(payload) == (1000, 0, 0, 500)
    # PostgreSQL: SET LOCAL of generic plans for the batch (store/plans.py), customers and
    # metrics in one statement, a savepoint and one COPY of the 1,000 rows
    # (store/usage_copy.py), one upsert of their hourly rollups, the unbilled count with
    # whether a contract of the batch's customers may be in force today (acme's is), the
    # contracts in force today (HARD limits; none here, so nothing more, and no aggregation
    # to plan for its parameters again), and the batch's audit event: eight. SQLite: no SET,
    # one INSERT ... RETURNING, the rollups upserted in one more statement, contracts
    # (unbilled), the contracts in force today, the audit event. With ClickHouse (the
    # catalog on SQLite) the INSERT is two there: the event IDs' lookup, the INSERT (a
    # materialized view keeps the rollups).
    postgres = db.engine.dialect.name == "postgresql"
    if counter.clickhouse:
        assert counter.count == 6 and counter.clickhouse == 2, counter.statements
    elif postgres:
        assert counter.count == 8, counter.statements
        assert counter.statements[0] == plans.GENERIC
        assert "billable_metric" in counter.statements[1]
        assert "customer" in counter.statements[1]
        assert counter.statements[2].startswith("SAVEPOINT")
        assert counter.statements[3].startswith("COPY usage_event")
        assert "usage_rollup" in counter.statements[4]
        assert "pending" in counter.statements[5]
        assert "contract_plan" in counter.statements[6]
        assert plans.OWN not in counter.statements
    else:
        assert counter.count == 6, counter.statements
        assert "usage_rollup" not in counter.statements[1]
        assert "usage_rollup" in counter.statements[2]
    assert "audit_event" in counter.statements[-1]

    # globex alone: no contract in force, so on PostgreSQL no read of the contracts in force
    with StatementCounter(db) as counter:
        payload = await ingest(
            db, [event(f"g{i}", "tokens", value="1", customerId="globex") for i in range(10)]
        )
    assert counts(payload) == (10, 0, 0, 10)
    if postgres and not counter.clickhouse:
        assert counter.count == 7, counter.statements
        assert not any("contract_plan" in statement for statement in counter.statements)
    else:
        assert counter.count == 6, counter.statements


@pytest.mark.parametrize("database_url", ["postgres", "clickhouse"], indirect=True)
async def test_concurrent_duplicates_are_stored_once(db: Database) -> None:
    events = [event(f"e{i:04d}", "tokens", value="1") for i in range(500)]
    variables = {"events": events}
    results = await asyncio.gather(
        *(
            schema.execute(
                INGEST, variable_values=variables, context_value=Context(db, actor=SYSTEM)
            )
            for _ in range(2)
        )
    )
    payloads = []
    for result in results:
        assert result.errors is None, result.errors
        assert result.data is not None
        payloads.append(result.data["ingestUsage"])
    assert sum(p["accepted"] for p in payloads) == 500
    assert sum(p["duplicates"] for p in payloads) == 500
    assert all(p["rejected"] == 0 and p["errors"] == [] for p in payloads)
    assert await row_count(db) == 500
    total = sum(row.value or 0 for row in await stored(db))
    assert total == Decimal(500)
