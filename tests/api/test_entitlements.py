"""Entitlements through the API, on both backends (issue 14, item 2).

Product "api", metric api_calls (COUNT), three public plans:
- starter (tier 1): feature dashboards; api_calls HARD limit 10 per month.
- growth (tier 2): dashboards, sso; api_calls HARD limit 100.
- scale (tier 3): dashboards, sso, audit_log; no limit.
Acme is on starter, monthly from 2026-01-01. Hand-computed answers:
- no usage yet: 10 more calls fit (remaining 10); 11 do not (refused, upgrade to growth:
  11 <= 100); 200 do not fit growth either: upgrade to scale.
- 12 calls ingested in one batch: all stored; events 10 and 11 (the 11th and 12th call)
  pass the limit of 10 and are reported; used 12, remaining 0; one more call is refused
  with growth as the upgrade; usageStatus says blocked.
- a contract override to 50 SOFT: 12 + 100 > 50 is allowed (SOFT) but over the limit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from tests.api.test_rating_fixes import (
    CREATE_CONTRACT,
    CREATE_CUSTOMER,
    CREATE_METRIC,
    CREATE_PLAN,
    CREATE_PRODUCT,
    UPDATE_PLAN,
    plan_input,
    published_plan,
    usage_price,
)
from tests.support.graphql import StatementCounter, execute, execute_raw

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.services import keys
from pricing_graph.services.actor import ROLE_SCOPES, Actor, Role
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.settings import Settings
from pricing_graph.store import plans

USAGE_STORES = True  # the checks and the HARD-limit report also read a ClickHouse usage store

CHECK = """
query($customer: String!, $feature: String, $metric: String, $quantity: Decimal! = "1") {
  checkEntitlement(customerId: $customer, featureKey: $feature, metricKey: $metric,
                   quantity: $quantity) {
    allowed kind key quantity planKey limit enforcement used remaining overLimit nextPlanKey
  }
}
"""
ENTITLEMENTS = """
query($customer: String!) {
  entitlements(customerId: $customer) {
    kind key displayName productKey planKey enabled limit enforcement used remaining overridden
  }
}
"""
INGEST = """
mutation($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) {
    accepted rejected overLimit { index customerId metricKey limit used }
  }
}
"""
STATUS = """
query($id: ID!) {
  contract(id: $id) { revision usageStatus { metricKey used limit nextPlanKey blocked } }
}
"""
SET = """
mutation($input: SetContractEntitlementInput!) {
  setContractEntitlement(input: $input) { contract { revision } errors { field code } }
}
"""
PLAN = "query($id: ID!) { plan(id: $id) { features featureEntitlements { key displayName } } }"


def features(*keys: str) -> list[dict[str, str]]:
    names = {"dashboards": "Dashboards", "sso": "Single sign-on", "audit_log": "Audit log"}
    return [{"key": key, "displayName": names[key]} for key in keys]


def limit(quantity: str | None) -> list[dict[str, Any]]:
    return [] if quantity is None else [{"metricKey": "api_calls", "limit": quantity}]


async def setup(database: Any) -> tuple[str, str]:
    product = (await execute(database, CREATE_PRODUCT, input={"key": "api", "name": "API"}))[
        "createProduct"
    ]["product"]["id"]
    metric = await execute(
        database,
        CREATE_METRIC,
        input={
            "key": "api_calls",
            "name": "API calls",
            "unitLabel": "calls",
            "aggregation": "COUNT",
        },
    )
    assert metric["createMetric"]["errors"] == []
    price = [usage_price("calls", "api_calls", {"model": "FLAT", "unitPrice": "0.001"})]
    plan_ids = {}
    for rank, (key, granted, cap) in enumerate(
        [
            ("starter", ("dashboards",), "10"),
            ("growth", ("dashboards", "sso"), "100"),
            ("scale", ("dashboards", "sso", "audit_log"), None),
        ],
        start=1,
    ):
        plan_ids[key] = await published_plan(
            database,
            plan_input(
                product,
                key,
                price,
                tierRank=rank,
                featureEntitlements=features(*granted),
                usageLimits=limit(cap),
            ),
        )
    customer = (
        await execute(database, CREATE_CUSTOMER, input={"externalId": "acme", "name": "Acme"})
    )["createCustomer"]["customer"]["id"]
    contract = (
        await execute(
            database,
            CREATE_CONTRACT,
            input={
                "customerId": customer,
                "planId": plan_ids["starter"],
                "startDate": "2026-01-01",
            },
        )
    )["createContract"]
    assert contract["errors"] == []
    return plan_ids["starter"], contract["contract"]["id"]


async def check(database: Any, **variables: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (await execute(database, CHECK, customer="acme", **variables))[
        "checkEntitlement"
    ]
    return answer


def metered(answer: dict[str, Any]) -> tuple[Any, ...]:
    return (
        answer["allowed"],
        answer["used"],
        answer["remaining"],
        answer["overLimit"],
        answer["nextPlanKey"],
    )


async def test_features_and_limits_answer_with_the_upgrade_prompt(database: Any) -> None:
    starter, contract_id = await setup(database)
    # the pricing page renders the structured features' names
    assert (await execute(database, PLAN, id=starter))["plan"] == {
        "features": ["Dashboards"],
        "featureEntitlements": [{"key": "dashboards", "displayName": "Dashboards"}],
    }

    assert await check(database, feature="dashboards") == {
        "allowed": True,
        "kind": "FEATURE",
        "key": "dashboards",
        "quantity": "1",
        "planKey": "starter",
        "limit": None,
        "enforcement": None,
        "used": None,
        "remaining": None,
        "overLimit": False,
        "nextPlanKey": None,
    }
    sso = await check(database, feature="sso")
    assert (sso["allowed"], sso["planKey"], sso["nextPlanKey"]) == (False, None, "growth")
    assert (await check(database, feature="audit_log"))["nextPlanKey"] == "scale"
    assert (await check(database, feature="nothing"))["nextPlanKey"] is None

    ten = await check(database, metric="api_calls", quantity="10")
    assert (ten["limit"], ten["enforcement"], ten["planKey"]) == ("10", "HARD", "starter")
    assert metered(ten) == (True, "0", "10", False, None)
    assert metered(await check(database, metric="api_calls", quantity="11")) == (
        False,
        "0",
        "10",
        True,
        "growth",
    )
    assert metered(await check(database, metric="api_calls", quantity="200")) == (
        False,
        "0",
        "10",
        True,
        "scale",
    )

    # 12 calls now: all stored, the 11th and 12th reported past the HARD limit
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    events = [
        {"eventId": f"call-{n}", "customerId": "acme", "metricKey": "api_calls", "timestamp": now}
        for n in range(12)
    ]
    ingested = (await execute(database, INGEST, events=events))["ingestUsage"]
    assert (ingested["accepted"], ingested["rejected"]) == (12, 0)
    assert ingested["overLimit"] == [
        {"index": n, "customerId": "acme", "metricKey": "api_calls", "limit": "10", "used": "12"}
        for n in (10, 11)
    ]
    assert metered(await check(database, metric="api_calls")) == (
        False,
        "12",
        "0",
        True,
        "growth",
    )
    status = (await execute(database, STATUS, id=contract_id))["contract"]
    assert status["usageStatus"] == [
        {
            "metricKey": "api_calls",
            "used": "12",
            "limit": "10",
            "nextPlanKey": "growth",
            "blocked": True,
        }
    ]
    assert (await execute(database, ENTITLEMENTS, customer="acme"))["entitlements"] == [
        {
            "kind": "FEATURE",
            "key": "dashboards",
            "displayName": "Dashboards",
            "productKey": "api",
            "planKey": "starter",
            "enabled": True,
            "limit": None,
            "enforcement": None,
            "used": None,
            "remaining": None,
            "overridden": False,
        },
        {
            "kind": "METERED",
            "key": "api_calls",
            "displayName": "API calls",
            "productKey": "api",
            "planKey": "starter",
            "enabled": True,
            "limit": "10",
            "enforcement": "HARD",
            "used": "12",
            "remaining": "0",
            "overridden": False,
        },
    ]

    # contract overrides: a SOFT 50 and sso granted, each one revision
    revision = status["revision"]
    soft = (
        await execute(
            database,
            SET,
            input={
                "contractId": contract_id,
                "expectedRevision": revision,
                "metricKey": "api_calls",
                "limit": "50",
                "enforcement": "SOFT",
            },
        )
    )["setContractEntitlement"]
    assert soft == {"contract": {"revision": revision + 1}, "errors": []}
    granted = (
        await execute(
            database,
            SET,
            input={
                "contractId": contract_id,
                "expectedRevision": revision + 1,
                "featureKey": "sso",
                "enabled": True,
            },
        )
    )["setContractEntitlement"]
    assert granted["errors"] == []
    assert metered(await check(database, metric="api_calls", quantity="100")) == (
        True,
        "12",
        "38",
        True,
        None,
    )
    assert (await check(database, feature="sso"))["allowed"] is True
    # usageStatus follows the contract's limit: 12 of 50, not blocked (SOFT anyway)
    assert (await execute(database, STATUS, id=contract_id))["contract"]["usageStatus"] == [
        {
            "metricKey": "api_calls",
            "used": "12",
            "limit": "50",
            "nextPlanKey": None,
            "blocked": False,
        }
    ]
    stale = (
        await execute(
            database,
            SET,
            input={
                "contractId": contract_id,
                "expectedRevision": revision,
                "featureKey": "sso",
                "enabled": False,
            },
        )
    )["setContractEntitlement"]
    assert stale == {
        "contract": None,
        "errors": [{"field": "input.expectedRevision", "code": "CONFLICT"}],
    }


async def test_a_check_is_a_few_statements(database: Any) -> None:
    await setup(database)
    with StatementCounter(database) as counter:
        await check(database, metric="api_calls", quantity="11")
    # customer, metric, contracts, plans + limits, overrides, the usage aggregate, upgrades
    assert counter.count == 7
    with StatementCounter(database) as counter:
        await check(database, feature="dashboards")
    assert counter.count == 4


async def test_bad_questions_are_refused_by_argument(database: Any) -> None:
    await setup(database)

    async def refused(**variables: Any) -> list[tuple[str, str]]:
        result = await execute_raw(database, CHECK, **{"customer": "acme", **variables})
        assert result.data == {"checkEntitlement": None} or result.data is None
        return [(e.extensions["field"], e.extensions["code"]) for e in result.errors or []]

    assert await refused(feature="sso", metric="api_calls") == [("featureKey", "INVALID_VALUE")]
    assert await refused() == [("featureKey", "INVALID_VALUE")]
    assert await refused(metric="api_calls", quantity="-1") == [("quantity", "NEGATIVE_VALUE")]
    assert await refused(metric="no_such_metric") == [("metricKey", "UNKNOWN_METRIC")]
    assert await refused(feature="Not A Key") == [("featureKey", "INVALID_VALUE")]
    assert await refused(customer="nobody", feature="sso") == [("customerId", "NOT_FOUND")]


async def test_the_bulk_endpoint_reports_events_past_a_hard_limit(
    database: Any, database_url: str, usage_url: str
) -> None:
    await setup(database)
    uow = UnitOfWork(database)
    _, secret = await keys.create_key(uow, Role.ADMIN, name="entitlement tests")
    await uow.close()
    app = create_app(Settings(database_url=database_url, usage_url=usage_url))
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    events = [
        {"eventId": f"bulk-{n}", "customerId": "acme", "metricKey": "api_calls", "timestamp": now}
        for n in range(11)
    ]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {secret}"},
        ) as http,
    ):
        response = await http.post("/v1/usage/events", json={"events": events})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (11, 0)
    # 11 calls on a limit of 10: the 11th (index 10) is past it
    assert body["overLimit"] == [
        {"index": 10, "customerId": "acme", "metricKey": "api_calls", "limit": "10", "used": "11"}
    ]


async def test_a_batch_past_a_hard_limit_aggregates_on_the_connections_plan_mode(
    database: Any,
) -> None:
    # An ingestion batch runs on generic plans (store/plans.py); the HARD-limit check turns
    # the connection's own mode (custom plans) back on before it aggregates usage.
    await setup(database)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    events = [
        {"eventId": f"plan-{n}", "customerId": "acme", "metricKey": "api_calls", "timestamp": now}
        for n in range(11)
    ]
    with StatementCounter(database) as counter:
        ingested = (await execute(database, INGEST, events=events))["ingestUsage"]
    assert (ingested["accepted"], ingested["rejected"]) == (11, 0)
    assert [(o["index"], o["used"]) for o in ingested["overLimit"]] == [(10, "11")]
    statements = counter.statements
    if database.engine.dialect.name != "postgresql":
        assert plans.GENERIC not in statements and plans.OWN not in statements
        return
    assert statements[0] == plans.GENERIC
    assert statements.count(plans.OWN) == 1
    own = statements.index(plans.OWN)
    inserted = next(
        i
        for i, s in enumerate(statements)
        if s.lstrip().startswith(("WITH given", "COPY usage_event"))  # store/usage_copy.py
    )
    # after the insert and the contract reads; before the aggregate and the audit row
    assert inserted < own < len(statements) - 1
    after = statements[own + 1 :]
    if counter.clickhouse == 0:  # the aggregate reads the catalog's database
        assert any("usage_rollup" in s for s in after), after
    assert "audit_event" in statements[-1]


async def test_a_partner_checks_its_own_customers_only(database: Any) -> None:
    await setup(database)
    await execute(
        database,
        CREATE_CUSTOMER,
        input={"externalId": "shop", "name": "Shop", "partnerOwner": "p1"},
    )

    async def as_partner(partner: str, customer: str) -> Any:
        actor = Actor(role=Role.PARTNER, scopes=ROLE_SCOPES[Role.PARTNER], partner=partner)
        return await schema.execute(
            CHECK,
            variable_values={"customer": customer, "feature": "dashboards"},
            context_value=Context(database, actor=actor),
        )

    own = await as_partner("p1", "shop")
    assert own.errors is None
    # no contract in force: refused, but answered
    assert own.data["checkEntitlement"]["allowed"] is False
    for partner, customer in (("p2", "shop"), ("p1", "acme")):
        other = await as_partner(partner, customer)
        assert other.data is None or other.data["checkEntitlement"] is None
        assert [(e.extensions["field"], e.extensions["code"]) for e in other.errors or []] == [
            ("customerId", "NOT_FOUND")
        ]
    anonymous = await schema.execute(
        CHECK,
        variable_values={"customer": "shop", "feature": "dashboards"},
        context_value=Context(database, actor=Actor()),
    )
    assert [e.extensions["code"] for e in anonymous.errors or []] == ["FORBIDDEN"]


async def test_plan_features_are_checked_edited_and_copied(database: Any) -> None:
    starter, _ = await setup(database)
    product = (await execute(database, '{ product(key: "api") { id } }'))["product"]["id"]
    bad = (
        await execute(
            database,
            CREATE_PLAN,
            input=plan_input(
                product,
                "bad",
                [usage_price("calls", "api_calls", {"model": "FLAT", "unitPrice": "1"})],
                featureEntitlements=[
                    {"key": "sso", "displayName": "SSO"},
                    {"key": "sso", "displayName": "Again"},
                    {"key": "Bad Key", "displayName": ""},
                ],
            ),
        )
    )["createPlan"]
    assert bad["plan"] is None
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        ("input.featureEntitlements.1.key", "DUPLICATE_KEY"),
        ("input.featureEntitlements.2.key", "INVALID_VALUE"),
        ("input.featureEntitlements.2.displayName", "REQUIRED"),
    ]
    copy = (
        await execute(
            database,
            "mutation($id: ID!) { createPlanVersion(input: {id: $id}) { plan { id } } }",
            id=starter,
        )
    )["createPlanVersion"]["plan"]["id"]
    assert (await execute(database, PLAN, id=copy))["plan"]["featureEntitlements"] == [
        {"key": "dashboards", "displayName": "Dashboards"}
    ]
    updated = (
        await execute(
            database,
            UPDATE_PLAN,
            input={"id": copy, "featureEntitlements": features("dashboards", "sso")},
        )
    )["updatePlan"]
    assert updated["errors"] == []
    assert (await execute(database, PLAN, id=copy))["plan"] == {
        "features": ["Dashboards", "Single sign-on"],
        "featureEntitlements": features("dashboards", "sso"),
    }
