"""The ClickHouse usage store: ingestion in batches of 10,000, and an invoice preview over
many events (issue 11's ClickHouse targets: >= 100,000 events/s, a preview <= 200 ms at
100M events).

    .venv/bin/python benchmarks/usage_clickhouse.py [--events N] [--full] [--calls N]

The server: PRICING_GRAPH_TEST_CLICKHOUSE_URL (clickhouse://host:port) when set, else one
started from the installed clickhouse-server on free ports with a temporary data folder
(stopped afterwards); without either it prints SKIP. The catalog (demo price book, one
customer on the Pro Plan) is on SQLite in a temporary folder.

1. Ingestion, 20 batches of 10,000 fresh events (50 customers, two dimension values):
   - store level: `ClickHouseUsageStore.insert_events` (the event-ID lookup and the INSERT);
   - HTTP: POST /v1/usage/events through the ASGI app in-process (JSON decoding,
     validation, catalog lookups in SQLite, the store, the contract check, the audit row).
2. Preview: `--events` (default 10,000,000; `--full`: 100,000,000) events for the previewed
   customer in January 2026, generated inside ClickHouse with numbers() (loading them through
   the API would take most of an hour on two cores), then `--calls` (default 20) invoice
   previews through the whole GraphQL stack. The answer is checked against the exact sum.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support

import httpx
import orjson
from tests.support.clickhouse_server import Server, running_server, server_command

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_database
from pricing_graph.services.actor import SYSTEM
from pricing_graph.settings import Settings
from pricing_graph.store.catalog import MetricRow
from pricing_graph.store.clickhouse.client import ClickHouseClient, ClickHouseUrl
from pricing_graph.store.clickhouse.usage import ClickHouseUsageStore, micros
from pricing_graph.store.contracts import ContractRow, CustomerRow
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.migrate import upgrade
from pricing_graph.store.usage_repo import group_key

BATCH = 10_000
BATCHES = 20
WARMUP = 2
CUSTOMERS = 50
BENCH_KEY = "bench-clickhouse-admin-key"

CUSTOMER = """
mutation { createCustomer(input: {externalId: "bench", name: "Bench Inc"}) { customer { id } } }
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
  lines { quantity unitPrice amount dimensionGroup { value } } subtotal total } } }
"""


@contextmanager
def clickhouse() -> Iterator[tuple[str, Server | None] | None]:
    """(clickhouse://host:port, the server when this script started it) or None."""
    given = os.environ.get("PRICING_GRAPH_TEST_CLICKHOUSE_URL", "").strip()
    if given:
        yield given.rstrip("/"), None
        return
    if server_command() is None:
        print(
            "SKIP: no clickhouse-server (apt-get install clickhouse-server, or set "
            "PRICING_GRAPH_TEST_CLICKHOUSE_URL=clickhouse://host:port)"
        )
        yield None
        return
    with (
        tempfile.TemporaryDirectory(prefix="pg-bench-ch-") as folder,
        running_server(Path(folder)) as server,
    ):
        yield server.clickhouse_url, server


async def _execute(database: Database, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(
        query, variable_values=variables, context_value=Context(database, actor=SYSTEM)
    )
    assert result.errors is None and result.data is not None, result.errors
    return result.data


async def _seed_ingestion(database: Database) -> tuple[list[int], int]:
    async with database.sessions() as session, session.begin():
        customers = [CustomerRow(external_id=f"c{i}", name=f"C{i}") for i in range(CUSTOMERS)]
        session.add_all(customers)
        metric = MetricRow(
            key="bench_tokens",
            name="Tokens",
            unit_label="tokens",
            aggregation="SUM",
            event_property="tokens",
            dimensions=["model"],
        )
        session.add(metric)
        await session.flush()
        product_id = (await session.exec(_first_product())).one()
        for customer in customers:
            assert customer.id is not None
            session.add(
                ContractRow(
                    customer_id=customer.id,
                    product_id=product_id,
                    start_date=date(2024, 1, 1),
                    end_date=None,
                    billing_interval="MONTHLY",
                    billing_anchor="CONTRACT_START",
                )
            )
        assert metric.id is not None
        return [c.id for c in customers if c.id is not None], metric.id


def _first_product() -> Any:
    from sqlmodel import select

    from pricing_graph.store.catalog import ProductRow

    return select(ProductRow.id).limit(1)


def _rows(number: int, customers: list[int], metric_id: int) -> list[dict[str, Any]]:
    start = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=number)
    rows = []
    for i in range(BATCH):
        model = ("small", "large")[i % 2]
        at = start + timedelta(milliseconds=i)
        rows.append(
            {
                "customer_id": customers[i % CUSTOMERS],
                "metric_id": metric_id,
                "event_id": f"s{number}-{i}",
                "occurred_at": at,
                "value": Decimal(1000 + i),
                "unique_value": None,
                "group_key": group_key({"model": model}),
                "dimensions": {"model": model},
                "properties": {"tokens": 1000 + i, "request_id": f"r{number}-{i}"},
                "ingested_at": at,
            }
        )
    return rows


def _events(number: int) -> list[dict[str, Any]]:
    start = datetime(2024, 7, 1, tzinfo=UTC) + timedelta(hours=number)
    return [
        {
            "eventId": f"h{number}-{i}",
            "customerId": f"c{i % CUSTOMERS}",
            "metricKey": "bench_tokens",
            "timestamp": (start + timedelta(milliseconds=i)).isoformat(),
            "properties": {"tokens": 1000 + i, "request_id": f"r{number}-{i}"},
            "dimensions": [{"name": "model", "value": ("small", "large")[i % 2]}],
        }
        for i in range(BATCH)
    ]


class Cpu:
    """CPU seconds used by this process (client, app) and by the server, over a block: on a
    machine shared with other jobs, wall time says more about them than about us."""

    def __init__(self, server: Server | None) -> None:
        self.server = server
        self.client = self.server_s = 0.0

    def __enter__(self) -> Cpu:
        self._client0 = time.process_time()
        self._server0 = self.server.cpu_seconds() if self.server else 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.client = time.process_time() - self._client0
        if self.server:
            self.server_s = self.server.cpu_seconds() - self._server0

    def line(self, events: int) -> str:
        if not self.server:
            return f"client CPU {1000 * self.client * BATCH / events:.0f} ms per batch"
        client = 1000 * self.client * BATCH / events
        server = 1000 * self.server_s * BATCH / events
        return (
            f"CPU per batch: client {client:.0f} ms + ClickHouse {server:.0f} ms; with a core "
            f"each, {1000 * BATCH / max(client, server):,.0f} events/s"
        )


async def _store_ingestion(
    database: Database, batches: list[list[dict[str, Any]]], server: Server | None
) -> tuple[list[float], Cpu]:
    """The rows are built beforehand: the CPU measured is the store's (and ClickHouse's)."""
    store = database.usage
    rates = []
    with Cpu(server) as cpu:
        for number, rows in enumerate(batches):
            async with database.sessions() as session:
                started = time.perf_counter()
                inserted = await store.insert_events(session, rows)
                elapsed = time.perf_counter() - started
            assert len(inserted) == BATCH
            if number >= WARMUP:
                rates.append(BATCH / elapsed)
    return rates, cpu


async def _http_ingestion(
    catalog_url: str, usage_url: str, server: Server | None
) -> tuple[list[float], Cpu]:
    """The JSON bodies are encoded beforehand: the CPU measured is the app's (and
    ClickHouse's), plus httpx's in-process transport."""
    settings = Settings(
        database_url=catalog_url,
        usage_url=usage_url,
        api_keys={BENCH_KEY: frozenset({"admin"})},
        ingest_max_body_bytes=64 * 1024 * 1024,
    )
    app = create_app(settings)
    bodies = [orjson.dumps({"events": _events(n)}) for n in range(WARMUP + BATCHES)]
    headers = {"Authorization": f"Bearer {BENCH_KEY}", "Content-Type": "application/json"}
    rates = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as client,
    ):
        with Cpu(server) as cpu:
            for number, body in enumerate(bodies):
                started = time.perf_counter()
                response = await client.post("/v1/usage/events", content=body, headers=headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.text[:500]
                assert response.json()["accepted"] == BATCH, response.text[:500]
                if number >= WARMUP:
                    rates.append(BATCH / elapsed)
    return rates, cpu


async def _load(
    store: ClickHouseUsageStore, customer_id: int, metric_id: int, events: int
) -> float:
    """`events` events for one customer in January 2026, generated by ClickHouse: one in
    five is gpt-4, values 1.000 (three places, as in the PostgreSQL benchmark)."""
    start = micros(datetime(2026, 1, 1, tzinfo=UTC))
    spacing = (micros(datetime(2026, 2, 1, tzinfo=UTC)) - start) // events  # microseconds
    gpt4, gpt35 = group_key({"model": "gpt-4"}), group_key({"model": "gpt-3.5"})
    started = time.perf_counter()
    step = 10_000_000  # one INSERT ... SELECT per 10M rows: bounded memory on 18.16
    for offset in range(0, events, step):
        count = min(step, events - offset)
        await store.client.execute(
            f"INSERT INTO {store.db}.usage_event (customer_id, event_id, metric_id, occurred_us, "
            "value_text, unique_value, group_key, properties, ingested_us, position) "
            f"SELECT {customer_id}, concat('g', toString(number)), {metric_id}, "
            f"{start} + ((number * 7919) % {events}) * {spacing}, '1.000', '', "
            f"if(number % 5 = 0, '{gpt4}', '{gpt35}'), "
            f"'{{}}', 0, 0 FROM (SELECT number + {offset} AS number FROM numbers({count}))"
        )
    return time.perf_counter() - started


async def _preview(
    usage_url: str, catalog_url: str, events: int, calls: int
) -> tuple[list[float], dict[str, Any], float]:
    engine = make_engine(catalog_url)
    # generating 10M rows per INSERT ... SELECT outlasts the default 30 s on a busy machine
    store = ClickHouseUsageStore(ClickHouseClient(ClickHouseUrl.parse(usage_url), timeout=900))
    database = Database(engine=engine, sessions=make_session_factory(engine), usage=store)
    try:
        plan = (await _execute(database, '{ plan(key: "pro-plan") { id } }'))["plan"]["id"]
        customer = (await _execute(database, CUSTOMER))["createCustomer"]["customer"]["id"]
        created = await _execute(database, CONTRACT, customer=customer, plan=plan)
        contract = created["createContract"]["contract"]["id"]
        async with database.sessions() as session:
            from sqlmodel import select

            customer_id = (
                await session.exec(select(CustomerRow.id).where(CustomerRow.external_id == "bench"))
            ).one()
            metric_id = (
                await session.exec(select(MetricRow.id).where(MetricRow.key == "model_units"))
            ).one()
        assert customer_id is not None and metric_id is not None
        load_s = await _load(store, customer_id, metric_id, events)
        timings = []
        invoice: dict[str, Any] = {}
        for _ in range(calls):
            started = time.perf_counter()
            data = await _execute(database, PREVIEW, id=contract)
            timings.append(time.perf_counter() - started)
            invoice = data["contract"]["invoicePreview"]
        return timings, invoice, load_s
    finally:
        await engine.dispose()
        await store.close()


async def _run(url: str, server: Server | None, events: int, calls: int, catalog_url: str) -> None:
    name = f"pricing_graph_bench_{uuid.uuid4().hex[:10]}"
    usage_url = f"{url}/{name}"
    store = ClickHouseUsageStore.from_url(usage_url)
    await store.prepare()
    engine = make_engine(catalog_url)
    database = Database(engine=engine, sessions=make_session_factory(engine), usage=store)
    try:
        await seed_database(database)
        customers, metric_id = await _seed_ingestion(database)
        load_before = os.getloadavg()
        batches = [_rows(n, customers, metric_id) for n in range(WARMUP + BATCHES)]
        store_rates, store_cpu = await _store_ingestion(database, batches, server)
        http_rates, http_cpu = await _http_ingestion(catalog_url, usage_url, server)
        timings, invoice, load_s = await _preview(usage_url, catalog_url, events, calls)
        load_after = os.getloadavg()
        [[version]] = await store.client.rows("SELECT version()")
    finally:
        try:
            await store.client.execute(f"DROP DATABASE IF EXISTS {name}", database=None)
        finally:
            await engine.dispose()
            await store.close()

    gpt4 = Decimal(events // 5 + (1 if events % 5 else 0))  # numbers 0, 5, 10, ...
    quantities = {line["dimensionGroup"][0]["value"]: line["quantity"] for line in invoice["lines"]}
    expected = {"gpt-4": gpt4, "gpt-3.5": events - gpt4}
    exact = {key: Decimal(value) for key, value in quantities.items()} == expected
    print(
        f"ClickHouse {version}, catalog on SQLite; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after"
    )
    for label, rates, cpu in (
        ("store insert_events", store_rates, store_cpu),
        ("POST /v1/usage/events (in-process ASGI)", http_rates, http_cpu),
    ):
        median = statistics.median(rates)
        print(
            f"  ingestion, {label}, {BATCHES} batches of {BATCH:,}: median {median:,.0f} "
            f"events/s ({1000 * BATCH / median:.0f} ms per batch; min {min(rates):,.0f}, max "
            f"{max(rates):,.0f}); target >= 100,000: {'met' if median >= 100_000 else 'NOT met'}"
        )
        # warm-up batches included: (WARMUP + BATCHES) batches ran inside the block
        print(f"    {cpu.line((WARMUP + BATCHES) * BATCH)}")
    print(f"  preview data: {events:,} events generated with numbers() in {load_s:.1f} s")
    print(f"  invoice: subtotal {invoice['subtotal']}, quantities {quantities}, exact: {exact}")
    median, worst = statistics.median(timings), max(timings)
    print(
        f"  invoice preview over {events:,} events, full GraphQL stack, {calls} calls: "
        f"median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms, first "
        f"{timings[0] * 1000:.0f} ms; target <= 200 ms: {'met' if median <= 0.2 else 'NOT met'}"
    )
    assert exact, quantities
    print(
        f"clickhouse ingest_store_eps={statistics.median(store_rates):.0f} "
        f"ingest_http_eps={statistics.median(http_rates):.0f} events={events} "
        f"preview_ms={median * 1000:.0f} preview_worst_ms={worst * 1000:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--full", action="store_true", help="100,000,000 events (minutes)")
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    events = 100_000_000 if args.full else args.events
    with clickhouse() as found:
        if found is None:
            return
        url, server = found
        with tempfile.TemporaryDirectory(prefix="pg-bench-catalog-") as folder:
            catalog_url = f"sqlite+aiosqlite:///{Path(folder) / 'catalog.db'}"
            upgrade(catalog_url)
            asyncio.run(_run(url, server, events, args.calls, catalog_url))


if __name__ == "__main__":
    main()
