"""Latency of `aggregate_usage` over 1,000,000 events of one customer on PostgreSQL, from
the hourly rollups and from the events alone.

    .venv/bin/python benchmarks/usage_aggregation.py

Creates its own database on 127.0.0.1:5432 (user postgres or root, trust auth), migrates
it, loads the events with INSERT ... SELECT generate_series (plus 200,000 events of another
customer, so the customer filter matters), and prints the median of repeated
`aggregate_usage` calls, each from the rollups (rebuilt after the load, as ingestion
would have kept them) and from the events (`aggregate_usage_many_from_events`), for:

  - one SUM metric with 4 dimension groups, 1,000,000 events, one monthly period;
  - the same 1,000,000 events over five metrics, one per aggregation;
  - the same events bucketed into 30 daily periods (the CASE over period bounds).

Target: the whole invoice preview <= 1 s, so aggregation should stay well under it.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import asyncpg
from _scratch import scratch_database

from pricing_graph.rating.models import Aggregation, Metric
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.usage_repo import (
    UsageRequest,
    aggregate_usage_many,
    aggregate_usage_many_from_events,
)
from pricing_graph.store.usage_rollup import REBUILD_POSTGRESQL

HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))
EVENTS = 1_000_000
OTHER_EVENTS = 200_000
RUNS = 7
JAN = datetime(2024, 1, 1, tzinfo=UTC)
FEB = datetime(2024, 2, 1, tzinfo=UTC)

# key -> (aggregation, event property, dimensions)
METRICS = {
    "tokens": (Aggregation.SUM, "tokens", ("model",)),
    "calls": (Aggregation.COUNT, None, ()),
    "users": (Aggregation.UNIQUE_COUNT, "user_id", ()),
    "peak_gb": (Aggregation.MAX, "gb", ()),
    "seats": (Aggregation.LATEST, "seats", ()),
}

# Every event lands in January 2024 (one every 2.5 s); values have 3 decimal places.
LOAD = """
INSERT INTO usage_event (customer_id, metric_id, event_id, occurred_at, value, unique_value,
                         group_key, dimensions, properties, ingested_at)
SELECT $1::int,
       CASE WHEN $3::boolean THEN ($2::int[])[1 + g % 5] ELSE ($2::int[])[1] END,
       'e' || g,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '2.5 seconds',
       ((g::bigint * 7919) % 100000) * 0.001,
       'u' || (g % 5000),
       '[["model","m' || (g % 4) || '"]]',
       json_build_object('model', 'm' || (g % 4)),
       '{}'::json,
       now()
FROM generate_series(0, $4::int - 1) AS g
"""


async def _load(user: str, name: str) -> tuple[int, dict[int, Metric]]:
    """Customers, metrics and events; returns the measured customer and the metrics."""
    connection = await asyncpg.connect(host=HOST, port=PORT, user=user, database=name)
    try:
        customer, other = [
            await connection.fetchval(
                "INSERT INTO customer (external_id, name, created_at) "
                "VALUES ($1, $1, now()) RETURNING id",
                key,
            )
            for key in ("acme", "other")
        ]
        metrics: dict[int, Metric] = {}
        for key, (aggregation, prop, dimensions) in METRICS.items():
            metric_id = await connection.fetchval(
                "INSERT INTO billable_metric (key, name, unit_label, aggregation, "
                "event_property, dimensions, created_at) "
                "VALUES ($1, $1, 'u', $2, $3, $4::json, now()) RETURNING id",
                key,
                aggregation.value,
                prop,
                "[" + ",".join(f'"{d}"' for d in dimensions) + "]",
            )
            metrics[metric_id] = Metric(
                key=key,
                name=key,
                unit_label="u",
                aggregation=aggregation,
                event_property=prop,
                dimensions=dimensions,
            )
        started = time.perf_counter()
        await connection.execute(LOAD, other, list(metrics), True, OTHER_EVENTS)
        await connection.execute(LOAD, customer, list(metrics), False, EVENTS)
        await connection.execute(REBUILD_POSTGRESQL)
        await connection.execute("ANALYZE usage_event; ANALYZE usage_rollup")
        print(
            f"loaded {EVENTS:,} + {OTHER_EVENTS:,} events in {time.perf_counter() - started:.1f} s"
        )
        return customer, metrics
    finally:
        await connection.close()


async def _spread(user: str, name: str, metric_ids: Sequence[int]) -> None:
    """Move the customer's events round-robin over all five metrics."""
    connection = await asyncpg.connect(host=HOST, port=PORT, user=user, database=name)
    try:
        await connection.execute(
            "UPDATE usage_event SET metric_id = ($1::int[])[1 + id % 5], "
            "group_key = CASE WHEN id % 5 = 0 THEN group_key ELSE '' END "
            "WHERE customer_id = (SELECT id FROM customer WHERE external_id = 'acme')",
            list(metric_ids),
        )
        await connection.execute(REBUILD_POSTGRESQL)
        await connection.execute("VACUUM ANALYZE usage_event")
        await connection.execute("VACUUM ANALYZE usage_rollup")
    finally:
        await connection.close()


async def _measure(
    url: str,
    label: str,
    customer: int,
    metrics: Mapping[int, Metric],
    periods: Sequence[tuple[datetime, datetime]],
) -> None:
    for source, aggregate in (
        ("rollups", aggregate_usage_many),
        ("events", aggregate_usage_many_from_events),
    ):
        await _measure_one(url, f"{label}, {source}", customer, metrics, periods, aggregate)


async def _measure_one(
    url: str,
    label: str,
    customer: int,
    metrics: Mapping[int, Metric],
    periods: Sequence[tuple[datetime, datetime]],
    aggregate: Any,
) -> None:
    request = UsageRequest(customer, tuple(sorted(metrics.items())), tuple(periods))
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    timings = []
    try:
        for _ in range(RUNS + 1):  # the first run warms the cache and is not counted
            async with sessions() as session:
                started = time.perf_counter()
                [snapshots] = await aggregate(session, [request])
                timings.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    entries = sum(len(s.usage) for s in snapshots)
    total = sum(u.quantity for u in snapshots[0].usage if u.metric_key == "tokens")
    print(
        f"  {label:<56} median {1000 * statistics.median(timings[1:]):7.1f} ms "
        f"(min {1000 * min(timings[1:]):.1f}; {entries} usage entries; "
        f"tokens in period 1 = {total})"
    )


async def _run(user: str, name: str, url: str) -> None:
    customer, metrics = await _load(user, name)
    tokens = {mid: m for mid, m in metrics.items() if m.key == "tokens"}
    month = [(JAN, FEB)]
    days = [(JAN + timedelta(days=d), JAN + timedelta(days=d + 1)) for d in range(30)]
    print(f"aggregate_usage on PostgreSQL, {EVENTS:,} events of one customer, median of {RUNS}")
    await _measure(url, "1 SUM metric, 4 groups, 1 period", customer, tokens, month)
    await _measure(url, "1 SUM metric, 4 groups, 30 daily periods", customer, tokens, days)
    await _spread(user, name, list(metrics))
    await _measure(url, "5 metrics (every aggregation), 1 period", customer, metrics, month)
    await _measure(url, "5 metrics (every aggregation), 30 daily periods", customer, metrics, days)


def main() -> None:
    with scratch_database("usage") as db:
        if db is not None:
            asyncio.run(_run(db.user, db.name, db.url))


if __name__ == "__main__":
    main()
