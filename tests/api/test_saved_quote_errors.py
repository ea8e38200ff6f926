"""Bad saved-quote input and refused transitions: a typed error on the right field, and no
table's row count moves.

Terms are checked under createContract's rules: the same broken terms sent to
createContract and to createQuote get the same (code, field) pairs, the quote's under
`input.quote`.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.test_contracts import (
    CREATE_CONTRACT,
    CREATE_CUSTOMER,
    CREATE_PLAN,
    GPT_4,
    _ok,
    create_contract,
    plan_action,
    pro_plan,
    row_counts,
    seed,
    simple_contract,
)
from tests.api.test_saved_quotes import (
    ACCEPT_QUOTE,
    APPROVE_QUOTE,
    CREATE_QUOTE,
    UPDATE_QUOTE,
    VOID_QUOTE,
    accept,
    approve,
    create_quote,
    deal,
    for_acme,
    for_prospect,
)
from tests.support.graphql import execute

from pricing_graph.api.context import Context
from pricing_graph.api.ids import encode_id
from pricing_graph.api.schema import schema

Pairs = list[tuple[str, str | None]]


def _pairs(payload: dict[str, Any]) -> Pairs:
    assert all(error["message"] for error in payload["errors"])
    return sorted((error["code"], error["field"]) for error in payload["errors"])


async def _refused(database: Any, document: str, **variables: Any) -> Pairs:
    """Run, expect no result, return the (code, field) pairs; assert nothing was written."""
    before = await row_counts(database)
    data = await execute(database, document, **variables)
    payload = next(iter(data.values()))
    assert payload["savedQuote"] is None
    assert await row_counts(database) == before
    return _pairs(payload)


# -- terms: createContract's rules -----------------------------------------------------------

TERMS_CASES: list[tuple[str, dict[str, Any], Pairs]] = [
    ("unknown price", {"adjustments": [{"priceKey": "nope", "kind": "PERCENT", "value": "-5"}]},
     [("UNKNOWN_PRICE", "adjustments.0.priceKey")]),
    ("negative override", {"adjustments": [{"priceKey": "model_usage", "kind": "OVERRIDE",
                                            "value": "-1", "match": GPT_4}]},
     [("NEGATIVE_VALUE", "adjustments.0.value")]),
    ("end before start", {"endDate": "2024-12-01"}, [("INVALID_DATES", "endDate")]),
    ("grant in EUR", {"creditGrants": [{"key": "g", "amount": "5", "pricingUnit": "EUR"}]},
     [("CURRENCY_MISMATCH", "creditGrants.0.pricingUnit")]),
    ("zero commitment", {"commitments": [{"key": "c", "kind": "POSTPAID", "amount": "0"}]},
     [("NOT_POSITIVE", "commitments.0.amount")]),
    ("grant key twice", {"creditGrants": [{"key": "g", "amount": "5"},
                                          {"key": "g", "amount": "6"}]},
     [("DUPLICATE_KEY", "creditGrants.1.key")]),
    ("quantity of a usage price", {"adjustments": [{"priceKey": "model_usage",
                                                    "kind": "QUANTITY", "value": "2"}]},
     [("INVALID_TERMS", "adjustments.0.kind")]),
]  # fmt: skip


@pytest.mark.parametrize("case", TERMS_CASES, ids=[c[0] for c in TERMS_CASES])
async def test_terms_get_create_contract_codes_under_input_quote(
    database: Any, case: tuple[str, dict[str, Any], Pairs]
) -> None:
    _name, changes, want = case
    ids = await seed(database)
    before = await row_counts(database)

    contract = (await execute(database, CREATE_CONTRACT, input=simple_contract(ids, **changes)))[
        "createContract"
    ]
    quoted = await _refused(
        database, CREATE_QUOTE, input=for_acme(ids, quote=deal(ids["plan_id"], **changes))
    )

    assert contract["contract"] is None
    assert _pairs(contract) == [(code, f"input.{field}") for code, field in want]
    assert quoted == [(code, f"input.quote.{field}") for code, field in want]
    assert await row_counts(database) == before


# -- createQuote -----------------------------------------------------------------------------


async def test_create_quote_refuses_who_and_what(database: Any) -> None:
    ids = await seed(database)
    plan = ids["plan_id"]
    cases: list[tuple[dict[str, Any], Pairs]] = [
        ({"customerId": None}, [("REQUIRED", "input.customerId")]),
        (
            {"prospect": {"name": "Globex", "externalId": "globex"}},
            [("INVALID_VALUE", "input.customerId")],
        ),
        ({"customerId": encode_id("Customer", 99)}, [("NOT_FOUND", "input.customerId")]),
        ({"customerId": "nonsense"}, [("INVALID_ID", "input.customerId")]),
        (
            {"customerId": None, "prospect": {"name": " ", "externalId": "globex"}},
            [("REQUIRED", "input.prospect.name")],
        ),
        (
            {"customerId": None, "prospect": {"name": "Acme again", "externalId": "acme"}},
            [("DUPLICATE_KEY", "input.prospect.externalId")],
        ),
        (
            {"quote": deal(plan, usage=[{"metricKey": "nope", "quantity": "1"}])},
            [("UNKNOWN_METRIC", "input.quote.usage.0.metricKey")],
        ),
        ({"quote": deal(plan, periods=0)}, [("INVALID_VALUE", "input.quote.periods")]),
        (
            {"quote": deal(encode_id("Plan", 99))},
            [("NOT_FOUND", "input.quote.planId")],
        ),
        (
            {"customerId": encode_id("Customer", 99), "quote": deal(plan, periods=0)},
            [("INVALID_VALUE", "input.quote.periods"), ("NOT_FOUND", "input.customerId")],
        ),
        ({"idempotencyKey": "k" * 201}, [("INVALID_VALUE", "input.idempotencyKey")]),
    ]
    for changes, want in cases:
        assert await _refused(database, CREATE_QUOTE, input=for_acme(ids, **changes)) == want, (
            changes
        )


async def test_a_draft_plan_needs_a_sales_key_and_cannot_be_signed(database: Any) -> None:
    ids = await seed(database)
    draft = await _ok(database, CREATE_PLAN, input=pro_plan(ids["product_id"], key="pro-next"))
    given = for_prospect(ids, quote=deal(draft["plan"]["id"]))
    before = await row_counts(database)
    for scopes, want in (
        (frozenset(), [("FORBIDDEN", None)]),  # anonymous: no saved quotes at all
        (frozenset({"partner"}), [("FORBIDDEN", None)]),
        (frozenset({"admin"}), [("FORBIDDEN", "input.quote.planId")]),  # no sales scope
    ):
        refused = await schema.execute(
            CREATE_QUOTE,
            variable_values={"input": given},
            context_value=Context(database, scopes),
        )
        assert refused.errors is None and refused.data is not None
        assert refused.data["createQuote"]["savedQuote"] is None
        assert _pairs(refused.data["createQuote"]) == want, scopes
    assert await row_counts(database) == before

    sales = await schema.execute(
        CREATE_QUOTE,
        variable_values={"input": given},
        context_value=Context(database, frozenset({"sales"})),
    )
    assert sales.errors is None and sales.data is not None
    quote_id = sales.data["createQuote"]["savedQuote"]["id"]
    await approve(database, quote_id)
    before = await row_counts(database)
    data = await execute(database, ACCEPT_QUOTE, id=quote_id, acceptedOn="2025-01-15")
    assert _pairs(data["acceptQuote"]) == [("PLAN_NOT_PUBLISHED", "input.id")]
    assert data["acceptQuote"]["errors"][0]["message"].startswith("revision 1, quote.planId: ")
    assert await row_counts(database) == before  # no customer for the prospect either


# -- updateQuote -----------------------------------------------------------------------------


async def test_update_quote_refuses(database: Any) -> None:
    ids = await seed(database)
    quote_id = (await create_quote(database, for_acme(ids)))["id"]
    plan = ids["plan_id"]
    cases: list[tuple[dict[str, Any], Pairs]] = [
        ({"expectedRevision": 2}, [("CONFLICT", "input.expectedRevision")]),
        (
            {"quote": deal(plan, endDate="2024-01-01")},
            [("INVALID_DATES", "input.quote.endDate")],
        ),
        ({"id": encode_id("SavedQuote", 99)}, [("NOT_FOUND", "input.id")]),
        ({"id": encode_id("Contract", 1)}, [("INVALID_ID", "input.id")]),
    ]
    for changes, want in cases:
        given = {"id": quote_id, "quote": deal(plan), **changes}
        assert await _refused(database, UPDATE_QUOTE, input=given) == want, changes

    await approve(database, quote_id)
    given = {"id": quote_id, "quote": deal(plan)}
    assert await _refused(database, UPDATE_QUOTE, input=given) == [("QUOTE_NOT_DRAFT", "input.id")]


# -- approve, void, accept -------------------------------------------------------------------


async def test_transitions_refused_by_status(database: Any) -> None:
    ids = await seed(database)
    voided = (await create_quote(database, for_acme(ids)))["id"]
    await _ok(database, VOID_QUOTE, id=voided, reason="lost")
    accepted = (await create_quote(database, for_prospect(ids)))["id"]
    await approve(database, accepted)
    await accept(database, accepted)
    draft = (await create_quote(database, for_acme(ids)))["id"]

    assert await _refused(database, APPROVE_QUOTE, id=voided) == [("QUOTE_NOT_DRAFT", "input.id")]
    assert await _refused(database, APPROVE_QUOTE, id=accepted) == [("QUOTE_NOT_DRAFT", "input.id")]
    assert await _refused(database, VOID_QUOTE, id=accepted, reason="late") == [
        ("QUOTE_ACCEPTED", "input.id")
    ]
    assert await _refused(database, VOID_QUOTE, id=draft, reason=" ") == [
        ("REQUIRED", "input.reason")
    ]
    assert await _refused(database, VOID_QUOTE, id=draft, reason="x" * 501) == [
        ("INVALID_VALUE", "input.reason")
    ]
    assert await _refused(database, ACCEPT_QUOTE, id=draft, acceptedOn="2025-01-15") == [
        ("QUOTE_NOT_APPROVED", "input.id")
    ]
    assert await _refused(database, ACCEPT_QUOTE, id=voided, acceptedOn="2025-01-15") == [
        ("QUOTE_VOIDED", "input.id")
    ]
    assert await _refused(
        database, ACCEPT_QUOTE, id=encode_id("SavedQuote", 99), acceptedOn=None
    ) == [("NOT_FOUND", "input.id")]


async def test_accepting_after_valid_until_is_expired(database: Any) -> None:
    ids = await seed(database)
    quote_id = (await create_quote(database, for_prospect(ids)))["id"]
    await approve(database, quote_id)
    assert await _refused(database, ACCEPT_QUOTE, id=quote_id, acceptedOn="2025-02-01") == [
        ("QUOTE_EXPIRED", "input.acceptedOn")
    ]
    # no acceptedOn: today, long after 2025-01-31
    assert await _refused(database, ACCEPT_QUOTE, id=quote_id, acceptedOn=None) == [
        ("QUOTE_EXPIRED", "input.acceptedOn")
    ]
    assert (await accept(database, quote_id, "2025-01-31"))["savedQuote"]["status"] == "ACCEPTED"


async def test_accepting_refuses_what_create_contract_would(database: Any) -> None:
    """An overlapping contract, an archived plan or a prospect's external ID taken since the
    quote was made: refused on the quote's ID, and the prospect's customer is not created."""
    ids = await seed(database)
    overlap = (await create_quote(database, for_acme(ids)))["id"]
    taken = (await create_quote(database, for_prospect(ids)))["id"]
    archived = (
        await create_quote(
            database, for_prospect(ids, prospect={"name": "Umbrella", "externalId": "umbrella"})
        )
    )["id"]
    for quote_id in (overlap, taken, archived):
        await approve(database, quote_id)
    await create_contract(database, simple_contract(ids))  # acme from 2025-01-01
    await _ok(database, CREATE_CUSTOMER, input={"externalId": "globex", "name": "Globex Inc"})

    assert await _refused(database, ACCEPT_QUOTE, id=overlap, acceptedOn="2025-01-15") == [
        ("OVERLAPPING_CONTRACT", "input.id")
    ]
    assert await _refused(database, ACCEPT_QUOTE, id=taken, acceptedOn="2025-01-15") == [
        ("DUPLICATE_KEY", "input.id")
    ]
    await plan_action(database, "archivePlan", ids["plan_id"])
    assert await _refused(database, ACCEPT_QUOTE, id=archived, acceptedOn="2025-01-15") == [
        ("PLAN_ARCHIVED", "input.id")
    ]
    read = await execute(database, '{ customer(externalId: "umbrella") { id } }')
    assert read == {"customer": None}
    statuses = await execute(database, "{ savedQuotes { nodes { status } } }")
    assert statuses["savedQuotes"]["nodes"] == [{"status": "APPROVED"}] * 3
