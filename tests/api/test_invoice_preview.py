"""Invoice previews through GraphQL from ingested usage: the seed 001 table to the cent."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.graphql import execute, execute_raw

from pricing_graph.demo.seed import seed_database

# Every test runs on each usage store: SQLite, PostgreSQL, ClickHouse (tests/conftest.py).
USAGE_STORES = True

PRO_PLAN = '{ plan(key: "pro-plan") { id } }'

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id } errors { field code message } }
}
"""

CREATE_CONTRACT = """
mutation($input: CreateContractInput!) {
  createContract(input: $input) { contract { id revision } errors { field code message } }
}
"""

INGEST = """
mutation($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) { accepted duplicates rejected unbilled errors { index code } }
}
"""

PREVIEW = """
query($id: ID!, $index: Int) {
  contract(id: $id) {
    invoicePreview(periodIndex: $index) {
      periodIndex periodStart periodEnd issueDate dueDate currency
      lines { description priceKey quantity unitPrice amount dimensionGroup { name value } }
      subtotal creditsTotal total unpriced { metricKey quantity }
    }
  }
}
"""

SEED_001 = {
    "startup": ("Startup Inc", []),
    "acme": (
        "Acme Corp",
        [
            {
                "priceKey": "model_usage",
                "kind": "OVERRIDE",
                "value": "0.02",
                "match": [{"name": "model", "value": "gpt-4"}],
            }
        ],
    ),
    "mega": (
        "Mega Enterprise",
        [
            {
                "priceKey": "model_usage",
                "kind": "OVERRIDE",
                "value": "0.015",
                "match": [{"name": "model", "value": "gpt-4"}],
            },
            {
                "priceKey": "model_usage",
                "kind": "OVERRIDE",
                "value": "0.001",
                "match": [{"name": "model", "value": "gpt-3.5"}],
            },
        ],
    ),
}


async def _contract(database: Any, external_id: str, name: str, adjustments: list[Any]) -> str:
    plan_id = (await execute(database, PRO_PLAN))["plan"]["id"]
    customer = await execute(
        database, CREATE_CUSTOMER, input={"externalId": external_id, "name": name}
    )
    assert customer["createCustomer"]["errors"] == []
    created = await execute(
        database,
        CREATE_CONTRACT,
        input={
            "customerId": customer["createCustomer"]["customer"]["id"],
            "planId": plan_id,
            "startDate": "2026-01-01",
            "adjustments": adjustments,
        },
    )
    assert created["createContract"]["errors"] == []
    contract_id: str = created["createContract"]["contract"]["id"]
    return contract_id


def _events(external_id: str) -> list[dict[str, Any]]:
    # 1,000,000 gpt-4 units and 5,000,000 gpt-3.5 units in January, in a few events.
    events = []
    for n in range(4):
        events.append(
            {
                "eventId": f"{external_id}-gpt4-{n}",
                "customerId": external_id,
                "metricKey": "model_units",
                "timestamp": f"2026-01-{10 + n}T12:00:00Z",
                "value": "250000",
                "dimensions": [{"name": "model", "value": "gpt-4"}],
            }
        )
    for n in range(5):
        events.append(
            {
                "eventId": f"{external_id}-gpt35-{n}",
                "customerId": external_id,
                "metricKey": "model_units",
                "timestamp": f"2026-01-{20 + n}T08:30:00Z",
                "value": "1000000",
                "dimensions": [{"name": "model", "value": "gpt-3.5"}],
            }
        )
    return events


@pytest.mark.parametrize(
    ("customer", "total", "gpt4_unit_price", "gpt35_unit_price"),
    [
        ("startup", "40000.00", "0.03", "0.002"),
        ("acme", "30000.00", "0.02", "0.002"),
        ("mega", "20000.00", "0.015", "0.001"),
    ],
)
async def test_seed_001_table_from_ingested_usage(
    database: Any, customer: str, total: str, gpt4_unit_price: str, gpt35_unit_price: str
) -> None:
    await seed_database(database)
    name, adjustments = SEED_001[customer]
    contract_id = await _contract(database, customer, name, adjustments)
    ingested = (await execute(database, INGEST, events=_events(customer)))["ingestUsage"]
    assert ingested == {"accepted": 9, "duplicates": 0, "rejected": 0, "unbilled": 0, "errors": []}

    invoice = (await execute(database, PREVIEW, id=contract_id, index=0))["contract"][
        "invoicePreview"
    ]

    assert invoice["periodStart"] == "2026-01-01"
    assert invoice["periodEnd"] == "2026-02-01"
    assert invoice["issueDate"] == "2026-02-01"
    assert invoice["dueDate"] == "2026-03-03"
    assert invoice["currency"] == "USD"
    by_model = {line["dimensionGroup"][0]["value"]: line for line in invoice["lines"]}
    assert by_model["gpt-4"]["quantity"] == "1000000"
    assert by_model["gpt-4"]["unitPrice"] == gpt4_unit_price
    assert by_model["gpt-3.5"]["quantity"] == "5000000"
    assert by_model["gpt-3.5"]["unitPrice"] == gpt35_unit_price
    assert invoice["subtotal"] == total
    assert invoice["total"] == total
    assert invoice["unpriced"] == []


async def test_preview_errors_are_typed(database: Any) -> None:
    await seed_database(database)
    contract_id = await _contract(database, "startup", "Startup Inc", [])
    before_start = await execute_raw(
        database,
        'query($id: ID!) { contract(id: $id) { invoicePreview(date: "2025-12-31") { total } } }',
        id=contract_id,
    )
    assert before_start.errors is not None
    assert [e.extensions for e in before_start.errors] == [
        {"code": "PERIOD_OUT_OF_RANGE", "field": "date"}
    ]
