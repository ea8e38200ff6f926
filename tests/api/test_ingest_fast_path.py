"""The bulk endpoint's fast path (services.usage.ingest_json): well-formed events go
straight to their rows, anything else through the full checks, with the same answers.

One batch mixes good events, a duplicate, a reused eventId and one event of each kind of
refusal, plus two the fast path leaves to the full checks that are good all the same (a
value with spaces, a value read from the properties). Hand-computed: 5 accepted, 1
duplicate, 10 rejected. A second batch replays one stored event (duplicate), reuses a
stored eventId with another value (rejected) and adds one. The hourly sums, from the
rollups and (SQL stores) from the events, are the accepted events' sums to the digit:
gpt-4 10:00-11:00 1500 + 0.25 + 10 = 1510.25; small 11:00-12:00 2.000 + 7 = 9.000;
gpt-4 12:00-13:00 3.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from tests.support.ingest_client import bulk_event, ingest_client
from tests.support.usage_rows import stored_rows

from pricing_graph.http.usage import _parsed
from pricing_graph.rating.models import Aggregation, Metric
from pricing_graph.services.usage import UsageEvent, _Batch
from pricing_graph.store.usage_repo import (
    EventMetric,
    UsageRequest,
    aggregate_usage_many_from_events,
)
from pricing_graph.store.usage_store import SqlUsageStore

USAGE_STORES = True  # SQLite, PostgreSQL and ClickHouse (tests/conftest.py)

DAY = datetime(2026, 1, 5, tzinfo=UTC)
HOURS = [(DAY + timedelta(hours=h), DAY + timedelta(hours=h + 1)) for h in (10, 11, 12)]


@pytest.fixture
async def client(
    database: Any, database_url: str, usage_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with ingest_client(database, database_url, usage_url) as http:
        yield http


SMALL = [{"name": "model", "value": "small"}]

BATCH = [
    bulk_event("a1"),  # 0 accepted
    bulk_event("a2", value="0.25", timestamp="2026-01-05T10:30:00+00:00"),  # 1 accepted
    bulk_event("a3", value="2.000", timestamp="2026-01-05T12:15:00+01:00", dimensions=SMALL),  # 2
    bulk_event("a1"),  # 3 duplicate of 0
    bulk_event("a1", value="9"),  # 4 EVENT_ID_REUSED (earlier in this batch)
    bulk_event("a5", value=" 7", timestamp="2026-01-05T11:45:00Z", dimensions=SMALL),  # 5 accepted
    bulk_event("a6", value="-1"),  # 6
    bulk_event("a7", value="1.1234567890123"),  # 7: 13 decimal places
    bulk_event("a8", timestamp="2026-01-05T10:00:00"),  # 8: no UTC offset
    bulk_event("a9", customerId="nobody"),  # 9
    bulk_event("a10", dimensions=[{"name": "region", "value": "eu"}]),  # 10
    bulk_event("a11", properties="x"),  # 11
    bulk_event(
        "a12",
        value=None,
        properties={"tokens": 3, "b": [1, {"z": None}], "a": "x"},
        timestamp="2026-01-05T12:05:00Z",
    ),  # 12
    bulk_event("a13", value=12.5),  # 13: a JSON number
    bulk_event("", value="1"),  # 14
    bulk_event(
        "a15", dimensions=[{"name": "model", "value": "x"}, {"name": "model", "value": "y"}]
    ),
]


async def test_a_mixed_batch_has_exact_counts_errors_and_sums(
    client: httpx.AsyncClient, database: Any
) -> None:
    response = await client.post("/v1/usage/events", json={"events": BATCH})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (5, 1, 10)
    assert [(e["index"], e["field"], e["code"]) for e in body["errors"]] == [
        (4, "events.4.eventId", "EVENT_ID_REUSED"),
        (6, "events.6.value", "NEGATIVE_VALUE"),
        (7, "events.7.value", "INVALID_VALUE"),
        (8, "events.8.timestamp", "INVALID_VALUE"),
        (9, "events.9.customerId", "UNKNOWN_CUSTOMER"),
        (10, "events.10.dimensions.0.name", "UNKNOWN_DIMENSION"),
        (11, "events.11.properties", "INVALID_VALUE"),
        (13, "events.13.value", "INVALID_VALUE"),
        (14, "events.14.eventId", "INVALID_VALUE"),
        (15, "events.15.dimensions.1.name", "INVALID_VALUE"),
    ]

    second = await client.post(
        "/v1/usage/events",
        json={
            "events": [
                bulk_event("a1"),  # the stored payload again: a duplicate
                bulk_event("a2", value="0.5", timestamp="2026-01-05T10:30:00Z"),  # reused
                bulk_event("a20", value="10", timestamp="2026-01-05T10:59:59.999999Z"),
            ]
        },
    )
    replay = second.json()
    assert (replay["accepted"], replay["duplicates"], replay["rejected"]) == (1, 1, 1)
    assert [(e["index"], e["code"]) for e in replay["errors"]] == [(1, "EVENT_ID_REUSED")]

    stored = {row.event_id: row for row in await stored_rows(database)}
    assert sorted(stored) == ["a1", "a12", "a2", "a20", "a3", "a5"]
    assert [str(stored[e].value) for e in ("a1", "a2", "a3", "a5", "a12", "a20")] == [
        "1500",
        "0.25",
        "2.000",
        "7",
        "3",
        "10",
    ]
    assert stored["a3"].occurred_at == datetime(2026, 1, 5, 11, 15, tzinfo=UTC)
    assert stored["a12"].properties == {"tokens": 3, "b": [1, {"z": None}], "a": "x"}
    assert stored["a3"].dimensions == {"model": "small"}

    async with database.sessions() as session:
        metric_id = stored["a1"].metric_id
        request = UsageRequest(
            customer_id=stored["a1"].customer_id,
            metrics=(
                (
                    metric_id,
                    Metric("tokens", "Tokens", "t", Aggregation.SUM, event_property="tokens"),
                ),
            ),
            periods=tuple(HOURS),
        )
        [from_rollups] = await database.usage.aggregate_usage_many(session, [request])
        hourly = [{(u.group, u.quantity) for u in snapshot.usage} for snapshot in from_rollups]
        assert hourly == [
            {((("model", "gpt-4"),), Decimal("1510.25"))},
            {((("model", "small"),), Decimal("9.000"))},
            {((("model", "gpt-4"),), Decimal("3"))},
        ]
        if isinstance(database.usage, SqlUsageStore):
            assert await aggregate_usage_many_from_events(session, [request]) == [from_rollups]
            # the JSON columns hold the objects' compact text, keys in the order sent
            connection = await session.connection()
            texts = await connection.execute(
                text(
                    "SELECT CAST(dimensions AS TEXT), CAST(properties AS TEXT) FROM usage_event "
                    "WHERE event_id IN ('a3', 'a12') ORDER BY event_id"
                )
            )
            assert [tuple(row) for row in texts] == [
                ('{"model":"gpt-4"}', '{"tokens":3,"b":[1,{"z":null}],"a":"x"}'),
                ('{"model":"small"}', "{}"),
            ]


# --------------------------------------------------------------------------- the same rows

METRICS = {
    "tokens": EventMetric(1, "tokens", Aggregation.SUM, "tokens", frozenset({"model", "region"})),
    "calls": EventMetric(2, "calls", Aggregation.COUNT, None, frozenset({"model"})),
    "peak": EventMetric(3, "peak", Aggregation.MAX, "peak", frozenset()),
    "users": EventMetric(4, "users", Aggregation.UNIQUE_COUNT, "user", frozenset()),
    "seats": EventMetric(5, "seats", Aggregation.LATEST, None, frozenset()),
}
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _raw(event_id: str, metric: str, **changes: Any) -> dict[str, Any]:
    return bulk_event(event_id, **{"metricKey": metric, "dimensions": None, **changes})


# Events of every aggregation and shape, good and bad; each is read both ways.
OBJECTS: list[Any] = [
    _raw("t1", "tokens", dimensions=[{"name": "region", "value": "eu"}, *SMALL]),
    _raw("t2", "tokens", value=None, properties={"tokens": "12.50"}),
    _raw("t3", "tokens", value=None, properties={"tokens": 1e20}),
    _raw("t4", "tokens", value="0", properties={"tokens": 5, "other": [1, {"a": None}]}),
    _raw("c1", "calls"),
    _raw("c2", "calls", value=None, dimensions=[]),
    _raw("p1", "peak", value="123456789012345678901.123456789012"),
    _raw("u1", "users", value=None, properties={"user": "ann"}),
    _raw("u2", "users", value="42.0"),
    _raw("s1", "seats", value="3", timestamp="2026-11-27T13:00:00+01:00"),
    _raw("t1", "tokens", dimensions=[*SMALL, {"name": "region", "value": "eu"}]),  # same group
    _raw("t1", "tokens"),  # another group: reused
    _raw("t5", "tokens", value="1e3"),
    _raw("t6", "tokens", timestamp="2026-11-27T13:00:01Z"),  # in the future
    _raw("t7", "nope"),
    _raw("t8", "tokens", value=None),
    _raw("t9", "tokens", value=None, properties={"tokens": True}),
    _raw("t10", "tokens", eventId="x" * 201),
    _raw("t11", "tokens", eventId="a\x00b"),
    _raw("t12", "tokens", properties={"big": "x" * 40_000}),
    _raw("t13", "tokens", dimensions=[{"name": "model"}]),
    _raw("t14", "tokens", dimensions={"model": "x"}),
    ["not", "an", "object"],
    _raw("t15", "tokens", timestamp=20260105),
]


def _batch() -> _Batch:
    return _Batch(
        {"acme": 7},
        METRICS,
        now=NOW,
        latest=NOW + timedelta(hours=1),
        store=SqlUsageStore(),
    )


def test_the_fast_path_keeps_what_the_full_checks_keep() -> None:
    fast, full = _batch(), _batch()
    taken = []
    for index, raw in enumerate(OBJECTS):
        if fast.add_json(index, raw):
            taken.append(index)
        else:
            item = _parsed(index, raw)
            if isinstance(item, UsageEvent):
                fast.add(index, item)
            else:
                fast.refuse(item)
        item = _parsed(index, raw)
        if isinstance(item, UsageEvent):
            full.add(index, item)
        else:
            full.refuse(item)
    # the fast path takes the well-formed good events, and the two that repeat an eventId
    # of the batch (10 a duplicate, 11 EVENT_ID_REUSED); the rest goes the full way
    assert taken == list(range(12))
    assert fast.rows == full.rows
    assert fast.indexes == full.indexes == list(range(10))
    assert (fast.duplicates, fast.rejected) == (full.duplicates, full.rejected) == (1, 13)
    assert sorted(fast.problems, key=lambda p: p.index or 0) == sorted(
        full.problems, key=lambda p: p.index or 0
    )
    values = {row["event_id"]: (row["value"], row["unique_value"]) for row in fast.rows}
    assert values == {
        "t1": (Decimal("1500"), None),
        "t2": (Decimal("12.50"), None),
        "t3": (Decimal("100000000000000000000"), None),
        "t4": (Decimal("0"), None),
        "c1": (Decimal("1500"), None),
        "c2": (None, None),
        "p1": (Decimal("123456789012345678901.123456789012"), None),
        "u1": (None, "ann"),
        "u2": (None, "42.0"),
        "s1": (Decimal("3"), None),
    }
