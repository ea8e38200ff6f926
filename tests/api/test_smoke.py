from __future__ import annotations

from typing import Any

from tests.support.graphql import execute

CREATE = """
mutation {
  createProduct(input: {key: "db", name: "Cloud Database"}) { product { id key } errors { field code message } }
  createMetric(input: {key: "storage_gb", name: "Storage", unitLabel: "GB", aggregation: MAX, eventProperty: "gb"}) { metric { id } errors { code } }
}
"""


async def test_create_and_read(database: Any) -> None:
    data = await execute(database, CREATE)
    product_id = data["createProduct"]["product"]["id"]
    plan = await execute(
        database,
        """
        mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id status } errors { field code message } } }
        """,
        input={
            "productId": product_id,
            "key": "db-standard",
            "name": "Standard",
            "pricingUnit": {"code": "USD"},
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
        },
    )
    assert plan["createPlan"]["errors"] == []
    data = await execute(
        database,
        """{ products { totalCount nodes { key plans { nodes { key status pricingUnit { code decimals }
            ramps { prices { key __typename ... on UsagePrice { metric { key } defaultRate { model tiers { upTo unitPrice flatFee } } }
                                ... on FixedPrice { amount } } } } } } } }""",
    )
    assert data["products"]["totalCount"] == 1
    plan_node = data["products"]["nodes"][0]["plans"]["nodes"][0]
    assert plan_node["pricingUnit"] == {"code": "USD", "decimals": 2}
    prices = plan_node["ramps"][0]["prices"]
    assert prices[0]["defaultRate"]["tiers"] == [
        {"upTo": "1000", "unitPrice": "0.10", "flatFee": "0"},
        {"upTo": None, "unitPrice": "0.09", "flatFee": "0"},
    ]
    assert prices[1] == {"key": "base", "__typename": "FixedPrice", "amount": "49.00"}
