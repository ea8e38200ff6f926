"""The pricing page's reads, with the public read cache out of the picture (the schema run
as the HTTP app runs it): the product and its plans in one statement, kept per catalog
version (store/catalog_snapshot.py), and the published plans' rows kept for the process
(store/sealed_rows.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.graphql import StatementCounter, execute

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_demo
from pricing_graph.services.actor import ANONYMOUS

PRICING_PAGE = (
    Path(__file__).parents[2] / "frontend-contract" / "pricing-page" / "PricingPage.graphql"
).read_text()
PLAN_KEYS = ["llm-developer", "llm-pro", "llm-enterprise"]


async def anonymous(database: Database, query: str, **variables: Any) -> dict[str, Any]:
    context = Context(database, actor=ANONYMOUS)
    try:
        result = await schema.execute(query, variable_values=variables, context_value=context)
    finally:
        await context.close()
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def page(database: Database) -> tuple[dict[str, Any], list[str]]:
    with StatementCounter(database) as counter:
        data = await anonymous(database, PRICING_PAGE, productKey="llm-platform")
    return data["product"], counter.statements


async def test_the_page_costs_no_statement_once_its_rows_are_kept(database: Database) -> None:
    await seed_demo(database.settings.database_url)
    database.plans.rows.clear()  # a cold process
    first, cold = await page(database)
    second, warm = await page(database)

    assert first == second
    assert (first["key"], first["name"]) == ("llm-platform", "Neural Language Engine")
    assert first["plans"]["totalCount"] == 3
    assert [plan["key"] for plan in first["plans"]["nodes"]] == PLAN_KEYS
    price = first["plans"]["nodes"][1]["ramps"][0]["prices"][0]
    assert (price["key"], price["displayPrice"]) == ("input_tokens", "$0.001 per 1K tokens")
    # Cold: the product with its plans, then usage limits, ramps, metrics (of the limits),
    # prices, metrics (of the prices), rates, tiers. Then none: the product with its plans
    # is kept for this catalog version (read again after any catalog write: below).
    assert len(cold) == 8, cold
    assert "FROM product LEFT OUTER JOIN" in cold[0]
    assert warm == []


async def test_the_product_and_its_plans_are_read_again_after_a_write(
    database: Database,
) -> None:
    await seed_demo(database.settings.database_url)
    before, _ = await page(database)
    product_id = (await execute(database, '{ product(key: "llm-platform") { id } }'))["product"]
    enterprise = before["plans"]["nodes"][2]
    plan_id = (
        await execute(
            database,
            """query($key: String!) { plans(key: $key, status: PUBLISHED) { nodes { id } } }""",
            key=enterprise["key"],
        )
    )["plans"]["nodes"][0]["id"]
    await execute(
        database,
        """mutation($id: ID!) { updateProduct(input: {id: $id, name: "Renamed"}) {
             errors { code } } }""",
        id=product_id["id"],
    )
    await execute(
        database,
        "mutation($id: ID!) { archivePlan(input: {id: $id}) { errors { code } } }",
        id=plan_id,
    )

    after, statements = await page(database)

    assert after["name"] == "Renamed"
    assert after["plans"]["totalCount"] == 2
    assert [plan["key"] for plan in after["plans"]["nodes"]] == PLAN_KEYS[:2]
    assert len(statements) == 1  # the product with its plans, read again for the new version
    again, kept = await page(database)
    assert again == after and kept == []


async def test_the_product_alone_or_missing(database: Database) -> None:
    await seed_demo(database.settings.database_url)
    with StatementCounter(database) as alone:
        data = await anonymous(database, '{ product(key: "llm-platform") { name } }')
    assert data == {"product": {"name": "Neural Language Engine"}}
    assert len(alone.statements) == 1 and " JOIN " not in alone.statements[0]

    with StatementCounter(database) as missing:
        data = await anonymous(database, '{ product(key: "nope") { name plans { totalCount } } }')
    assert data == {"product": None}
    assert len(missing.statements) == 1

    # Through a fragment: the plans are still read with the product.
    fragment = """query($key: String!) { product(key: $key) { ...Plans } }
                  fragment Plans on Product { plans { nodes { key } } }"""
    with StatementCounter(database) as through:
        data = await anonymous(database, fragment, key="llm-platform")
    assert [plan["key"] for plan in data["product"]["plans"]["nodes"]] == PLAN_KEYS
    assert len(through.statements) == 1


async def test_a_product_without_plans(database: Database) -> None:
    await execute(
        database,
        'mutation { createProduct(input: {key: "bare", name: "Bare"}) { errors { code } } }',
    )
    with StatementCounter(database) as counter:
        data = await anonymous(
            database, '{ product(key: "bare") { key plans { totalCount nodes { key } } } }'
        )
    assert data == {"product": {"key": "bare", "plans": {"totalCount": 0, "nodes": []}}}
    assert len(counter.statements) == 1


def test_sqlite_connections_are_not_pinged_on_checkout(database: Database) -> None:
    """A SQLite file has no server that could have closed the connection; PostgreSQL's are
    checked when they leave the pool (docs/operations.md)."""
    sqlite = database.engine.dialect.name == "sqlite"
    assert database.engine.sync_engine.pool._pre_ping is (not sqlite)
