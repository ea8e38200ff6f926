"""upcomingInvoices (credits carried across periods), usageStatus (limits and the upgrade
prompt) and estimateCost (the marginal cost of the next usage), through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.graphql import execute, execute_raw

SETUP = """
mutation {
  createProduct(input: {key: "db", name: "Cloud Database"}) { product { id } errors { code } }
  createMetric(input: {key: "storage_gb", name: "Storage", unitLabel: "GB", aggregation: SUM,
                       eventProperty: "gb"}) { errors { code } }
}
"""

PLAN = """
mutation($input: CreatePlanInput!) {
  createPlan(input: $input) { plan { id } errors { code field } }
}
"""
PUBLISH = "mutation($id: ID!) { publishPlan(input: {id: $id}) { errors { code } } }"
CUSTOMER = """
mutation { createCustomer(input: {externalId: "c1", name: "C One"}) { customer { id } } }
"""
CONTRACT = """
mutation($input: CreateContractInput!) {
  createContract(input: $input) { contract { id } errors { code field message } }
}
"""
INGEST = """
mutation($events: [UsageEventInput!]!) { ingestUsage(events: $events) { accepted errors { code } } }
"""


def _plan(product_id: str, key: str, rank: int, limit: str | None) -> dict[str, Any]:
    return {
        "productId": product_id,
        "key": key,
        "name": key.title(),
        "tierRank": rank,
        "pricingUnit": {"code": "USD"},
        "usageLimits": [{"metricKey": "storage_gb", "limit": limit}],
        "ramps": [
            {
                "prices": [
                    {
                        "key": "storage",
                        "name": "Storage",
                        "usage": {
                            "metricKey": "storage_gb",
                            "rate": {
                                "model": "TIERED",
                                "tiers": [
                                    {"upTo": "1000", "unitPrice": "0.10"},
                                    {"unitPrice": "0.09"},
                                ],
                            },
                        },
                    },
                    {"key": "base", "name": "Base", "fixed": {"amount": "49.00"}},
                ]
            }
        ],
    }


async def _setup(
    database: Any,
    grants: list[dict[str, Any]] | None = None,
    start: str = "2026-01-01",
    end: str | None = "2026-04-01",
) -> str:
    product_id = (await execute(database, SETUP))["createProduct"]["product"]["id"]
    plan_ids = {}
    for key, rank, limit in (("small", 0, "1000"), ("medium", 1, "2000"), ("large", 2, None)):
        created = await execute(database, PLAN, input=_plan(product_id, key, rank, limit))
        assert created["createPlan"]["errors"] == []
        plan_ids[key] = created["createPlan"]["plan"]["id"]
        await execute(database, PUBLISH, id=plan_ids[key])
    customer_id = (await execute(database, CUSTOMER))["createCustomer"]["customer"]["id"]
    contract = await execute(
        database,
        CONTRACT,
        input={
            "customerId": customer_id,
            "planId": plan_ids["small"],
            "startDate": start,
            "endDate": end,
            "creditGrants": grants or [],
        },
    )
    assert contract["createContract"]["errors"] == []
    contract_id: str = contract["createContract"]["contract"]["id"]
    return contract_id


def _storage(gb: str, day: str, event_id: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "customerId": "c1",
        "metricKey": "storage_gb",
        "timestamp": f"{day}T00:00:00Z",
        "value": gb,
    }


UPCOMING = """
query($id: ID!) { contract(id: $id) { upcomingInvoices(count: 3) {
  periodIndex subtotal creditsTotal total creditsApplied { grantKey amount remaining } } } }
"""


async def test_credits_carry_across_upcoming_invoices(database: Any) -> None:
    contract_id = await _setup(
        database, grants=[{"key": "welcome", "amount": "250.00", "expires": "2026-04-01"}]
    )
    events = [
        _storage("1500", "2026-01-05", "jan"),
        _storage("500", "2026-02-05", "feb"),
        _storage("100", "2026-03-05", "mar"),
    ]
    assert (await execute(database, INGEST, events=events))["ingestUsage"]["accepted"] == 3

    # The contract ended (2026-04-01) before "today" in any run after it, or starts in the
    # future before it: both make the upcoming list deterministic from period 0 or the last.
    previews = await execute(
        database,
        """query($id: ID!) { contract(id: $id) {
             jan: invoicePreview(periodIndex: 0) { subtotal creditsTotal total
               creditsApplied { grantKey amount remaining } }
             feb: invoicePreview(periodIndex: 1) { subtotal creditsTotal total
               creditsApplied { grantKey amount remaining } }
             mar: invoicePreview(periodIndex: 2) { subtotal creditsTotal total } } }""",
        id=contract_id,
    )
    contract = previews["contract"]
    # January: 1,000 GB x 0.10 + 500 GB x 0.09 = 145.00, + 49.00 base = 194.00, all credited.
    assert contract["jan"] == {
        "subtotal": "194.00",
        "creditsTotal": "194.00",
        "total": "0.00",
        "creditsApplied": [{"grantKey": "welcome", "amount": "194.00", "remaining": "56.00"}],
    }
    # February: 500 x 0.10 + 49 = 99.00; the remaining 56.00 of credit burns.
    assert contract["feb"] == {
        "subtotal": "99.00",
        "creditsTotal": "56.00",
        "total": "43.00",
        "creditsApplied": [{"grantKey": "welcome", "amount": "56.00", "remaining": "0.00"}],
    }
    assert contract["mar"] == {"subtotal": "59.00", "creditsTotal": "0.00", "total": "59.00"}


async def test_upcoming_invoices_refuses_a_bad_count(database: Any) -> None:
    contract_id = await _setup(database)
    result = await execute_raw(
        database,
        "query($id: ID!) { contract(id: $id) { upcomingInvoices(count: 0) { total } } }",
        id=contract_id,
    )
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "INVALID_VALUE", "field": "count"}]


async def test_estimate_cost_is_the_marginal_charge(database: Any) -> None:
    contract_id = await _setup(database)
    # The contract's periods are all in the past or the future relative to "today", so the
    # estimate prices period 0 or the last period; neither has usage here, so it is exact.
    estimate = await execute(
        database,
        """query($id: ID!) {
             estimateCost(contractId: $id, metricKey: "storage_gb", quantity: "1200") {
               amount pricingUnit } }""",
        id=contract_id,
    )
    # 1,000 GB at 0.10 + 200 GB at 0.09 = 118.00 (the base fee is charged either way).
    assert estimate["estimateCost"] == {"amount": "118.00", "pricingUnit": "USD"}


async def test_estimate_cost_errors(database: Any) -> None:
    contract_id = await _setup(database)
    cases = [
        ('metricKey: "nope", quantity: "1"', {"code": "UNKNOWN_METRIC", "field": "metricKey"}),
        (
            'metricKey: "storage_gb", quantity: "-1"',
            {"code": "NEGATIVE_VALUE", "field": "quantity"},
        ),
    ]
    for arguments, expected in cases:
        result = await execute_raw(
            database,
            f"query($id: ID!) {{ estimateCost(contractId: $id, {arguments}) {{ amount }} }}",
            id=contract_id,
        )
        assert result.errors is not None
        assert [e.extensions for e in result.errors] == [expected]


STATUS = """
query($id: ID!) { contract(id: $id) { usageStatus {
  metricKey used limit percentOfLimit nextPlanKey } } }
"""


async def test_usage_status_suggests_the_next_plan_that_fits(database: Any) -> None:
    today = datetime.now(UTC).date()
    contract_id = await _setup(database, start=today.replace(day=1).isoformat(), end=None)
    now = today.isoformat()
    await execute(database, INGEST, events=[_storage("600", now, "a")])
    under = (await execute(database, STATUS, id=contract_id))["contract"]["usageStatus"]
    assert under == [
        {
            "metricKey": "storage_gb",
            "used": "600",
            "limit": "1000",
            "percentOfLimit": "60.00",
            "nextPlanKey": None,
        }
    ]
    await execute(database, INGEST, events=[_storage("900", now, "b")])
    over = (await execute(database, STATUS, id=contract_id))["contract"]["usageStatus"]
    # 1,500 GB is past small's 1,000; medium's 2,000 fits.
    assert over == [
        {
            "metricKey": "storage_gb",
            "used": "1500",
            "limit": "1000",
            "percentOfLimit": "150.00",
            "nextPlanKey": "medium",
        }
    ]
    await execute(database, INGEST, events=[_storage("1000", now, "c")])
    far = (await execute(database, STATUS, id=contract_id))["contract"]["usageStatus"]
    assert far[0]["nextPlanKey"] == "large"


async def test_estimate_cost_refuses_usage_no_rate_prices(database: Any) -> None:
    from pricing_graph.demo.seed import seed_database

    await seed_database(database)
    contract = (
        await execute(
            database, '{ customer(externalId: "startup-inc") { contracts { nodes { id } } } }'
        )
    )["customer"]["contracts"]["nodes"][0]["id"]
    result = await execute_raw(
        database,
        """query($id: ID!) { estimateCost(contractId: $id, metricKey: "model_units",
             quantity: "1000", dimensions: [{name: "model", value: "llama"}]) { amount } }""",
        id=contract,
    )
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [
        {"code": "INVALID_USAGE", "field": "dimensions"}
    ]
