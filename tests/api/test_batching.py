"""The full nested catalog query costs the same number of SQL statements for 1 product as
for 20 products with 5 plans each: one statement per level, whatever the fan-out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import select
from tests.support.graphql import StatementCounter, execute

from pricing_graph.rating import models
from pricing_graph.store.catalog import MetricRow, ProductRow
from pricing_graph.store.catalog_repo import PlanListing, UsageLimitSpec, insert_plan

FULL_CATALOG = """
{
  products(first: 100) {
    totalCount
    nodes {
      key
      plans(first: 100) {
        nodes {
          key
          product { key }
          usageLimits { limit rateLimitDisplay metric { key } }
          ramps {
            startsAtPeriod
            prices {
              key
              displayPrice
              ... on UsagePrice {
                metric { key unitLabel }
                defaultRate { model unitPrice tiers { upTo unitPrice flatFee } }
                dimensionRates { match { name value } rate { model unitPrice tiers { upTo } } }
              }
              ... on FixedPrice { amount }
              ... on CompositePrice { value priceKeys }
            }
          }
        }
      }
    }
  }
}
"""

D = Decimal


def _metric() -> models.Metric:
    return models.Metric("units", "Units", "GB", models.Aggregation.SUM, "gb", ("region",))


def _plan(key: str) -> models.Plan:
    tiers = (models.Tier(D(1000), D("0.10")), models.Tier(None, D("0.09")))
    usage = models.UsagePrice(
        key="storage",
        name="Storage",
        display_name="Storage",
        metric=_metric(),
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
    ramps = (
        models.Ramp((usage, fixed), duration_periods=2, invoice_minimum=D(10)),
        models.Ramp((usage, fixed, minimum)),
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
        ramps=ramps,
    )


async def _seed(database: Any, products: range, plans_each: int) -> None:
    async with database.sessions() as session, session.begin():
        metric = (await session.exec(select(MetricRow))).first()
        if metric is None:
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
        for p in products:
            product = ProductRow(key=f"product-{p:02d}", name=f"Product {p}")
            session.add(product)
            await session.flush()
            for n in range(plans_each):
                await insert_plan(
                    session,
                    product_id=product.id,
                    plan=_plan(f"plan-{p:02d}-{n}"),
                    listing=PlanListing(
                        usage_limits=(UsageLimitSpec("units", D(500), "HARD", 100, "MINUTE"),)
                    ),
                    metric_ids={"units": metric.id},
                )


async def _statements_for_catalog(database: Any) -> tuple[int, dict[str, Any]]:
    with StatementCounter(database) as counter:
        data = await execute(database, FULL_CATALOG)
    return counter.count, data


async def test_statement_count_does_not_grow_with_the_catalog(database: Any) -> None:
    await _seed(database, range(1), plans_each=1)
    small, small_data = await _statements_for_catalog(database)
    await _seed(database, range(1, 21), plans_each=5)
    large, large_data = await _statements_for_catalog(database)

    assert small_data["products"]["totalCount"] == 1
    assert large_data["products"]["totalCount"] == 21
    assert sum(len(p["plans"]["nodes"]) for p in large_data["products"]["nodes"]) == 101
    first_price = large_data["products"]["nodes"][0]["plans"]["nodes"][0]["ramps"][0]["prices"][0]
    assert first_price["displayPrice"] == (
        "eu: $0.20 per GB; other: First 1,000 GB $0.10/GB, then $0.09/GB"
    )
    assert small == large
    # products: count + page; then plans, product, usage limits, metrics, ramps, prices,
    # rates, tiers: one each.
    assert large == 10
