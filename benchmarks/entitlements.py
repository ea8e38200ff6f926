"""Latency of `checkEntitlement`, the gateway's per-request question, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/entitlements.py [--events 100000] [--calls 200]

Seeds the demo (Startup Inc on the Pro Plan, whose `model_units` limit is 10,000,000 a
month, HARD), adds `--events` January 2026 events of Startup Inc's `model_units` (so the
aggregate has rows to read), then times `--calls` checks through the GraphQL schema (no
HTTP), taking turns: a metered check (the one usage aggregate; refused, so the upgrade
query runs too), a feature check, and the metered check called on the service directly
(`service`: no GraphQL parsing, validation or result mapping). Prints
the median and 95th percentile in ms per backend. PostgreSQL is skipped with a message when
unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _scratch import scratch_database
from sqlalchemy import text

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database
from pricing_graph.services import entitlements
from pricing_graph.services.actor import SYSTEM
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.migrate import upgrade
from pricing_graph.store.usage import UsageEventRow

METERED = """
{ checkEntitlement(customerId: "startup-inc", metricKey: "model_units", quantity: "4000000",
                   date: "2026-01-31") { allowed used remaining } }
"""
FEATURE = """
{ checkEntitlement(customerId: "startup-inc", featureKey: "rate_card", date: "2026-01-31")
  { allowed } }
"""
JAN = datetime(2026, 1, 1, tzinfo=UTC)
CHECKED_ON = date(2026, 1, 31)


async def _load_events(database: Database, count: int) -> None:
    """`count` more January events of Startup Inc's model_units, 1 unit each (gpt-4)."""
    async with database.engine.begin() as connection:
        ids = (
            await connection.execute(
                text(
                    "SELECT c.id, m.id FROM customer c, billable_metric m "
                    "WHERE c.external_id = 'startup-inc' AND m.key = 'model_units'"
                )
            )
        ).one()
        step = timedelta(days=30) / max(count, 1)
        rows = [
            {
                "customer_id": ids[0],
                "metric_id": ids[1],
                "event_id": f"bench-{n}",
                "occurred_at": JAN + step * n,
                "value": Decimal(1),
                "group_key": '[["model","gpt-4"]]',
                "dimensions": {"model": "gpt-4"},
                "properties": {},
                "ingested_at": JAN,
            }
            for n in range(count)
        ]
        # through the table's column types (SQLite stores times and decimals as canonical text)
        statement = UsageEventRow.__table__.insert()  # type: ignore[attr-defined]
        for start in range(0, len(rows), 10_000):
            await connection.execute(statement, rows[start : start + 10_000])


async def _ask(database: Database, query: str) -> dict[str, Any]:
    result = await schema.execute(query, context_value=Context(database, actor=SYSTEM))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def _run(url: str, events: int, calls: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    database = Database(engine=engine, sessions=make_session_factory(engine))
    try:
        await seed_database(database)
        await _load_events(database, events)
        answer = await _ask(database, METERED)
        print(f"  answer: {answer['checkEntitlement']}")
        timings: dict[str, list[float]] = {"metered": [], "feature": [], "service": []}
        question = entitlements.EntitlementQuestion(
            "startup-inc", metric_key="model_units", quantity=Decimal(4_000_000)
        )
        for _ in range(calls):
            for name, query in (("metered", METERED), ("feature", FEATURE)):
                started = time.perf_counter()
                await _ask(database, query)
                timings[name].append((time.perf_counter() - started) * 1000)
            # the same metered check without GraphQL: the service on a fresh unit of work
            started = time.perf_counter()
            uow = UnitOfWork(database)
            try:
                await entitlements.check_entitlement(uow, SYSTEM, question, today=CHECKED_ON)
            finally:
                await uow.close()
            timings["service"].append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await engine.dispose()


def _report(backend: str, events: int, timings: dict[str, list[float]]) -> None:
    for name, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(
            f"{backend:10} {name:8} checkEntitlement, {events:,} events in the period: "
            f"median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms ({len(values)} calls)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade(url)
        _report("sqlite", args.events, asyncio.run(_run(url, args.events, args.calls)))
    with scratch_database("entitlements") as scratch:
        if scratch is not None:
            timings = asyncio.run(_run(scratch.url, args.events, args.calls))
            _report("postgresql", args.events, timings)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
