"""The access policy, cell by cell: every root field, mutation, node type and the bulk
endpoint, for anonymous, partner, sales and admin callers, on both backends.

`services.access.POLICY` is the table (docs/security.md prints it). Here each operation gets
one representative request; a DENY cell must answer exactly one FORBIDDEN error (and, for a
read, no data), any other cell must not mention FORBIDDEN. Mutations are sent with input that
the operation itself refuses (a bogus ID, an empty name), so the check also proves that the
policy runs first: a denied caller learns nothing about its input, and nothing is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_demo
from pricing_graph.services.access import POLICY, ROLES, Rule, policy_table
from pricing_graph.services.actor import ROLE_SCOPES, SYSTEM, Actor, Role
from pricing_graph.services.ids import global_id
from pricing_graph.services.keys import DEMO_KEYS
from pricing_graph.services.unit_of_work import Database
from pricing_graph.settings import Settings

PARTNER = "acme-reseller"
ACTORS = {
    Role.ANONYMOUS: Actor(),
    Role.PARTNER: Actor(
        role=Role.PARTNER, scopes=ROLE_SCOPES[Role.PARTNER], partner=PARTNER, caller="matrix"
    ),
    Role.SALES: Actor(role=Role.SALES, scopes=ROLE_SCOPES[Role.SALES], caller="matrix"),
    Role.ADMIN: Actor(role=Role.ADMIN, scopes=ROLE_SCOPES[Role.ADMIN], caller="matrix"),
}
BOGUS = {
    "Product": global_id("Product", 999_999),
    "Plan": global_id("Plan", 999_999),
    "Contract": global_id("Contract", 999_999),
    "Customer": global_id("Customer", 999_999),
    "SavedQuote": global_id("SavedQuote", 999_999),
}


@dataclass(frozen=True)
class Ids:
    product: str
    metric: str
    plan: str
    ramp: str
    price: str
    customer: str
    contract: str
    adjustment: str | None
    saved_quote: str


@dataclass(frozen=True)
class Case:
    document: str
    variables: Callable[[Ids], dict[str, Any]]
    mutation: bool = False


def _quote(plan: str) -> dict[str, Any]:
    return {"planId": plan, "startDate": "2026-01-01", "periods": 1, "usage": []}


def _m(name: str, input_type: str, given: Callable[[Ids], dict[str, Any]]) -> Case:
    return Case(
        f"mutation($input: {input_type}!) "
        f"{{ {name}(input: $input) {{ errors {{ field code }} }} }}",
        lambda ids: {"input": given(ids)},
        mutation=True,
    )


def _bogus_id(kind: str) -> Callable[[Ids], dict[str, Any]]:
    return lambda _ids: {"id": BOGUS[kind]}


def _node(attribute: str) -> Case:
    return Case(
        "query($id: ID!) { node(id: $id) { id } }", lambda ids: {"id": getattr(ids, attribute)}
    )


CASES: dict[str, Case] = {
    "products": Case("{ products { totalCount } }", lambda _: {}),
    "product": Case("query($k: String!) { product(key: $k) { id } }", lambda _: {"k": "ai-api"}),
    "metrics": Case("{ metrics { totalCount } }", lambda _: {}),
    "metric": Case(
        "query($k: String!) { metric(key: $k) { id } }", lambda _: {"k": "input_tokens"}
    ),
    "plans": Case("{ plans { totalCount } }", lambda _: {}),
    "plan": Case("query($id: ID!) { plan(id: $id) { id } }", lambda ids: {"id": ids.plan}),
    "quote": Case(
        "query($q: QuoteInput!) { quote(input: $q) { errors { code } } }",
        lambda ids: {"q": _quote(ids.plan)},
    ),
    "comparePlans": Case(
        "query($p: ID!) { comparePlans(productId: $p, usage: [], periods: 1) { errors { code } } }",
        lambda ids: {"p": ids.product},
    ),
    "customers": Case("{ customers { totalCount } }", lambda _: {}),
    "customer": Case("query($id: ID!) { customer(id: $id) { id } }", lambda i: {"id": i.customer}),
    "contracts": Case("{ contracts { totalCount } }", lambda _: {}),
    "contract": Case("query($id: ID!) { contract(id: $id) { id } }", lambda i: {"id": i.contract}),
    "estimateCost": Case(
        "query($c: ID!) { estimateCost(contractId: $c, metricKey: "
        '"model_units", quantity: "1") { amount } }',
        lambda ids: {"c": ids.contract},
    ),
    "savedQuote": Case(
        "query($id: ID!) { savedQuote(id: $id) { id } }", lambda ids: {"id": ids.saved_quote}
    ),
    "savedQuotes": Case("{ savedQuotes { totalCount } }", lambda _: {}),
    "auditEvents": Case("{ auditEvents(first: 1) { totalCount } }", lambda _: {}),
    "createProduct": _m("createProduct", "CreateProductInput", lambda _: {"key": "", "name": ""}),
    "updateProduct": _m("updateProduct", "UpdateProductInput", _bogus_id("Product")),
    "archiveProduct": _m("archiveProduct", "IdInput", _bogus_id("Product")),
    "createMetric": _m(
        "createMetric", "CreateMetricInput", lambda _: {"key": "", "name": "", "unitLabel": ""}
    ),
    "createPlan": _m(
        "createPlan",
        "CreatePlanInput",
        lambda _: {
            "productId": BOGUS["Product"],
            "key": "matrix",
            "name": "Matrix",
            "ramps": [],
            "pricingUnit": {"code": "USD"},
        },
    ),
    "updatePlan": _m("updatePlan", "UpdatePlanInput", _bogus_id("Plan")),
    "publishPlan": _m("publishPlan", "IdInput", _bogus_id("Plan")),
    "createPlanVersion": _m("createPlanVersion", "IdInput", _bogus_id("Plan")),
    "archivePlan": _m("archivePlan", "IdInput", _bogus_id("Plan")),
    "createCustomer": _m(
        "createCustomer", "CreateCustomerInput", lambda _: {"externalId": "", "name": ""}
    ),
    "createContract": _m(
        "createContract",
        "CreateContractInput",
        lambda ids: {
            "customerId": BOGUS["Customer"],
            "planId": ids.plan,
            "startDate": "2026-01-01",
        },
    ),
    "amendContract": _m(
        "amendContract",
        "AmendContractInput",
        lambda _: {"contractId": BOGUS["Contract"], "expectedRevision": 1},
    ),
    "endContract": _m(
        "endContract",
        "EndContractInput",
        lambda _: {"contractId": BOGUS["Contract"], "endDate": "2030-01-01", "expectedRevision": 1},
    ),
    "moveContractToPlanVersion": _m(
        "moveContractToPlanVersion",
        "MoveContractToPlanVersionInput",
        lambda ids: {
            "contractId": BOGUS["Contract"],
            "planId": ids.plan,
            "effectiveFrom": "2030-01-01",
            "expectedRevision": 1,
        },
    ),
    "changeContractPlan": _m(
        "changeContractPlan",
        "ChangeContractPlanInput",
        lambda ids: {
            "contractId": BOGUS["Contract"],
            "planId": ids.plan,
            "effectiveDate": "2030-01-01",
            "expectedRevision": 1,
        },
    ),
    "previewContractChange": Case(
        "query($i: ContractChangeInput!) { previewContractChange(input: $i) { difference } }",
        lambda ids: {
            "i": {"contractId": ids.contract, "planId": ids.plan, "effectiveDate": "2026-02-01"}
        },
    ),
    "ingestUsage": Case(
        "mutation($e: [UsageEventInput!]!) { ingestUsage(events: $e) { errors { field code } } }",
        lambda _: {
            "e": [
                {
                    "eventId": "matrix-1",
                    "customerId": "no-such-customer",
                    "metricKey": "model_units",
                    "timestamp": "2026-01-01T00:00:00Z",
                    "value": "1",
                }
            ]
        },
        mutation=True,
    ),
    "createQuote": _m(
        "createQuote",
        "CreateQuoteInput",
        lambda _: {"quote": _quote(BOGUS["Plan"]), "validUntil": "2030-01-01"},
    ),
    "updateQuote": _m(
        "updateQuote",
        "UpdateQuoteInput",
        lambda ids: {"id": BOGUS["SavedQuote"], "quote": _quote(ids.plan)},
    ),
    "approveQuote": _m("approveQuote", "ApproveQuoteInput", _bogus_id("SavedQuote")),
    "voidQuote": _m(
        "voidQuote", "VoidQuoteInput", lambda _: {"id": BOGUS["SavedQuote"], "reason": "matrix"}
    ),
    "acceptQuote": _m("acceptQuote", "AcceptQuoteInput", _bogus_id("SavedQuote")),
    "promotionCodes": Case("{ promotionCodes { totalCount } }", lambda _: {}),
    "planDiscounts": Case(
        "query($p: ID!) { planDiscounts(planId: $p) { key } }", lambda ids: {"p": ids.plan}
    ),
    "createPromotionCode": _m(
        "createPromotionCode",
        "CreatePromotionCodeInput",
        lambda _: {"code": "", "kind": "PERCENT", "value": "10"},
    ),
    "setPlanDiscounts": _m(
        "setPlanDiscounts",
        "SetPlanDiscountsInput",
        lambda _: {"planId": BOGUS["Plan"], "discounts": []},
    ),
    "node": _node("metric"),
    "node:Product": _node("product"),
    "node:Metric": _node("metric"),
    "node:Plan": _node("plan"),
    "node:PricingRamp": _node("ramp"),
    "node:Price": _node("price"),
    "node:Customer": _node("customer"),
    "node:Contract": _node("contract"),
    "node:SavedQuote": _node("saved_quote"),
    # entitlements (issue 14)
    "entitlements": Case('{ entitlements(customerId: "startup-inc") { key } }', lambda _: {}),
    "checkEntitlement": Case(
        '{ checkEntitlement(customerId: "startup-inc", metricKey: "model_units") { allowed } }',
        lambda _: {},
    ),
    "setContractEntitlement": _m(
        "setContractEntitlement",
        "SetContractEntitlementInput",
        lambda _: {
            "contractId": BOGUS["Contract"],
            "expectedRevision": 1,
            "featureKey": "sso",
            "enabled": True,
        },
    ),
}
# Served by HTTP, not by the schema: tested below through the app.
PUBLIC_PAGES = {
    "GET /healthz": "/healthz",
    "GET /readyz": "/readyz",
    "GET /pricing/{productKey}": "/pricing/llm-platform",
    "GET /embed/pricing-table.js": "/embed/pricing-table.js",
    "GET /static/graphiql": "/static/graphiql/graphiql.min.js",
}
HTTP_OPERATIONS = {"POST /v1/usage/events", "GET /metrics", *PUBLIC_PAGES}
# Types implementing Node that node(id:) does not resolve (they are reached through a parent).
NOT_FETCHABLE = {"node:ContractAdjustment"}


# --- coverage: every operation of the schema has a row, and every row a case ---------------


def _root_fields(type_name: str) -> set[str]:
    root = schema._schema.get_type(type_name)
    assert isinstance(root, GraphQLObjectType)
    return set(root.fields)


def _node_types() -> set[str]:
    """ "node:<Type>" for each fetchable type; a price's ID names the Price interface, so the
    three price types share one row."""
    node = schema._schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    names = set()
    for t in schema._schema.type_map.values():
        if isinstance(t, GraphQLObjectType) and node in t.interfaces:
            is_price = any(i.name == "Price" for i in t.interfaces)
            names.add("node:Price" if is_price else f"node:{t.name}")
    return names


def test_every_root_field_mutation_and_node_type_has_a_policy_entry() -> None:
    operations = _root_fields("Query") | _root_fields("Mutation") | _node_types()
    assert sorted(operations - set(POLICY)) == []
    assert sorted(set(POLICY) - operations - HTTP_OPERATIONS) == []


def test_every_policy_entry_is_exercised_by_the_matrix() -> None:
    assert set(CASES) | HTTP_OPERATIONS | NOT_FETCHABLE == set(POLICY)


def test_docs_security_carries_the_policy_table() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    assert policy_table() in docs


# --- the matrix ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_url(module_database_url: str) -> str:
    asyncio.run(seed_demo(module_database_url))
    return module_database_url


@pytest.fixture
async def database(seeded_url: str) -> AsyncIterator[Database]:
    database = Database.connect(Settings(database_url=seeded_url))
    yield database
    await database.dispose()


async def _run(database: Database, actor: Actor, case: Case, ids: Ids) -> Any:
    return await schema.execute(
        case.document,
        variable_values=case.variables(ids),
        context_value=Context(database, actor=actor),
    )


async def _ids(database: Database) -> Ids:
    """Objects every role that may see anything sees: the partner's own customer and
    contract, a published public plan, and a saved quote made by sales."""
    read = await schema.execute(
        """{ product(key: "ai-api") { id plans { edges { node { id key status visibility
               ramps { id prices { id } } } } } }
             metric(key: "input_tokens") { id }
             customer(externalId: "acme-corp") { id partnerOwner
               contracts { edges { node { id adjustments { id } } } } } }""",
        context_value=Context(database, actor=SYSTEM),
    )
    assert read.errors is None, read.errors
    data = read.data
    plan = next(
        edge["node"]
        for edge in data["product"]["plans"]["edges"]
        if edge["node"]["status"] == "PUBLISHED" and edge["node"]["visibility"] == "PUBLIC"
    )
    customer = data["customer"]
    assert customer["partnerOwner"] == PARTNER
    contract = customer["contracts"]["edges"][0]["node"]
    saved = await schema.execute(
        """mutation($input: CreateQuoteInput!) {
             createQuote(input: $input) { savedQuote { id } errors { field code } } }""",
        variable_values={
            "input": {
                "prospect": {"externalId": "matrix-prospect", "name": "Matrix Prospect"},
                "quote": _quote(plan["id"]),
                "validUntil": "2030-01-01",
                "idempotencyKey": "matrix-saved-quote",
            }
        },
        context_value=Context(database, actor=SYSTEM),
    )
    assert saved.errors is None, saved.errors
    assert saved.data["createQuote"]["errors"] == []
    return Ids(
        product=data["product"]["id"],
        metric=data["metric"]["id"],
        plan=plan["id"],
        ramp=plan["ramps"][0]["id"],
        price=plan["ramps"][0]["prices"][0]["id"],
        customer=customer["id"],
        contract=contract["id"],
        adjustment=(contract["adjustments"] or [{"id": None}])[0]["id"],
        saved_quote=saved.data["createQuote"]["savedQuote"]["id"],
    )


def _codes(result: Any, case: Case) -> list[tuple[str | None, str]]:
    """(field, code) of every refusal: the payload's errors for a mutation, the GraphQL
    errors' extensions for a read."""
    found = [
        ((e.extensions or {}).get("field"), (e.extensions or {}).get("code"))
        for e in result.errors or []
    ]
    if case.mutation and result.data:
        payload = next(iter(result.data.values()))
        found += [(e["field"], e["code"]) for e in payload["errors"]]
    return found


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_matrix(database: Database, operation: str) -> None:
    ids = await _ids_once(database)
    case = CASES[operation]
    outcomes = {}
    for role in ROLES:
        result = await _run(database, ACTORS[role], case, ids)
        codes = _codes(result, case)
        outcomes[role.value] = "DENY" if ("FORBIDDEN" in {c for _, c in codes}) else "allowed"
        if POLICY[operation][ROLES.index(role)] is Rule.DENY:
            assert codes == [(None, "FORBIDDEN")], (role, codes)
            if not case.mutation:
                assert not result.data or next(iter(result.data.values())) is None, role
        else:
            assert "FORBIDDEN" not in {c for _, c in codes}, (role, codes)
    expected = {
        role.value: "DENY" if cell is Rule.DENY else "allowed"
        for role, cell in zip(ROLES, POLICY[operation], strict=True)
    }
    assert outcomes == expected


_IDS: dict[str, Ids] = {}


async def _ids_once(database: Database) -> Ids:
    url = str(database.engine.url)
    if url not in _IDS:
        _IDS[url] = await _ids(database)
    return _IDS[url]


# --- visibility: what an allowed read returns -------------------------------------------------


VISIBLE_READS = {
    "product": ("product", {"ANONYMOUS", "PARTNER", "SALES", "ADMIN"}),
    "plan": ("plan", {"ANONYMOUS", "PARTNER", "SALES", "ADMIN"}),
    "customer": ("customer", {"PARTNER", "SALES", "ADMIN"}),
    "contract": ("contract", {"PARTNER", "SALES", "ADMIN"}),
    "savedQuote": ("savedQuote", {"SALES", "ADMIN"}),
    "node:Customer": ("node", {"PARTNER", "SALES", "ADMIN"}),
    "node:Plan": ("node", {"ANONYMOUS", "PARTNER", "SALES", "ADMIN"}),
}


@pytest.mark.parametrize("operation", sorted(VISIBLE_READS))
async def test_allowed_reads_return_the_object(database: Database, operation: str) -> None:
    ids = await _ids_once(database)
    field, seeing = VISIBLE_READS[operation]
    for role in ROLES:
        result = await _run(database, ACTORS[role], CASES[operation], ids)
        got = (result.data or {}).get(field)
        assert (got is not None) == (role.name in seeing), (role, result.errors)


# --- the bulk endpoint ------------------------------------------------------------------------


async def test_bulk_endpoint_by_role(seeded_url: str) -> None:
    app = create_app(Settings(database_url=seeded_url))
    secrets = {demo.role: demo.secret for demo in DEMO_KEYS}
    event = {
        "eventId": "matrix-bulk-1",
        "customerId": "acme-corp",
        "metricKey": "model_units",
        "timestamp": "2026-01-01T00:00:00Z",
        "value": "0",
        "dimensions": [{"name": "model", "value": "small"}],
    }
    statuses = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        for role in ROLES:
            headers = {} if role is Role.ANONYMOUS else {"authorization": f"Bearer {secrets[role]}"}
            response = await client.post(
                "/v1/usage/events", json={"events": [event]}, headers=headers
            )
            statuses[role.value] = response.status_code
    assert statuses == {"anonymous": 401, "partner": 200, "sales": 403, "admin": 200}


async def test_public_pages_and_probes_by_role(seeded_url: str) -> None:
    """Their rows say `all`: every role gets them, with or without a key."""
    app = create_app(Settings(database_url=seeded_url))
    secrets = {demo.role: demo.secret for demo in DEMO_KEYS}
    statuses = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        for operation, path in PUBLIC_PAGES.items():
            for role in ROLES:
                headers = (
                    {} if role is Role.ANONYMOUS else {"authorization": f"Bearer {secrets[role]}"}
                )
                statuses[operation, role.value] = (
                    await client.get(path, headers=headers)
                ).status_code
    expected = {
        (operation, role.value): 200 if POLICY[operation][ROLES.index(role)] is Rule.ALL else 403
        for operation in PUBLIC_PAGES
        for role in ROLES
    }
    assert statuses == expected
