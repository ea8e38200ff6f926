"""The demo catalog and demo customers load through the API, once: a second run creates
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from tests.support.graphql import execute

from pricing_graph.demo.catalog import METRICS, PLANS, PRODUCTS
from pricing_graph.demo.seed import SeedError, seed_database, seed_demo

# Rows the demo catalog makes, counted by hand from demo/catalog.py.
EXPECTED_ROWS = {
    # demo/promotions.py: LAUNCH20
    "promotion_code": 1,
    "product": 4,
    "billable_metric": 11,
    "plan": 9,
    # api_calls rate limits on llm-developer and llm-pro; connection caps on 3 analytics plans
    "plan_usage_limit": 6,
    # one ramp per plan, two on db-standard
    "pricing_ramp": 10,
    # 2 + 3 + 4 (llm) + 3 + 3 + 3 (analytics) + 3 + 4 (db-standard) + 4 (db-volume) + 1
    "price": 30,
    # a default rate per usage price (2+3+3, 3+3+3, 2+2 db-standard, 2 db-volume), and the
    # pro plan's two dimension rates (it has no default)
    "price_rate": 25,
    # storage: 2 tiers in each db-standard ramp, 2 in db-volume
    "price_tier": 6,
    # demo/customers.py (seed 001): Startup Inc, Acme Corp, Mega Enterprise; Dev Studio
    "customer": 4,
    # three on pro-plan, Acme's enterprise contract on llm-enterprise, Dev Studio's on
    # llm-developer
    "contract": 5,
    # each contract's signed plan version and its settings row (Acme's net 45; none for the
    # others, still one row each)
    "contract_plan": 5,
    "contract_settings": 5,
    # Acme gpt-4; Mega gpt-4 and gpt-3.5; Acme enterprise 50% off three usage prices
    "contract_adjustment": 6,
    "contract_credit_grant": 0,
    # Acme's $100,000 prepaid commitment for $125,000 of credits
    "contract_commitment": 1,
    # one CREATE revision per contract
    "contract_amendment": 5,
    # idempotency keys of the four createContract calls (customers are found by external ID)
    "idempotency_key": 5,
    # model units: (4 + 5) in January + (2 + 2) in February per pro-plan customer = 39;
    # Acme's tokens: 3 metrics x 10 months (January to October) = 30;
    # Dev Studio's March tokens (issue 12's checkout upgrade): 2 days x 2 metrics = 4
    "usage_event": 73,
}

FIRST_RUN = (
    "demo catalog: 4 products, 11 metrics, 9 plans; demo customers: 4 customers, 5 contracts, "
    "73 usage events (created 106, already present 0)"
)
SECOND_RUN = (
    "demo catalog: 4 products, 11 metrics, 9 plans; demo customers: 4 customers, 5 contracts, "
    "73 usage events (created 0, already present 106)"
)

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
    assert (first.customers.created, first.contracts.created, first.usage_events.created) == (
        4,
        5,
        73,
    )
    assert await _row_counts(database) == EXPECTED_ROWS

    second = await seed_database(database)
    assert str(second) == SECOND_RUN
    assert (second.metrics.present, second.products.present, second.plans.present) == (11, 4, 9)
    assert (second.customers.present, second.contracts.present, second.usage_events.present) == (
        4,
        5,
        73,
    )
    assert second.created == 0
    assert await _row_counts(database) == EXPECTED_ROWS


DEMO_CUSTOMERS = """
{ customers(first: 100) { totalCount nodes { externalId name partnerOwner
    contracts { nodes { startDate endDate billingInterval planVersions { plan { key } }
      settings { netPaymentDays }
      invoicePreview(periodIndex: 0) { periodStart periodEnd subtotal creditsTotal total } } } } } }
"""


async def test_the_demo_customers_reproduce_seed_001(database: Any) -> None:
    """January 2026 on the Pro Plan: $40,000.00 / $30,000.00 / $20,000.00 (seed 001's table);
    Acme's enterprise contract: first quarter $19,000.00 paid by credits, plus the $100,000.00
    prepaid commitment."""
    await seed_database(database)
    data = (await execute(database, DEMO_CUSTOMERS))["customers"]
    assert data["totalCount"] == 4
    summary = {
        (customer["externalId"], customer["name"], customer["partnerOwner"]): [
            (
                contract["planVersions"][0]["plan"]["key"],
                contract["startDate"],
                contract["endDate"],
                contract["billingInterval"],
                contract["settings"][0]["netPaymentDays"],
                contract["invoicePreview"],
            )
            for contract in customer["contracts"]["nodes"]
        ]
        for customer in data["nodes"]
    }

    def january(subtotal: str) -> dict[str, str]:
        return {
            "periodStart": "2026-01-01",
            "periodEnd": "2026-02-01",
            "subtotal": subtotal,
            "creditsTotal": "0.00",
            "total": subtotal,
        }

    assert summary == {
        ("acme-corp", "Acme Corp", "acme-reseller"): [
            ("pro-plan", "2026-01-01", None, "MONTHLY", None, january("30000.00")),
            (
                "llm-enterprise",
                "2026-01-01",
                "2027-01-01",
                "QUARTERLY",
                45,
                {
                    "periodStart": "2026-01-01",
                    "periodEnd": "2026-04-01",
                    "subtotal": "19000.00",
                    "creditsTotal": "19000.00",
                    "total": "100000.00",
                },
            ),
        ],
        ("mega-enterprise", "Mega Enterprise", "acme-reseller"): [
            ("pro-plan", "2026-01-01", None, "MONTHLY", None, january("20000.00")),
        ],
        ("startup-inc", "Startup Inc", None): [
            ("pro-plan", "2026-01-01", None, "MONTHLY", None, january("40000.00")),
        ],
        ("dev-studio", "Dev Studio", None): [
            ("llm-developer", "2026-01-01", None, "MONTHLY", None, january("0.00")),
        ],
    }


async def test_a_customer_that_exists_is_kept_and_given_its_contracts(database: Any) -> None:
    """Customers are found by external ID: an existing one is left as it is (its name too)
    and only what it lacks is created. Contracts carry keys derived from the customer."""
    await seed_database(database)  # the catalog; then start over with the customers only
    async with database.engine.begin() as connection:
        for table in (
            "usage_event",
            "idempotency_key",
            "contract_amendment",
            "contract_commitment",
            "contract_adjustment",
            "contract_settings",
            "contract_plan",
            "contract",
            "customer",
        ):
            await connection.execute(text(f"DELETE FROM {table}"))
    created = await execute(
        database,
        'mutation { createCustomer(input: {externalId: "acme-corp", name: "ACME (renamed)"}) '
        "{ errors { code } } }",
    )
    assert created["createCustomer"]["errors"] == []

    summary = await seed_database(database)
    assert (summary.customers.created, summary.customers.present) == (3, 1)
    assert (summary.contracts.created, summary.usage_events.created) == (5, 73)
    assert summary.plans.present == 9
    acme = await execute(
        database,
        '{ customer(externalId: "acme-corp") { name partnerOwner contracts { totalCount } } }',
    )
    assert acme["customer"] == {
        "name": "ACME (renamed)",
        "partnerOwner": None,
        "contracts": {"totalCount": 2},
    }
    async with database.engine.connect() as connection:
        keys = (
            await connection.execute(
                text("SELECT operation, key FROM idempotency_key ORDER BY key")
            )
        ).all()
    assert [tuple(row) for row in keys] == [
        ("createContract", "demo:acme-corp:llm-enterprise:2026-01-01"),
        ("createContract", "demo:acme-corp:pro-plan:2026-01-01"),
        ("createContract", "demo:dev-studio:llm-developer:2026-01-01"),
        ("createContract", "demo:mega-enterprise:pro-plan:2026-01-01"),
        ("createContract", "demo:startup-inc:pro-plan:2026-01-01"),
    ]


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
        "demo catalog: 4 products, 11 metrics, 9 plans; demo customers: 4 customers, "
        "5 contracts, 73 usage events (created 94, already present 12)"
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
