"""Who may read and change the catalog: every root field, mutation and `node` type of the
catalog, for an anonymous caller, a partner, sales and an admin, on both backends.

Anonymous callers and partners see the public price book only: a plan that is not
PUBLISHED and PUBLIC (and its ramps and prices) answers as a missing one, through every
path (`product.plans`, `plans`, `plan(key:)`, `plan(id:)`, `node`). Only an admin changes
the catalog; a refused write is a typed FORBIDDEN and writes nothing, not even an audit
event; an admin's write records one, with who, what and the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support.graphql import StatementCounter, execute

from pricing_graph.api.context import Context
from pricing_graph.api.ids import decode_id
from pricing_graph.api.schema import schema
from pricing_graph.services import audit
from pricing_graph.services.actor import ANONYMOUS, Actor, Role
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.store.schema import metadata

PARTNER = Actor.for_key(11, Role.PARTNER, "partner-a")
SALES = Actor.for_key(12, Role.SALES)
ADMIN = Actor.for_key(13, Role.ADMIN)
ACTORS = {"anonymous": ANONYMOUS, "partner": PARTNER, "sales": SALES, "admin": ADMIN}
SEES_ALL = ("sales", "admin")

PLAN = "id key version status visibility"
ID_INPUT = ("archiveProduct", "publishPlan", "createPlanVersion", "archivePlan")


def document(name: str, payload: str) -> str:
    """`mutation($input) { name(input: $input) { errors payload { id } } }`."""
    kind = "IdInput" if name in ID_INPUT else f"{name[0].upper()}{name[1:]}Input"
    return (
        f"mutation($input: {kind}!) {{ {name}(input: $input) "
        f"{{ errors {{ field code message }} {payload} {{ id }} }} }}"
    )


async def run(database: Database, actor: Actor, query: str, **variables: Any) -> Any:
    """Execute as `actor`, as a request with its key would (and close its session)."""
    context = Context(database, actor=actor)
    try:
        return await schema.execute(query, variable_values=variables, context_value=context)
    finally:
        await context.close()


async def ok(database: Database, actor: Actor, query: str, **variables: Any) -> dict[str, Any]:
    result = await run(database, actor, query, **variables)
    assert result.errors is None, [e.formatted for e in result.errors]
    data: dict[str, Any] = result.data
    return data


async def row_counts(database: Database) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).one()[0]
            for table in metadata.sorted_tables
        }


def plan_input(product_id: str, key: str, visibility: str = "PUBLIC") -> dict[str, Any]:
    return {
        "productId": product_id,
        "key": key,
        "name": key.title(),
        "visibility": visibility,
        "pricingUnit": {"code": "USD"},
        "ramps": [{"prices": [{"key": "base", "name": "Platform", "fixed": {"amount": "10"}}]}],
    }


@dataclass(frozen=True)
class Catalog:
    product: str
    metric: str
    public: str  # "open" v1: PUBLISHED, PUBLIC
    next_draft: str  # "open" v2: DRAFT, PUBLIC
    private: str  # "secret" v1: PUBLISHED, PRIVATE
    draft: str  # "draft" v1: DRAFT, PUBLIC
    archived: str  # "old" v1: ARCHIVED, PUBLIC

    @property
    def hidden(self) -> dict[str, str]:
        """The plans that are not in the public price book, by what they are."""
        return {
            "draft version": self.next_draft,
            "private": self.private,
            "draft": self.draft,
            "archived": self.archived,
        }


async def mutate(database: Database, name: str, given: dict[str, Any], payload: str) -> str:
    data = await execute(database, document(name, payload), input=given)
    assert data[name]["errors"] == [], data
    found: str = data[name][payload]["id"]
    return found


async def seed(database: Database) -> Catalog:
    """One product with a plan in every state, made by the system (an admin)."""
    product = await mutate(database, "createProduct", {"key": "llm", "name": "LLM API"}, "product")
    metric = await mutate(
        database,
        "createMetric",
        {"key": "tokens", "name": "Tokens", "unitLabel": "tokens", "eventProperty": "tokens"},
        "metric",
    )
    ids: dict[str, str] = {}
    for key, visibility in (("open", "PUBLIC"), ("secret", "PRIVATE"), ("draft", "PUBLIC")):
        ids[key] = await mutate(
            database, "createPlan", plan_input(product, key, visibility), "plan"
        )
    ids["old"] = await mutate(database, "createPlan", plan_input(product, "old"), "plan")
    for key in ("open", "secret", "old"):
        await mutate(database, "publishPlan", {"id": ids[key]}, "plan")
    await mutate(database, "archivePlan", {"id": ids["old"]}, "plan")
    next_draft = await mutate(database, "createPlanVersion", {"id": ids["open"]}, "plan")
    return Catalog(
        product=product,
        metric=metric,
        public=ids["open"],
        next_draft=next_draft,
        private=ids["secret"],
        draft=ids["draft"],
        archived=ids["old"],
    )


ALL_PLANS = [
    ("draft", 1, "DRAFT", "PUBLIC"),
    ("old", 1, "ARCHIVED", "PUBLIC"),
    ("open", 1, "PUBLISHED", "PUBLIC"),
    ("open", 2, "DRAFT", "PUBLIC"),
    ("secret", 1, "PUBLISHED", "PRIVATE"),
]
PUBLIC_PLANS = [("open", 1, "PUBLISHED", "PUBLIC")]


def plan_rows(nodes: list[dict[str, Any]]) -> list[tuple[str, int, str, str]]:
    return [(n["key"], n["version"], n["status"], n["visibility"]) for n in nodes]


# --- reads -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ACTORS)
async def test_product_plans_without_a_filter_show_the_public_price_book(
    database: Database, role: str
) -> None:
    """Anonymous callers used to get PRIVATE and DRAFT plans here."""
    await seed(database)
    data = await ok(
        database,
        ACTORS[role],
        f"""{{ product(key: "llm") {{ plans {{ totalCount nodes {{ {PLAN} }} }} }}
             products {{ nodes {{ key plans {{ totalCount nodes {{ {PLAN} }} }} }} }} }}""",
    )
    expected = ALL_PLANS if role in SEES_ALL else PUBLIC_PLANS
    plans = data["product"]["plans"]
    assert sorted(plan_rows(plans["nodes"])) == expected
    assert plans["totalCount"] == len(expected)
    [listed] = data["products"]["nodes"]
    assert sorted(plan_rows(listed["plans"]["nodes"])) == expected


@pytest.mark.parametrize("role", ["anonymous", "partner"])
async def test_product_plans_filters_cannot_reach_hidden_plans(
    database: Database, role: str
) -> None:
    await seed(database)
    data = await ok(
        database,
        ACTORS[role],
        f"""{{ product(key: "llm") {{
               drafts: plans(status: DRAFT) {{ totalCount nodes {{ {PLAN} }} }}
               archived: plans(status: ARCHIVED) {{ totalCount }}
               private: plans(visibility: PRIVATE) {{ totalCount }}
               published: plans(status: PUBLISHED, visibility: PUBLIC) {{ nodes {{ key }} }}
             }} }}""",
    )
    assert data["product"] == {
        "drafts": {"totalCount": 0, "nodes": []},
        "archived": {"totalCount": 0},
        "private": {"totalCount": 0},
        "published": {"nodes": [{"key": "open"}]},
    }


@pytest.mark.parametrize("role", ACTORS)
async def test_the_plans_query_is_the_public_price_book_for_public_callers(
    database: Database, role: str
) -> None:
    await seed(database)
    data = await ok(
        database,
        ACTORS[role],
        f"""{{ all: plans {{ totalCount nodes {{ {PLAN} }} }}
             drafts: plans(status: DRAFT) {{ totalCount nodes {{ key }} }}
             private: plans(visibility: PRIVATE) {{ totalCount }}
             open: plans(key: "open") {{ nodes {{ version }} }} }}""",
    )
    sees_all = role in SEES_ALL
    assert sorted(plan_rows(data["all"]["nodes"])) == (ALL_PLANS if sees_all else PUBLIC_PLANS)
    assert data["all"]["totalCount"] == (5 if sees_all else 1)
    assert data["drafts"]["totalCount"] == (2 if sees_all else 0)
    assert data["private"] == {"totalCount": 1 if sees_all else 0}
    assert data["open"]["nodes"] == (
        [{"version": 1}, {"version": 2}] if sees_all else [{"version": 1}]
    )


PLAN_BY_ID = """query($id: ID!) {
  plan(id: $id) { key version }
  node(id: $id) { ... on Plan { key version } }
}"""
RAMP_AND_PRICE = """query($plan: ID!) { plan(id: $plan) { ramps { id prices { id } } } }"""
RAMP_AND_PRICE_NODES = """query($ramp: ID!, $price: ID!) {
  ramp: node(id: $ramp) { ... on PricingRamp { position } }
  price: node(id: $price) { ... on Price { key } }
}"""


@pytest.mark.parametrize("role", ACTORS)
async def test_a_hidden_plan_answers_as_missing_by_key_id_and_node(
    database: Database, role: str
) -> None:
    catalog = await seed(database)
    actor = ACTORS[role]
    sees_all = role in SEES_ALL
    for what, plan_id in catalog.hidden.items():
        data = await ok(database, actor, PLAN_BY_ID, id=plan_id)
        if sees_all:
            assert data["plan"] is not None, what
            assert data["plan"] == data["node"], what
        else:
            assert data == {"plan": None, "node": None}, what
        structure = await ok(database, SALES, RAMP_AND_PRICE, plan=plan_id)
        [ramp] = structure["plan"]["ramps"]
        nodes = await ok(
            database, actor, RAMP_AND_PRICE_NODES, ramp=ramp["id"], price=ramp["prices"][0]["id"]
        )
        expected = (
            {"ramp": {"position": 0}, "price": {"key": "base"}}
            if sees_all
            else {"ramp": None, "price": None}
        )
        assert nodes == expected, what
    by_key = await ok(
        database,
        actor,
        """{ secret: plan(key: "secret") { key }
             secretV1: plan(key: "secret", version: 1) { key }
             draft: plan(key: "draft", version: 1) { key }
             openV2: plan(key: "open", version: 2) { key }
             old: plan(key: "old", version: 1) { key }
             open: plan(key: "open") { version } }""",
    )
    assert by_key == {
        "secret": {"key": "secret"} if sees_all else None,
        "secretV1": {"key": "secret"} if sees_all else None,
        "draft": {"key": "draft"} if sees_all else None,
        "openV2": {"key": "open"} if sees_all else None,
        "old": {"key": "old"} if sees_all else None,
        "open": {"version": 1},
    }


@pytest.mark.parametrize("role", ACTORS)
async def test_everyone_reads_products_metrics_and_the_public_plan(
    database: Database, role: str
) -> None:
    catalog = await seed(database)
    data = await ok(
        database,
        ACTORS[role],
        """query($product: ID!, $metric: ID!, $plan: ID!) {
             products { totalCount nodes { key } }
             product(id: $product) { key }
             byKey: product(key: "llm") { name }
             productNode: node(id: $product) { ... on Product { key } }
             metrics { nodes { key } }
             metric(key: "tokens") { unitLabel }
             metricNode: node(id: $metric) { ... on Metric { key } }
             plan(id: $plan) { key version product { key } ramps { prices { key } } }
             planNode: node(id: $plan) { ... on Plan { key } }
           }""",
        product=catalog.product,
        metric=catalog.metric,
        plan=catalog.public,
    )
    assert data == {
        "products": {"totalCount": 1, "nodes": [{"key": "llm"}]},
        "product": {"key": "llm"},
        "byKey": {"name": "LLM API"},
        "productNode": {"key": "llm"},
        "metrics": {"nodes": [{"key": "tokens"}]},
        "metric": {"unitLabel": "tokens"},
        "metricNode": {"key": "tokens"},
        "plan": {
            "key": "open",
            "version": 1,
            "product": {"key": "llm"},
            "ramps": [{"prices": [{"key": "base"}]}],
        },
        "planNode": {"key": "open"},
    }


async def test_the_public_filter_keeps_product_plans_batched(database: Database) -> None:
    """The filter runs after the loader: the same statements for every caller, and as many
    for three products as for one."""
    await seed(database)
    query = """{ products { nodes { key plans { totalCount nodes { key ramps {
                 prices { key displayPrice } } } } } } }"""
    counts = {}
    for role, actor in ACTORS.items():
        # Cold each time: published plans' rows are kept for the process once read
        # (store/sealed_rows.py), which would spare the later callers statements.
        database.plans.rows.clear()
        with StatementCounter(database) as counter:
            await ok(database, actor, query)
        counts[role] = counter.count
    for key in ("more", "most"):
        product = await mutate(database, "createProduct", {"key": key, "name": key}, "product")
        for plan in ("a", "b"):
            plan_id = await mutate(
                database, "createPlan", plan_input(product, f"{key}-{plan}"), "plan"
            )
            await mutate(database, "publishPlan", {"id": plan_id}, "plan")
    database.plans.rows.clear()
    with StatementCounter(database) as counter:
        data = await ok(database, ANONYMOUS, query)
    assert [len(p["plans"]["nodes"]) for p in data["products"]["nodes"]] == [1, 2, 2]
    assert set(counts.values()) == {counter.count}, counts


async def test_a_malformed_id_is_still_invalid_id_for_public_callers(database: Database) -> None:
    result = await run(database, ANONYMOUS, '{ plan(id: "nope") { key } }')
    assert result.data == {"plan": None}
    assert [(e.message, e.extensions) for e in result.errors] == [
        ("'nope' is not a pricing-graph ID", {"code": "INVALID_ID", "field": "id"})
    ]


# --- writes ------------------------------------------------------------------------------

PAYLOADS = {
    "createProduct": "product",
    "updateProduct": "product",
    "archiveProduct": "product",
    "createMetric": "metric",
    "createPlan": "plan",
    "updatePlan": "plan",
    "publishPlan": "plan",
    "createPlanVersion": "plan",
    "archivePlan": "plan",
}


def writes(catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """Every catalog mutation once, in an order in which each succeeds for an admin."""
    return [
        ("createProduct", {"key": "vectors", "name": "Vectors"}),
        ("updateProduct", {"id": catalog.product, "name": "LLM"}),
        (
            "createMetric",
            {"key": "requests", "name": "Requests", "unitLabel": "req", "aggregation": "COUNT"},
        ),
        ("createPlan", plan_input(catalog.product, "fresh")),
        ("updatePlan", {"id": catalog.draft, "name": "Renamed"}),
        ("publishPlan", {"id": catalog.next_draft}),
        ("createPlanVersion", {"id": catalog.private}),
        ("archivePlan", {"id": catalog.draft}),
        ("archiveProduct", {"id": catalog.product}),
    ]


async def attempt(
    database: Database, actor: Actor, name: str, given: dict[str, Any]
) -> dict[str, Any]:
    data = await ok(database, actor, document(name, PAYLOADS[name]), input=given)
    payload: dict[str, Any] = data[name]
    return payload


@pytest.mark.parametrize("role", ["anonymous", "partner", "sales"])
async def test_only_an_admin_changes_the_catalog(database: Database, role: str) -> None:
    catalog = await seed(database)
    before = await row_counts(database)
    who = "an anonymous caller" if role == "anonymous" else f"a {role} key"
    for name, given in writes(catalog):
        payload = await attempt(database, ACTORS[role], name, given)
        assert payload == {
            "errors": [
                {"field": None, "code": "FORBIDDEN", "message": f"{who} may not use {name}"}
            ],
            PAYLOADS[name]: None,
        }, name
    assert await row_counts(database) == before  # nothing written, no audit event either


async def test_an_admin_write_is_audited_with_its_input(database: Database) -> None:
    catalog = await seed(database)
    uow = UnitOfWork(database)
    seeded = (await audit.audit_events(uow, first=100)).events
    assert {(e.caller, e.role) for e in seeded} == {("system", "admin")}  # the set-up's
    expected = []
    for name, given in writes(catalog):
        payload = await attempt(database, ADMIN, name, given)
        assert payload["errors"] == [], name
        object_id = decode_id(payload[PAYLOADS[name]]["id"])[1]
        expected.append((name, PAYLOADS[name].title(), object_id))
    events = (await audit.audit_events(uow, first=len(expected))).events[::-1]
    await uow.close()
    assert [(e.operation, e.object_type, e.object_id) for e in events] == expected
    assert {(e.key_id, e.caller, e.role) for e in events} == {(13, "key:13", "admin")}
    by_operation = {e.operation: e for e in events}
    assert by_operation["createProduct"].input == {
        "key": "vectors",
        "name": "Vectors",
        "description": "",
    }
    assert by_operation["updatePlan"].input == {"id": catalog.draft, "name": "Renamed"}
    # publishing v2 archived v1; the new version names the plan it copied
    assert by_operation["publishPlan"].object_ids == (decode_id(catalog.public)[1],)
    assert by_operation["createPlanVersion"].object_ids == (decode_id(catalog.private)[1],)


async def test_a_refused_admin_write_records_nothing(database: Database) -> None:
    catalog = await seed(database)
    before = await row_counts(database)
    payload = await attempt(database, ADMIN, "publishPlan", {"id": catalog.public})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.id", "INVALID_STATUS")]
    assert await row_counts(database) == before
