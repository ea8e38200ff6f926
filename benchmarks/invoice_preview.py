"""Invoice preview of a contract with 1,000,000 events in its period, on PostgreSQL, through
the whole GraphQL stack (schema.execute with a real per-request context).

    .venv/bin/python benchmarks/invoice_preview.py [--events N] [--calls N] [--plans MODE]

Creates its own database on 127.0.0.1:5432 (user postgres or root, trust auth), migrates it,
seeds the demo catalog, puts one customer on the seed 001 Pro Plan (gpt-4 / gpt-3.5 rate
card), loads 1,000,000 usage events in January 2026 with INSERT ... SELECT generate_series,
stored out of time order (and 200 each for 1,000 other customers, so that the planner sees
a table like production's), rebuilds their hourly rollups (which the preview's SUM reads
since issue 11, so the plan-cache cliff below no longer shows here), and times `--calls`
previews (default 10) on ONE connection per plan mode (a pool of one):

- `auto`: PostgreSQL's default plan_cache_mode. asyncpg prepares every statement, and from
  the 6th execution on a connection the server may pick a generic plan; for the usage
  aggregation of a big customer that plan is the cliff this benchmark shows (calls 6-10).
- `custom`: `plan_cache_mode=force_custom_plan`, what `store.engine.make_engine` sets on
  every connection since issue 11.

`--plans both` (the default) runs the two side by side, call by call interleaved (the same
cache warmth and machine load for both), and prints every call, the medians of calls 1-5
and 6-10, and the load average. Target: <= 1 s per preview, every call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _scratch import Scratch, scratch_database

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database
from pricing_graph.services.actor import SYSTEM
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.usage_repo import group_key
from pricing_graph.store.usage_rollup import REBUILD_POSTGRESQL

HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))
EVENTS = 1_000_000
OTHERS = 1_000  # other customers, OTHER_EACH events each
OTHER_EACH = 200
CALLS = 10  # >= 10: the generic plan can only appear from the 6th call on
MODES = {"auto": "auto", "custom": "force_custom_plan"}

SETUP = """
mutation {
  createCustomer(input: {externalId: "bench", name: "Bench Inc"}) { customer { id } }
}
"""
CONTRACT = """
mutation($customer: ID!, $plan: ID!) {
  createContract(input: {customerId: $customer, planId: $plan, startDate: "2026-01-01"}) {
    contract { id } errors { code message }
  }
}
"""
PREVIEW = """
query($id: ID!) { contract(id: $id) { invoicePreview(periodIndex: 0) {
  lines { quantity unitPrice amount } subtotal total } } }
"""

# One event every 2.6 s through January; 1 in 5 is gpt-4, each worth 1.000 unit. They are
# stored out of time order (slot g * 7919 mod N: many sources, retries, late events), as
# production's are: an index scan in time order then jumps around the table, which is what
# makes the generic plan's index scan slow (on rows stored in time order it is about as
# fast as the custom plan's sequential scan).
LOAD = """
INSERT INTO usage_event (customer_id, metric_id, event_id, occurred_at, value, group_key,
                         dimensions, properties, ingested_at)
SELECT $1::int, $2::int, 'e' || g,
       timestamptz '2026-01-01 00:00:00+00'
           + (((g::bigint * 7919) % $5) * interval '2.6 seconds'),
       1.000,
       CASE WHEN g % 5 = 0 THEN $3 ELSE $4 END,
       CASE WHEN g % 5 = 0 THEN '{"model": "gpt-4"}'::json ELSE '{"model": "gpt-3.5"}'::json END,
       '{}'::json, now()
FROM generate_series(1, $5::bigint) AS g
"""

# Everyone else: small customers with a few hundred events each in the same month. They
# make the table look like production to the planner (about 1,000 distinct customers), which
# is what the generic plan is estimated from.
OTHER_CUSTOMERS = """
INSERT INTO customer (external_id, name, created_at)
SELECT 'other-' || c, 'Other ' || c, now() FROM generate_series(1, $1::int) AS c
"""
OTHER_EVENTS = """
INSERT INTO usage_event (customer_id, metric_id, event_id, occurred_at, value, group_key,
                         dimensions, properties, ingested_at)
SELECT c.id, $1::int, 'o' || g,
       timestamptz '2026-01-01 00:00:00+00' + (g * interval '1 hour'),
       1.000, $2, '{"model": "gpt-3.5"}'::json, '{}'::json, now()
FROM customer AS c CROSS JOIN generate_series(1, $3::int) AS g
WHERE c.external_id LIKE 'other-%'
"""


async def _execute(database: Database, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(
        query, variable_values=variables, context_value=Context(database, actor=SYSTEM)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def _engine(url: str, mode: str) -> Database:
    """One connection (pool of one, no overflow), with the plan cache mode given."""
    engine = make_engine(
        url,
        pool_size=1,
        max_overflow=0,
        connect_args={"server_settings": {"plan_cache_mode": MODES[mode]}},
    )
    return Database(engine=engine, sessions=make_session_factory(engine))


async def _run(db: Scratch, events: int, others: int, calls: int, modes: list[str]) -> None:
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
    customer_id = await raw.fetchval("SELECT id FROM customer WHERE external_id = 'bench'")
    metric_id = await raw.fetchval("SELECT id FROM billable_metric WHERE key = 'model_units'")
    started = time.perf_counter()
    await raw.execute(
        LOAD,
        customer_id,
        metric_id,
        group_key({"model": "gpt-4"}),
        group_key({"model": "gpt-3.5"}),
        events,
    )
    await raw.execute(OTHER_CUSTOMERS, others)
    await raw.execute(OTHER_EVENTS, metric_id, group_key({"model": "gpt-3.5"}), OTHER_EACH)
    await raw.execute(REBUILD_POSTGRESQL)  # the hourly rollups ingestion would have kept
    await raw.execute("ANALYZE")
    load_s = time.perf_counter() - started
    await raw.close()

    databases = {mode: _engine(db.url, mode) for mode in modes}
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    subtotals: set[str] = set()
    load_before = os.getloadavg()
    try:
        for _ in range(calls):
            for mode in modes:  # interleaved: the same warmth and load for every mode
                started = time.perf_counter()
                data = await _execute(databases[mode], PREVIEW, id=contract)
                timings[mode].append(time.perf_counter() - started)
                subtotals.add(data["contract"]["invoicePreview"]["subtotal"])
    finally:
        for database in databases.values():
            await database.engine.dispose()
    load_after = os.getloadavg()
    assert len(subtotals) == 1, subtotals  # every mode, every call: the same invoice

    invoice = data["contract"]["invoicePreview"]
    print(
        f"events loaded: {events:,} for the previewed customer, {others * OTHER_EACH:,} for "
        f"{others:,} others, in {load_s:.1f} s"
    )
    print(f"invoice: subtotal {invoice['subtotal']}, lines {invoice['lines']}")
    print(
        f"invoice preview, {events:,} events, PostgreSQL 15, full GraphQL stack, "
        f"{calls} calls on one connection per mode (ms)"
    )
    labels = {"auto": "plan_cache_mode=auto", "custom": "force_custom_plan"}
    print("  call  " + "".join(f"{labels[mode]:>22}" for mode in modes))
    for call in range(calls):
        print(f"  {call + 1:>4}  " + "".join(f"{timings[m][call] * 1000:>22.0f}" for m in modes))
    for first, last in ((1, 5), (6, calls)):
        if last < first:
            continue
        print(
            f"  median of calls {first}-{last}: "
            + ", ".join(
                f"{labels[m]} {statistics.median(timings[m][first - 1 : last]) * 1000:.0f} ms"
                for m in modes
            )
        )
    for mode in modes:
        print(
            f"invoice preview, {events:,} events, {labels[mode]}: median "
            f"{statistics.median(timings[mode]) * 1000:.0f} ms over {calls} calls "
            f"(min {min(timings[mode]) * 1000:.0f}, max {max(timings[mode]) * 1000:.0f}; "
            "target <= 1000 ms)"
        )
    print(
        "load average (1, 5, 15 min): before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_after)
        + f" ({os.cpu_count()} cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--others", type=int, default=OTHERS)
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--plans", choices=("both", *MODES), default="both")
    arguments = parser.parse_args()
    modes = list(MODES) if arguments.plans == "both" else [arguments.plans]
    with scratch_database("preview") as db:
        if db is not None:
            asyncio.run(_run(db, arguments.events, arguments.others, arguments.calls, modes))


if __name__ == "__main__":
    main()
