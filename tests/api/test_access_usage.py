"""Usage and what it costs under the access policy (issue 9): `ingestUsage`, the bulk
endpoint `POST /v1/usage/events`, `estimateCost` and a contract's `invoicePreview`,
`upcomingInvoices` and `usageStatus`.

Exact outcomes per role: an admin key ingests for any customer; a partner key only for the
customers it owns (another partner's customer, or one nobody owns, is UNKNOWN_CUSTOMER,
exactly as a missing one, and nothing is stored); sales and anonymous callers are
FORBIDDEN (the bulk endpoint: 401 without a key or with an unknown one, 403 for a sales
key). A replayed eventId with another payload is EVENT_ID_REUSED; a batch that stores
anything leaves one audit event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import select
from tests.support.graphql import StatementCounter, execute
from tests.support.usage_rows import stored_count, stored_rows

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.app import create_app
from pricing_graph.demo.seed import seed_database
from pricing_graph.services import audit, billing, keys
from pricing_graph.services.actor import ANONYMOUS, Actor, Role
from pricing_graph.services.errors import DomainError
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.settings import Settings
from pricing_graph.store import plans
from pricing_graph.store.contracts import CustomerRow

# Every test runs on each usage store: SQLite, PostgreSQL, ClickHouse (tests/conftest.py).
USAGE_STORES = True

PARTNER_A = "acme-reseller"  # owns acme-corp and mega-enterprise in the demo
PARTNER_B = "other-reseller"  # owns other-co (added here)

INGEST = """
mutation($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) {
    accepted duplicates rejected unbilled errors { index field code message }
  }
}
"""


@dataclass(frozen=True)
class Caller:
    actor: Actor
    secret: str | None = None  # the bearer key, for HTTP


@dataclass(frozen=True)
class Callers:
    anonymous: Caller
    admin: Caller
    sales: Caller
    partner_a: Caller
    partner_b: Caller
    partner_env: Caller  # a PRICING_GRAPH_API_KEYS partner key: it names no partner

    def by_name(self) -> dict[str, Caller]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


async def make_callers(database: Database) -> Callers:
    """One stored API key per role (two partners), as `keys create` makes them."""
    uow = UnitOfWork(database)
    made: dict[str, Caller] = {}
    try:
        for name, role, partner in (
            ("admin", Role.ADMIN, None),
            ("sales", Role.SALES, None),
            ("partner_a", Role.PARTNER, PARTNER_A),
            ("partner_b", Role.PARTNER, PARTNER_B),
        ):
            info, secret = await keys.create_key(uow, role, partner=partner, name=name)
            made[name] = Caller(Actor.for_key(info.id, role, partner), secret)
    finally:
        await uow.close()
    return Callers(
        anonymous=Caller(ANONYMOUS),
        partner_env=Caller(Actor.from_scopes(frozenset({"partner"}), caller="env:test")),
        **made,
    )


async def seed(database: Database) -> Callers:
    """The demo, plus other-co owned by partner B, and the keys."""
    await seed_database(database)
    async with database.sessions() as session, session.begin():
        session.add(CustomerRow(external_id="other-co", name="Other Co", partner_owner=PARTNER_B))
    return await make_callers(database)


async def run(database: Database, actor: Actor, query: str, **variables: Any) -> Any:
    return await schema.execute(
        query, variable_values=variables, context_value=Context(database, actor=actor)
    )


async def ingest_as(database: Database, actor: Actor, events: list[dict[str, Any]]) -> Any:
    result = await run(database, actor, INGEST, events=events)
    assert result.errors is None, result.errors
    return result.data["ingestUsage"]


def usage_event(event_id: str, customer: str = "acme-corp", **changes: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "customerId": customer,
        "metricKey": "input_tokens",
        "timestamp": "2026-01-05T10:00:00Z",
        "value": "1000",
        **changes,
    }


async def stored_ids(database: Database) -> set[tuple[str, str]]:
    """(customer external ID, event ID) of the events stored by these tests (not the demo's)."""
    async with database.sessions() as session:
        customers = dict(
            (await session.exec(select(CustomerRow.id, CustomerRow.external_id))).all()
        )
    return {
        (customers[row.customer_id], row.event_id)
        for row in await stored_rows(database)
        if row.event_id.startswith("t-")
    }


def counts(payload: dict[str, Any]) -> tuple[int, int, int]:
    return payload["accepted"], payload["duplicates"], payload["rejected"]


def problems(payload: dict[str, Any]) -> list[tuple[Any, Any, str]]:
    return [(e["index"], e["field"], e["code"]) for e in payload["errors"]]


# -- ingestUsage -----------------------------------------------------------------------------


async def test_ingest_usage_by_role(database: Database) -> None:
    callers = await seed(database)
    forbidden = [(None, None, "FORBIDDEN")]
    unknown = [(0, "events.0.customerId", "UNKNOWN_CUSTOMER")]
    expected = {
        "anonymous": ((0, 0, 1), forbidden),
        "sales": ((0, 0, 1), forbidden),
        "partner_b": ((0, 0, 1), unknown),  # acme-corp is partner A's
        "partner_env": ((0, 0, 1), unknown),  # a partner key naming no partner owns nothing
        "partner_a": ((1, 0, 0), []),
        "admin": ((1, 0, 0), []),
    }
    for name, (want_counts, want_problems) in expected.items():
        payload = await ingest_as(
            database, callers.by_name()[name].actor, [usage_event(f"t-{name}")]
        )
        assert (counts(payload), problems(payload)) == (want_counts, want_problems), name
    assert await stored_ids(database) == {("acme-corp", "t-partner_a"), ("acme-corp", "t-admin")}


async def test_a_partner_ingests_for_its_own_customers_only(database: Database) -> None:
    callers = await seed(database)
    payload = await ingest_as(
        database,
        callers.partner_a.actor,
        [
            usage_event("t-1", "acme-corp"),
            usage_event("t-2", "other-co"),  # partner B's
            usage_event("t-3", "startup-inc"),  # signed directly: nobody's
            usage_event("t-4", "nobody"),  # missing
            usage_event("t-5", "mega-enterprise"),
        ],
    )
    assert counts(payload) == (2, 0, 3)
    # Another partner's customer answers exactly as a missing one.
    assert [(e["index"], e["field"], e["code"], e["message"]) for e in payload["errors"]] == [
        (1, "events.1.customerId", "UNKNOWN_CUSTOMER", "no customer with external ID 'other-co'"),
        (
            2,
            "events.2.customerId",
            "UNKNOWN_CUSTOMER",
            "no customer with external ID 'startup-inc'",
        ),
        (3, "events.3.customerId", "UNKNOWN_CUSTOMER", "no customer with external ID 'nobody'"),
    ]
    assert await stored_ids(database) == {("acme-corp", "t-1"), ("mega-enterprise", "t-5")}
    # Partner B's events for partner A's customers store nothing either.
    other = await ingest_as(
        database,
        callers.partner_b.actor,
        [usage_event("t-6", "acme-corp"), usage_event("t-7", "other-co")],
    )
    assert (counts(other), problems(other)) == (
        (1, 0, 1),
        [(0, "events.0.customerId", "UNKNOWN_CUSTOMER")],
    )
    assert ("acme-corp", "t-6") not in await stored_ids(database)


async def test_a_batch_that_stores_events_is_audited(database: Database) -> None:
    callers = await seed(database)
    actor = callers.partner_a.actor
    payload = await ingest_as(
        database,
        actor,
        [
            usage_event("t-1", "acme-corp"),
            usage_event("t-2", "mega-enterprise"),
            usage_event("t-1", "acme-corp"),  # a duplicate
            usage_event("t-3", "other-co"),  # refused
        ],
    )
    assert counts(payload) == (2, 1, 1)
    async with database.sessions() as session:
        customer_ids = dict(
            (await session.exec(select(CustomerRow.external_id, CustomerRow.id))).all()
        )
    uow = UnitOfWork(database)
    try:
        page = await audit.audit_events(uow, key_id=actor.key_id)
    finally:
        await uow.close()
    [event] = page.events
    assert (event.operation, event.object_type, event.object_id, event.role, event.caller) == (
        "ingestUsage",
        "UsageBatch",
        None,
        "partner",
        f"key:{actor.key_id}",
    )
    assert event.object_ids == tuple(
        sorted((customer_ids["acme-corp"], customer_ids["mega-enterprise"]))
    )
    assert dict(event.input) == {
        "events": 4,
        "accepted": 2,
        "duplicates": 1,
        "rejected": 1,
        "unbilled": 0,
    }
    # A replay that stores nothing records nothing.
    again = await ingest_as(database, actor, [usage_event("t-1", "acme-corp")])
    assert counts(again) == (0, 1, 0)
    uow = UnitOfWork(database)
    try:
        assert len((await audit.audit_events(uow, key_id=actor.key_id)).events) == 1
    finally:
        await uow.close()


# -- EVENT_ID_REUSED -------------------------------------------------------------------------


async def test_a_reused_event_id_is_refused_not_counted_as_a_duplicate(
    database: Database,
) -> None:
    callers = await seed(database)
    admin = callers.admin.actor
    first = usage_event(
        "t-1",
        properties={"note": "first", "n": 1.5},
        dimensions=[{"name": "model", "value": "gpt-4"}],
        metricKey="model_units",
    )
    assert counts(await ingest_as(database, admin, [first])) == (1, 0, 0)
    replays = [
        first,  # identical: a duplicate
        {**first, "value": "1000.000"},  # the same number: a duplicate
        {**first, "properties": {"n": 1.5, "note": "first"}},  # same object: a duplicate
        {**first, "value": "1001"},
        {**first, "timestamp": "2026-01-05T10:00:01Z"},
        {**first, "dimensions": [{"name": "model", "value": "gpt-3.5"}]},
        {**first, "properties": {"note": "second", "n": 1.5}},
        {**first, "metricKey": "input_tokens", "dimensions": None},
        usage_event("t-2", metricKey="model_units", dimensions=[{"name": "model", "value": "x"}]),
    ]
    payload = await ingest_as(database, admin, replays)
    assert counts(payload) == (1, 3, 5)
    assert problems(payload) == [
        (index, f"events.{index}.eventId", "EVENT_ID_REUSED") for index in range(3, 8)
    ]
    assert "another payload" in payload["errors"][0]["message"]
    [row] = [row for row in await stored_rows(database) if row.event_id == "t-1"]
    assert row.value is not None
    assert (format(row.value, "f"), row.properties) == ("1000", {"note": "first", "n": 1.5})


async def test_replays_cost_one_more_statement_only_when_they_conflict(
    database: Database,
) -> None:
    callers = await seed(database)
    events = [usage_event(f"t-{i}") for i in range(300)]
    with StatementCounter(database) as fresh:
        payload = await ingest_as(database, callers.admin.actor, events)
    assert counts(payload) == (300, 0, 0)
    # customers and metrics (one statement), the INSERT, the hourly rollups' upsert,
    # contracts (unbilled), for HARD limits the contracts in force today, their plans'
    # limits and their overrides (no HARD limit: no aggregate), the audit event: no
    # comparison. PostgreSQL: the INSERT is a savepoint and a COPY (store/usage_copy.py),
    # and one more first, the SET LOCAL of generic plans (store/plans.py). On ClickHouse
    # the INSERT is two: the event IDs' lookup, then the INSERT, and a view rolls up (no
    # upsert).
    postgres = database.engine.dialect.name == "postgresql"
    assert fresh.count == 8 + 2 * postgres, fresh.statements
    assert (fresh.statements[0] == plans.GENERIC) is postgres
    changed = [*events[:150], *({**e, "value": "2"} for e in events[150:])]
    with StatementCounter(database) as replay:
        payload = await ingest_as(database, callers.admin.actor, changed)
    assert counts(payload) == (0, 150, 150)
    # customers and metrics, the INSERT, and one statement reading the 300 stored events (on
    # ClickHouse: the lookup finds all 300, so no INSERT); PostgreSQL: the SET LOCAL first,
    # and the COPY tried before the INSERT (a savepoint, the COPY failing on the first
    # stored event, the rollback to the savepoint: store/usage_copy.py)
    assert replay.count == 3 + 4 * postgres, replay.statements
    assert {e["code"] for e in payload["errors"]} == {"EVENT_ID_REUSED"}


# -- POST /v1/usage/events -------------------------------------------------------------------


@pytest.fixture
async def bulk(
    database: Database, database_url: str, usage_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Callers]]:
    callers = await seed(database)
    # Two keys of PRICING_GRAPH_API_KEYS: one with no role, one partner naming no partner.
    env_keys = {"env-no-role": frozenset[str](), "env-partner": frozenset({"partner"})}
    app = create_app(Settings(database_url=database_url, api_keys=env_keys, usage_url=usage_url))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http, callers


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_the_bulk_endpoint_needs_a_key(
    bulk: tuple[httpx.AsyncClient, Callers], database: Database
) -> None:
    http, callers = bulk
    uow = UnitOfWork(database)
    try:
        revoked, revoked_secret = await keys.create_key(uow, Role.ADMIN, name="revoked")
        await keys.revoke_key(uow, revoked.id)
    finally:
        await uow.close()
    body = {"events": [usage_event("t-1")]}
    for headers in (
        {},
        bearer("pgk_unknownkey_abcdefghijklmnopqrstuvwxyz"),
        bearer(revoked_secret),
        bearer("not-a-key"),
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ):
        response = await http.post("/v1/usage/events", json=body, headers=headers)
        assert response.status_code == 401, headers
        [error] = response.json()["errors"]
        assert (error["index"], error["field"], error["code"]) == (None, None, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"].startswith("Bearer")
    # A sales key may not ingest: 403, before the body is even read.
    # A sales key may not ingest (nor a key with no role): 403, before the body is read.
    assert callers.sales.secret is not None
    for secret in (callers.sales.secret, "env-no-role"):
        for content in (b'{"events": []}', b"{not json"):
            response = await http.post(
                "/v1/usage/events",
                content=content,
                headers={**bearer(secret), "content-type": "application/json"},
            )
            assert response.status_code == 403
            [error] = response.json()["errors"]
            assert (error["index"], error["field"], error["code"]) == (None, None, "FORBIDDEN")
    # A partner key naming no partner owns no customer.
    response = await http.post("/v1/usage/events", json=body, headers=bearer("env-partner"))
    assert response.status_code == 200
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("events.0.customerId", "UNKNOWN_CUSTOMER")
    ]
    assert await stored_ids(database) == set()


async def test_the_bulk_endpoint_keeps_partners_apart(
    bulk: tuple[httpx.AsyncClient, Callers], database: Database
) -> None:
    http, callers = bulk
    assert callers.partner_a.secret and callers.partner_b.secret and callers.admin.secret
    body = {"events": [usage_event("t-1", "acme-corp"), usage_event("t-2", "other-co")]}
    answers = {}
    for name in ("partner_a", "partner_b", "admin"):
        secret = callers.by_name()[name].secret
        assert secret is not None
        response = await http.post("/v1/usage/events", json=body, headers=bearer(secret))
        assert response.status_code == 200
        answers[name] = response.json()
    assert answers["partner_a"] == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 1,
        "unbilled": 0,
        "errors": [
            {
                "index": 1,
                "field": "events.1.customerId",
                "code": "UNKNOWN_CUSTOMER",
                "message": "no customer with external ID 'other-co'",
            }
        ],
        "overLimit": [],
    }
    assert (answers["partner_b"]["accepted"], answers["partner_b"]["rejected"]) == (1, 1)
    assert answers["partner_b"]["errors"][0]["field"] == "events.0.customerId"
    assert (answers["admin"]["accepted"], answers["admin"]["duplicates"]) == (0, 2)
    assert await stored_ids(database) == {("acme-corp", "t-1"), ("other-co", "t-2")}
    # The same eventId with another payload over HTTP too.
    response = await http.post(
        "/v1/usage/events",
        json={"events": [usage_event("t-1", "acme-corp", value="5")]},
        headers=bearer(callers.admin.secret),
    )
    assert response.status_code == 200
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("events.0.eventId", "EVENT_ID_REUSED")
    ]


# -- billing: estimateCost and a contract's fields -------------------------------------------

CONTRACT_IDS = """
{ customers { nodes { externalId contracts { nodes { id endDate } } } } }
"""

ESTIMATE = """
query($id: ID!) {
  estimateCost(contractId: $id, metricKey: "model_units", quantity: "10",
               dimensions: [{name: "model", value: "gpt-4"}]) { amount }
}
"""


async def contract_ids(database: Database) -> dict[str, str]:
    """External ID -> its first contract's global ID (the pro-plan one)."""
    data = await execute(database, CONTRACT_IDS)
    return {
        node["externalId"]: node["contracts"]["nodes"][0]["id"]
        for node in data["customers"]["nodes"]
        if node["contracts"]["nodes"]
    }


async def test_estimate_cost_by_role(database: Database) -> None:
    callers = await seed(database)
    ids = await contract_ids(database)
    outcomes: dict[tuple[str, str], Any] = {}
    for name, caller in callers.by_name().items():
        for customer in ("acme-corp", "startup-inc"):
            result = await run(database, caller.actor, ESTIMATE, id=ids[customer])
            if result.errors:
                [error] = result.errors
                outcomes[(name, customer)] = (
                    error.extensions["code"],
                    error.extensions["field"],
                )
            else:
                outcomes[(name, customer)] = result.data["estimateCost"]["amount"]
    forbidden = ("FORBIDDEN", None)
    not_found = ("NOT_FOUND", "contractId")
    assert outcomes == {
        ("anonymous", "acme-corp"): forbidden,
        ("anonymous", "startup-inc"): forbidden,
        ("admin", "acme-corp"): "0.20",  # acme's gpt-4 override: $0.02 a unit
        ("admin", "startup-inc"): "0.30",
        ("sales", "acme-corp"): "0.20",
        ("sales", "startup-inc"): "0.30",
        ("partner_a", "acme-corp"): "0.20",
        ("partner_a", "startup-inc"): not_found,  # not its customer: as a missing contract
        ("partner_b", "acme-corp"): not_found,
        ("partner_b", "startup-inc"): not_found,
        ("partner_env", "acme-corp"): not_found,
        ("partner_env", "startup-inc"): not_found,
    }


async def test_contract_billing_fields_follow_the_contract_rule(database: Database) -> None:
    """The services refuse what the edge should never reach: another partner's contract
    answers as a missing one, an anonymous caller is FORBIDDEN."""
    callers = await seed(database)
    ids = await contract_ids(database)
    from pricing_graph.services.ids import decode_id

    acme = decode_id(ids["acme-corp"], "Contract")[1]

    async def outcome(actor: Actor, call: str) -> Any:
        uow = UnitOfWork(database)
        try:
            if call == "invoicePreview":
                return (await billing.invoice_preview(uow, actor, acme, period_index=0)).total
            if call == "upcomingInvoices":
                return len(await billing.upcoming_invoices(uow, actor, acme, 2))
            return [s.metric_key for s in await billing.usage_status(uow, actor, acme)]
        except DomainError as refused:
            [found] = refused.problems
            return (found.code.value, found.field)
        finally:
            await uow.close()

    for call in ("invoicePreview", "upcomingInvoices", "usageStatus"):
        assert await outcome(callers.anonymous.actor, call) == ("FORBIDDEN", None)
        assert await outcome(callers.partner_b.actor, call) == ("NOT_FOUND", "contractId")
        assert await outcome(callers.partner_env.actor, call) == ("NOT_FOUND", "contractId")
        for name in ("partner_a", "sales", "admin"):
            assert await outcome(callers.by_name()[name].actor, call) == await outcome(
                callers.admin.actor, call
            ), (name, call)


async def test_a_partner_reads_its_own_contract_previews(database: Database) -> None:
    callers = await seed(database)
    ids = await contract_ids(database)
    query = """
    query($id: ID!) {
      contract(id: $id) {
        invoicePreview(periodIndex: 0) { total }
        upcomingInvoices(count: 2) { periodIndex }
        usageStatus { metricKey }
      }
    }
    """
    as_admin = await run(database, callers.admin.actor, query, id=ids["acme-corp"])
    as_partner = await run(database, callers.partner_a.actor, query, id=ids["acme-corp"])
    assert as_admin.errors is None and as_partner.errors is None
    assert as_partner.data == as_admin.data
    # Another partner's contract: the same answer as a contract that does not exist.
    other = await run(database, callers.partner_b.actor, query, id=ids["acme-corp"])
    missing = await run(database, callers.partner_b.actor, query, id="Q29udHJhY3Q6OTk5")
    assert other.data == missing.data == {"contract": None}
    assert [e.message for e in other.errors or []] == [e.message for e in missing.errors or []]


async def test_the_demo_usage_is_untouched(database: Database) -> None:
    """Sanity: the demo's own events are stored by the seeder (an admin), so the rows these
    tests count are only their own."""
    await seed(database)
    assert await stored_count(database) > 0
    assert await stored_ids(database) == set()
