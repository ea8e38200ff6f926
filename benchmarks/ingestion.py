"""Ingestion throughput through the `ingestUsage` mutation on PostgreSQL.

    .venv/bin/python benchmarks/ingestion.py

Creates its own database on 127.0.0.1:5432 (user postgres or root, trust auth), migrates
it, and sends batches of 1,000 events two ways: to the bulk endpoint POST /v1/usage/events
through the ASGI app in-process (JSON decoding, validation, lookups, INSERT ... ON CONFLICT
and the contract check; no network), and through the `ingestUsage` mutation with
`schema.execute` and a real `Context` (GraphQL's input coercion on top). Prints the median
events/s of each, side by side, and drops the database. Target: >= 20,000 events/s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx
from _scratch import scratch_database

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.services.actor import SYSTEM
from pricing_graph.settings import Settings
from pricing_graph.store.catalog import MetricRow, ProductRow
from pricing_graph.store.contracts import ContractRow, CustomerRow
from pricing_graph.store.engine import make_engine, make_session_factory

HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))
BATCH = 1_000
BATCHES = 20
WARMUP = 3
CUSTOMERS = 50
IN_FLIGHT = 4
WORKERS = 2

INGEST = """
mutation Ingest($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) { accepted duplicates rejected unbilled errors { code } }
}
"""


async def _seed(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        product = ProductRow(key="api", name="API")
        session.add(product)
        session.add(
            MetricRow(
                key="tokens",
                name="Tokens",
                unit_label="tokens",
                aggregation="SUM",
                event_property="tokens",
                dimensions=["model"],
            )
        )
        customers = [CustomerRow(external_id=f"c{i}", name=f"C{i}") for i in range(CUSTOMERS)]
        session.add_all(customers)
        await session.flush()
        for customer in customers:
            assert customer.id is not None and product.id is not None
            session.add(
                ContractRow(
                    customer_id=customer.id,
                    product_id=product.id,
                    start_date=date(2024, 1, 1),
                    end_date=None,
                    billing_interval="MONTHLY",
                    billing_anchor="CONTRACT_START",
                )
            )


def _batch(number: int) -> list[dict[str, Any]]:
    start = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=number)
    return [
        {
            "eventId": f"b{number}-{i}",
            "customerId": f"c{i % CUSTOMERS}",
            "metricKey": "tokens",
            "timestamp": (start + timedelta(milliseconds=i)).isoformat(),
            "properties": {"tokens": 1000 + i, "request_id": f"r{number}-{i}"},
            "dimensions": [{"name": "model", "value": ("small", "large")[i % 2]}],
        }
        for i in range(BATCH)
    ]


# The bulk endpoint needs a key that may ingest (issue 9): an admin key of
# PRICING_GRAPH_API_KEYS, for the in-process app and the served one alike.
BENCH_KEY = "bench-ingestion-admin-key"
AUTHORIZATION = {"Authorization": f"Bearer {BENCH_KEY}"}


async def _post(
    client: httpx.AsyncClient, events: list[dict[str, Any]]
) -> tuple[float, dict[str, Any]]:
    """The bulk endpoint, through the ASGI app in-process (JSON encoding included)."""
    started = time.perf_counter()
    response = await client.post("/v1/usage/events", json={"events": events}, headers=AUTHORIZATION)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return elapsed, payload


async def _send(database: Database, events: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = await schema.execute(
        INGEST, variable_values={"events": events}, context_value=Context(database, actor=SYSTEM)
    )
    elapsed = time.perf_counter() - started
    assert result.errors is None and result.data is not None, result.errors
    payload: dict[str, Any] = result.data["ingestUsage"]
    return elapsed, payload


Send = Callable[[list[dict[str, Any]]], Awaitable[tuple[float, dict[str, Any]]]]


async def _measure(send: Send, first: int) -> tuple[list[float], list[float]]:
    """Events/s for fresh batches, then for the same batches replayed (all duplicates)."""
    batches = [_batch(n) for n in range(first, first + WARMUP + BATCHES)]
    for events in batches[:WARMUP]:
        await send(events)
    fresh = []
    for events in batches[WARMUP:]:
        elapsed, payload = await send(events)
        assert payload["accepted"] == BATCH and payload["errors"] == [], payload
        fresh.append(BATCH / elapsed)
    replays = []
    for events in batches[WARMUP:]:
        elapsed, payload = await send(events)
        assert payload["duplicates"] == BATCH, payload
        replays.append(BATCH / elapsed)
    return fresh, replays


async def _measure_concurrent(send: Send, first: int, in_flight: int) -> float:
    """Events/s with `in_flight` batches sent at once (the server overlaps one batch's
    database wait with another's validation), over BATCHES batches."""
    batches = [_batch(n) for n in range(first, first + BATCHES)]
    started = time.perf_counter()
    for offset in range(0, BATCHES, in_flight):
        results = await asyncio.gather(*(send(b) for b in batches[offset : offset + in_flight]))
        assert all(payload["accepted"] == BATCH for _, payload in results)
    return BATCH * BATCHES / (time.perf_counter() - started)


def _report(label: str, fresh: list[float], replays: list[float]) -> None:
    print(
        f"  {label:<34}: median {statistics.median(fresh):>7,.0f} events/s "
        f"({1000 * BATCH / statistics.median(fresh):.1f} ms per batch; "
        f"min {min(fresh):,.0f}, max {max(fresh):,.0f}); replays "
        f"{statistics.median(replays):,.0f} events/s"
    )


async def _over_http(url: str, workers: int) -> float:
    """Real HTTP to `pricing-graph serve --workers N` (uvicorn), IN_FLIGHT batches at once."""
    port = _free_port()
    env = {
        **os.environ,
        "PRICING_GRAPH_DATABASE_URL": url,
        "PRICING_GRAPH_LOG_LEVEL": "warning",
        "PRICING_GRAPH_API_KEYS": f"{BENCH_KEY}:admin",
    }
    command = [sys.executable, "-m", "pricing_graph.cli", "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--workers", str(workers)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            await _measure_concurrent(lambda events: _post(client, events), 3000, IN_FLIGHT)
            return await _measure_concurrent(lambda events: _post(client, events), 4000, IN_FLIGHT)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run(url: str) -> None:
    engine = make_engine(url)
    database = Database(engine=engine, sessions=make_session_factory(engine))
    app = create_app(Settings(database_url=url, api_keys={BENCH_KEY: frozenset({"admin"})}))
    transport = httpx.ASGITransport(app=app)
    try:
        await _seed(database)
        graphql = await _measure(lambda events: _send(database, events), 0)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        ):
            bulk = await _measure(lambda events: _post(client, events), 1000)
            bulk_parallel = await _measure_concurrent(
                lambda events: _post(client, events), 2000, IN_FLIGHT
            )
        served = await _over_http(url, WORKERS)
    finally:
        await engine.dispose()
    print(f"ingestion on PostgreSQL, {BATCHES} batches of {BATCH} events ({CUSTOMERS} customers)")
    _report("POST /v1/usage/events (bulk JSON)", *bulk)
    _report("ingestUsage (GraphQL mutation)", *graphql)
    print(
        f"  {'POST /v1/usage/events, ' + str(IN_FLIGHT) + ' batches in flight':<34}: "
        f"{bulk_parallel:>14,.0f} events/s overall"
    )
    print(
        f"  {f'HTTP, serve --workers {WORKERS}, {IN_FLIGHT} in flight':<34}: "
        f"{served:>14,.0f} events/s overall (real uvicorn, one worker per core)"
    )
    print("  target >= 20,000 events/s")


def main() -> None:
    with scratch_database("ingest") as db:
        if db is not None:
            asyncio.run(_run(db.url))


if __name__ == "__main__":
    main()
