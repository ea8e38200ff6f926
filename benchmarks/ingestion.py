"""Ingestion throughput through the `ingestUsage` mutation on PostgreSQL.

    .venv/bin/python benchmarks/ingestion.py

Creates its own database on 127.0.0.1:5432 (user postgres or root, trust auth), migrates
it, sends batches of 1,000 events through `schema.execute` with a real `Context` (the
GraphQL input coercion, validation, lookups, INSERT ... ON CONFLICT and contract check
all included; no HTTP), prints the median events/s over the batches, and drops the
database. Target: >= 20,000 events/s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import asyncpg

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.store.catalog import MetricRow, ProductRow
from pricing_graph.store.contracts import ContractRow, CustomerRow
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.migrate import upgrade

HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))
BATCH = 1_000
BATCHES = 20
WARMUP = 3
CUSTOMERS = 50

INGEST = """
mutation Ingest($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) { accepted duplicates rejected unbilled errors { code } }
}
"""


async def _admin_user() -> str | None:
    for user in ("postgres", "root"):
        try:
            connection = await asyncpg.connect(
                host=HOST, port=PORT, user=user, database="test", timeout=3
            )
        except Exception:
            continue
        await connection.close()
        return user
    return None


async def _admin(user: str, statement: str) -> None:
    connection = await asyncpg.connect(host=HOST, port=PORT, user=user, database="test")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


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


async def _send(database: Database, events: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = await schema.execute(
        INGEST, variable_values={"events": events}, context_value=Context(database)
    )
    elapsed = time.perf_counter() - started
    assert result.errors is None and result.data is not None, result.errors
    payload: dict[str, Any] = result.data["ingestUsage"]
    return elapsed, payload


async def _run(url: str) -> None:
    engine = make_engine(url)
    database = Database(engine=engine, sessions=make_session_factory(engine))
    try:
        await _seed(database)
        batches = [_batch(n) for n in range(WARMUP + BATCHES)]
        for events in batches[:WARMUP]:
            await _send(database, events)
        fresh = []
        for events in batches[WARMUP:]:
            elapsed, payload = await _send(database, events)
            assert payload["accepted"] == BATCH and payload["errors"] == [], payload
            fresh.append(BATCH / elapsed)
        replays = []
        for events in batches[WARMUP:]:
            elapsed, payload = await _send(database, events)
            assert payload["duplicates"] == BATCH, payload
            replays.append(BATCH / elapsed)
    finally:
        await engine.dispose()
    print(f"ingestUsage on PostgreSQL, {BATCHES} batches of {BATCH} events ({CUSTOMERS} customers)")
    print(
        f"  new events : median {statistics.median(fresh):>9,.0f} events/s "
        f"(min {min(fresh):,.0f}, max {max(fresh):,.0f}; "
        f"{1000 * BATCH / statistics.median(fresh):.1f} ms per batch)  target >= 20,000"
    )
    print(
        f"  replays    : median {statistics.median(replays):>9,.0f} events/s "
        f"(all duplicates, nothing written)"
    )


def main() -> None:
    user = asyncio.run(_admin_user())
    if user is None:
        print(f"SKIP: PostgreSQL at {HOST}:{PORT} is unreachable (users postgres, root)")
        return
    name = f"pricing_graph_bench_ingest_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(user, f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql+asyncpg://{user}@{HOST}:{PORT}/{name}"
        upgrade(url)
        asyncio.run(_run(url))
    finally:
        asyncio.run(_admin(user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
