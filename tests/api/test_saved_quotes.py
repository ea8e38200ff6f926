"""Saved quotes, the happy paths on both backends: the lifecycle, revisions that stay
readable with the result stored when they were saved, approve/void/accept rules, accepting
twice, and the point of it all: the accepted contract's first invoice is the quote's first
period, to the cent.

Most tests use the contract suite's catalog (`tests.api.test_contracts.seed`: the Pro Plan
with gpt-4 $0.03 and gpt-3.5 $0.002 per model unit, a tiered storage price, $20.00 seats,
a $100.00 platform fee and a -$10.00 intro discount; customer `acme`). The signing test
uses the demo catalog (`seed_database`).
"""

from __future__ import annotations

import copy
from typing import Any

from tests.api.test_contracts import (
    CONTRACT_FIELDS,
    GPT_4,
    GPT_35,
    _ok,
    create_contract,
    row_counts,
    seed,
    simple_contract,
)
from tests.support.graphql import execute

from pricing_graph.api.ids import encode_id
from pricing_graph.demo.seed import seed_database

ERRORS = "errors { field code message }"
LINE = "kind description priceKey quantity unitPrice amount inAdvance"
INVOICE_FIELDS = f"""
  planKey planVersion periodIndex periodStart periodEnd rampIndex trialDays issueDate dueDate
  currency pricingUnit autoPay
  lines {{ {LINE} tiers {{ tier above upTo quantity unitPrice flatFee amount }}
          dimensionGroup {{ name value }} pricingUnit }}
  subtotal minimumTrueUps {{ {LINE} }}
  creditsApplied {{ grantKey description amount remaining }} creditsTotal amountDueInUnit
  currencyLines {{ {LINE} }} total
  unpriced {{ priceKey metricKey quantity }} breakage {{ grantKey amount expiredOn }}
"""
QUOTE_FIELDS = f"""
  planKey planVersion currency pricingUnit invoices {{ {INVOICE_FIELDS} }} total
  credits {{ grantKey granted used expired remaining }} creditsUsed trialCredit breakage
  listPriceTotal saving effectivePrices {{ metricKey quantity amount pricePerUnit }}
"""
# Worked out from the rated quote when asked for; a saved revision reads back its stored ones.
ISSUED_FIELDS = """
  issuedInvoices { issueDate dueDate currency total
                   parts { periodIndex issueDate inAdvance credits total lines { amount } } }
"""
SAVED_FIELDS = """
  id status validUntil prospectName prospectExternalId currentRevision voidReason acceptedOn
  customer { externalId name }
  acceptedContract { id }
  revisions { revision result { total listPriceTotal saving } }
"""
PAYLOAD = f"savedQuote {{ {SAVED_FIELDS} }} {ERRORS}"
CREATE_QUOTE = f"""
mutation($input: CreateQuoteInput!) {{ createQuote(input: $input) {{ {PAYLOAD} }} }}
"""
UPDATE_QUOTE = f"""
mutation($input: UpdateQuoteInput!) {{ updateQuote(input: $input) {{ {PAYLOAD} }} }}
"""
APPROVE_QUOTE = f"""
mutation($id: ID!) {{ approveQuote(input: {{id: $id}}) {{ {PAYLOAD} }} }}
"""
VOID_QUOTE = f"""
mutation($id: ID!, $reason: String!) {{
  voidQuote(input: {{id: $id, reason: $reason}}) {{ {PAYLOAD} }}
}}
"""
ACCEPT_QUOTE = f"""
mutation($id: ID!, $acceptedOn: Date) {{
  acceptQuote(input: {{id: $id, acceptedOn: $acceptedOn}}) {{
    {PAYLOAD} contract {{ {CONTRACT_FIELDS} }}
  }}
}}
"""
READ_QUOTE = f"query($id: ID!) {{ savedQuote(id: $id) {{ {SAVED_FIELDS} }} }}"
QUOTE_TABLES = ("saved_quote", "saved_quote_revision")


def deal(plan_id: str, **changes: Any) -> dict[str, Any]:
    """Three months from 2025-01-01 with gpt-4 at $0.02 and 100,000 gpt-4 units a month:
    $2,000.00 of usage + $20.00 seats + $100.00 platform - $10.00 intro = $2,110.00 a
    month, $6,330.00 in all; at list price $3,110.00 a month, $9,330.00."""
    return {
        "planId": plan_id,
        "startDate": "2025-01-01",
        "periods": 3,
        "adjustments": [
            {"priceKey": "model_usage", "kind": "OVERRIDE", "value": "0.02", "match": GPT_4}
        ],
        "usage": [{"metricKey": "model_units", "dimensions": GPT_4, "quantity": "100000"}],
        **changes,
    }


def for_acme(ids: dict[str, str], **changes: Any) -> dict[str, Any]:
    return {
        "customerId": ids["customer_id"],
        "quote": deal(ids["plan_id"]),
        "validUntil": "2025-01-31",
        **changes,
    }


def for_prospect(ids: dict[str, str], **changes: Any) -> dict[str, Any]:
    return {
        "prospect": {"name": "Globex", "externalId": "globex"},
        "quote": deal(ids["plan_id"]),
        "validUntil": "2025-01-31",
        **changes,
    }


async def create_quote(database: Any, given: dict[str, Any]) -> dict[str, Any]:
    return dict((await _ok(database, CREATE_QUOTE, input=given))["savedQuote"])


async def approve(database: Any, quote_id: str) -> dict[str, Any]:
    return dict((await _ok(database, APPROVE_QUOTE, id=quote_id))["savedQuote"])


async def accept(database: Any, quote_id: str, day: str | None = "2025-01-15") -> dict[str, Any]:
    return await _ok(database, ACCEPT_QUOTE, id=quote_id, acceptedOn=day)


def _totals(total: str, list_price: str, saving: str) -> dict[str, str]:
    return {"total": total, "listPriceTotal": list_price, "saving": saving}


async def test_lifecycle_create_update_approve_accept(database: Any) -> None:
    ids = await seed(database)

    created = await create_quote(database, for_acme(ids))
    quote_id = created["id"]
    assert created == {
        "id": encode_id("SavedQuote", 1),
        "status": "DRAFT",
        "validUntil": "2025-01-31",
        "prospectName": None,
        "prospectExternalId": None,
        "currentRevision": 1,
        "voidReason": None,
        "acceptedOn": None,
        "customer": {"externalId": "acme", "name": "Acme Corp"},
        "acceptedContract": None,
        "revisions": [{"revision": 1, "result": _totals("6330.00", "9330.00", "3000.00")}],
    }

    # revision 2: gpt-4 at $0.025, valid a week longer
    cheaper = deal(ids["plan_id"])
    cheaper["adjustments"][0]["value"] = "0.025"
    updated = await _ok(
        database,
        UPDATE_QUOTE,
        input={"id": quote_id, "quote": cheaper, "validUntil": "2025-02-07", "expectedRevision": 1},
    )
    assert updated["savedQuote"]["currentRevision"] == 2
    assert updated["savedQuote"]["validUntil"] == "2025-02-07"
    # 100,000 x $0.025 = $2,500.00 + $110.00 = $2,610.00 a month
    assert updated["savedQuote"]["revisions"] == [
        {"revision": 1, "result": _totals("6330.00", "9330.00", "3000.00")},
        {"revision": 2, "result": _totals("7830.00", "9330.00", "1500.00")},
    ]

    approved = await approve(database, quote_id)
    assert approved["status"] == "APPROVED"

    accepted = await accept(database, quote_id, "2025-02-07")  # the last valid day
    contract = accepted["contract"]
    assert accepted["savedQuote"]["status"] == "ACCEPTED"
    assert accepted["savedQuote"]["acceptedOn"] == "2025-02-07"
    assert accepted["savedQuote"]["acceptedContract"] == {"id": contract["id"]}
    assert contract["startDate"] == "2025-01-01"
    assert contract["endDate"] is None
    assert contract["customer"] == {"externalId": "acme"}
    assert contract["planVersions"] == [
        {"effectiveFrom": "2025-01-01", "plan": {"key": "pro-plan", "version": 1}}
    ]
    # exactly revision 2's terms
    assert contract["adjustments"] == [
        {
            "priceKey": "model_usage",
            "kind": "OVERRIDE",
            "value": "0.025",
            "tiers": None,
            "match": GPT_4,
            "effectiveFrom": None,
            "effectiveUntil": None,
        }
    ]
    assert contract["amendments"] == [
        {"revision": 1, "kind": "CREATE", "effectiveDate": "2025-01-01"}
    ]
    listed = await execute(
        database,
        "{ accepted: savedQuotes(status: ACCEPTED) { totalCount nodes { id } } "
        "  drafts: savedQuotes(status: DRAFT) { totalCount } }",
    )
    assert listed == {
        "accepted": {"totalCount": 1, "nodes": [{"id": quote_id}]},
        "drafts": {"totalCount": 0},
    }


async def test_revisions_keep_their_input_and_result(database: Any) -> None:
    ids = await seed(database)
    quote_id = (await create_quote(database, for_acme(ids)))["id"]
    second = deal(ids["plan_id"], periods=1, adjustments=[])
    await _ok(database, UPDATE_QUOTE, input={"id": quote_id, "quote": second})

    read = await execute(
        database,
        "query($id: ID!) { savedQuote(id: $id) { currentRevision "
        "first: revision(number: 1) { revision input result { total } } "
        "current: revision { revision input result { total invoices { periodStart } } } "
        "none: revision(number: 3) { revision } } }",
        id=quote_id,
    )
    defaults = {
        "endDate": None,
        "billingInterval": None,
        "billingAnchor": None,
        "settings": None,
        "creditGrants": [],
        "commitments": [],
        "discounts": [],
        "promotionCode": None,
        "applyPlanDiscounts": True,
        "planChange": None,  # issue 12: a plan change inside the quoted term
    }
    usage = [
        {
            "metricKey": "model_units",
            "dimensions": GPT_4,
            "quantity": "100000",
            "growthPercent": None,
            "perPeriod": None,
            "transactionCount": None,
            "averageAmount": None,
        }
    ]
    first_input = {**deal(ids["plan_id"]), **defaults, "usage": usage}
    first_input["adjustments"] = [
        {
            "priceKey": "model_usage",
            "kind": "OVERRIDE",
            "value": "0.02",
            "tiers": None,
            "match": GPT_4,
            "effectiveFrom": None,
            "effectiveUntil": None,
        }
    ]
    assert read["savedQuote"] == {
        "currentRevision": 2,
        "first": {"revision": 1, "input": first_input, "result": {"total": "6330.00"}},
        "current": {
            "revision": 2,
            "input": {**second, **defaults, "usage": usage},
            "result": {"total": "3110.00", "invoices": [{"periodStart": "2025-01-01"}]},
        },
        "none": None,
    }


async def test_the_stored_result_is_the_quote_as_priced(database: Any) -> None:
    """Every field of the stored result reads back exactly as the `quote` query gave it,
    credits, commitments and tiers included."""
    ids = await seed(database)
    rich = deal(
        ids["plan_id"],
        periods=4,
        settings={"netPaymentDays": 45, "trial": {"days": 14, "spendingCap": "100.00"}},
        creditGrants=[{"key": "welcome", "amount": "250.00", "expires": "2025-03-01"}],
        commitments=[{"key": "q1", "kind": "POSTPAID", "amount": "9000", "end": "2025-04-01"}],
        usage=[
            {"metricKey": "model_units", "dimensions": GPT_4, "quantity": "100000",
             "growthPercent": "10"},
            {"metricKey": "model_units", "dimensions": GPT_35, "perPeriod": ["0", "1", "2", "3"]},
            {"metricKey": "storage_gb", "quantity": "1500"},
        ],
    )  # fmt: skip
    priced = await execute(
        database,
        "query($input: QuoteInput!) { quote(input: $input) { quote { "
        f"{QUOTE_FIELDS} {ISSUED_FIELDS} }} }} }}",
        input=rich,
    )
    quote_id = (await create_quote(database, for_acme(ids, quote=rich)))["id"]
    read = await execute(
        database,
        "query($id: ID!) { savedQuote(id: $id) { revision { result { "
        f"{QUOTE_FIELDS} {ISSUED_FIELDS} }} }} }} }}",
        id=quote_id,
    )
    stored = read["savedQuote"]["revision"]["result"]
    assert stored == priced["quote"]["quote"]
    assert stored["total"] == "11667.01"
    issued = [(d["issueDate"], d["dueDate"], d["total"]) for d in stored["issuedInvoices"]]
    # One document per period end (monthly from 2025-01-01, due net 45), adding up to the
    # quote's total: 1,855.33 + 2,455.00 + 4,439.67 + 2,917.01 = 11,667.01.
    assert issued == [
        ("2025-02-01", "2025-03-18", "1855.33"),
        ("2025-03-01", "2025-04-15", "2455.00"),
        ("2025-04-01", "2025-05-16", "4439.67"),
        ("2025-05-01", "2025-06-15", "2917.01"),
    ]
    assert stored["credits"] == [
        {"grantKey": "welcome", "granted": "250.00", "used": "250.00", "expired": "0.00",
         "remaining": "0.00"}
    ]  # fmt: skip


async def test_a_prospect_becomes_a_customer_on_acceptance(database: Any) -> None:
    ids = await seed(database)
    quote_id = (await create_quote(database, for_prospect(ids)))["id"]
    assert (await execute(database, READ_QUOTE, id=quote_id))["savedQuote"]["customer"] is None
    await approve(database, quote_id)

    accepted = await accept(database, quote_id)

    assert accepted["savedQuote"]["customer"] == {"externalId": "globex", "name": "Globex"}
    assert accepted["savedQuote"]["prospectName"] == "Globex"
    assert accepted["contract"]["customer"] == {"externalId": "globex"}
    found = await execute(
        database, '{ customer(externalId: "globex") { contracts { nodes { id } } } }'
    )
    assert found["customer"]["contracts"]["nodes"] == [{"id": accepted["contract"]["id"]}]


async def test_accepting_twice_returns_the_same_contract_and_writes_nothing(
    database: Any,
) -> None:
    ids = await seed(database)
    quote_id = (await create_quote(database, for_prospect(ids)))["id"]
    await approve(database, quote_id)
    first = await accept(database, quote_id)
    before = await row_counts(database)

    again = await accept(database, quote_id, "2025-03-01")  # after validUntil: still the same
    default_day = await accept(database, quote_id, None)

    assert again["contract"] == first["contract"]
    assert default_day["contract"] == first["contract"]
    assert again["savedQuote"] == first["savedQuote"]
    assert again["savedQuote"]["acceptedOn"] == "2025-01-15"
    assert await row_counts(database) == before
    assert before["contract"] == 1 and before["customer"] == 2


async def test_approve_and_void_transitions(database: Any) -> None:
    ids = await seed(database)
    draft = (await create_quote(database, for_acme(ids)))["id"]
    approved = (await create_quote(database, for_acme(ids)))["id"]
    await approve(database, approved)
    before = await row_counts(database)
    assert (await approve(database, approved))["status"] == "APPROVED"  # again: unchanged
    assert await row_counts(database) == before

    voided_draft = (await _ok(database, VOID_QUOTE, id=draft, reason="lost to a competitor"))[
        "savedQuote"
    ]
    voided_approved = (await _ok(database, VOID_QUOTE, id=approved, reason="customer paused"))[
        "savedQuote"
    ]
    assert (voided_draft["status"], voided_draft["voidReason"]) == (
        "VOIDED",
        "lost to a competitor",
    )
    assert (voided_approved["status"], voided_approved["voidReason"]) == (
        "VOIDED",
        "customer paused",
    )
    # voiding again keeps the first reason
    again = (await _ok(database, VOID_QUOTE, id=draft, reason="another"))["savedQuote"]
    assert again["voidReason"] == "lost to a competitor"
    listed = await execute(
        database,
        "{ savedQuotes(status: VOIDED, first: 1) { totalCount nodes { voidReason } "
        "pageInfo { hasNextPage } } }",
    )
    assert listed["savedQuotes"] == {
        "totalCount": 2,
        "nodes": [{"voidReason": "lost to a competitor"}],
        "pageInfo": {"hasNextPage": True},
    }


async def test_an_idempotency_key_creates_one_quote(database: Any) -> None:
    ids = await seed(database)
    given = for_acme(ids, idempotencyKey="deal-42")
    first = await create_quote(database, given)
    before = await row_counts(database)
    second = await create_quote(database, given)
    assert second == first
    assert await row_counts(database) == before
    assert [before[table] for table in QUOTE_TABLES] == [1, 1]

    update = {"id": first["id"], "quote": deal(ids["plan_id"], periods=2), "idempotencyKey": "u1"}
    assert (await _ok(database, UPDATE_QUOTE, input=update))["savedQuote"]["currentRevision"] == 2
    assert (await _ok(database, UPDATE_QUOTE, input=update))["savedQuote"]["currentRevision"] == 2
    assert (await row_counts(database))["saved_quote_revision"] == 2


async def test_the_accepted_contract_invoices_what_was_quoted(database: Any) -> None:
    """Seed 001's Acme deal for a prospect on the demo Pro Plan: gpt-4 at $0.02, 1,000,000
    gpt-4 + 5,000,000 gpt-3.5 units a month for 12 months from 2026-01-01. Once accepted and
    the quoted January usage is ingested, the contract's January invoice is the stored
    revision's first invoice: $20,000.00 + $10,000.00 = $30,000.00."""
    await seed_database(database)
    plan_id = (await execute(database, '{ plan(key: "pro-plan") { id } }'))["plan"]["id"]
    quote = {
        "planId": plan_id,
        "startDate": "2026-01-01",
        "periods": 12,
        "adjustments": [
            {"priceKey": "model_usage", "kind": "OVERRIDE", "value": "0.02", "match": GPT_4}
        ],
        "usage": [
            {"metricKey": "model_units", "dimensions": GPT_35, "quantity": "5000000"},
            {"metricKey": "model_units", "dimensions": GPT_4, "quantity": "1000000"},
        ],
    }
    quote_id = (
        await create_quote(
            database,
            {
                "prospect": {"name": "Initech", "externalId": "initech"},
                "quote": quote,
                "validUntil": "2025-12-31",
            },
        )
    )["id"]
    await approve(database, quote_id)
    contract_id = (await accept(database, quote_id, "2025-12-20"))["contract"]["id"]

    stored = await execute(
        database,
        f"query($id: ID!) {{ savedQuote(id: $id) {{ revision {{ result {{ total "
        f"invoices {{ {INVOICE_FIELDS} }} }} }} }} }}",
        id=quote_id,
    )
    result = stored["savedQuote"]["revision"]["result"]
    assert result["total"] == "360000.00"
    first_invoice = result["invoices"][0]

    ingested = await execute(
        database,
        "mutation($events: [UsageEventInput!]!) { ingestUsage(events: $events) { "
        "accepted rejected unbilled } }",
        events=[
            {
                "eventId": f"initech-{model}",
                "customerId": "initech",
                "metricKey": "model_units",
                "timestamp": "2026-01-10T12:00:00Z",
                "value": units,
                "dimensions": [{"name": "model", "value": model}],
            }
            for model, units in (("gpt-4", "1000000"), ("gpt-3.5", "5000000"))
        ],
    )
    assert ingested["ingestUsage"] == {"accepted": 2, "rejected": 0, "unbilled": 0}
    preview = await execute(
        database,
        f"query($id: ID!) {{ contract(id: $id) {{ invoicePreview(periodIndex: 0) {{ "
        f"{INVOICE_FIELDS} }} }} }}",
        id=contract_id,
    )
    invoice = preview["contract"]["invoicePreview"]

    assert invoice == first_invoice
    assert (invoice["periodStart"], invoice["periodEnd"], invoice["issueDate"]) == (
        "2026-01-01",
        "2026-02-01",
        "2026-02-01",
    )
    assert invoice["dueDate"] == "2026-03-03"
    assert [
        (line["description"], line["unitPrice"], line["amount"]) for line in invoice["lines"]
    ] == [
        ("Model usage (model=gpt-3.5)", "0.002", "10000.00"),
        ("Model usage (model=gpt-4)", "0.02", "20000.00"),
    ]
    assert (invoice["subtotal"], invoice["total"]) == ("30000.00", "30000.00")


async def test_saved_quote_reads_by_id(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(
        database, simple_contract(ids, startDate="2024-01-01", endDate="2025-01-01")
    )
    assert contract["id"]
    quote_id = (await create_quote(database, for_acme(ids)))["id"]
    read = copy.deepcopy((await execute(database, READ_QUOTE, id=quote_id))["savedQuote"])
    assert read["id"] == quote_id and read["status"] == "DRAFT"
    missing = await execute(
        database,
        "query($id: ID!) { savedQuote(id: $id) { id } }",
        id=encode_id("SavedQuote", 99),
    )
    assert missing == {"savedQuote": None}


async def test_a_saved_quote_is_a_node(database: Any) -> None:
    ids = await seed(database)
    quote_id = (await create_quote(database, for_prospect(ids)))["id"]
    read = await execute(
        database,
        "query($id: ID!) { node(id: $id) {"
        " __typename ... on SavedQuote { status currentRevision } } }",
        id=quote_id,
    )
    assert read["node"] == {"__typename": "SavedQuote", "status": "DRAFT", "currentRevision": 1}
