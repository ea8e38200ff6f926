"""Global IDs in Relay's standard form: base64 with padding of "TypeName:id", the type name
being the object's `__typename`; the unpadded URL-safe IDs and the "Price:<id>" IDs issued
before still decode."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.services.actor import Actor, Role
from pricing_graph.services.ids import InvalidGlobalId, decode_id, global_id
from pricing_graph.services.unit_of_work import Database

ADMIN = Actor.for_key(13, Role.ADMIN)


def from_global_id(value: str) -> tuple[str, str]:
    """graphql-relay-js's fromGlobalId: strict standard base64, split at the first colon."""
    text = base64.b64decode(value, validate=True).decode("utf-8")
    type_name, _, db_id = text.partition(":")
    return type_name, db_id


def old_id(type_name: str, db_id: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{db_id}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("type_name", "db_id", "expected"),
    [
        ("Plan", 3, "UGxhbjoz"),
        ("Customer", 1, "Q3VzdG9tZXI6MQ=="),
        ("Contract", 12, "Q29udHJhY3Q6MTI="),
        ("UsagePrice", 5, "VXNhZ2VQcmljZTo1"),
    ],
)
def test_ids_are_padded_standard_base64(type_name: str, db_id: int, expected: str) -> None:
    assert global_id(type_name, db_id) == expected
    assert from_global_id(expected) == (type_name, str(db_id))
    assert decode_id(expected) == (type_name, db_id)


@pytest.mark.parametrize("db_id", [1, 2, 3, 62, 255, 4096, 2**31 - 1])
def test_the_ids_issued_before_still_decode(db_id: int) -> None:
    for type_name in ("Customer", "Contract", "SavedQuote", "ContractAdjustment", "AuditEvent"):
        assert decode_id(old_id(type_name, db_id), type_name) == (type_name, db_id)
        assert decode_id(global_id(type_name, db_id), type_name) == (type_name, db_id)


def test_a_price_id_names_its_concrete_type_and_old_price_ids_are_accepted() -> None:
    for type_name in ("UsagePrice", "FixedPrice", "CompositePrice", "Price"):
        assert decode_id(global_id(type_name, 7), "Price") == (type_name, 7)
    assert decode_id(old_id("Price", 7), "Price") == ("Price", 7)
    with pytest.raises(InvalidGlobalId, match="is a Plan ID, expected a Price ID"):
        decode_id(global_id("Plan", 7), "Price")
    with pytest.raises(InvalidGlobalId, match="expected a UsagePrice ID"):
        decode_id(global_id("FixedPrice", 7), "UsagePrice")


@pytest.mark.parametrize(
    "bad",
    ["", "!!!", "UGxhbjoz=", "UGxhbjoz==", "Q3VzdG9tZXI6MQ=", "Q3V+dG9_ZXI6MQ", "UGxhbg==", "T"],
)
def test_what_is_not_an_id_is_refused(bad: str) -> None:
    with pytest.raises(InvalidGlobalId, match="is not a pricing-graph ID"):
        decode_id(bad)


async def ok(database: Database, query: str, **variables: Any) -> dict[str, Any]:
    context = Context(database, actor=ADMIN)
    try:
        result = await schema.execute(query, variable_values=variables, context_value=context)
    finally:
        await context.close()
    assert result.errors is None, [e.formatted for e in result.errors]
    assert result.data is not None
    return result.data


CREATE = """mutation($product: CreateProductInput!, $metric: CreateMetricInput!) {
  createProduct(input: $product) { product { id } errors { code } }
  createMetric(input: $metric) { metric { id } errors { code } }
}"""
PLAN = """mutation($input: CreatePlanInput!) {
  createPlan(input: $input) {
    plan { id ramps { prices { __typename id key } } } errors { field code message }
  }
}"""
NODE = """query($id: ID!) { node(id: $id) { __typename id ... on Price { key } } }"""


async def test_node_ids_match_typename_and_old_ids_keep_working(database: Database) -> None:
    created = await ok(
        database,
        CREATE,
        product={"key": "llm", "name": "LLM"},
        metric={"key": "tokens", "name": "Tokens", "unitLabel": "tokens", "eventProperty": "n"},
    )
    product_id = created["createProduct"]["product"]["id"]
    plan_input = {
        "productId": product_id,
        "key": "pro",
        "name": "Pro",
        "pricingUnit": {"code": "USD"},
        "ramps": [
            {
                "prices": [
                    {"key": "base", "name": "Platform", "fixed": {"amount": "10"}},
                    {
                        "key": "tokens",
                        "name": "Tokens",
                        "usage": {
                            "metricKey": "tokens",
                            "rate": {"model": "FLAT", "unitPrice": "0.002"},
                        },
                    },
                    {
                        "key": "support",
                        "name": "Support",
                        "composite": {"kind": "PERCENTAGE", "value": "10", "priceKeys": ["base"]},
                    },
                ]
            }
        ],
    }
    payload = (await ok(database, PLAN, input=plan_input))["createPlan"]
    assert payload["errors"] == []
    prices = payload["plan"]["ramps"][0]["prices"]
    assert [p["__typename"] for p in prices] == ["FixedPrice", "UsagePrice", "CompositePrice"]
    for price in prices:
        type_name, db_id = from_global_id(price["id"])
        assert type_name == price["__typename"]
        node = (await ok(database, NODE, id=price["id"]))["node"]
        assert node == {"__typename": type_name, "id": price["id"], "key": price["key"]}
        # A bookmarked ID from before: unpadded URL-safe base64 of "Price:<id>".
        old = (await ok(database, NODE, id=old_id("Price", int(db_id))))["node"]
        assert old == node
        # Another concrete type's name never finds it.
        other = "FixedPrice" if type_name != "FixedPrice" else "UsagePrice"
        assert (await ok(database, NODE, id=global_id(other, int(db_id))))["node"] is None
    for object_id in (product_id, payload["plan"]["id"]):
        type_name, db_id = from_global_id(object_id)
        node = (await ok(database, NODE, id=old_id(type_name, int(db_id))))["node"]
        assert node["__typename"] == type_name and node["id"] == object_id
