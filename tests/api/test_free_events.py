"""PERCENTAGE prices with free transactions per period (Lago's free_units_per_events),
through the API on both backends (issue 14, item 6).

Hand-computed figures, "card" at 2.9% + $0.30 per transaction, the first 3 free, September:
- transactions $100, $50, $200 (free: no percentage, no fixed fee), $1,000 -> $29.00 +
  $0.30 = $29.30, $10 -> $0.29 + $0.30 = $0.59: total $29.89.
- "card-capped" adds freeAmount $120 (whichever runs out first): $100 free ($20 left), $50
  pays on $30 -> $0.87 + $0.30 = $1.17 and ends the free transactions, $200 -> $6.10,
  $1,000 -> $29.30, $10 -> $0.59: total $37.16.
- Quote, 100 transactions of $50 a month, the first 3 free: 97 x ($1.45 + $0.30) = $169.75.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.api.test_rating_fixes import (
    CREATE_CONTRACT,
    CREATE_CUSTOMER,
    CREATE_METRIC,
    CREATE_PLAN,
    CREATE_PRODUCT,
    INGEST,
    PREVIEW,
    fields,
    plan_input,
    published_plan,
    quote,
    usage_price,
)
from tests.support.graphql import execute

USAGE_STORES = True  # the per-transaction values are read from the ClickHouse usage store too

PLAN = """
query($id: ID!) {
  plan(id: $id) {
    ramps {
      prices { key displayPrice ... on UsagePrice { defaultRate { freeEvents freeAmount } } }
    }
  }
}
"""


def card_rate(**extra: Any) -> dict[str, Any]:
    return {
        "model": "PERCENTAGE",
        "ratePercent": "2.9",
        "fixedFeePerEvent": "0.30",
        "freeEvents": 3,
        **extra,
    }


async def product(database: Any) -> str:
    created = (await execute(database, CREATE_PRODUCT, input={"key": "pay", "name": "Pay"}))[
        "createProduct"
    ]
    metric = await execute(
        database,
        CREATE_METRIC,
        input={
            "key": "payment_amount",
            "name": "Payments",
            "unitLabel": "USD",
            "aggregation": "SUM",
            "eventProperty": "amount",
        },
    )
    assert metric["createMetric"]["errors"] == []
    product_id: str = created["product"]["id"]
    return product_id


async def previewed_total(database: Any, plan_id: str, customer: str) -> dict[str, Any]:
    created = (
        await execute(database, CREATE_CUSTOMER, input={"externalId": customer, "name": customer})
    )["createCustomer"]
    contract = (
        await execute(
            database,
            CREATE_CONTRACT,
            input={
                "customerId": created["customer"]["id"],
                "planId": plan_id,
                "startDate": "2026-09-01",
            },
        )
    )["createContract"]
    assert contract["errors"] == []
    events = [
        {
            "eventId": f"pay-{n}",
            "customerId": customer,
            "metricKey": "payment_amount",
            "timestamp": f"2026-09-{10 + n}T12:00:00Z",
            "value": amount,
        }
        for n, amount in enumerate(["100", "50", "200", "1000", "10"])
    ]
    ingested = (await execute(database, INGEST, events=events))["ingestUsage"]
    assert (ingested["accepted"], ingested["rejected"]) == (5, 0)
    preview: dict[str, Any] = (await execute(database, PREVIEW, id=contract["contract"]["id"]))[
        "contract"
    ]["invoicePreview"]
    return preview


async def test_the_first_transactions_of_a_period_are_free(database: Any) -> None:
    product_id = await product(database)
    card = await published_plan(
        database,
        plan_input(product_id, "card", [usage_price("card", "payment_amount", card_rate())]),
    )
    capped = await published_plan(
        database,
        plan_input(
            product_id,
            "card-capped",
            [usage_price("card", "payment_amount", card_rate(freeAmount="120"))],
        ),
    )
    preview = await previewed_total(database, card, "shop")
    assert [(x["priceKey"], Decimal(x["quantity"]), x["amount"]) for x in preview["lines"]] == [
        ("card", Decimal(1360), "29.89")
    ]
    assert preview["total"] == "29.89"
    assert (await previewed_total(database, capped, "mall"))["total"] == "37.16"

    shown = (await execute(database, PLAN, id=card))["plan"]["ramps"][0]["prices"][0]
    assert shown["defaultRate"] == {"freeEvents": 3, "freeAmount": "0"}
    assert shown["displayPrice"] == "2.9% + $0.30 per transaction, first 3 transactions free"

    priced = await quote(
        database,
        {
            "planId": card,
            "startDate": "2026-09-01",
            "periods": 1,
            "usage": [
                {"metricKey": "payment_amount", "transactionCount": 100, "averageAmount": "50"}
            ],
        },
    )
    assert priced["errors"] == []
    assert priced["quote"]["total"] == "169.75"


async def test_free_events_are_checked_by_field(database: Any) -> None:
    product_id = await product(database)
    negative = (
        await execute(
            database,
            CREATE_PLAN,
            input=plan_input(
                product_id,
                "bad",
                [usage_price("card", "payment_amount", card_rate(freeEvents=-1))],
            ),
        )
    )["createPlan"]
    flat = (
        await execute(
            database,
            CREATE_PLAN,
            input=plan_input(
                product_id,
                "bad-flat",
                [
                    usage_price(
                        "card",
                        "payment_amount",
                        {"model": "FLAT", "unitPrice": "0.01", "freeEvents": 5},
                    )
                ],
            ),
        )
    )["createPlan"]
    huge = (
        await execute(
            database,
            CREATE_PLAN,
            input=plan_input(
                product_id,
                "bad-huge",
                [usage_price("card", "payment_amount", card_rate(freeEvents=2_000_000_000))],
            ),
        )
    )["createPlan"]
    field = "input.ramps.0.prices.0.usage.rate.freeEvents"
    assert (negative["plan"], fields(negative)) == (None, [(field, "NEGATIVE_VALUE")])
    assert (flat["plan"], fields(flat)) == (None, [(field, "INVALID_VALUE")])
    assert (huge["plan"], fields(huge)) == (None, [(field, "INVALID_VALUE")])
