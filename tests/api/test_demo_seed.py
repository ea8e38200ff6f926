"""The demo catalog loads through the API, once: a second run creates nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from tests.support.graphql import execute

from pricing_graph.demo.catalog import METRICS, PLANS, PRODUCTS
from pricing_graph.demo.seed import SeedError, seed_database, seed_demo

# Rows the demo catalog makes, counted by hand from demo/catalog.py.
EXPECTED_ROWS = {
    "product": 4,
    "billable_metric": 11,
    "plan": 9,
    # api_calls rate limits on llm-developer and llm-pro; connection caps on 3 analytics plans
    "plan_usage_limit": 5,
    # one ramp per plan, two on db-standard
    "pricing_ramp": 10,
    # 2 + 3 + 4 (llm) + 3 + 3 + 3 (analytics) + 3 + 4 (db-standard) + 4 (db-volume) + 1
    "price": 30,
    # a default rate per usage price (2+3+3, 3+3+3, 2+2 db-standard, 2 db-volume), and the
    # pro plan's two dimension rates (it has no default)
    "price_rate": 25,
    # storage: 2 tiers in each db-standard ramp, 2 in db-volume
    "price_tier": 6,
}

FIRST_RUN = "demo catalog: 4 products, 11 metrics, 9 plans (created 24, already present 0)"
SECOND_RUN = "demo catalog: 4 products, 11 metrics, 9 plans (created 0, already present 24)"

DEMO_PLANS = {
    "llm-developer": ("llm-platform", "PUBLIC", 1, "MONTHLY"),
    "llm-pro": ("llm-platform", "PUBLIC", 2, "MONTHLY"),
    "llm-enterprise": ("llm-platform", "PUBLIC", 3, "MONTHLY"),
    "analytics-on-demand": ("cloud-analytics", "PUBLIC", 1, "MONTHLY"),
    "analytics-reserved": ("cloud-analytics", "PUBLIC", 2, "MONTHLY"),
    "analytics-committed": ("cloud-analytics", "PUBLIC", 3, "ANNUAL"),
    "db-standard": ("cloud-database", "PUBLIC", 1, "MONTHLY"),
    "db-volume": ("cloud-database", "PRIVATE", 2, "MONTHLY"),
    "pro-plan": ("ai-api", "PUBLIC", 1, "MONTHLY"),
}

ALL_PLANS = """
{ plans(first: 100) { totalCount nodes {
    key version status visibility tierRank billingInterval publishedAt product { key } } } }
"""


async def _row_counts(database: Any) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table: (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in EXPECTED_ROWS
        }


async def test_seeding_twice_creates_each_thing_once(database: Any) -> None:
    first = await seed_database(database)
    assert str(first) == FIRST_RUN
    assert (first.metrics.created, first.products.created, first.plans.created) == (11, 4, 9)
    assert await _row_counts(database) == EXPECTED_ROWS

    second = await seed_database(database)
    assert str(second) == SECOND_RUN
    assert (second.metrics.present, second.products.present, second.plans.present) == (11, 4, 9)
    assert second.created == 0
    assert await _row_counts(database) == EXPECTED_ROWS


async def test_every_demo_plan_is_published(database: Any) -> None:
    await seed_database(database)
    data = await execute(database, ALL_PLANS)
    plans = data["plans"]["nodes"]
    assert data["plans"]["totalCount"] == 9
    assert {plan["key"] for plan in plans} == set(DEMO_PLANS)
    for plan in plans:
        assert plan["status"] == "PUBLISHED", plan["key"]
        assert plan["version"] == 1, plan["key"]
        assert plan["publishedAt"] is not None, plan["key"]
        assert (
            plan["product"]["key"],
            plan["visibility"],
            plan["tierRank"],
            plan["billingInterval"],
        ) == DEMO_PLANS[plan["key"]]


async def test_seed_demo_takes_a_url_and_returns_the_summary_line(database_url: str) -> None:
    assert await seed_demo(database_url) == FIRST_RUN
    assert await seed_demo(database_url) == SECOND_RUN


async def test_a_leftover_draft_is_published_not_duplicated(database: Any) -> None:
    """A run that stopped between createPlan and publishPlan is completed by the next one."""
    for metric in METRICS:
        await execute(
            database,
            "mutation($input: CreateMetricInput!) "
            "{ createMetric(input: $input) { errors { code } } }",
            input=metric,
        )
    product = await execute(
        database,
        "mutation($input: CreateProductInput!) "
        "{ createProduct(input: $input) { product { id } errors { code } } }",
        input=PRODUCTS[0],
    )
    draft = await execute(
        database,
        "mutation($input: CreatePlanInput!) "
        "{ createPlan(input: $input) { plan { status } errors { code message } } }",
        input={
            **PLANS["llm-platform"][1].input,
            "productId": product["createProduct"]["product"]["id"],
        },
    )
    assert draft["createPlan"] == {"plan": {"status": "DRAFT"}, "errors": []}

    summary = await seed_database(database)
    assert str(summary) == (
        "demo catalog: 4 products, 11 metrics, 9 plans (created 12, already present 12)"
    )
    assert (summary.metrics.present, summary.products.present, summary.plans.created) == (11, 1, 9)
    assert await _row_counts(database) == EXPECTED_ROWS
    llm_pro = await execute(database, '{ plans(key: "llm-pro") { nodes { version status } } }')
    assert llm_pro["plans"]["nodes"] == [{"version": 1, "status": "PUBLISHED"}]


async def test_payload_errors_stop_the_seed_with_the_errors_quoted(database: Any) -> None:
    created = await execute(
        database,
        'mutation { createProduct(input: {key: "llm-platform", name: "Archived LLM"}) '
        "{ product { id } } }",
    )
    await execute(
        database,
        "mutation($id: ID!) { archiveProduct(input: {id: $id}) { errors { code } } }",
        id=created["createProduct"]["product"]["id"],
    )
    with pytest.raises(SeedError) as raised:
        await seed_database(database)
    assert str(raised.value) == (
        "createPlan 'llm-developer' returned errors: PRODUCT_ARCHIVED at input.productId: "
        "product llm-platform is archived"
    )
