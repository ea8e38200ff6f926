"""Usage at scale on PostgreSQL (issue 11): invoice preview from the hourly rollups, and
ingestion over HTTP against a bare COPY of the same rows, in one run.

    .venv/bin/python benchmarks/usage_scale.py [--quick] [--events N] [--calls N] [--ingest-only]

Creates its own database on 127.0.0.1:5432 (user postgres or root, trust auth; skips with a
message when there is none), migrates it, and:

1. Preview. Seeds the demo catalog, puts one customer on the Pro Plan, and loads its
   events for January 2026 with INSERT ... SELECT generate_series (loading millions through
   the API would take most of an hour here), stored out of time order, plus 200 each for
   1,000 other customers (the secondary indexes dropped during the load and built after
   it, as for any bulk load); then builds their hourly rollups with one INSERT ... SELECT ...
   GROUP BY (what ingestion keeps row by row). Times `--calls` invoice previews through the
   full GraphQL stack on ONE connection (a pool of one, connected before the first call):
   median and worst, every call counted (the first one fills the process's caches).
2. Ingestion. Starts `pricing-graph serve --workers IN_FLIGHT` (uvicorn) and sends
   batches of 1,000 new events to POST /v1/usage/events over real HTTP, rounds of HTTP
   batches and rounds of `COPY` (asyncpg `copy_records_to_table`, the same 1,000 rows
   each, straight into usage_event, no deduplication, no rollups, no validation) taking
   turns, so both see the same machine load. Prints events/s of each and the ratio, for 1
   and for IN_FLIGHT batches at once (the COPY side with as many connections, so each
   side has as many processes), the server processes' CPU time per batch, and the CPU time
   of PostgreSQL's server processes per batch on each side (Linux's /proc).

Default: 10,000,000 events and 20 calls; `--quick`: 1,000,000 events and 5 calls;
`--ingest-only`: step 2 alone (the demo catalog seeded, no events loaded, no preview;
under a minute). The last line reads `preview_ms=<median> ingest_ratio_vs_copy=<ratio>`
(the ratio with IN_FLIGHT batches in flight; `preview_ms=-` with `--ingest-only`).
Targets: preview <= 100 ms median and <= 150 ms worst; ingestion >= 60% of COPY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx
from _scratch import Scratch, scratch_database
from invoice_preview import (
    CONTRACT,
    OTHER_CUSTOMERS,
    OTHER_EACH,
    OTHER_EVENTS,
    OTHERS,
    PREVIEW,
    SETUP,
    _engine,
    _execute,
)

from pricing_graph.demo.seed import seed_database
from pricing_graph.store.usage_copy import COLUMNS
from pricing_graph.store.usage_repo import group_key
from pricing_graph.store.usage_rollup import REBUILD_POSTGRESQL

EVENTS = 10_000_000
CALLS = 20
QUICK_EVENTS = 1_000_000
QUICK_CALLS = 5
BATCH = 1_000
ROUNDS = 11  # rounds per side, IN_FLIGHT batches each; the first round of each is warm-up
IN_FLIGHT = 4
CUSTOMERS = 50
KEY = "bench-usage-scale-admin-key"


# --------------------------------------------------------------------------- preview

# The previewed customer's events, all in January 2026 however many (invoice_preview's LOAD
# spaces them 2.6 s apart, for 1,000,000), stored out of time order as there.
LOAD = """
INSERT INTO usage_event (customer_id, metric_id, event_id, occurred_at, value, group_key,
                         dimensions, properties, ingested_at)
SELECT $1::int, $2::int, 'e' || g,
       timestamptz '2026-01-01 00:00:00+00'
           + ((g::bigint * 7919) % $5)::float8 * (2678400.0 / $5) * interval '1 second',
       1.000,
       CASE WHEN g % 5 = 0 THEN $3 ELSE $4 END,
       CASE WHEN g % 5 = 0 THEN '{"model": "gpt-4"}'::json ELSE '{"model": "gpt-3.5"}'::json END,
       '{}'::json, now()
FROM generate_series(1, $5::bigint) AS g
"""
DROP_INDEXES = """
ALTER TABLE usage_event DROP CONSTRAINT uq_usage_event_customer_id_event_id;
DROP INDEX ix_usage_event_customer_metric_time;
"""
CREATE_INDEXES = """
ALTER TABLE usage_event ADD CONSTRAINT uq_usage_event_customer_id_event_id
    UNIQUE (customer_id, event_id);
CREATE INDEX ix_usage_event_customer_metric_time
    ON usage_event (customer_id, metric_id, occurred_at);
"""


async def _preview(db: Scratch, events: int, calls: int) -> list[float]:
    setup = _engine(db.url, "custom")
    try:
        await seed_database(setup)
        plan = (await _execute(setup, '{ plan(key: "pro-plan") { id } }'))["plan"]["id"]
        customer = (await _execute(setup, SETUP))["createCustomer"]["customer"]["id"]
        created = await _execute(setup, CONTRACT, customer=customer, plan=plan)
        contract = created["createContract"]["contract"]["id"]
    finally:
        await setup.engine.dispose()

    raw = await db.connect()
    try:
        customer_id = await raw.fetchval("SELECT id FROM customer WHERE external_id = 'bench'")
        metric_id = await raw.fetchval("SELECT id FROM billable_metric WHERE key = 'model_units'")
        started = time.perf_counter()
        # A bulk load's usual steps: the secondary indexes built once after it, the foreign
        # keys (of rows just read from the tables they point to) not checked row by row.
        await raw.execute(DROP_INDEXES)
        await raw.execute("SET maintenance_work_mem = '256MB'")
        if await raw.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            await raw.execute("SET session_replication_role = replica")
        await raw.execute(
            LOAD,
            customer_id,
            metric_id,
            group_key({"model": "gpt-4"}),
            group_key({"model": "gpt-3.5"}),
            events,
        )
        await raw.execute(OTHER_CUSTOMERS, OTHERS)
        await raw.execute(OTHER_EVENTS, metric_id, group_key({"model": "gpt-3.5"}), OTHER_EACH)
        await raw.execute("SET session_replication_role = DEFAULT")
        await raw.execute(CREATE_INDEXES)
        loaded = time.perf_counter()
        await raw.execute(REBUILD_POSTGRESQL)
        await raw.execute("ANALYZE")
        rolled = time.perf_counter()
        hours, counted = await raw.fetchrow(
            "SELECT count(*), sum(event_count) FROM usage_rollup WHERE customer_id = $1",
            customer_id,
        )
        assert counted == events, (counted, events)  # every event in its hour
        in_january = await raw.fetchval(
            "SELECT sum(event_count) FROM usage_rollup WHERE customer_id = $1 "
            "AND hour < '2026-02-01T00:00:00Z'",
            customer_id,
        )
        assert in_january == events, (in_january, events)  # all in the previewed period
        sizes = await raw.fetchrow(
            "SELECT pg_total_relation_size('usage_event'), pg_total_relation_size('usage_rollup')"
        )
    finally:
        await raw.close()
    print(
        f"loaded {events:,} events of the previewed customer and {OTHERS * OTHER_EACH:,} of "
        f"{OTHERS:,} others with generate_series in {loaded - started:.1f} s (indexes "
        f"included); rollups built in {rolled - loaded:.1f} s ({hours:,} hour rows for "
        "the previewed customer)"
    )
    print(
        f"on disk with their indexes: usage_event {sizes[0] / 2**20:,.0f} MiB, usage_rollup "
        f"{sizes[1] / 2**20:,.1f} MiB"
    )

    database = _engine(db.url, "custom")  # one connection, as every call of a request
    timings = []
    subtotals = set()
    try:
        async with database.engine.connect() as connection:  # connected before the clock
            await connection.exec_driver_sql("SELECT 1")
        for _ in range(calls):
            started = time.perf_counter()
            data = await _execute(database, PREVIEW, id=contract)
            timings.append(time.perf_counter() - started)
            subtotals.add(data["contract"]["invoicePreview"]["subtotal"])
    finally:
        await database.engine.dispose()
    assert len(subtotals) == 1, subtotals
    lines = [
        (line["quantity"], line["amount"]) for line in data["contract"]["invoicePreview"]["lines"]
    ]
    print(f"invoice: subtotal {subtotals.pop()}, lines (quantity, amount) {lines}")
    print("  " + " ".join(f"{t * 1000:.0f}" for t in timings) + " ms (every call, in order)")
    print(
        f"invoice preview, {events:,} events, {calls} calls on one connection: median "
        f"{statistics.median(timings) * 1000:.1f} ms, worst {max(timings) * 1000:.1f} ms "
        "(target <= 100 ms median, <= 150 ms worst)"
    )
    return timings


# --------------------------------------------------------------------------- ingestion


async def _seed_catalog(db: Scratch) -> None:
    """The demo catalog alone (its `model_units` metric), for `--ingest-only`."""
    setup = _engine(db.url, "custom")
    try:
        await seed_database(setup)
    finally:
        await setup.engine.dispose()


def _events(number: int) -> list[dict[str, Any]]:
    start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=number)
    return [
        {
            "eventId": f"h{number}-{i}",
            "customerId": f"ingest-{i % CUSTOMERS}",
            "metricKey": "model_units",
            "timestamp": (start + timedelta(milliseconds=i)).isoformat(),
            "value": str(1000 + i),
            "properties": {"request_id": f"r{number}-{i}"},
            "dimensions": [{"name": "model", "value": ("gpt-4", "gpt-3.5")[i % 2]}],
        }
        for i in range(BATCH)
    ]


def _records(number: int, customers: dict[str, int], metric_id: int) -> list[tuple[Any, ...]]:
    """The rows the endpoint would store for `_events(number)` (other event IDs)."""
    now = datetime.now(UTC)
    return [
        (
            customers[event["customerId"]],
            metric_id,
            "c" + event["eventId"],
            datetime.fromisoformat(event["timestamp"]),
            Decimal(event["value"]),
            None,
            group_key({"model": event["dimensions"][0]["value"]}),
            json.dumps({"model": event["dimensions"][0]["value"]}),
            json.dumps(event["properties"]),
            now,
        )
        for event in _events(number)
    ]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (the workers), from
    Linux's /proc; 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(child) for child in children)


async def _backends(raw: Any, db: Scratch) -> list[int]:
    """The PostgreSQL server processes of the scratch database's connections."""
    return [
        pid
        for (pid,) in await raw.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            db.name,
        )
    ]


def _backend_cpu(pids: list[int]) -> float:
    return sum(_cpu_seconds(pid) for pid in pids)


async def _ingestion(db: Scratch) -> dict[int, tuple[float, float, float, float, float]]:
    """in flight -> (HTTP events/s, COPY events/s, server CPU ms per batch, PostgreSQL CPU
    ms per batch for HTTP, for COPY)."""
    raw = await db.connect()
    try:
        await raw.execute(
            "INSERT INTO customer (external_id, name, created_at) "
            "SELECT 'ingest-' || c, 'Ingest ' || c, now() FROM generate_series(0, $1) AS c",
            CUSTOMERS - 1,
        )
        customers = dict(
            await raw.fetch(
                "SELECT external_id, id FROM customer WHERE external_id LIKE 'ingest-%'"
            )
        )
        metric_id = await raw.fetchval("SELECT id FROM billable_metric WHERE key = 'model_units'")
    finally:
        await raw.close()

    port = _free_port()
    env = {
        **os.environ,
        "PRICING_GRAPH_DATABASE_URL": db.url,
        "PRICING_GRAPH_LOG_LEVEL": "warning",
        "PRICING_GRAPH_API_KEYS": f"{KEY}:admin",
    }
    # As many worker processes as batches in flight, as COPY gets as many connections
    # (server processes): under CPU contention each process gets its own share.
    command = [sys.executable, "-m", "pricing_graph.cli", "serve", "--port", str(port)]
    command += ["--workers", str(IN_FLIGHT)]
    server = subprocess.Popen(command, env=env)
    copiers = [await db.connect() for _ in range(IN_FLIGHT)]
    copy_pids = [copier.get_server_pid() for copier in copiers]
    watcher = await db.connect()  # finds the server's connections to the database
    results: dict[int, tuple[float, float, float, float, float]] = {}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=120,
            headers={"Authorization": f"Bearer {KEY}"},
        ) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            for _ in range(60):  # until every worker has started (its CPU stops growing)
                idle = _cpu_seconds(server.pid)
                await asyncio.sleep(0.5)
                if _cpu_seconds(server.pid) - idle < 0.02:
                    break
            number = 0
            for in_flight in (1, IN_FLIGHT):
                http_rates, copy_rates, cpu, http_pg, copy_pg = [], [], [], [], []
                for round_ in range(ROUNDS):
                    numbers = list(range(number, number + in_flight))
                    number += in_flight
                    bodies = [json.dumps({"events": _events(n)}) for n in numbers]
                    records = [_records(n, customers, metric_id) for n in numbers]
                    served = [p for p in await _backends(watcher, db) if p not in copy_pids]
                    pg_before = _backend_cpu(served)
                    cpu_before = _cpu_seconds(server.pid)
                    started = time.perf_counter()
                    responses = await asyncio.gather(
                        *(
                            client.post(
                                "/v1/usage/events",
                                content=body,
                                headers={"content-type": "application/json"},
                            )
                            for body in bodies
                        )
                    )
                    http_s = time.perf_counter() - started
                    server_cpu = (_cpu_seconds(server.pid) - cpu_before) / in_flight
                    # connections the pool opened during the round count from zero
                    served_after = [p for p in await _backends(watcher, db) if p not in copy_pids]
                    http_pg_cpu = (_backend_cpu(served_after) - pg_before) / in_flight
                    for response in responses:
                        assert response.status_code == 200, response.text
                        assert response.json()["accepted"] == BATCH, response.text
                    copy_before = _backend_cpu(copy_pids)
                    started = time.perf_counter()
                    await asyncio.gather(
                        *(
                            copier.copy_records_to_table(
                                "usage_event", records=rows, columns=COLUMNS
                            )
                            for copier, rows in zip(copiers, records, strict=False)
                        )
                    )
                    copy_s = time.perf_counter() - started
                    copy_pg_cpu = (_backend_cpu(copy_pids) - copy_before) / in_flight
                    if round_:  # the first round warms both up
                        http_rates.append(in_flight * BATCH / http_s)
                        copy_rates.append(in_flight * BATCH / copy_s)
                        cpu.append(server_cpu * 1000)
                        http_pg.append(http_pg_cpu * 1000)
                        copy_pg.append(copy_pg_cpu * 1000)
                results[in_flight] = (
                    statistics.median(http_rates),
                    statistics.median(copy_rates),
                    # means: /proc counts in 10 ms ticks, too coarse for one round's median
                    statistics.mean(cpu),
                    statistics.mean(http_pg),
                    statistics.mean(copy_pg),
                )
    finally:
        await watcher.close()
        for copier in copiers:
            await copier.close()
        server.terminate()
        server.wait(timeout=30)
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000,000 events and 5 calls")
    parser.add_argument("--events", type=int, help=f"events to preview (default {EVENTS:,})")
    parser.add_argument("--calls", type=int, help=f"previews on one connection (default {CALLS})")
    parser.add_argument(
        "--ingest-only", action="store_true", help="only the ingestion against COPY (step 2)"
    )
    arguments = parser.parse_args()
    events = arguments.events or (QUICK_EVENTS if arguments.quick else EVENTS)
    calls = arguments.calls or (QUICK_CALLS if arguments.quick else CALLS)
    load_before = os.getloadavg()
    with scratch_database("scale") as db:
        if db is None:
            return
        if arguments.ingest_only:
            asyncio.run(_seed_catalog(db))
            timings: list[float] = []
        else:
            timings = asyncio.run(_preview(db, events, calls))
        rates = asyncio.run(_ingestion(db))
    print(f"ingestion on PostgreSQL, batches of {BATCH:,} new events, median events/s")
    for in_flight, (http_rate, copy_rate, cpu_ms, http_pg, copy_pg) in rates.items():
        print(
            f"  {in_flight} in flight: POST /v1/usage/events over HTTP {http_rate:,.0f}, "
            f"bare COPY {copy_rate:,.0f}: {http_rate / copy_rate:.0%} of COPY (target >= 60%); "
            f"CPU per batch (mean): server processes {cpu_ms:.1f} ms; PostgreSQL {http_pg:.1f} "
            f"ms for HTTP, {copy_pg:.1f} ms for COPY"
        )
    print(
        "load average (1, 5, 15 min): before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f" ({os.cpu_count()} cores)"
    )
    http_rate, copy_rate, *_ = rates[IN_FLIGHT]
    preview = f"{statistics.median(timings) * 1000:.1f}" if timings else "-"
    print(f"preview_ms={preview} ingest_ratio_vs_copy={http_rate / copy_rate:.2f}")


if __name__ == "__main__":
    main()
