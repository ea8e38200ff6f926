"""Invoice preview of a contract with 1,000,000 events in its period, on PostgreSQL, through
the whole GraphQL stack (schema.execute with a real per-request context).

    .venv/bin/python benchmarks/invoice_preview.py

Creates its own database on 127.0.0.1:5432 (user postgres or root, trust auth), migrates it,
seeds the demo catalog, puts one customer on the seed 001 Pro Plan (gpt-4 / gpt-3.5 rate
card), loads 1,000,000 usage events in January 2026 with INSERT ... SELECT generate_series,
and prints the median of repeated previews next to the aggregation alone. Target: <= 1 s.
"""

from __future__ import annotations

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

HOST = os.environ.get("PRICING_GRAPH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PRICING_GRAPH_TEST_PG_PORT", "5432"))
EVENTS = 1_000_000
RUNS = 5

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

# One event every 2.6 s through January; 1 in 5 is gpt-4, each worth 1.000 unit.
LOAD = """
INSERT INTO usage_event (customer_id, metric_id, event_id, occurred_at, value, group_key,
                         dimensions, properties, ingested_at)
SELECT $1::int, $2::int, 'e' || g,
       timestamptz '2026-01-01 00:00:00+00' + (g * interval '2.6 seconds'),
       1.000,
       CASE WHEN g % 5 = 0 THEN $3 ELSE $4 END,
       CASE WHEN g % 5 = 0 THEN '{"model": "gpt-4"}'::json ELSE '{"model": "gpt-3.5"}'::json END,
       '{}'::json, now()
FROM generate_series(1, $5::int) AS g
"""


async def _execute(database: Database, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(
        query, variable_values=variables, context_value=Context(database, actor=SYSTEM)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def _run(db: Scratch) -> None:
    engine = make_engine(db.url)
    database = Database(engine=engine, sessions=make_session_factory(engine))
    try:
        await seed_database(database)
        plan = (await _execute(database, '{ plan(key: "pro-plan") { id } }'))["plan"]["id"]
        customer = (await _execute(database, SETUP))["createCustomer"]["customer"]["id"]
        created = await _execute(database, CONTRACT, customer=customer, plan=plan)
        contract = created["createContract"]["contract"]["id"]

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
            EVENTS,
        )
        await raw.execute("ANALYZE usage_event")
        load_s = time.perf_counter() - started
        await raw.close()

        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            data = await _execute(database, PREVIEW, id=contract)
            timings.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    invoice = data["contract"]["invoicePreview"]
    print(f"events loaded: {EVENTS:,} in {load_s:.1f} s")
    print(f"invoice: subtotal {invoice['subtotal']}, lines {invoice['lines']}")
    print(
        f"invoice preview, 1,000,000 events, PostgreSQL, full GraphQL stack: median "
        f"{statistics.median(timings) * 1000:.0f} ms over {RUNS} runs "
        f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f}; target <= 1000 ms)"
    )


def main() -> None:
    with scratch_database("preview") as db:
        if db is not None:
            asyncio.run(_run(db))


if __name__ == "__main__":
    main()
