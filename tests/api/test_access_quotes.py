"""Quotes under the access policy (issue 9): `quote` and `comparePlans` price the public
price book for everyone (a private, draft or archived plan answers NOT_FOUND on planId
outside sales and admin, exactly as a missing one); the saved-quote lifecycle and its reads
are for sales and admin keys (FORBIDDEN otherwise, nothing written); idempotency keys are
per caller; every write is audited.
"""

from __future__ import annotations

from typing import Any

from tests.api.test_access_usage import make_callers, run
from tests.api.test_contracts import plan_action, row_counts, seed
from tests.api.test_saved_quotes import (
    ACCEPT_QUOTE,
    APPROVE_QUOTE,
    CREATE_QUOTE,
    READ_QUOTE,
    UPDATE_QUOTE,
    VOID_QUOTE,
    deal,
    for_acme,
    for_prospect,
)
from tests.support.graphql import execute

from pricing_graph.api.context import Database
from pricing_graph.api.ids import encode_id
from pricing_graph.demo.seed import seed_database
from pricing_graph.services import audit
from pricing_graph.services.actor import SYSTEM, Actor
from pricing_graph.services.ids import decode_id
from pricing_graph.services.unit_of_work import UnitOfWork

QUOTE = """
query($input: QuoteInput!) {
  quote(input: $input) { quote { total } errors { field code message } }
}
"""
COMPARE = """
query($productId: ID!, $usage: [ProjectedUsageInput!]!) {
  comparePlans(productId: $productId, usage: $usage, periods: 2) {
    plans { planKey total } errors { field code }
  }
}
"""
PLANS = """
query($key: String!) {
  product(key: $key) { id plans { nodes { id key version status visibility } } }
}
"""
SAVED_QUOTES = "{ savedQuotes { totalCount nodes { id } } }"
ROLES = ("anonymous", "partner_a", "partner_env", "sales", "admin")


async def plans_of(database: Database, product: str) -> tuple[str, dict[str, str]]:
    data = await execute(database, PLANS, key=product)
    nodes = data["product"]["plans"]["nodes"]
    return data["product"]["id"], {
        f"{n['key']}@{n['version']}": n["id"] for n in sorted(nodes, key=lambda n: n["version"])
    }


def pairs(payload: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def quote_as(database: Database, actor: Actor, given: dict[str, Any]) -> Any:
    result = await run(database, actor, QUOTE, input=given)
    assert result.errors is None, result.errors
    return result.data["quote"]


# -- quote and comparePlans ------------------------------------------------------------------


async def test_quote_prices_the_public_book_for_everyone(database: Database) -> None:
    await seed_database(database)
    callers = await make_callers(database)
    _, db_plans = await plans_of(database, "cloud-database")
    _, llm_plans = await plans_of(database, "llm-platform")
    draft_id = (await plan_action(database, "createPlanVersion", llm_plans["llm-pro@1"]))["id"]
    missing_id = encode_id("Plan", 9999)
    usage = [{"metricKey": "output_tokens", "quantity": "2000000"}]
    cases = {
        "public": {"planId": llm_plans["llm-pro@1"], "startDate": "2026-01-01", "periods": 2},
        "private": {"planId": db_plans["db-volume@1"], "startDate": "2026-01-01", "periods": 2},
        "draft": {"planId": draft_id, "startDate": "2026-01-01", "periods": 2},
        "missing": {"planId": missing_id, "startDate": "2026-01-01", "periods": 2},
    }
    outcomes: dict[tuple[str, str], Any] = {}
    for role in ROLES:
        actor = callers.by_name()[role].actor
        for case, given in cases.items():
            payload = await quote_as(
                database, actor, {**given, "usage": usage if case != "private" else []}
            )
            outcomes[(role, case)] = (
                payload["quote"]["total"] if payload["quote"] else None,
                pairs(payload),
            )
            if case in ("private", "draft") and pairs(payload) == [("input.planId", "NOT_FOUND")]:
                # the same message as a plan that does not exist, but for the ID itself
                assert payload["errors"][0]["message"] == f"no plan {given['planId']}"
    hidden = (None, [("input.planId", "NOT_FOUND")])
    for role in ROLES:
        assert outcomes[(role, "public")] == ("12.00", []), role
        assert outcomes[(role, "missing")] == hidden, role
    for role in ("anonymous", "partner_a", "partner_env"):
        assert outcomes[(role, "private")] == hidden, role
        assert outcomes[(role, "draft")] == hidden, role
    for role in ("sales", "admin"):
        assert outcomes[(role, "private")][1] == [], role
        assert outcomes[(role, "draft")] == ("12.00", []), role


async def test_compare_plans_ranks_public_plans_only_for_everyone(database: Database) -> None:
    await seed_database(database)
    callers = await make_callers(database)
    product_id, _ = await plans_of(database, "cloud-database")
    answers = {}
    for role in ROLES:
        result = await run(
            database,
            callers.by_name()[role].actor,
            COMPARE,
            productId=product_id,
            usage=[{"metricKey": "storage_gb", "quantity": "1500"}],
        )
        assert result.errors is None, result.errors
        answers[role] = result.data["comparePlans"]
    assert all(answer == answers["admin"] for answer in answers.values())
    assert answers["admin"]["errors"] == []
    keys = [plan["planKey"] for plan in answers["admin"]["plans"]]
    assert keys and "db-volume" not in keys  # PRIVATE: off the comparison for everyone


# -- saved quotes ----------------------------------------------------------------------------


async def test_saved_quote_writes_by_role(database: Database) -> None:
    ids = await seed(database)
    callers = await make_callers(database)
    quote_id = (await execute(database, CREATE_QUOTE, input=for_acme(ids)))["createQuote"][
        "savedQuote"
    ]["id"]
    writes = {
        "createQuote": (CREATE_QUOTE, {"input": for_prospect(ids)}),
        "updateQuote": (
            UPDATE_QUOTE,
            {"input": {"id": quote_id, "quote": deal(ids["plan_id"], periods=2)}},
        ),
        "approveQuote": (APPROVE_QUOTE, {"id": quote_id}),
        "voidQuote": (VOID_QUOTE, {"id": quote_id, "reason": "lost"}),
        "acceptQuote": (ACCEPT_QUOTE, {"id": quote_id, "acceptedOn": "2025-01-15"}),
    }
    before = await row_counts(database)
    for role in ("anonymous", "partner_a", "partner_b", "partner_env"):
        for operation, (document, variables) in writes.items():
            result = await run(database, callers.by_name()[role].actor, document, **variables)
            assert result.errors is None, result.errors
            payload = result.data[operation]
            assert payload["savedQuote"] is None
            assert pairs(payload) == [(None, "FORBIDDEN")], (role, operation)
            assert payload["errors"][0]["message"].endswith(f"may not use {operation}")
    assert await row_counts(database) == before  # nothing written, nothing audited
    # Sales runs the whole lifecycle.
    sales = callers.sales.actor
    for operation in ("createQuote", "updateQuote", "approveQuote", "acceptQuote"):
        document, variables = writes[operation]
        result = await run(database, sales, document, **variables)
        assert result.errors is None and result.data[operation]["errors"] == [], operation
    void = await run(database, sales, VOID_QUOTE, id=quote_id, reason="late")
    assert pairs(void.data["voidQuote"]) == [("input.id", "QUOTE_ACCEPTED")]


async def test_saved_quote_reads_by_role(database: Database) -> None:
    ids = await seed(database)
    callers = await make_callers(database)
    quote_id = (await execute(database, CREATE_QUOTE, input=for_acme(ids)))["createQuote"][
        "savedQuote"
    ]["id"]
    for role in ("anonymous", "partner_a", "partner_b", "partner_env", "sales", "admin"):
        actor = callers.by_name()[role].actor
        one = await run(database, actor, READ_QUOTE, id=quote_id)
        page = await run(database, actor, SAVED_QUOTES)
        if role in ("sales", "admin"):
            assert one.errors is None and one.data["savedQuote"]["id"] == quote_id
            assert page.errors is None and page.data["savedQuotes"]["totalCount"] == 1
            continue
        assert one.data == {"savedQuote": None}
        assert [(e.extensions["code"], e.path) for e in one.errors or []] == [
            ("FORBIDDEN", ["savedQuote"])
        ]
        assert page.data is None  # savedQuotes is non-null: the error reaches the root
        assert [(e.extensions["code"], e.path) for e in page.errors or []] == [
            ("FORBIDDEN", ["savedQuotes"])
        ]


async def test_idempotency_keys_are_per_caller(database: Database) -> None:
    ids = await seed(database)
    callers = await make_callers(database)
    other_sales = await make_callers(database)  # a second set of keys: another sales key
    given = {**for_acme(ids), "idempotencyKey": "deal-1001"}

    async def create(actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        result = await run(database, actor, CREATE_QUOTE, input=input)
        assert result.errors is None, result.errors
        payload: dict[str, Any] = result.data["createQuote"]
        return payload

    first = await create(callers.sales.actor, given)
    assert first["errors"] == []
    counts = await row_counts(database)
    retry = await create(callers.sales.actor, given)
    assert retry["savedQuote"]["id"] == first["savedQuote"]["id"]
    assert await row_counts(database) == counts  # nothing written, nothing audited
    # Another caller's use of the same key neither answers nor blocks this one's.
    theirs = await create(other_sales.sales.actor, given)
    assert theirs["errors"] == []
    assert theirs["savedQuote"]["id"] != first["savedQuote"]["id"]
    admin = await create(callers.admin.actor, given)
    assert admin["savedQuote"]["id"] not in (first["savedQuote"]["id"], theirs["savedQuote"]["id"])
    # The same caller reusing its key for another input is refused; the others are not.
    changed = {**given, "validUntil": "2025-01-30"}
    reused = await create(callers.sales.actor, changed)
    assert pairs(reused) == [("input.idempotencyKey", "IDEMPOTENCY_KEY_REUSED")]
    again = await create(other_sales.sales.actor, given)
    assert again["savedQuote"]["id"] == theirs["savedQuote"]["id"]


async def test_every_saved_quote_write_is_audited(database: Database) -> None:
    ids = await seed(database)
    callers = await make_callers(database)
    sales = callers.sales.actor
    created = await run(database, sales, CREATE_QUOTE, input=for_prospect(ids))
    quote_gid = created.data["createQuote"]["savedQuote"]["id"]
    await run(
        database,
        sales,
        UPDATE_QUOTE,
        input={"id": quote_gid, "quote": deal(ids["plan_id"]), "expectedRevision": 1},
    )
    await run(database, sales, APPROVE_QUOTE, id=quote_gid)
    await run(database, sales, APPROVE_QUOTE, id=quote_gid)  # again: writes nothing
    accepted = await run(database, sales, ACCEPT_QUOTE, id=quote_gid, acceptedOn="2025-01-15")
    assert accepted.data["acceptQuote"]["errors"] == []
    contract_id = decode_id(accepted.data["acceptQuote"]["contract"]["id"])[1]
    await run(database, sales, ACCEPT_QUOTE, id=quote_gid, acceptedOn="2025-01-15")  # again
    quote_id = decode_id(quote_gid, "SavedQuote")[1]
    uow = UnitOfWork(database)
    try:
        events = (await audit.audit_events(uow, key_id=sales.key_id)).events
    finally:
        await uow.close()
    assert [(e.operation, e.object_type, e.object_id) for e in events] == [
        ("acceptQuote", "SavedQuote", quote_id),
        ("approveQuote", "SavedQuote", quote_id),
        ("updateQuote", "SavedQuote", quote_id),
        ("createQuote", "SavedQuote", quote_id),
    ]
    assert {(e.role, e.caller) for e in events} == {("sales", f"key:{sales.key_id}")}
    accept_event, _, update_event, create_event = events
    customer_id, signed_contract = accept_event.object_ids
    assert signed_contract == contract_id
    assert (await execute(database, '{ customer(externalId: "globex") { id } }'))["customer"][
        "id"
    ] == encode_id("Customer", customer_id)
    assert accept_event.input == {"id": quote_gid, "accepted_on": "2025-01-15"}
    assert create_event.input["prospect"] == {"name": "Globex", "external_id": "globex"}
    assert create_event.input["quote"]["periods"] == 3
    assert update_event.input["expected_revision"] == 1


async def test_the_system_actor_is_recorded_as_system(database: Database) -> None:
    """The CLI and the demo seeder act as SYSTEM: their writes carry no key."""
    ids = await seed(database)
    await execute(database, CREATE_QUOTE, input=for_acme(ids))
    uow = UnitOfWork(database)
    try:
        [event] = (await audit.audit_events(uow, object_type="SavedQuote")).events
    finally:
        await uow.close()
    assert (event.key_id, event.caller, event.role) == (None, SYSTEM.caller_id, "admin")
