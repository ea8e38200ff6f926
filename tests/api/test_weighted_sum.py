"""WEIGHTED_SUM (time-weighted) metrics through the API, on both backends (issue 14, item 7).

Hand-computed figures, "storage" at $0.023 per GB-month with a conversion factor of 720
(GB-hours per 30-day month), contract from 2026-09-01, monthly:
- 2026-08-20: 100 GB (before the contract: carried into September as its opening value);
  2026-09-11: 400 GB; 2026-10-16: 0 GB.
- September (30 days): 100 GB x 10 days x 24 = 24,000 GB-h, 400 GB x 20 days x 24 =
  192,000 GB-h; 216,000 / 720 = 300 GB-months x $0.023 = $6.90.
- October (31 days): 400 GB carried in, for 15 days: 144,000 GB-h / 720 = 200 GB-months x
  $0.023 = $4.60; then 0 GB.
- A quote takes the period's quantity in the metric's unit (GB-hours), like every other
  quote quantity: 216,000 GB-h -> 300 GB-months -> $6.90 a month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.api.test_rating_fixes import (
    CREATE_CONTRACT,
    CREATE_CUSTOMER,
    CREATE_METRIC,
    CREATE_PRODUCT,
    INGEST,
    plan_input,
    published_plan,
    quote,
)
from tests.support.graphql import execute

USAGE_STORES = True  # the gauge is read from the ClickHouse usage store too

PREVIEWS = """
query($id: ID!) {
  contract(id: $id) {
    september: invoicePreview(periodIndex: 0) { total lines { priceKey quantity amount } }
    october: invoicePreview(periodIndex: 1) { total lines { priceKey quantity amount } }
  }
}
"""


async def storage_plan(database: Any) -> str:
    product = (await execute(database, CREATE_PRODUCT, input={"key": "disk", "name": "Disk"}))[
        "createProduct"
    ]
    metric = await execute(
        database,
        CREATE_METRIC,
        input={
            "key": "storage_gb",
            "name": "Storage",
            "unitLabel": "GB-hour",
            "aggregation": "WEIGHTED_SUM",
            "eventProperty": "gb",
        },
    )
    assert metric["createMetric"]["errors"] == []
    price = {
        "key": "storage",
        "name": "Storage",
        "usage": {
            "metricKey": "storage_gb",
            "conversionFactor": "720",
            "rate": {"model": "FLAT", "unitPrice": "0.023"},
        },
    }
    return await published_plan(database, plan_input(product["product"]["id"], "storage", [price]))


async def test_weighted_sum_integrates_the_gauge_and_carries_it_over(database: Any) -> None:
    plan_id = await storage_plan(database)
    customer = (
        await execute(database, CREATE_CUSTOMER, input={"externalId": "acme", "name": "Acme"})
    )["createCustomer"]
    contract = (
        await execute(
            database,
            CREATE_CONTRACT,
            input={
                "customerId": customer["customer"]["id"],
                "planId": plan_id,
                "startDate": "2026-09-01",
            },
        )
    )["createContract"]
    assert contract["errors"] == []
    events = [
        {
            "eventId": f"gauge-{n}",
            "customerId": "acme",
            "metricKey": "storage_gb",
            "timestamp": moment,
            "value": value,
        }
        for n, (moment, value) in enumerate(
            [
                ("2026-08-20T00:00:00Z", "100"),
                ("2026-09-11T00:00:00Z", "400"),
                ("2026-10-16T00:00:00Z", "0"),
            ]
        )
    ]
    ingested = (await execute(database, INGEST, events=events))["ingestUsage"]
    assert (ingested["accepted"], ingested["rejected"]) == (3, 0)

    previews = (await execute(database, PREVIEWS, id=contract["contract"]["id"]))["contract"]
    september = previews["september"]
    assert [(x["priceKey"], Decimal(x["quantity"]), x["amount"]) for x in september["lines"]] == [
        ("storage", Decimal(300), "6.90")
    ]
    assert september["total"] == "6.90"
    october = previews["october"]
    assert [(x["priceKey"], Decimal(x["quantity"]), x["amount"]) for x in october["lines"]] == [
        ("storage", Decimal(200), "4.60")
    ]
    assert october["total"] == "4.60"


async def test_a_quote_takes_the_period_quantity_in_the_metric_unit(database: Any) -> None:
    plan_id = await storage_plan(database)
    priced = await quote(
        database,
        {
            "planId": plan_id,
            "startDate": "2026-09-01",
            "periods": 2,
            "usage": [{"metricKey": "storage_gb", "quantity": "216000"}],
        },
    )
    assert priced["errors"] == []
    assert [i["total"] for i in priced["quote"]["invoices"]] == ["6.90", "6.90"]
    assert [
        (x["priceKey"], Decimal(x["quantity"]), x["amount"])
        for x in priced["quote"]["invoices"][0]["lines"]
    ] == [("storage", Decimal(300), "6.90")]
    assert priced["quote"]["total"] == "13.80"
