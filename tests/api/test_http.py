"""End to end over real HTTP: uvicorn serving the app, httpx as the client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.server import running_server

# The catalog writes below need an admin key (issue 9): one of PRICING_GRAPH_API_KEYS.
ADMIN_KEY = "http-test-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRICING_GRAPH_API_KEYS", f"{ADMIN_KEY}:admin")
        with running_server(module_database_url) as base:
            yield base


def _post(base: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


SETUP = """
mutation {
  createProduct(input: {key: "llm", name: "LLM API"}) { product { id } errors { code } }
  createMetric(input: {key: "input_tokens", name: "Input tokens", unitLabel: "tokens",
                       eventProperty: "tokens"}) { errors { code } }
}
"""

CREATE_PLAN = """
mutation($input: CreatePlanInput!) {
  createPlan(input: $input) { plan { id status } errors { field code message } }
}
"""

PUBLISH = """
mutation($id: ID!) { publishPlan(input: {id: $id}) { plan { status version } errors { code } } }
"""

PRICING_PAGE = """
query PricingPage($key: String!) {
  product(key: $key) {
    name
    plans(status: PUBLISHED, visibility: PUBLIC) {
      nodes {
        name
        features
        usageLimits { rateLimitDisplay }
        ramps { prices { name displayPrice } }
      }
    }
  }
}
"""


def test_pricing_page_flow(server: str) -> None:
    product_id = _post(server, SETUP)["data"]["createProduct"]["product"]["id"]
    created = _post(
        server,
        CREATE_PLAN,
        input={
            "productId": product_id,
            "key": "developer",
            "name": "Developer",
            "pricingUnit": {"code": "USD"},
            "features": ["Community support"],
            "usageLimits": [
                {"metricKey": "input_tokens", "rateLimit": 100, "rateLimitWindow": "MINUTE"}
            ],
            "ramps": [
                {
                    "prices": [
                        {
                            "key": "input",
                            "name": "Input tokens",
                            "usage": {
                                "metricKey": "input_tokens",
                                "conversionFactor": "1000",
                                "freeUnits": "10",
                                "rate": {"model": "FLAT", "unitPrice": "0.002"},
                            },
                        }
                    ]
                }
            ],
        },
    )["data"]["createPlan"]
    assert created["errors"] == []
    published = _post(server, PUBLISH, id=created["plan"]["id"])["data"]["publishPlan"]
    assert published == {"plan": {"status": "PUBLISHED", "version": 1}, "errors": []}

    page = _post(server, PRICING_PAGE, key="llm")
    assert page == {
        "data": {
            "product": {
                "name": "LLM API",
                "plans": {
                    "nodes": [
                        {
                            "name": "Developer",
                            "features": ["Community support"],
                            "usageLimits": [{"rateLimitDisplay": "100 req/min"}],
                            "ramps": [
                                {
                                    "prices": [
                                        {
                                            "name": "Input tokens",
                                            "displayPrice": "$0.002 per 1K tokens, "
                                            "first 10K tokens free",
                                        }
                                    ]
                                }
                            ],
                        }
                    ]
                },
            }
        }
    }


def test_health_and_graphiql(server: str) -> None:
    health = httpx.get(f"{server}/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok", "database": "up"})
    ide = httpx.get(f"{server}/graphql", headers={"Accept": "text/html"})
    assert ide.status_code == 200
    assert "graphiql" in ide.text.lower()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"query": 42}', 400),
        (b'{"variables": {}}', 400),
        (b'{"query": "{ products { nodes { nope } } }"}', 200),
        (b'{"query": "{ products(first: 101) { totalCount } }"}', 200),
        (b'{"query": "{ node(id: \\"%%%\\") { id } }"}', 200),
    ],
)
def test_malformed_requests_never_500(server: str, body: bytes, status: int) -> None:
    response = httpx.post(
        f"{server}/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_query_errors_carry_code_and_field(server: str) -> None:
    body = _post(server, "{ products(first: 101) { totalCount } }")
    assert body["errors"][0]["extensions"] == {"code": "PAGE_SIZE_TOO_LARGE", "field": "first"}
    body = _post(server, '{ node(id: "not-an-id") { id } }')
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ID", "field": "id"}
