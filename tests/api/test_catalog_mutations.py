"""Catalog mutations, the happy paths: exact values written and read back on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support.graphql import execute

from pricing_graph.api.ids import decode_id
from pricing_graph.store.schema import metadata

ERRORS = "errors { field code message }"
PRODUCT_FIELDS = "id key name description archived"
RATE_FIELDS = """
  model unitPrice packageSize packagePrice packageRounding ratePercent fixedFeePerEvent
  minPerEvent maxPerEvent freeAmount markupPercent tiers { upTo unitPrice flatFee }
"""
PLAN_FIELDS = f"""
  key version name invoiceDisplayName description status visibility tierRank
  billingInterval billingAnchor roundingMode netPaymentDays features
  pricingUnit {{ code decimals isCustom invoiceCurrency overageRate }}
  trial {{ days spendingCap }}
  product {{ key }}
  usageLimits {{ metric {{ key }} limit enforcement rateLimit rateLimitWindow }}
  ramps {{
    position durationPeriods startsAtPeriod invoiceMinimum
    prices {{
      __typename key name invoiceDisplayName
      ... on UsagePrice {{
        metric {{ key }} conversionFactor conversionRounding freeUnits
        defaultRate {{ {RATE_FIELDS} }}
        dimensionRates {{ match {{ name value }} rate {{ {RATE_FIELDS} }} }}
      }}
      ... on FixedPrice {{ amount quantity cadence everyPeriods timing prorate isDiscount }}
      ... on CompositePrice {{ compositeKind value quantity priceKeys }}
    }}
  }}
"""
PLAN_PAYLOAD = f"plan {{ id status version publishedAt }} {ERRORS}"
CREATE_PRODUCT = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT_FIELDS} }} {ERRORS} }}
}}
"""
CREATE_METRIC = f"""
mutation($input: CreateMetricInput!) {{
  createMetric(input: $input) {{
    metric {{ id key name unitLabel aggregation eventProperty dimensions }} {ERRORS}
  }}
}}
"""
CREATE_PLAN = f"""
mutation($input: CreatePlanInput!) {{ createPlan(input: $input) {{ {PLAN_PAYLOAD} }} }}
"""
UPDATE_PLAN = f"""
mutation($input: UpdatePlanInput!) {{ updatePlan(input: $input) {{ {PLAN_PAYLOAD} }} }}
"""
PLAN_ACTION = """
mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{ {payload} }} }}
"""
READ_PLAN = f"query($id: ID!) {{ node(id: $id) {{ ... on Plan {{ {PLAN_FIELDS} }} }} }}"

DEFAULT_RATE = {
    "unitPrice": None,
    "packageSize": None,
    "packagePrice": None,
    "packageRounding": None,
    "ratePercent": None,
    "fixedFeePerEvent": None,
    "minPerEvent": None,
    "maxPerEvent": None,
    "freeAmount": None,
    "markupPercent": None,
    "tiers": [],
}


async def row_counts(database: Any) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).one()[0]
            for table in metadata.sorted_tables
        }


async def create_product(database: Any, key: str, name: str = "LLM API") -> str:
    data = await execute(database, CREATE_PRODUCT, input={"key": key, "name": name})
    assert data["createProduct"]["errors"] == []
    return str(data["createProduct"]["product"]["id"])


async def seed(database: Any) -> str:
    product_id = await create_product(database, "llm")
    for metric in (
        {
            "key": "tokens",
            "name": "Tokens",
            "unitLabel": "tokens",
            "eventProperty": "tokens",
            "dimensions": ["model"],
        },
        {"key": "requests", "name": "Requests", "unitLabel": "requests", "aggregation": "COUNT"},
    ):
        data = await execute(database, CREATE_METRIC, input=metric)
        assert data["createMetric"]["errors"] == []
    return product_id


def plan_input(product_id: str, key: str = "pro", **overrides: Any) -> dict[str, Any]:
    given = {
        "productId": product_id,
        "key": key,
        "name": "Pro",
        "invoiceDisplayName": "Pro plan",
        "description": "For teams",
        "visibility": "PUBLIC",
        "tierRank": 2,
        "billingInterval": "ANNUAL",
        "billingAnchor": "FIRST_OF_MONTH",
        "roundingMode": "HALF_EVEN",
        "netPaymentDays": 15,
        "features": ["SSO", "Audit log"],
        "trial": {"days": 14, "spendingCap": "100.00"},
        "pricingUnit": {"code": "USD"},
        "usageLimits": [
            {
                "metricKey": "tokens",
                "limit": "1000000",
                "enforcement": "SOFT",
                "rateLimit": 100,
                "rateLimitWindow": "MINUTE",
            }
        ],
        "ramps": [
            {
                "durationPeriods": 3,
                "invoiceMinimum": "10.00",
                "prices": [{"key": "base", "name": "Platform", "fixed": {"amount": "0"}}],
            },
            {
                "prices": [
                    {
                        "key": "tokens",
                        "name": "Tokens",
                        "invoiceDisplayName": "Token usage",
                        "usage": {
                            "metricKey": "tokens",
                            "conversionFactor": "1000",
                            "conversionRounding": "UP",
                            "freeUnits": "5",
                            "rate": {
                                "model": "TIERED",
                                "tiers": [
                                    {"upTo": "1000", "unitPrice": "0.000002"},
                                    {
                                        "from": "1000",
                                        "unitPrice": "0.0015",
                                        "flatFee": "123456789012.123456789012",
                                    },
                                ],
                            },
                            "dimensionRates": [
                                {
                                    "match": [{"name": "model", "value": "large"}],
                                    "rate": {"model": "FLAT", "unitPrice": "0.006"},
                                }
                            ],
                        },
                    },
                    {
                        "key": "requests",
                        "name": "Requests",
                        "usage": {
                            "metricKey": "requests",
                            "rate": {
                                "model": "PACKAGE",
                                "packageSize": "1000",
                                "packagePrice": "1.50",
                                "packageRounding": "DOWN",
                            },
                        },
                    },
                    {
                        "key": "base",
                        "name": "Platform",
                        "fixed": {
                            "amount": "49.00",
                            "cadence": "RECURRING",
                            "everyPeriods": 1,
                            "timing": "IN_ADVANCE",
                            "prorate": False,
                        },
                    },
                    {
                        "key": "loyalty",
                        "name": "Loyalty",
                        "fixed": {"amount": "-5.00", "isDiscount": True},
                    },
                    {
                        "key": "support",
                        "name": "Support",
                        "composite": {
                            "kind": "PERCENTAGE",
                            "value": "7.5",
                            "priceKeys": ["tokens", "base"],
                        },
                    },
                ],
            },
        ],
    }
    given.update(overrides)
    return given


def rate(**values: Any) -> dict[str, Any]:
    return {**DEFAULT_RATE, **values}


FIXED_BASE_0 = {
    "__typename": "FixedPrice",
    "key": "base",
    "name": "Platform",
    "invoiceDisplayName": "Platform",
    "amount": "0",
    "quantity": "1",
    "cadence": "RECURRING",
    "everyPeriods": 1,
    "timing": "IN_ARREARS",
    "prorate": True,
    "isDiscount": False,
}
EXPECTED_PLAN = {
    "key": "pro",
    "version": 1,
    "name": "Pro",
    "invoiceDisplayName": "Pro plan",
    "description": "For teams",
    "status": "DRAFT",
    "visibility": "PUBLIC",
    "tierRank": 2,
    "billingInterval": "ANNUAL",
    "billingAnchor": "FIRST_OF_MONTH",
    "roundingMode": "HALF_EVEN",
    "netPaymentDays": 15,
    "features": ["SSO", "Audit log"],
    "pricingUnit": {
        "code": "USD",
        "decimals": 2,
        "isCustom": False,
        "invoiceCurrency": None,
        "overageRate": None,
    },
    "trial": {"days": 14, "spendingCap": "100.00"},
    "product": {"key": "llm"},
    "usageLimits": [
        {
            "metric": {"key": "tokens"},
            "limit": "1000000",
            "enforcement": "SOFT",
            "rateLimit": 100,
            "rateLimitWindow": "MINUTE",
        }
    ],
    "ramps": [
        {
            "position": 0,
            "durationPeriods": 3,
            "startsAtPeriod": 0,
            "invoiceMinimum": "10.00",
            "prices": [FIXED_BASE_0],
        },
        {
            "position": 1,
            "durationPeriods": None,
            "startsAtPeriod": 3,
            "invoiceMinimum": None,
            "prices": [
                {
                    "__typename": "UsagePrice",
                    "key": "tokens",
                    "name": "Tokens",
                    "invoiceDisplayName": "Token usage",
                    "metric": {"key": "tokens"},
                    "conversionFactor": "1000",
                    "conversionRounding": "UP",
                    "freeUnits": "5",
                    "defaultRate": rate(
                        model="TIERED",
                        tiers=[
                            {"upTo": "1000", "unitPrice": "0.000002", "flatFee": "0"},
                            {
                                "upTo": None,
                                "unitPrice": "0.0015",
                                "flatFee": "123456789012.123456789012",
                            },
                        ],
                    ),
                    "dimensionRates": [
                        {
                            "match": [{"name": "model", "value": "large"}],
                            "rate": rate(model="FLAT", unitPrice="0.006"),
                        }
                    ],
                },
                {
                    "__typename": "UsagePrice",
                    "key": "requests",
                    "name": "Requests",
                    "invoiceDisplayName": "Requests",
                    "metric": {"key": "requests"},
                    "conversionFactor": "1",
                    "conversionRounding": "NONE",
                    "freeUnits": "0",
                    "defaultRate": rate(
                        model="PACKAGE",
                        packageSize="1000",
                        packagePrice="1.50",
                        packageRounding="DOWN",
                    ),
                    "dimensionRates": [],
                },
                {
                    **FIXED_BASE_0,
                    "amount": "49.00",
                    "timing": "IN_ADVANCE",
                    "prorate": False,
                },
                {
                    **FIXED_BASE_0,
                    "key": "loyalty",
                    "name": "Loyalty",
                    "invoiceDisplayName": "Loyalty",
                    "amount": "-5.00",
                    "isDiscount": True,
                },
                {
                    "__typename": "CompositePrice",
                    "key": "support",
                    "name": "Support",
                    "invoiceDisplayName": "Support",
                    "compositeKind": "PERCENTAGE",
                    "value": "7.5",
                    "quantity": "1",
                    "priceKeys": ["tokens", "base"],
                },
            ],
        },
    ],
}
PLAN_ROWS = {
    "plan": 1,
    "pricing_ramp": 2,
    "price": 6,
    "price_rate": 3,
    "price_tier": 2,
    "plan_usage_limit": 1,
}


async def create_plan(database: Any, given: dict[str, Any]) -> str:
    data = await execute(database, CREATE_PLAN, input=given)
    assert data["createPlan"]["errors"] == []
    return str(data["createPlan"]["plan"]["id"])


async def read_plan(database: Any, plan_id: str) -> dict[str, Any]:
    node = (await execute(database, READ_PLAN, id=plan_id))["node"]
    assert node is not None
    return dict(node)


async def act(database: Any, action: str, global_id: str) -> dict[str, Any]:
    data = await execute(
        database, PLAN_ACTION.format(name=action, payload=PLAN_PAYLOAD), id=global_id
    )
    payload = data[action]
    assert payload["errors"] == [], payload["errors"]
    return dict(payload["plan"])


def same_moment(left: str, right: str) -> bool:
    """Equal instants; SQLite reads timestamps back without their UTC offset (see below)."""
    moments = [datetime.fromisoformat(stamp) for stamp in (left, right)]
    return len({m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments}) == 1


def recently(stamp: str | None) -> bool:
    assert stamp is not None
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=1)


# products and metrics


async def test_product_lifecycle(database: Any) -> None:
    created = await execute(
        database,
        CREATE_PRODUCT,
        input={"key": "vector-db", "name": "Vector DB", "description": "Managed vectors"},
    )
    assert created["createProduct"]["errors"] == []
    product = created["createProduct"]["product"]
    product_id = product.pop("id")
    assert decode_id(product_id, "Product")[0] == "Product"
    assert product == {
        "key": "vector-db",
        "name": "Vector DB",
        "description": "Managed vectors",
        "archived": False,
    }

    updated = await execute(
        database,
        f"""mutation($id: ID!) {{ updateProduct(input: {{id: $id, name: "Vectors"}}) {{
              product {{ {PRODUCT_FIELDS} }} {ERRORS} }} }}""",
        id=product_id,
    )
    assert updated["updateProduct"] == {
        "product": {
            "id": product_id,
            "key": "vector-db",
            "name": "Vectors",
            "description": "Managed vectors",
            "archived": False,
        },
        "errors": [],
    }

    archived = await execute(
        database,
        f"""mutation($id: ID!) {{ archiveProduct(input: {{id: $id}}) {{
              product {{ id archived }} {ERRORS} }} }}""",
        id=product_id,
    )
    assert archived["archiveProduct"] == {
        "product": {"id": product_id, "archived": True},
        "errors": [],
    }
    listed = await execute(
        database,
        """{ visible: products { totalCount nodes { key } }
             all: products(includeArchived: true) { totalCount nodes { key archived } }
             byKey: product(key: "vector-db") { name archived } }""",
    )
    assert listed == {
        "visible": {"totalCount": 0, "nodes": []},
        "all": {"totalCount": 1, "nodes": [{"key": "vector-db", "archived": True}]},
        "byKey": {"name": "Vectors", "archived": True},
    }
    assert (await row_counts(database))["product"] == 1


async def test_create_metric(database: Any) -> None:
    data = await execute(
        database,
        CREATE_METRIC,
        input={
            "key": "gpu_seconds",
            "name": "GPU time",
            "unitLabel": "s",
            "aggregation": "MAX",
            "eventProperty": "seconds",
            "dimensions": ["gpu", "region"],
        },
    )
    payload = data["createMetric"]
    assert payload["errors"] == []
    metric = payload["metric"]
    assert decode_id(metric.pop("id"), "Metric")[0] == "Metric"
    assert metric == {
        "key": "gpu_seconds",
        "name": "GPU time",
        "unitLabel": "s",
        "aggregation": "MAX",
        "eventProperty": "seconds",
        "dimensions": ["gpu", "region"],
    }
    counted = await execute(
        database,
        CREATE_METRIC,
        input={"key": "calls", "name": "Calls", "unitLabel": "calls", "aggregation": "COUNT"},
    )
    assert counted["createMetric"]["metric"]["eventProperty"] is None
    listed = await execute(
        database, '{ metrics { totalCount nodes { key } } metric(key: "calls") { name } }'
    )
    assert listed == {
        "metrics": {"totalCount": 2, "nodes": [{"key": "calls"}, {"key": "gpu_seconds"}]},
        "metric": {"name": "Calls"},
    }


# plans


async def test_create_plan_reads_back_whole(database: Any) -> None:
    product_id = await seed(database)
    before = await row_counts(database)

    data = await execute(database, CREATE_PLAN, input=plan_input(product_id))

    payload = data["createPlan"]
    assert payload["errors"] == []
    assert payload["plan"]["status"] == "DRAFT"
    assert payload["plan"]["version"] == 1
    assert payload["plan"]["publishedAt"] is None
    assert await read_plan(database, payload["plan"]["id"]) == EXPECTED_PLAN
    after = await row_counts(database)
    written = {**PLAN_ROWS, "audit_event": 1}  # and who created it, with the input
    assert {table: after[table] - before[table] for table in after} == {
        table: written.get(table, 0) for table in after
    }


async def test_exact_decimals_survive_the_round_trip(database: Any) -> None:
    product_id = await seed(database)
    plan_id = await create_plan(database, plan_input(product_id))

    plan = await read_plan(database, plan_id)

    tiers = plan["ramps"][1]["prices"][0]["defaultRate"]["tiers"]
    assert tiers[0]["unitPrice"] == "0.000002"
    assert tiers[1]["flatFee"] == "123456789012.123456789012"


async def test_custom_pricing_unit(database: Any) -> None:
    product_id = await seed(database)
    unit = {"code": "credits", "decimals": 4, "invoiceCurrency": "EUR", "overageRate": "0.0125"}
    plan_id = await create_plan(database, plan_input(product_id, pricingUnit=unit, trial=None))

    plan = await read_plan(database, plan_id)

    assert plan["pricingUnit"] == {
        "code": "credits",
        "decimals": 4,
        "isCustom": True,
        "invoiceCurrency": "EUR",
        "overageRate": "0.0125",
    }
    assert plan["trial"] is None


async def test_update_draft_replaces_ramps_and_keeps_omitted_fields(database: Any) -> None:
    product_id = await seed(database)
    plan_id = await create_plan(database, plan_input(product_id))
    before = await row_counts(database)
    new_ramps = [
        {
            "prices": [
                {
                    "key": "requests",
                    "name": "API calls",
                    "usage": {
                        "metricKey": "requests",
                        "rate": {
                            "model": "VOLUME",
                            "tiers": [
                                {"upTo": "100", "unitPrice": "0.01", "flatFee": "1"},
                                {"unitPrice": "0.005"},
                            ],
                        },
                    },
                }
            ]
        }
    ]

    data = await execute(
        database,
        UPDATE_PLAN,
        input={"id": plan_id, "name": "Pro 2025", "ramps": new_ramps, "tierRank": 3},
    )

    payload = data["updatePlan"]
    assert payload["errors"] == []
    assert payload["plan"]["id"] == plan_id
    assert payload["plan"]["status"] == "DRAFT"
    plan = await read_plan(database, plan_id)
    assert plan == {
        **EXPECTED_PLAN,
        "name": "Pro 2025",
        "tierRank": 3,
        "ramps": [
            {
                "position": 0,
                "durationPeriods": None,
                "startsAtPeriod": 0,
                "invoiceMinimum": None,
                "prices": [
                    {
                        "__typename": "UsagePrice",
                        "key": "requests",
                        "name": "API calls",
                        "invoiceDisplayName": "API calls",
                        "metric": {"key": "requests"},
                        "conversionFactor": "1",
                        "conversionRounding": "NONE",
                        "freeUnits": "0",
                        "defaultRate": rate(
                            model="VOLUME",
                            tiers=[
                                {"upTo": "100", "unitPrice": "0.01", "flatFee": "1"},
                                {"upTo": None, "unitPrice": "0.005", "flatFee": "0"},
                            ],
                        ),
                        "dimensionRates": [],
                    }
                ],
            }
        ],
    }
    after = await row_counts(database)
    # the old tree is gone, not orphaned: 2 ramps/6 prices/3 rates/2 tiers -> 1/1/1/2
    changed = {"pricing_ramp": -1, "price": -5, "price_rate": -2, "audit_event": 1}
    assert {table: after[table] - before[table] for table in after} == {
        table: changed.get(table, 0) for table in after
    }


async def test_update_draft_settings_only(database: Any) -> None:
    product_id = await seed(database)
    plan_id = await create_plan(database, plan_input(product_id))
    before = await row_counts(database)

    data = await execute(
        database,
        UPDATE_PLAN,
        input={
            "id": plan_id,
            "description": "",
            "features": [],
            "trial": None,
            "pricingUnit": {"code": "JPY"},
            "usageLimits": [],
            "visibility": "PRIVATE",
        },
    )

    assert data["updatePlan"]["errors"] == []
    assert await read_plan(database, plan_id) == {
        **EXPECTED_PLAN,
        "description": "",
        "features": [],
        "trial": None,
        "pricingUnit": {**EXPECTED_PLAN["pricingUnit"], "code": "JPY", "decimals": 0},
        "usageLimits": [],
        "visibility": "PRIVATE",
    }
    after = await row_counts(database)
    assert after == {
        **before,
        "plan_usage_limit": before["plan_usage_limit"] - 1,
        "audit_event": before["audit_event"] + 1,
    }


async def test_publish_then_version_then_publish_archives_v1(database: Any) -> None:
    product_id = await seed(database)
    v1_id = await create_plan(database, plan_input(product_id))

    v1 = await act(database, "publishPlan", v1_id)
    assert v1["status"] == "PUBLISHED"
    assert v1["version"] == 1
    assert recently(v1["publishedAt"])

    v2 = await act(database, "createPlanVersion", v1_id)
    assert (v2["status"], v2["version"], v2["publishedAt"]) == ("DRAFT", 2, None)
    assert v2["id"] != v1_id
    assert await read_plan(database, v2["id"]) == {**EXPECTED_PLAN, "version": 2}

    again = await execute(
        database, PLAN_ACTION.format(name="createPlanVersion", payload=PLAN_PAYLOAD), id=v1_id
    )
    assert again["createPlanVersion"]["plan"] is None
    assert [(e["code"], e["field"]) for e in again["createPlanVersion"]["errors"]] == [
        ("INVALID_STATUS", "input.id")
    ]

    published = await act(database, "publishPlan", v2["id"])
    assert (published["status"], published["version"]) == ("PUBLISHED", 2)
    assert recently(published["publishedAt"])
    state = await execute(
        database,
        """query($v1: ID!) { v1: node(id: $v1) { ... on Plan { status version publishedAt } }
             latest: plan(key: "pro") { version status }
             plans(key: "pro") { totalCount nodes { version status } } }""",
        v1=v1_id,
    )
    assert state["v1"]["status"] == "ARCHIVED"
    assert same_moment(state["v1"]["publishedAt"], v1["publishedAt"])
    assert state["latest"] == {"version": 2, "status": "PUBLISHED"}
    assert state["plans"] == {
        "totalCount": 2,
        "nodes": [{"version": 1, "status": "ARCHIVED"}, {"version": 2, "status": "PUBLISHED"}],
    }
    counts = await row_counts(database)
    assert {table: counts[table] for table in PLAN_ROWS} == {
        table: 2 * count for table, count in PLAN_ROWS.items()
    }


async def test_version_of_archived_plan_numbers_after_the_latest(database: Any) -> None:
    product_id = await seed(database)
    v1_id = await create_plan(database, plan_input(product_id))
    await act(database, "publishPlan", v1_id)
    v2 = await act(database, "createPlanVersion", v1_id)
    await act(database, "publishPlan", v2["id"])

    v3 = await act(database, "createPlanVersion", v1_id)

    assert (v3["version"], v3["status"]) == (3, "DRAFT")
    assert await read_plan(database, v3["id"]) == {**EXPECTED_PLAN, "version": 3}


@pytest.mark.parametrize("publish_first", [False, True], ids=["draft", "published"])
async def test_archive_plan(database: Any, publish_first: bool) -> None:
    product_id = await seed(database)
    plan_id = await create_plan(database, plan_input(product_id))
    if publish_first:
        await act(database, "publishPlan", plan_id)

    archived = await act(database, "archivePlan", plan_id)

    assert archived["id"] == plan_id
    assert archived["status"] == "ARCHIVED"
    assert (archived["publishedAt"] is not None) is publish_first
    listed = await execute(
        database,
        """{ published: plans(status: PUBLISHED) { totalCount }
             archived: plans(status: ARCHIVED) { totalCount nodes { key } } }""",
    )
    assert listed == {
        "published": {"totalCount": 0},
        "archived": {"totalCount": 1, "nodes": [{"key": "pro"}]},
    }


# pagination

PAGE = """
query($first: Int, $after: String) {
  products(first: $first, after: $after) {
    totalCount
    nodes { key }
    edges { cursor }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_products_pagination(database: Any) -> None:
    for key in ("e", "c", "a", "d", "b"):
        await create_product(database, key, name=key.upper())

    pages, after = [], None
    while True:
        page = (await execute(database, PAGE, first=2, after=after))["products"]
        assert page["totalCount"] == 5
        info = page["pageInfo"]
        cursors = [edge["cursor"] for edge in page["edges"]]
        assert (info["startCursor"], info["endCursor"]) == (cursors[0], cursors[-1])
        assert info["hasPreviousPage"] is (after is not None)
        pages.append(([node["key"] for node in page["nodes"]], info["hasNextPage"]))
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]

    assert pages == [(["a", "b"], True), (["c", "d"], True), (["e"], False)]
    whole = (await execute(database, PAGE))["products"]
    assert [node["key"] for node in whole["nodes"]] == ["a", "b", "c", "d", "e"]
    assert whole["pageInfo"]["hasNextPage"] is False
    empty = (await execute(database, PAGE, first=0))["products"]
    assert empty == {
        "totalCount": 5,
        "nodes": [],
        "edges": [],
        "pageInfo": {
            "hasNextPage": True,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_product_plans_pagination(database: Any) -> None:
    product_id = await seed(database)
    for key, rank in (("enterprise", 2), ("free", 0), ("team", 1)):
        await create_plan(database, plan_input(product_id, key=key, tierRank=rank))
    query = """
    query($id: ID!, $after: String) {
      node(id: $id) { ... on Product {
        plans(first: 2, after: $after) {
          totalCount nodes { key tierRank } pageInfo { hasNextPage hasPreviousPage endCursor }
        }
      } }
    }"""

    first = (await execute(database, query, id=product_id))["node"]["plans"]
    second = (await execute(database, query, id=product_id, after=first["pageInfo"]["endCursor"]))[
        "node"
    ]["plans"]

    assert first["totalCount"] == second["totalCount"] == 3
    assert first["nodes"] == [{"key": "free", "tierRank": 0}, {"key": "team", "tierRank": 1}]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert second["nodes"] == [{"key": "enterprise", "tierRank": 2}]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True


async def test_timestamps_read_back_as_written(database: Any) -> None:
    product_id = await seed(database)
    plan_id = await create_plan(database, plan_input(product_id))
    published = await act(database, "publishPlan", plan_id)

    read = await execute(
        database, "query($id: ID!) { node(id: $id) { ... on Plan { publishedAt } } }", id=plan_id
    )

    assert read["node"]["publishedAt"] == published["publishedAt"]
    assert datetime.fromisoformat(published["publishedAt"]).utcoffset() == timedelta(0)
