"""Plan changes, seat changes and invoice timing through GraphQL (issue 12), on SQLite and
PostgreSQL, with hand-computed figures.

Catalog: product `saas` with metric `calls` (SUM) and two monthly plans:
- `basic`: Basic fee $100 IN_ADVANCE, seats $25 IN_ADVANCE, calls tiered 1,000 at $0.10
  then $0.05;
- `pro`: Pro fee $200 IN_ADVANCE, seats $25 IN_ADVANCE, calls tiered 1,000 at $0.08 then
  $0.04.
April 2026 has 30 days: a change on April 10 leaves 21 days on the new plan.
"""

from __future__ import annotations

from typing import Any

from tests.support.graphql import execute, execute_raw

from pricing_graph.demo.seed import seed_database
from pricing_graph.services import plan_changes
from pricing_graph.services.actor import ROLE_SCOPES, Actor, Role
from pricing_graph.services.errors import DomainError
from pricing_graph.services.unit_of_work import UnitOfWork

ERRORS = "errors { field code message }"
CREATE_PRODUCT = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ id }} {ERRORS} }}
}}
"""
CREATE_METRIC = f"""
mutation($input: CreateMetricInput!) {{
  createMetric(input: $input) {{ metric {{ id }} {ERRORS} }}
}}
"""
CREATE_PLAN = f"""
mutation($input: CreatePlanInput!) {{ createPlan(input: $input) {{ plan {{ id }} {ERRORS} }} }}
"""
PUBLISH = f"""
mutation($id: ID!) {{ publishPlan(input: {{id: $id}}) {{ plan {{ id }} {ERRORS} }} }}
"""
CREATE_CUSTOMER = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ customer {{ id }} {ERRORS} }}
}}
"""
CREATE_CONTRACT = f"""
mutation($input: CreateContractInput!) {{
  createContract(input: $input) {{ contract {{ id revision }} {ERRORS} }}
}}
"""
AMEND = f"""
mutation($input: AmendContractInput!) {{
  amendContract(input: $input) {{ contract {{ revision }} {ERRORS} }}
}}
"""
INGEST = """
mutation($events: [UsageEventInput!]!) { ingestUsage(events: $events) { accepted rejected } }
"""
INVOICE = "periodIndex planKey lines { description amount inAdvance } total"
ISSUED = "issueDate dueDate total parts { periodIndex inAdvance total }"
PREVIEW = f"""
query($input: ContractChangeInput!) {{
  previewContractChange(input: $input) {{
    effectiveDate currentTotal changedTotal difference dueOnChange
    current {{ {INVOICE} }}
    changed {{ {INVOICE} }}
    changedIssued {{ {ISSUED} }}
  }}
}}
"""
CHANGE = f"""
mutation($input: ChangeContractPlanInput!) {{
  changeContractPlan(input: $input) {{
    contract {{ revision planVersions {{ effectiveFrom plan {{ key }} }}
      amendments {{ revision kind effectiveDate }} }}
    {ERRORS}
  }}
}}
"""
INVOICES = f"""
query($id: ID!, $index: Int!, $count: Int!) {{
  contract(id: $id) {{
    upcoming: upcomingInvoices(count: 1) {{ periodIndex }}
    p0: invoicePreview(periodIndex: $index) {{ {INVOICE} }}
    issuedInvoices(periodIndex: $index, count: $count) {{ {ISSUED} }}
  }}
}}
"""


def _tiered(first: str, then: str) -> dict[str, Any]:
    return {
        "model": "TIERED",
        "tiers": [{"upTo": "1000", "unitPrice": first}, {"unitPrice": then}],
    }


def _plan(product_id: str, key: str, fee: str, first: str, then: str) -> dict[str, Any]:
    name = key.title()
    return {
        "productId": product_id,
        "key": key,
        "name": name,
        "pricingUnit": {"code": "USD"},
        "ramps": [
            {
                "prices": [
                    {
                        "key": "fee",
                        "name": f"{name} fee",
                        "fixed": {"amount": fee, "timing": "IN_ADVANCE"},
                    },
                    {
                        "key": "seats",
                        "name": "Seats",
                        "fixed": {"amount": "25.00", "timing": "IN_ADVANCE"},
                    },
                    {
                        "key": "calls",
                        "name": "Calls",
                        "usage": {"metricKey": "calls", "rate": _tiered(first, then)},
                    },
                ]
            }
        ],
    }


async def _ok(database: Any, document: str, **variables: Any) -> dict[str, Any]:
    data = await execute(database, document, **variables)
    payload = next(iter(data.values()))
    assert payload["errors"] == [], payload["errors"]
    return dict(payload)


async def _setup(database: Any) -> dict[str, str]:
    product = await _ok(database, CREATE_PRODUCT, input={"key": "saas", "name": "SaaS"})
    product_id = product["product"]["id"]
    await _ok(
        database,
        CREATE_METRIC,
        input={
            "key": "calls",
            "name": "Calls",
            "unitLabel": "call",
            "aggregation": "SUM",
            "eventProperty": "n",
        },
    )
    ids = {}
    for key, fee, first, then in (
        ("basic", "100.00", "0.10", "0.05"),
        ("pro", "200.00", "0.08", "0.04"),
    ):
        plan = await _ok(database, CREATE_PLAN, input=_plan(product_id, key, fee, first, then))
        await _ok(database, PUBLISH, id=plan["plan"]["id"])
        ids[key] = plan["plan"]["id"]
    return ids


async def _contract(database: Any, external_id: str, plan_id: str, owner: str | None = None) -> str:
    customer = await _ok(
        database,
        CREATE_CUSTOMER,
        input={"externalId": external_id, "name": external_id, "partnerOwner": owner},
    )
    created = await _ok(
        database,
        CREATE_CONTRACT,
        input={
            "customerId": customer["customer"]["id"],
            "planId": plan_id,
            "startDate": "2026-04-01",
            "adjustments": [{"priceKey": "seats", "kind": "QUANTITY", "value": "10"}],
        },
    )
    return str(created["contract"]["id"])


async def _calls(database: Any, external_id: str, *days_and_counts: tuple[str, str]) -> None:
    events = [
        {
            "eventId": f"{external_id}-{day}",
            "customerId": external_id,
            "metricKey": "calls",
            "timestamp": f"{day}T12:00:00Z",
            "value": count,
        }
        for day, count in days_and_counts
    ]
    ingested = (await execute(database, INGEST, events=events))["ingestUsage"]
    assert (ingested["accepted"], ingested["rejected"]) == (len(events), 0)


async def test_upgrade_on_day_10_preview_equals_the_change(database: Any) -> None:
    ids = await _setup(database)
    contract = await _contract(database, "acme", ids["basic"])
    await _calls(database, "acme", ("2026-04-05", "1500"), ("2026-04-20", "3000"))
    change = {"contractId": contract, "planId": ids["pro"], "effectiveDate": "2026-04-10"}

    preview = (await execute(database, PREVIEW, input=change))["previewContractChange"]

    # April on Basic: fee 100 + seats 10 x 25 + 4,500 calls (1,000 x 0.10 + 3,500 x 0.05).
    assert preview["current"][0] == {
        "periodIndex": 0,
        "planKey": "basic",
        "lines": [
            {"description": "Calls", "amount": "275.00", "inAdvance": False},
            {"description": "Basic fee", "amount": "100.00", "inAdvance": True},
            {"description": "Seats", "amount": "250.00", "inAdvance": True},
        ],
        "total": "625.00",
    }
    april = {
        "periodIndex": 0,
        "planKey": "pro",
        "lines": [
            # April 1-9 on Basic: 1,500 calls = 1,000 x 0.10 + 500 x 0.05
            {"description": "Calls", "amount": "125.00", "inAdvance": False},
            {"description": "Basic fee", "amount": "100.00", "inAdvance": True},
            {
                "description": "Unused Basic fee 2026-04-10 - 2026-04-30",
                "amount": "-70.00",  # 100 x 21/30
                "inAdvance": True,
            },
            {"description": "Seats", "amount": "250.00", "inAdvance": True},
            {
                "description": "Unused Seats 2026-04-10 - 2026-04-30",
                "amount": "-175.00",  # 250 x 21/30
                "inAdvance": True,
            },
            # April 10-30 on Pro: tiers start again: 1,000 x 0.08 + 2,000 x 0.04
            {"description": "Calls", "amount": "160.00", "inAdvance": False},
            {"description": "Pro fee", "amount": "140.00", "inAdvance": True},  # 200 x 21/30
            {"description": "Seats", "amount": "175.00", "inAdvance": True},  # seats carry over
        ],
        "total": "705.00",
    }
    assert preview["changed"][0] == april
    assert [i["total"] for i in preview["current"]] == ["625.00", "350.00"]
    assert [i["total"] for i in preview["changed"]] == ["705.00", "450.00"]  # May: 200 + 250
    assert (
        preview["effectiveDate"],
        preview["currentTotal"],
        preview["changedTotal"],
        preview["difference"],
        preview["dueOnChange"],
    ) == ("2026-04-10", "975.00", "1155.00", "180.00", "70.00")  # -70 - 175 + 140 + 175
    assert [(d["issueDate"], d["dueDate"], d["total"]) for d in preview["changedIssued"]] == [
        ("2026-04-01", "2026-05-01", "350.00"),
        ("2026-04-10", "2026-05-10", "70.00"),
        ("2026-05-01", "2026-05-31", "735.00"),  # April's calls 285 + May in advance 450
        ("2026-06-01", "2026-07-01", "0.00"),  # May has no calls
    ]

    changed = await _ok(database, CHANGE, input={**change, "expectedRevision": 1})
    assert changed["contract"]["revision"] == 2
    assert changed["contract"]["planVersions"] == [
        {"effectiveFrom": "2026-04-01", "plan": {"key": "basic"}},
        {"effectiveFrom": "2026-04-10", "plan": {"key": "pro"}},
    ]
    assert changed["contract"]["amendments"][-1] == {
        "revision": 2,
        "kind": "CHANGE_PLAN",
        "effectiveDate": "2026-04-10",
    }
    after = (await execute(database, INVOICES, id=contract, index=0, count=2))["contract"]
    assert after["p0"] == april
    assert after["issuedInvoices"] == preview["changedIssued"]

    stale = await execute(database, CHANGE, input={**change, "expectedRevision": 1})
    assert stale["changeContractPlan"]["errors"][0]["code"] == "CONFLICT"


async def test_downgrade_at_period_end(database: Any) -> None:
    ids = await _setup(database)
    contract = await _contract(database, "acme", ids["pro"])
    await _calls(database, "acme", ("2026-04-15", "2000"), ("2026-05-15", "2000"))
    # prorate: false waits for the period boundary, May 1.
    change = {
        "contractId": contract,
        "planId": ids["basic"],
        "effectiveDate": "2026-04-20",
        "prorate": False,
    }

    preview = (await execute(database, PREVIEW, input=change))["previewContractChange"]

    # The preview covers the period the change starts (May) and the next (June).
    # Pro: May 200 + 250 + 1,000 x 0.08 + 1,000 x 0.04 = 570, June 450 (no calls).
    # Basic: May 100 + 250 + 1,000 x 0.10 + 1,000 x 0.05 = 500, June 350.
    assert preview["effectiveDate"] == "2026-05-01"
    assert [(i["planKey"], i["total"]) for i in preview["current"]] == [
        ("pro", "570.00"),
        ("pro", "450.00"),
    ]
    assert [(i["planKey"], i["total"]) for i in preview["changed"]] == [
        ("basic", "500.00"),
        ("basic", "350.00"),
    ]
    assert (preview["difference"], preview["dueOnChange"]) == ("-170.00", "0.00")
    assert [(d["issueDate"], d["total"]) for d in preview["changedIssued"]] == [
        ("2026-05-01", "350.00"),  # May's Basic fee and seats, in advance
        ("2026-06-01", "500.00"),  # May's calls on Basic 150 + June's fee and seats 350
        ("2026-07-01", "0.00"),  # June has no calls
    ]

    await _ok(database, CHANGE, input={**change, "expectedRevision": 1})
    after = (await execute(database, INVOICES, id=contract, index=1, count=1))["contract"]
    assert (after["p0"]["planKey"], after["p0"]["total"]) == ("basic", "500.00")
    assert preview["changed"][0] == after["p0"]


async def test_seats_added_half_way_and_removed(database: Any) -> None:
    ids = await _setup(database)
    contract = await _contract(database, "acme", ids["basic"])

    async def seats(value: str, day: str, revision: int) -> None:
        await _ok(
            database,
            AMEND,
            input={
                "contractId": contract,
                "expectedRevision": revision,
                "addAdjustments": [
                    {"priceKey": "seats", "kind": "QUANTITY", "value": value, "effectiveFrom": day}
                ],
            },
        )

    await seats("14", "2026-04-16", 1)  # 4 seats added with 15 of 30 days left
    await seats("13", "2026-05-16", 2)  # 1 seat removed half-way through May
    data = (await execute(database, INVOICES, id=contract, index=0, count=3))["contract"]
    assert data["p0"]["lines"] == [
        {"description": "Calls", "amount": "0.00", "inAdvance": False},
        {"description": "Basic fee", "amount": "100.00", "inAdvance": True},
        {"description": "Seats", "amount": "250.00", "inAdvance": True},
        {"description": "Seats: 4 added 2026-04-16", "amount": "50.00", "inAdvance": True},
    ]
    assert [(d["issueDate"], d["total"]) for d in data["issuedInvoices"]] == [
        ("2026-04-01", "350.00"),
        ("2026-04-16", "50.00"),  # 4 x 25 x 15/30, an immediate adjustment
        ("2026-05-01", "450.00"),  # May: fee 100 + 14 seats; the removal is not credited
        ("2026-06-01", "425.00"),  # June: 13 seats
        ("2026-07-01", "0.00"),
    ]


async def test_seed_001_enterprise_is_invoiced_on_the_signing_date(database: Any) -> None:
    await seed_database(database)
    found = await execute(
        database,
        '{ customer(externalId: "acme-corp") { contracts { nodes { id billingInterval } } } }',
    )
    [enterprise] = [
        n["id"]
        for n in found["customer"]["contracts"]["nodes"]
        if n["billingInterval"] == "QUARTERLY"
    ]
    data = (await execute(database, INVOICES, id=enterprise, index=0, count=1))["contract"]
    assert data["issuedInvoices"] == [
        {
            "issueDate": "2026-01-01",  # the signing date
            "dueDate": "2026-02-15",  # net 45
            "total": "100000.00",  # the prepaid commitment; the Q1 platform fee is credited
            "parts": [{"periodIndex": 0, "inAdvance": True, "total": "100000.00"}],
        },
        {
            "issueDate": "2026-04-01",  # Q1's usage at the end of Q1: 17,000.00, credited
            "dueDate": "2026-05-16",
            "total": "0.00",
            "parts": [{"periodIndex": 0, "inAdvance": False, "total": "0.00"}],
        },
    ]


async def test_refusals_name_the_input_field(database: Any) -> None:
    ids = await _setup(database)
    contract = await _contract(database, "acme", ids["basic"])
    other = await _ok(database, CREATE_PRODUCT, input={"key": "other", "name": "Other"})
    foreign = await _ok(
        database, CREATE_PLAN, input=_plan(other["product"]["id"], "foreign", "1.00", "1", "1")
    )
    await _ok(database, PUBLISH, id=foreign["plan"]["id"])

    async def refused(**change: Any) -> list[tuple[str, str]]:
        given = {"contractId": contract, "expectedRevision": 1, **change}
        errors = (await execute(database, CHANGE, input=given))["changeContractPlan"]["errors"]
        return [(e["field"], e["code"]) for e in errors]

    assert await refused(planId=ids["basic"], effectiveDate="2026-04-10") == [
        ("input.planId", "INVALID_VALUE")  # already on it
    ]
    assert await refused(planId=foreign["plan"]["id"], effectiveDate="2026-04-10") == [
        ("input.planId", "INVALID_VALUE")  # another product's plan
    ]
    assert await refused(planId=ids["pro"], effectiveDate="2026-03-31") == [
        ("input.effectiveDate", "INVALID_DATES")  # before the contract
    ]
    assert await refused(planId=ids["pro"], effectiveDate="2026-04-01") == [
        ("input.effectiveDate", "INVALID_DATES")  # not after the last change (the signing)
    ]
    preview = await execute_raw(
        database,
        PREVIEW,
        input={"contractId": contract, "planId": ids["basic"], "effectiveDate": "2026-04-10"},
    )
    assert preview.data is None  # refused: the field's error, no data
    assert [(e.extensions["field"], e.extensions["code"]) for e in preview.errors] == [
        ("input.planId", "INVALID_VALUE")
    ]


async def test_a_partner_changes_only_its_own_customers_contracts(database: Any) -> None:
    ids = await _setup(database)
    own = await _contract(database, "mine", ids["basic"], owner="partner-a")
    theirs = await _contract(database, "theirs", ids["basic"], owner="partner-b")
    partner = Actor(
        role=Role.PARTNER, scopes=ROLE_SCOPES[Role.PARTNER], partner="partner-a", caller="t"
    )
    uow = UnitOfWork(database)
    try:
        question = plan_changes.ContractChangeQuestion(own, ids["pro"], _date("2026-04-10"))
        preview = await plan_changes.preview_contract_change(uow, partner, question)
        assert preview.due_on_change == _decimal("70.00")  # -70 - 175 + 140 + 175
        for contract, expected in ((theirs, "NOT_FOUND"), (own, None)):
            change = plan_changes.ChangeContractPlan(
                contract, ids["pro"], _date("2026-04-10"), expected_revision=1
            )
            try:
                await plan_changes.change_contract_plan(uow, partner, change)
                code = None
            except DomainError as refusal:
                code = refusal.problems[0].code.value
            assert code == expected
        try:
            await plan_changes.preview_contract_change(
                uow,
                partner,
                plan_changes.ContractChangeQuestion(theirs, ids["pro"], _date("2026-04-10")),
            )
            raise AssertionError("another partner's contract was previewed")
        except DomainError as refusal:
            assert [(p.field, p.code.value) for p in refusal.problems] == [
                ("input.contractId", "NOT_FOUND")
            ]
    finally:
        await uow.close()


def _date(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


QUOTE_WITH_CHANGE = """
query($input: QuoteInput!) {
  quote(input: $input) {
    quote {
      planKey total listPriceTotal
      invoices { periodIndex planKey total }
      issuedInvoices { issueDate total }
    }
    errors { field code message }
  }
}
"""


async def test_a_prospect_quotes_an_upgrade_through_the_public_quote(database: Any) -> None:
    """No contract, no key: the public `quote` with a planChange prices the same path
    (the projected 4,500 calls a month spread over April's days: 1,350 before April 10)."""
    from pricing_graph.api.context import Context
    from pricing_graph.api.schema import schema

    ids = await _setup(database)
    given = {
        "planId": ids["basic"],
        "startDate": "2026-04-01",
        "periods": 2,
        "usage": [{"metricKey": "calls", "quantity": "4500"}],
        "planChange": {"planId": ids["pro"], "effectiveDate": "2026-04-10"},
    }
    context = Context(database, actor=Actor())
    try:
        result = await schema.execute(
            QUOTE_WITH_CHANGE, variable_values={"input": given}, context_value=context
        )
    finally:
        await context.close()
    assert result.errors is None
    assert result.data is not None
    payload = result.data["quote"]
    assert payload["errors"] == []
    # April: 117.50 (1,350 calls on Basic: 1,000 x 0.10 + 350 x 0.05) + fee 100 - 70
    # + 166.00 (3,150 on Pro: 1,000 x 0.08 + 2,150 x 0.04) + fee 140 + 1 seat 25 - 17.50
    # + 17.50 = 478.50; May on Pro: 200 + 25 + 1,000 x 0.08 + 3,500 x 0.04 = 445.00.
    assert payload["quote"] == {
        "planKey": "pro",
        "total": "923.50",
        "listPriceTotal": "923.50",
        "invoices": [
            {"periodIndex": 0, "planKey": "pro", "total": "478.50"},
            {"periodIndex": 1, "planKey": "pro", "total": "445.00"},
        ],
        "issuedInvoices": [
            {"issueDate": "2026-04-01", "total": "125.00"},  # Basic fee and seat
            {"issueDate": "2026-04-10", "total": "70.00"},  # -70 - 17.50 + 140 + 17.50
            {"issueDate": "2026-05-01", "total": "508.50"},  # April's calls + May's 225
            {"issueDate": "2026-06-01", "total": "220.00"},  # May's calls
        ],
    }


SAVE_QUOTE = f"""
mutation($input: CreateQuoteInput!) {{
  createQuote(input: $input) {{ savedQuote {{ id revisions {{ result {{ total }} }} }} {ERRORS} }}
}}
"""
APPROVE_QUOTE = f"""
mutation($id: ID!) {{ approveQuote(input: {{id: $id}}) {{ savedQuote {{ status }} {ERRORS} }} }}
"""
ACCEPT_QUOTE = f"""
mutation($id: ID!) {{
  acceptQuote(input: {{id: $id, acceptedOn: "2026-03-20"}}) {{
    contract {{ revision planVersions {{ effectiveFrom plan {{ key }} }}
      amendments {{ revision kind effectiveDate }} }}
    {ERRORS}
  }}
}}
"""


async def test_an_accepted_quote_signs_its_plan_change(database: Any) -> None:
    ids = await _setup(database)
    saved = await _ok(
        database,
        SAVE_QUOTE,
        input={
            "prospect": {"name": "Globex", "externalId": "globex"},
            "validUntil": "2026-03-31",
            "quote": {
                "planId": ids["basic"],
                "startDate": "2026-04-01",
                "periods": 2,
                "usage": [{"metricKey": "calls", "quantity": "4500"}],
                "planChange": {"planId": ids["pro"], "effectiveDate": "2026-04-10"},
            },
        },
    )
    quote_id = saved["savedQuote"]["id"]
    assert saved["savedQuote"]["revisions"] == [{"result": {"total": "923.50"}}]
    await _ok(database, APPROVE_QUOTE, id=quote_id)
    accepted = await _ok(database, ACCEPT_QUOTE, id=quote_id)
    assert accepted["contract"] == {
        "revision": 2,
        "planVersions": [
            {"effectiveFrom": "2026-04-01", "plan": {"key": "basic"}},
            {"effectiveFrom": "2026-04-10", "plan": {"key": "pro"}},
        ],
        "amendments": [
            {"revision": 1, "kind": "CREATE", "effectiveDate": "2026-04-01"},
            {"revision": 2, "kind": "CHANGE_PLAN", "effectiveDate": "2026-04-10"},
        ],
    }


async def test_a_quoted_plan_change_is_refused_on_its_fields(database: Any) -> None:
    ids = await _setup(database)

    async def refused(plan_id: str, day: str) -> list[tuple[str, str]]:
        given = {
            "planId": ids["basic"],
            "startDate": "2026-04-01",
            "periods": 2,
            "usage": [{"metricKey": "calls", "quantity": "1"}],
            "planChange": {"planId": plan_id, "effectiveDate": day},
        }
        payload = (await execute(database, QUOTE_WITH_CHANGE, input=given))["quote"]
        return [(e["field"], e["code"]) for e in payload["errors"]]

    assert await refused(ids["pro"], "2026-04-01") == [
        ("input.planChange.effectiveDate", "INVALID_DATES")  # not after the start
    ]
    assert await refused(ids["basic"], "2026-04-10") == [
        ("input.planChange.planId", "INVALID_VALUE")  # the quoted plan itself
    ]


async def test_a_discount_on_a_price_the_new_plan_lacks_refuses_the_change(database: Any) -> None:
    # A discount limited to "seats" cannot follow the contract to a plan without seats: the
    # change (and its preview) is refused on input.planId, as an adjustment of a price it lacks is.
    ids = await _setup(database)
    product = await execute(database, '{ product(key: "saas") { id } }')
    lite = _plan(product["product"]["id"], "lite", "50.00", "0.10", "0.05")
    lite["ramps"][0]["prices"] = [p for p in lite["ramps"][0]["prices"] if p["key"] != "seats"]
    created = await _ok(database, CREATE_PLAN, input=lite)
    await _ok(database, PUBLISH, id=created["plan"]["id"])
    customer = await _ok(
        database, CREATE_CUSTOMER, input={"externalId": "seatco", "name": "Seat Co"}
    )
    contract = await _ok(
        database,
        CREATE_CONTRACT,
        input={
            "customerId": customer["customer"]["id"],
            "planId": ids["basic"],
            "startDate": "2026-04-01",
            "discounts": [
                {"key": "seat-deal", "kind": "PERCENT", "value": "50", "priceKeys": ["seats"]}
            ],
        },
    )
    change = {
        "contractId": contract["contract"]["id"],
        "planId": created["plan"]["id"],
        "effectiveDate": "2026-04-10",
    }
    errors = (await execute(database, CHANGE, input={**change, "expectedRevision": 1}))[
        "changeContractPlan"
    ]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("input.planId", "INVALID_TERMS")]
    assert "seats" in errors[0]["message"]
    preview = await execute_raw(database, PREVIEW, input=change)
    assert preview.data is None
    assert [(e.extensions["field"], e.extensions["code"]) for e in preview.errors] == [
        ("input.planId", "INVALID_TERMS")
    ]


async def test_a_change_far_in_the_future_is_refused_before_any_period_is_rated(
    database: Any,
) -> None:
    # An open-ended monthly contract from 2026-04-01: 2199-12-01 is period 2,092, past the
    # 1,200 any operation walks; 9999-01-01 is outside the dates any operation takes.
    ids = await _setup(database)
    contract = await _contract(database, "acme", ids["basic"])
    for day in ("2199-12-01", "9999-01-01"):
        change = {"contractId": contract, "planId": ids["pro"], "effectiveDate": day}
        preview = await execute_raw(database, PREVIEW, input=change)
        assert preview.data is None
        assert [(e.extensions["field"], e.extensions["code"]) for e in preview.errors] == [
            ("input.effectiveDate", "INVALID_DATES")
        ]
        errors = (await execute(database, CHANGE, input={**change, "expectedRevision": 1}))[
            "changeContractPlan"
        ]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [
            ("input.effectiveDate", "INVALID_DATES")
        ]
