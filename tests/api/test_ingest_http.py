"""POST /v1/usage/events: the bulk ingestion endpoint, through the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.support.ingest_client import bulk_event, ingest_client
from tests.support.usage_rows import stored_count

# Every test runs on each usage store: SQLite, PostgreSQL, ClickHouse (tests/conftest.py).
USAGE_STORES = True


@pytest.fixture
async def client(
    database: Any, database_url: str, usage_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with ingest_client(database, database_url, usage_url) as http:
        yield http


async def _stored(database: Any) -> int:
    return await stored_count(database)


async def test_good_duplicate_and_bad_events(client: httpx.AsyncClient, database: Any) -> None:
    response = await client.post(
        "/v1/usage/events",
        json={
            "events": [
                bulk_event("a"),
                bulk_event("a"),
                bulk_event("b", timestamp="yesterday"),
                bulk_event("c", value=12.5),
                bulk_event("d", properties={"tokens": 0.1}, value=None),
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 2)
    assert [(e["index"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "events.2.timestamp", "INVALID_VALUE"),
        (3, "events.3.value", "INVALID_VALUE"),
    ]
    assert await _stored(database) == 2

    replay = (await client.post("/v1/usage/events", json={"events": [bulk_event("a")]})).json()
    assert (replay["accepted"], replay["duplicates"]) == (0, 1)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"events": {}}'],
    ids=["not-json", "not-an-object", "events-not-a-list"],
)
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/v1/usage/events", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["INVALID_VALUE"]


async def test_too_many_events_store_nothing(client: httpx.AsyncClient, database: Any) -> None:
    events = [bulk_event(f"e{i}") for i in range(10_001)]
    response = await client.post("/v1/usage/events", json={"events": events})
    assert response.status_code == 400
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 10_001)
    assert [e["code"] for e in body["errors"]] == ["BATCH_TOO_LARGE"]
    assert await _stored(database) == 0


async def test_bodies_orjson_refuses_are_read_as_before(
    client: httpx.AsyncClient, database: Any
) -> None:
    # The body is read with orjson, falling back to the standard library for what orjson
    # refuses and the standard library reads: an integer past 64 bits in properties.
    big = b'"properties": {"tokens": 123456789012345678901234567890}'
    event = (
        b'{"eventId": "big", "customerId": "acme", "metricKey": "tokens", '
        b'"timestamp": "2026-01-05T10:00:00Z", ' + big + b"}"
    )
    response = await client.post(
        "/v1/usage/events",
        content=b'{"events": [' + event + b"]}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    if getattr(database.usage, "client", None) is not None:  # ClickHouse: Decimal128(12)
        [error] = response.json()["errors"]
        assert (error["field"], error["code"]) == ("events.0.properties.tokens", "INVALID_VALUE")
        assert await _stored(database) == 0
        return
    assert response.json()["accepted"] == 1, response.text
    assert await _stored(database) == 1
