"""The nested catalog, uncached, in process: our schema next to raw graphql-core.

    .venv/bin/python benchmarks/nested_catalog.py [--products 100]

100 products with one published public plan each (two ramps: a tiered usage price with a
dimension rate, a fixed fee, a minimum), in a migrated SQLite file. The query asks for the
whole tree (products, plans, usage limits, ramps, prices, rates, tiers), once without and
once with `displayPrice`.

- ours: `schema.execute` with a fresh `Context` per call, as the HTTP app builds one per
  request (no public read cache: that is a layer in front of this); the published plans'
  rows come from the process's immutable cache (store/sealed_rows.py) after the first call,
  the products and plans from the database on every call;
- raw: graphql-core's `graphql_sync` (parse, validate, execute) of the same document
  against `schema.graphql`, over our answer held in memory (each field reads its response
  key from its parent's answer), so it builds the same result with no I/O.

Both alternate call by call; medians, the ratio ours / raw and the statements per call are
printed. Issue 10's target: <= 2.5x.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from graphql import GraphQLResolveInfo, build_schema, graphql_sync
from sqlalchemy import event, update

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.rating import models
from pricing_graph.settings import Settings
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow
from pricing_graph.store.catalog_repo import PlanListing, UsageLimitSpec, insert_plan
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
RUNS = 30
D = Decimal
QUERY = """
query Catalog($n: Int!) {
  products(first: $n) {
    totalCount
    nodes {
      key name
      plans(first: 10) {
        nodes {
          key name version tierRank
          usageLimits { limit rateLimitDisplay metric { key } }
          ramps {
            position startsAtPeriod durationPeriods
            prices {
              __typename key name DISPLAY
              ... on UsagePrice {
                freeUnits
                metric { key unitLabel }
                defaultRate { model unitPrice tiers { upTo unitPrice flatFee } }
                dimensionRates { match { name value } rate { model unitPrice } }
              }
              ... on FixedPrice { amount cadence }
              ... on CompositePrice { compositeKind value priceKeys }
            }
          }
        }
      }
    }
  }
}
"""


def _plan(key: str) -> models.Plan:
    metric = models.Metric("units", "Units", "GB", models.Aggregation.SUM, "gb", ("region",))
    tiers = (models.Tier(D(1000), D("0.10")), models.Tier(None, D("0.09")))
    usage = models.UsagePrice(
        key="storage",
        name="Storage",
        display_name="Storage",
        metric=metric,
        rate=models.Rate(models.PricingModel.TIERED, tiers=tiers),
        dimension_rates=(
            models.DimensionRate(
                (("region", "eu"),), models.Rate(models.PricingModel.FLAT, D("0.2"))
            ),
        ),
    )
    fixed = models.FixedPrice("base", "Base", "Base", D("49.00"))
    minimum = models.CompositePrice(
        "minimum", "Minimum", "Minimum", models.CompositeKind.MINIMUM, D(100), ("storage", "base")
    )
    return models.Plan(
        key=key,
        version=1,
        name=key,
        display_name=key,
        product_key="p",
        billing_interval=models.BillingInterval.MONTHLY,
        billing_anchor=models.BillingAnchor.CONTRACT_START,
        pricing_unit=models.PricingUnit("USD", 2),
        ramps=(
            models.Ramp((usage, fixed), duration_periods=2, invoice_minimum=D(10)),
            models.Ramp((usage, fixed, minimum)),
        ),
    )


async def seed(database: Database, products: int) -> None:
    async with database.sessions() as session, session.begin():
        metric = MetricRow(
            key="units",
            name="Units",
            unit_label="GB",
            aggregation="SUM",
            event_property="gb",
            dimensions=["region"],
        )
        session.add(metric)
        await session.flush()
        for p in range(products):
            product = ProductRow(key=f"product-{p:03d}", name=f"Product {p}")
            session.add(product)
            await session.flush()
            await insert_plan(
                session,
                product_id=product.id,
                plan=_plan(f"plan-{p:03d}"),
                listing=PlanListing(
                    usage_limits=(UsageLimitSpec("units", D(500), "HARD", 100, "MINUTE"),)
                ),
                metric_ids={"units": metric.id},
            )
        table: Any = PlanRow
        await session.exec(update(table).values(status="PUBLISHED", visibility="PUBLIC"))


async def ours(database: Database, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    context = Context(database)
    try:
        result = await schema.execute(document, variable_values=variables, context_value=context)
    finally:
        await context.close()
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def response_key(source: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
    return source[info.path.key]


def type_of(value: Any, *_args: Any) -> str:
    return str(value["__typename"])


async def run(database: Database, products: int) -> None:
    sdl = build_schema((ROOT / "schema.graphql").read_text())
    statements: list[str] = []
    event.listen(
        database.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
    )
    for display in ("", "displayPrice"):
        document = QUERY.replace("DISPLAY", display)
        variables = {"n": products}

        answer = await ours(database, document, variables)
        nodes = answer["products"]["nodes"]
        assert len(nodes) == products and all(len(p["plans"]["nodes"]) == 1 for p in nodes)

        def raw(answer: dict[str, Any] = answer, document: str = document) -> dict[str, Any]:
            result = graphql_sync(
                sdl,
                document,
                root_value=answer,
                variable_values={"n": products},
                field_resolver=response_key,
                type_resolver=type_of,
            )
            assert result.errors is None, result.errors
            assert result.data is not None
            return result.data

        assert raw() == answer
        for _ in range(3):
            await ours(database, document, variables)
            raw()
        ours_times, raw_times, counts = [], [], []
        for _ in range(RUNS):
            before = len(statements)
            started = time.perf_counter()
            await ours(database, document, variables)
            ours_times.append(time.perf_counter() - started)
            counts.append(len(statements) - before)
            started = time.perf_counter()
            raw()
            raw_times.append(time.perf_counter() - started)
        ours_ms = statistics.median(ours_times) * 1000
        raw_ms = statistics.median(raw_times) * 1000
        label = "with displayPrice" if display else "without displayPrice"
        print(
            f"{products} products, {label:<21} ours {ours_ms:7.2f} ms  raw graphql-core "
            f"{raw_ms:6.2f} ms  ours/raw {ours_ms / raw_ms:.2f}x  "
            f"statements per call {statistics.median(counts):.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {RUNS} calls each")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/bench.db"
        upgrade(url)

        async def go() -> None:
            engine = make_engine(url)
            database = Database(
                engine=engine, sessions=make_session_factory(engine), settings=Settings(url)
            )
            try:
                await seed(database, args.products)
                await run(database, args.products)
            finally:
                await engine.dispose()

        asyncio.run(go())
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
