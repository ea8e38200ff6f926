"""Bad customer and contract input gets a typed error on the right field, and nothing is
written.

Every case starts from one valid input (the contract with every kind of term from
`test_contracts`), breaks one thing, and asserts the exact (code, field) list and that no
table's row count moved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.api.test_catalog_errors import DELETE, apply
from tests.api.test_contracts import (
    AMEND_CONTRACT,
    CREATE_CONTRACT,
    CREATE_CUSTOMER,
    CREATE_PLAN,
    END_CONTRACT,
    MOVE_CONTRACT,
    UPDATE_PLAN,
    _ok,
    create_contract,
    create_customer,
    full_contract,
    plan_action,
    pro_plan,
    publish_v2,
    row_counts,
    seed,
    simple_contract,
)
from tests.support.graphql import execute
from tests.support.shared import database_at, seed_once

from pricing_graph.api.ids import encode_id


@dataclass(frozen=True)
class Case:
    id: str
    changes: dict[str, Any]
    code: str
    field: str
    extra: list[tuple[str, str]] = field(default_factory=list)


def _pairs(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((error["code"], error["field"]) for error in payload["errors"])


def _want(case: Case) -> list[tuple[str, str]]:
    return sorted((code, f"input.{path}") for code, path in [(case.code, case.field), *case.extra])


async def _refused(database: Any, document: str, given: dict[str, Any]) -> dict[str, Any]:
    data = await execute(database, document, input=given)
    payload = dict(next(iter(data.values())))
    assert all(error["message"] for error in payload["errors"])
    return payload


async def _shared_seed(database: Any) -> dict[str, str]:
    """The refusal cases' database: the catalog and Acme without a contract (createCustomer,
    createContract), and a second customer on the full contract (amendContract)."""
    ids = await seed(database)
    other = {**ids, "customer_id": await create_customer(database, "amended-co")}
    contract = await create_contract(database, full_contract(other))
    read = await execute(
        database,
        "query($id: ID!) { contract(id: $id) { adjustments { id } } }",
        id=contract["id"],
    )
    ids["contract_id"] = contract["id"]
    ids[PERCENT] = read["contract"]["adjustments"][2]["id"]
    return ids


@pytest.fixture(scope="module")
def seeded_once(module_database_url: str) -> tuple[str, dict[str, str]]:
    """Seeded once; the refusal cases share it, each asserting that no row count changed
    (tests/support/shared.py)."""
    return module_database_url, seed_once(module_database_url, _shared_seed)


@pytest.fixture
async def shared(
    seeded_once: tuple[str, dict[str, str]],
) -> AsyncIterator[tuple[Any, dict[str, str]]]:
    url, ids = seeded_once
    async with database_at(url) as database:
        yield database, dict(ids)


# -- createCustomer ------------------------------------------------------------------------

CUSTOMER_CASES = [
    Case("duplicate external ID", {"externalId": "acme"}, "DUPLICATE_KEY", "externalId"),
    Case("empty external ID", {"externalId": " "}, "REQUIRED", "externalId"),
    Case("long external ID", {"externalId": "x" * 201}, "INVALID_VALUE", "externalId"),
    Case("empty name", {"name": ""}, "REQUIRED", "name"),
    Case("long name", {"name": "n" * 201}, "INVALID_VALUE", "name"),
    Case("long partner owner", {"partnerOwner": "p" * 101}, "INVALID_VALUE", "partnerOwner"),
    Case("long idempotency key", {"idempotencyKey": "k" * 201}, "INVALID_VALUE",
         "idempotencyKey"),
]  # fmt: skip


@pytest.mark.parametrize("case", CUSTOMER_CASES, ids=[c.id for c in CUSTOMER_CASES])
async def test_create_customer_refuses(shared: tuple[Any, dict[str, str]], case: Case) -> None:
    database, _ = shared  # customer "acme" exists
    before = await row_counts(database)

    given = {"externalId": "globex", "name": "Globex", **case.changes}
    payload = await _refused(database, CREATE_CUSTOMER, given)

    assert payload["customer"] is None
    assert _pairs(payload) == _want(case)
    assert await row_counts(database) == before


# -- createContract ------------------------------------------------------------------------

CONTRACT_CASES = [
    # IDs
    Case("malformed customer ID", {"customerId": "not an id!"}, "INVALID_ID", "customerId"),
    Case("customer ID of another type", {"customerId": encode_id("Plan", 1)}, "INVALID_ID",
         "customerId"),
    Case("unknown customer", {"customerId": encode_id("Customer", 999)}, "NOT_FOUND",
         "customerId"),
    Case("malformed plan ID", {"planId": "%%%"}, "INVALID_ID", "planId"),
    Case("plan ID of another type", {"planId": encode_id("Customer", 1)}, "INVALID_ID",
         "planId"),
    Case("unknown plan", {"planId": encode_id("Plan", 999)}, "NOT_FOUND", "planId"),
    # dates
    Case("end before start", {"endDate": "2024-12-01"}, "INVALID_DATES", "endDate"),
    Case("end on start", {"endDate": "2025-01-01"}, "INVALID_DATES", "endDate"),
    Case("biweekly on the first of the month", {"billingInterval": "BIWEEKLY"},
         "INVALID_VALUE", "billingAnchor"),
    # adjustments
    Case("adjustment for a price not in the plan", {"adjustments.0.priceKey": "gpt-5"},
         "UNKNOWN_PRICE", "adjustments.0.priceKey"),
    Case("override with value and tiers", {"adjustments.1.value": "0.5"}, "INVALID_TERMS",
         "adjustments.1"),
    Case("override without anything", {"adjustments.0.value": DELETE}, "INVALID_TERMS",
         "adjustments.0"),
    Case("tiers on a percent", {"adjustments.2.tiers": [{"unitPrice": "1"}]}, "INVALID_TERMS",
         "adjustments.2"),
    Case("percent below -100", {"adjustments.2.value": "-101"}, "INVALID_TERMS",
         "adjustments.2.value"),
    Case("quantity of a usage price", {"adjustments.4.priceKey": "storage"}, "INVALID_TERMS",
         "adjustments.4.kind"),
    Case("override tiers descending",
         {"adjustments.1.tiers": [{"upTo": "10", "unitPrice": "1"},
                                  {"upTo": "5", "unitPrice": "0.5"}, {"unitPrice": "0.1"}]},
         "INVALID_TERMS", "adjustments.1.tiers.1.upTo"),
    Case("negative rate override", {"adjustments.0.value": "-0.02"}, "NEGATIVE_VALUE",
         "adjustments.0.value"),
    Case("negative fee override", {"adjustments.3.kind": "OVERRIDE", "adjustments.3.value": "-5"},
         "NEGATIVE_VALUE", "adjustments.3.value"),
    Case("negative discount override is fine, a positive one is not",
         {"adjustments.3": {"priceKey": "intro", "kind": "OVERRIDE", "value": "-20"},
          "adjustments.5": {"priceKey": "intro", "kind": "OVERRIDE", "value": "5"}},
         "INVALID_TERMS", "adjustments.5"),
    Case("negative override tier", {"adjustments.1.tiers.1.unitPrice": "-0.5"}, "NEGATIVE_VALUE",
         "adjustments.1.tiers.1.unitPrice"),
    Case("negative quantity", {"adjustments.4.value": "-1"}, "INVALID_TERMS",
         "adjustments.4.value"),
    Case("match on an unknown dimension",
         {"adjustments.0.match": [{"name": "region", "value": "eu"}]}, "INVALID_TERMS",
         "adjustments.0.match"),
    Case("adjustment ends before it starts", {"adjustments.2.effectiveUntil": "2025-03-01"},
         "INVALID_TERMS", "adjustments.2.effectiveUntil"),
    # credit grants
    Case("credit in another pricing unit", {"creditGrants.1.pricingUnit": "EUR"},
         "CURRENCY_MISMATCH", "creditGrants.1.pricingUnit"),
    Case("zero grant", {"creditGrants.0.amount": "0"}, "NOT_POSITIVE", "creditGrants.0.amount"),
    Case("negative grant", {"creditGrants.1.amount": "-50"}, "NOT_POSITIVE",
         "creditGrants.1.amount"),
    Case("grant expires before it starts", {"creditGrants.1.expires": "2025-02-01"},
         "INVALID_TERMS", "creditGrants.1.expires"),
    Case("duplicate grant key", {"creditGrants.1.key": "welcome"}, "DUPLICATE_KEY",
         "creditGrants.1.key"),
    Case("long grant key", {"creditGrants.1.key": "g" * 101}, "INVALID_VALUE",
         "creditGrants.1.key"),
    # commitments
    Case("zero commitment", {"commitments.0.amount": "0"}, "NOT_POSITIVE",
         "commitments.0.amount"),
    Case("negative commitment", {"commitments.1.amount": "-1000"}, "NOT_POSITIVE",
         "commitments.1.amount"),
    Case("commitment without an end on an open-ended contract", {"endDate": DELETE},
         "INVALID_TERMS", "commitments.0.end"),
    Case("commitment before the contract", {"commitments.1.start": "2024-12-01"},
         "INVALID_TERMS", "commitments.1.start"),
    Case("postpaid with credits", {"commitments.1.creditAmount": "10"}, "INVALID_TERMS",
         "commitments.1.creditAmount"),
    Case("commitment key of a grant", {"commitments.1.key": "promo"}, "DUPLICATE_KEY",
         "commitments.1.key"),
    Case("long commitment key", {"commitments.1.key": "c" * 101}, "INVALID_VALUE",
         "commitments.1.key"),
    # settings
    Case("negative payment days", {"settings.netPaymentDays": -30}, "INVALID_TERMS",
         "settings.netPaymentDays"),
    Case("negative trial", {"settings.trial.days": -1}, "INVALID_TERMS", "settings.trial.days"),
    Case("negative invoice minimum", {"settings.invoiceMinimum": "-1"}, "INVALID_TERMS",
         "settings.invoiceMinimum"),
    Case("long idempotency key", {"idempotencyKey": "k" * 201}, "INVALID_VALUE",
         "idempotencyKey"),
]  # fmt: skip


async def test_full_contract_is_valid(database: Any) -> None:
    """The cases below fail for their one change, not because the base input is wrong."""
    ids = await seed(database)
    contract = await create_contract(database, full_contract(ids))
    assert contract["revision"] == 1


@pytest.mark.parametrize("case", CONTRACT_CASES, ids=[c.id for c in CONTRACT_CASES])
async def test_create_contract_refuses(shared: tuple[Any, dict[str, str]], case: Case) -> None:
    database, ids = shared
    given = full_contract(ids)
    for dotted, value in case.changes.items():
        apply(given, dotted, value)
    before = await row_counts(database)

    payload = await _refused(database, CREATE_CONTRACT, given)

    assert payload["contract"] is None
    assert _pairs(payload) == _want(case)
    assert await row_counts(database) == before


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("DRAFT", "PLAN_NOT_PUBLISHED"),
        ("ARCHIVED", "PLAN_ARCHIVED"),
        ("SUPERSEDED", "PLAN_ARCHIVED"),
    ],
)
async def test_contract_needs_a_published_plan(database: Any, status: str, code: str) -> None:
    ids = await seed(database)
    plan_id = ids["plan_id"]
    if status == "DRAFT":
        plan_id = str((await plan_action(database, "createPlanVersion", plan_id))["id"])
    elif status == "ARCHIVED":
        await plan_action(database, "archivePlan", plan_id)
    else:  # publishing v2 archives v1
        await publish_v2(database, plan_id)
    before = await row_counts(database)

    payload = await _refused(database, CREATE_CONTRACT, simple_contract(ids, planId=plan_id))

    assert payload["contract"] is None
    assert _pairs(payload) == [(code, "input.planId")]
    assert await row_counts(database) == before


OVERLAPS = [
    # (existing start, existing end, new start, new end)
    ("2025-01-01", None, "2026-01-01", None),
    ("2025-01-01", "2025-07-01", "2025-06-30", None),
    ("2025-03-01", None, "2025-01-01", "2025-03-02"),
    ("2025-03-01", "2025-04-01", "2025-01-01", None),
    ("2025-03-01", "2025-04-01", "2025-03-10", "2025-03-20"),
]


@pytest.mark.parametrize(("start", "end", "new_start", "new_end"), OVERLAPS)
async def test_overlapping_contracts_are_refused(
    database: Any, start: str, end: str | None, new_start: str, new_end: str | None
) -> None:
    ids = await seed(database)
    await create_contract(database, simple_contract(ids, startDate=start, endDate=end))
    before = await row_counts(database)

    payload = await _refused(
        database, CREATE_CONTRACT, simple_contract(ids, startDate=new_start, endDate=new_end)
    )

    assert payload["contract"] is None
    assert _pairs(payload) == [("OVERLAPPING_CONTRACT", "input.startDate")]
    assert await row_counts(database) == before


async def test_adjacent_and_other_product_contracts_are_allowed(database: Any) -> None:
    ids = await seed(database)
    await create_contract(
        database, simple_contract(ids, startDate="2025-03-01", endDate="2025-04-01")
    )
    await create_contract(
        database, simple_contract(ids, startDate="2025-01-01", endDate="2025-03-01")
    )
    await create_contract(database, simple_contract(ids, startDate="2025-04-01"))
    other = await _ok(
        database,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } "
        "errors { field code message } } }",
        i={"key": "other", "name": "Other"},
    )
    plan = await _ok(database, CREATE_PLAN, input=pro_plan(other["product"]["id"], "other-plan"))
    await plan_action(database, "publishPlan", plan["plan"]["id"])
    contract = await create_contract(database, simple_contract(ids, planId=plan["plan"]["id"]))
    assert contract["revision"] == 1


# -- amendContract -------------------------------------------------------------------------

PERCENT = "$PERCENT"  # replaced by the ID of the contract's PERCENT adjustment

AMEND_CASES = [
    Case("stale revision", {"expectedRevision": 0}, "CONFLICT", "expectedRevision"),
    Case("future revision", {"expectedRevision": 2}, "CONFLICT", "expectedRevision"),
    Case("malformed contract ID", {"contractId": "!"}, "INVALID_ID", "contractId"),
    Case("customer ID as contract ID", {"contractId": encode_id("Customer", 1)}, "INVALID_ID",
         "contractId"),
    Case("unknown contract", {"contractId": encode_id("Contract", 999)}, "NOT_FOUND",
         "contractId"),
    Case("adjustment for a price not in the plan",
         {"addAdjustments": [{"priceKey": "gpt-5", "kind": "PERCENT", "value": "-10"}]},
         "UNKNOWN_PRICE", "addAdjustments.0.priceKey"),
    Case("override with value and tiers",
         {"addAdjustments": [{"priceKey": "storage", "kind": "OVERRIDE", "value": "1",
                              "tiers": [{"unitPrice": "1"}]}]},
         "INVALID_TERMS", "addAdjustments.0"),
    Case("end an unknown adjustment",
         {"endAdjustments": [{"adjustmentId": encode_id("ContractAdjustment", 999),
                              "effectiveUntil": "2025-07-01"}]},
         "NOT_FOUND", "endAdjustments.0.adjustmentId"),
    Case("end with a malformed ID",
         {"endAdjustments": [{"adjustmentId": "?", "effectiveUntil": "2025-07-01"}]},
         "INVALID_ID", "endAdjustments.0.adjustmentId"),
    Case("end an adjustment before it starts",
         {"endAdjustments": [{"adjustmentId": PERCENT, "effectiveUntil": "2025-03-01"}]},
         "INVALID_TERMS", "endAdjustments.0.effectiveUntil"),
    Case("credit in another pricing unit",
         {"grantCredits": [{"key": "eur", "amount": "10", "pricingUnit": "EUR"}]},
         "CURRENCY_MISMATCH", "grantCredits.0.pricingUnit"),
    Case("zero grant", {"grantCredits": [{"key": "zero", "amount": "0"}]}, "NOT_POSITIVE",
         "grantCredits.0.amount"),
    Case("grant key taken", {"grantCredits": [{"key": "welcome", "amount": "10"}]},
         "DUPLICATE_KEY", "grantCredits.0.key"),
    Case("commitment key taken",
         {"addCommitments": [{"key": "prepaid", "kind": "POSTPAID", "amount": "1"}]},
         "DUPLICATE_KEY", "addCommitments.0.key"),
    Case("empty grant key", {"grantCredits": [{"key": " ", "amount": "10"}]}, "REQUIRED",
         "grantCredits.0.key"),
    Case("non-positive commitment",
         {"addCommitments": [{"key": "c", "kind": "POSTPAID", "amount": "-1"}]},
         "NOT_POSITIVE", "addCommitments.0.amount"),
    Case("settings change on a date that has one",
         {"changeSettings": {"effectiveFrom": "2025-01-01", "netPaymentDays": 60}},
         "INVALID_DATES", "changeSettings.effectiveFrom"),
    Case("settings change before the contract",
         {"changeSettings": {"effectiveFrom": "2024-12-01", "netPaymentDays": 60}},
         "INVALID_DATES", "changeSettings.effectiveFrom"),
    Case("settings change after the contract",
         {"changeSettings": {"effectiveFrom": "2026-01-01", "netPaymentDays": 60}},
         "INVALID_DATES", "changeSettings.effectiveFrom"),
    Case("negative payment days",
         {"changeSettings": {"effectiveFrom": "2025-04-01", "netPaymentDays": -1}},
         "INVALID_TERMS", "changeSettings.netPaymentDays"),
]  # fmt: skip


async def _amend_base(database: Any) -> tuple[dict[str, str], dict[str, Any]]:
    ids = await seed(database)
    contract = await create_contract(database, full_contract(ids))
    read = await execute(
        database,
        "query($id: ID!) { contract(id: $id) { adjustments { id } } }",
        id=contract["id"],
    )
    ids["contract_id"] = contract["id"]
    ids[PERCENT] = read["contract"]["adjustments"][2]["id"]
    return ids, contract


@pytest.mark.parametrize("case", AMEND_CASES, ids=[c.id for c in AMEND_CASES])
async def test_amend_contract_refuses(shared: tuple[Any, dict[str, str]], case: Case) -> None:
    database, ids = shared
    given: dict[str, Any] = {"contractId": ids["contract_id"], "expectedRevision": 1}
    for dotted, value in case.changes.items():
        apply(given, dotted, value)
    for item in given.get("endAdjustments", []):
        item["adjustmentId"] = ids.get(item["adjustmentId"], item["adjustmentId"])
    before = await row_counts(database)

    payload = await _refused(database, AMEND_CONTRACT, given)

    assert payload["contract"] is None
    assert _pairs(payload) == _want(case)
    assert await row_counts(database) == before
    read = await execute(
        database, "query($id: ID!) { contract(id: $id) { revision } }", id=ids["contract_id"]
    )
    assert read["contract"] == {"revision": 1}


async def test_commitment_without_end_on_open_ended_contract(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    before = await row_counts(database)

    payload = await _refused(
        database,
        AMEND_CONTRACT,
        {
            "contractId": contract["id"],
            "expectedRevision": 1,
            "addCommitments": [{"key": "c", "kind": "POSTPAID", "amount": "1000"}],
        },
    )

    assert _pairs(payload) == [("INVALID_TERMS", "input.addCommitments.0.end")]
    assert await row_counts(database) == before


async def test_end_adjustment_of_another_contract(database: Any) -> None:
    ids, _ = await _amend_base(database)
    other = await create_contract(database, simple_contract(ids, startDate="2026-01-01"))
    before = await row_counts(database)

    payload = await _refused(
        database,
        AMEND_CONTRACT,
        {
            "contractId": other["id"],
            "expectedRevision": 1,
            "endAdjustments": [{"adjustmentId": ids[PERCENT], "effectiveUntil": "2026-07-01"}],
        },
    )

    assert _pairs(payload) == [("NOT_FOUND", "input.endAdjustments.0.adjustmentId")]
    assert await row_counts(database) == before


async def test_same_key_different_amendment(database: Any) -> None:
    ids, _ = await _amend_base(database)
    given = {
        "contractId": ids["contract_id"],
        "expectedRevision": 1,
        "grantCredits": [{"key": "goodwill", "amount": "75.00"}],
        "idempotencyKey": "amend-1",
    }
    await _ok(database, AMEND_CONTRACT, input=given)
    before = await row_counts(database)

    payload = await _refused(
        database,
        AMEND_CONTRACT,
        {**given, "expectedRevision": 2, "grantCredits": [{"key": "more", "amount": "1"}]},
    )

    assert _pairs(payload) == [("IDEMPOTENCY_KEY_REUSED", "input.idempotencyKey")]
    assert await row_counts(database) == before


# -- endContract ---------------------------------------------------------------------------

END_CASES = [
    Case("end before start", {"endDate": "2024-12-31"}, "INVALID_DATES", "endDate"),
    Case("end on start", {"endDate": "2025-01-01"}, "INVALID_DATES", "endDate"),
    Case("stale revision", {"expectedRevision": 3}, "CONFLICT", "expectedRevision"),
    Case("unknown contract", {"contractId": encode_id("Contract", 42)}, "NOT_FOUND",
         "contractId"),
    Case("malformed contract ID", {"contractId": "x"}, "INVALID_ID", "contractId"),
    # The POSTPAID commitment starts 2025-07-01 and ends with the contract: not before it.
    Case("end before a commitment starts", {"endDate": "2025-05-01"}, "INVALID_TERMS",
         "endDate"),
]  # fmt: skip


@pytest.mark.parametrize("case", END_CASES, ids=[c.id for c in END_CASES])
async def test_end_contract_refuses(database: Any, case: Case) -> None:
    ids = await seed(database)
    contract = await create_contract(
        database,
        simple_contract(
            ids,
            endDate="2026-01-01",
            commitments=[{"key": "h2", "kind": "POSTPAID", "amount": "100", "start": "2025-07-01"}],
        ),
    )
    given = {"contractId": contract["id"], "endDate": "2025-06-01", "expectedRevision": 1}
    for dotted, value in case.changes.items():
        apply(given, dotted, value)
    before = await row_counts(database)

    payload = await _refused(database, END_CONTRACT, given)

    assert payload["contract"] is None
    assert _pairs(payload) == _want(case)
    assert await row_counts(database) == before


async def test_end_contract_cannot_extend_into_the_next_contract(database: Any) -> None:
    ids = await seed(database)
    first = await create_contract(database, simple_contract(ids, endDate="2025-06-01"))
    await create_contract(database, simple_contract(ids, startDate="2025-06-01"))
    before = await row_counts(database)

    payload = await _refused(
        database,
        END_CONTRACT,
        {"contractId": first["id"], "endDate": "2025-09-01", "expectedRevision": 1},
    )

    assert payload["contract"] is None
    assert _pairs(payload) == [("OVERLAPPING_CONTRACT", "input.endDate")]
    assert await row_counts(database) == before


# -- moveContractToPlanVersion -------------------------------------------------------------

MOVE_CASES = [
    Case("not a period boundary", {"effectiveFrom": "2025-03-10"}, "NOT_PERIOD_BOUNDARY",
         "effectiveFrom"),
    Case("the contract start", {"effectiveFrom": "2025-01-01"}, "INVALID_DATES",
         "effectiveFrom"),
    Case("before the contract", {"effectiveFrom": "2024-12-01"}, "INVALID_DATES",
         "effectiveFrom"),
    Case("after the contract", {"effectiveFrom": "2026-02-01"}, "INVALID_DATES",
         "effectiveFrom"),
    Case("back to the archived version", {"planId": "$V1"}, "PLAN_ARCHIVED", "planId"),
    Case("another plan key", {"planId": "$OTHER"}, "INVALID_VALUE", "planId"),
    Case("a draft", {"planId": "$DRAFT"}, "PLAN_NOT_PUBLISHED", "planId"),
    Case("an unknown plan", {"planId": encode_id("Plan", 999)}, "NOT_FOUND", "planId"),
    Case("a malformed plan ID", {"planId": "@@"}, "INVALID_ID", "planId"),
    Case("stale revision", {"expectedRevision": 0}, "CONFLICT", "expectedRevision"),
    Case("unknown contract", {"contractId": encode_id("Contract", 999)}, "NOT_FOUND",
         "contractId"),
]  # fmt: skip


@pytest.mark.parametrize("case", MOVE_CASES, ids=[c.id for c in MOVE_CASES])
async def test_move_refuses(database: Any, case: Case) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids, endDate="2026-01-01"))
    v2 = await publish_v2(database, ids["plan_id"])
    other = await _ok(database, CREATE_PLAN, input=pro_plan(ids["product_id"], "other-plan"))
    await plan_action(database, "publishPlan", other["plan"]["id"])
    draft = await plan_action(database, "createPlanVersion", v2)
    placeholders = {"$V1": ids["plan_id"], "$OTHER": other["plan"]["id"], "$DRAFT": draft["id"]}
    given = {
        "contractId": contract["id"],
        "planId": v2,
        "effectiveFrom": "2025-04-01",
        "expectedRevision": 1,
    }
    for dotted, value in case.changes.items():
        apply(given, dotted, placeholders.get(value, value) if isinstance(value, str) else value)
    before = await row_counts(database)

    payload = await _refused(database, MOVE_CONTRACT, given)

    assert payload["contract"] is None
    assert _pairs(payload) == _want(case)
    assert await row_counts(database) == before


async def test_move_to_a_version_without_an_adjusted_price(database: Any) -> None:
    """v2 drops the `seats` price the contract adjusts: the move is refused on planId."""
    ids = await seed(database)
    contract = await create_contract(
        database,
        simple_contract(ids, adjustments=[{"priceKey": "seats", "kind": "QUANTITY", "value": "3"}]),
    )
    draft = await plan_action(database, "createPlanVersion", ids["plan_id"])
    ramps = pro_plan(ids["product_id"])["ramps"]
    ramps[0]["prices"] = [p for p in ramps[0]["prices"] if p["key"] != "seats"]
    await _ok(database, UPDATE_PLAN, input={"id": draft["id"], "ramps": ramps})
    await plan_action(database, "publishPlan", draft["id"])
    before = await row_counts(database)

    payload = await _refused(
        database,
        MOVE_CONTRACT,
        {
            "contractId": contract["id"],
            "planId": draft["id"],
            "effectiveFrom": "2025-04-01",
            "expectedRevision": 1,
        },
    )

    assert payload["contract"] is None
    assert _pairs(payload) == [("INVALID_TERMS", "input.planId")]
    assert await row_counts(database) == before


async def test_move_to_the_version_in_force(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    v2 = await publish_v2(database, ids["plan_id"])
    move = {"contractId": contract["id"], "planId": v2, "effectiveFrom": "2025-04-01"}
    await _ok(database, MOVE_CONTRACT, input={**move, "expectedRevision": 1})
    before = await row_counts(database)

    payload = await _refused(
        database, MOVE_CONTRACT, {**move, "effectiveFrom": "2025-06-01", "expectedRevision": 2}
    )

    assert _pairs(payload) == [("INVALID_VALUE", "input.planId")]
    assert await row_counts(database) == before
