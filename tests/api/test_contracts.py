"""Customers and contracts, the happy paths: exact values written and read back on both
backends, history kept by amendments, plan-version moves, and idempotency keys.

The fixture catalog is seed 001's Pro Plan (gpt-4 $0.03, gpt-3.5 $0.002 per model unit)
plus a tiered storage price, a seat licence and a platform fee, so every adjustment kind
has a price to act on. The helpers here are shared by the error and concurrency suites.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select
from tests.support.graphql import execute

from pricing_graph.api.ids import decode_id, encode_id
from pricing_graph.store.schema import metadata

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
UPDATE_PLAN = f"""
mutation($input: UpdatePlanInput!) {{ updatePlan(input: $input) {{ plan {{ id }} {ERRORS} }} }}
"""
PLAN_ACTION = """
mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{ plan {{ id version status }} {errors} }} }}
"""
CUSTOMER_FIELDS = "id externalId name partnerOwner"
CONTRACT_FIELDS = """
  id startDate endDate billingInterval billingAnchor revision
  customer { externalId }
  planVersions { effectiveFrom plan { key version } }
  adjustments {
    priceKey kind value tiers { upTo unitPrice flatFee } match { name value }
    effectiveFrom effectiveUntil
  }
  creditGrants { key amount pricingUnit effective expires productKeys priority }
  commitments { key kind amount creditAmount start end productKeys priority }
  settings { effectiveFrom netPaymentDays autoPay trial { days spendingCap } invoiceMinimum }
  amendments { revision kind effectiveDate }
"""
CREATE_CUSTOMER = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ customer {{ {CUSTOMER_FIELDS} }} {ERRORS} }}
}}
"""
CONTRACT_PAYLOAD = f"contract {{ {CONTRACT_FIELDS} }} {ERRORS}"
CREATE_CONTRACT = f"""
mutation($input: CreateContractInput!) {{
  createContract(input: $input) {{ {CONTRACT_PAYLOAD} }}
}}
"""
AMEND_CONTRACT = f"""
mutation($input: AmendContractInput!) {{ amendContract(input: $input) {{ {CONTRACT_PAYLOAD} }} }}
"""
END_CONTRACT = f"""
mutation($input: EndContractInput!) {{ endContract(input: $input) {{ {CONTRACT_PAYLOAD} }} }}
"""
MOVE_CONTRACT = f"""
mutation($input: MoveContractToPlanVersionInput!) {{
  moveContractToPlanVersion(input: $input) {{ {CONTRACT_PAYLOAD} }}
}}
"""
READ_CONTRACT = f"query($id: ID!) {{ node(id: $id) {{ ... on Contract {{ {CONTRACT_FIELDS} }} }} }}"
ADJUSTMENT_IDS = "query($id: ID!) { node(id: $id) { ... on Contract { adjustments { id } } } }"

GPT_4 = [{"name": "model", "value": "gpt-4"}]
GPT_35 = [{"name": "model", "value": "gpt-3.5"}]


def _flat(unit_price: str) -> dict[str, Any]:
    return {"model": "FLAT", "unitPrice": unit_price}


def pro_plan(product_id: str, key: str = "pro-plan") -> dict[str, Any]:
    """Seed 001's Pro Plan, monthly from the contract start, in USD, plus a tiered price,
    a seat licence, a platform fee and a discount."""
    return {
        "productId": product_id,
        "key": key,
        "name": "Pro Plan",
        "pricingUnit": {"code": "USD"},
        "ramps": [
            {
                "prices": [
                    {
                        "key": "model_usage",
                        "name": "Model usage",
                        "usage": {
                            "metricKey": "model_units",
                            "dimensionRates": [
                                {"match": GPT_4, "rate": _flat("0.03")},
                                {"match": GPT_35, "rate": _flat("0.002")},
                            ],
                        },
                    },
                    {
                        "key": "storage",
                        "name": "Storage",
                        "usage": {
                            "metricKey": "storage_gb",
                            "rate": {
                                "model": "TIERED",
                                "tiers": [
                                    {"upTo": "1000", "unitPrice": "0.10"},
                                    {"unitPrice": "0.09"},
                                ],
                            },
                        },
                    },
                    {"key": "seats", "name": "Seats", "fixed": {"amount": "20.00"}},
                    {"key": "platform", "name": "Platform fee", "fixed": {"amount": "100.00"}},
                    {
                        "key": "intro",
                        "name": "Intro discount",
                        "fixed": {"amount": "-10.00", "isDiscount": True},
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


async def plan_action(database: Any, name: str, plan_id: str) -> dict[str, Any]:
    payload = await _ok(database, PLAN_ACTION.format(name=name, errors=ERRORS), id=plan_id)
    return dict(payload["plan"])


async def seed_catalog(database: Any) -> dict[str, str]:
    """Product `ai-api` with a published `pro-plan` v1; returns their IDs."""
    product = await _ok(database, CREATE_PRODUCT, input={"key": "ai-api", "name": "AI API"})
    product_id = product["product"]["id"]
    for metric in (
        {
            "key": "model_units",
            "name": "Model units",
            "unitLabel": "unit",
            "aggregation": "SUM",
            "eventProperty": "units",
            "dimensions": ["model"],
        },
        {
            "key": "storage_gb",
            "name": "Storage",
            "unitLabel": "GB",
            "aggregation": "MAX",
            "eventProperty": "gb",
        },
    ):
        await _ok(database, CREATE_METRIC, input=metric)
    plan = await _ok(database, CREATE_PLAN, input=pro_plan(product_id))
    plan_id = plan["plan"]["id"]
    await plan_action(database, "publishPlan", plan_id)
    return {"product_id": product_id, "plan_id": plan_id}


async def create_customer(database: Any, external_id: str = "acme") -> str:
    payload = await _ok(
        database, CREATE_CUSTOMER, input={"externalId": external_id, "name": "Acme Corp"}
    )
    return str(payload["customer"]["id"])


async def seed(database: Any) -> dict[str, str]:
    """The catalog and one customer, Acme."""
    ids = await seed_catalog(database)
    ids["customer_id"] = await create_customer(database)
    return ids


def simple_contract(ids: dict[str, str], **changes: Any) -> dict[str, Any]:
    """Monthly from 2025-01-01, open-ended, no terms."""
    return {
        "customerId": ids["customer_id"],
        "planId": ids["plan_id"],
        "startDate": "2025-01-01",
        **changes,
    }


def full_contract(ids: dict[str, str]) -> dict[str, Any]:
    """Every kind of term at once."""
    return {
        "customerId": ids["customer_id"],
        "planId": ids["plan_id"],
        "startDate": "2025-01-01",
        "endDate": "2026-01-01",
        "billingInterval": "QUARTERLY",
        "billingAnchor": "FIRST_OF_MONTH",
        "settings": {
            "netPaymentDays": 45,
            "autoPay": True,
            "trial": {"days": 14, "spendingCap": "100.00"},
            "invoiceMinimum": "500.00",
        },
        "adjustments": [
            {"priceKey": "model_usage", "kind": "OVERRIDE", "value": "0.02", "match": GPT_4},
            {
                "priceKey": "storage",
                "kind": "OVERRIDE",
                "tiers": [{"upTo": "10", "unitPrice": "1"}, {"unitPrice": "0.50"}],
            },
            {"priceKey": "platform", "kind": "PERCENT", "value": "-15",
             "effectiveFrom": "2025-04-01"},
            {"priceKey": "platform", "kind": "FIXED", "value": "5.00"},
            {"priceKey": "seats", "kind": "QUANTITY", "value": "10"},
        ],
        "creditGrants": [
            {"key": "welcome", "amount": "250.00"},
            {
                "key": "promo",
                "amount": "50",
                "pricingUnit": "USD",
                "effective": "2025-02-01",
                "expires": "2025-07-01",
                "productKeys": ["ai-api"],
                "priority": 1,
            },
        ],
        "commitments": [
            {"key": "prepaid", "kind": "PREPAID", "amount": "100000.00",
             "creditAmount": "125000.00"},
            {
                "key": "q1-spend",
                "kind": "POSTPAID",
                "amount": "1000",
                "start": "2025-01-01",
                "end": "2025-04-01",
                "productKeys": ["ai-api"],
                "priority": 2,
            },
        ],
    }  # fmt: skip


FULL_ADJUSTMENTS = [
    {"priceKey": "model_usage", "kind": "OVERRIDE", "value": "0.02", "tiers": None,
     "match": GPT_4, "effectiveFrom": None, "effectiveUntil": None},
    {"priceKey": "storage", "kind": "OVERRIDE", "value": None,
     "tiers": [{"upTo": "10", "unitPrice": "1", "flatFee": "0"},
               {"upTo": None, "unitPrice": "0.50", "flatFee": "0"}],
     "match": None, "effectiveFrom": None, "effectiveUntil": None},
    {"priceKey": "platform", "kind": "PERCENT", "value": "-15", "tiers": None, "match": None,
     "effectiveFrom": "2025-04-01", "effectiveUntil": None},
    {"priceKey": "platform", "kind": "FIXED", "value": "5.00", "tiers": None, "match": None,
     "effectiveFrom": None, "effectiveUntil": None},
    {"priceKey": "seats", "kind": "QUANTITY", "value": "10", "tiers": None, "match": None,
     "effectiveFrom": None, "effectiveUntil": None},
]  # fmt: skip
FULL_GRANTS = [
    {"key": "welcome", "amount": "250.00", "pricingUnit": "USD", "effective": "2025-01-01",
     "expires": None, "productKeys": [], "priority": 0},
    {"key": "promo", "amount": "50", "pricingUnit": "USD", "effective": "2025-02-01",
     "expires": "2025-07-01", "productKeys": ["ai-api"], "priority": 1},
]  # fmt: skip
FULL_COMMITMENTS = [
    {"key": "prepaid", "kind": "PREPAID", "amount": "100000.00", "creditAmount": "125000.00",
     "start": None, "end": None, "productKeys": [], "priority": 0},
    {"key": "q1-spend", "kind": "POSTPAID", "amount": "1000", "creditAmount": None,
     "start": "2025-01-01", "end": "2025-04-01", "productKeys": ["ai-api"], "priority": 2},
]  # fmt: skip
FULL_SETTINGS = {
    "effectiveFrom": "2025-01-01",
    "netPaymentDays": 45,
    "autoPay": True,
    "trial": {"days": 14, "spendingCap": "100.00"},
    "invoiceMinimum": "500.00",
}


async def create_contract(database: Any, given: dict[str, Any]) -> dict[str, Any]:
    payload = await _ok(database, CREATE_CONTRACT, input=given)
    return dict(payload["contract"])


async def row_counts(database: Any) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).one()[0]
            for table in metadata.sorted_tables
        }


CONTRACT_TABLES = (
    "contract",
    "contract_plan",
    "contract_settings",
    "contract_adjustment",
    "contract_credit_grant",
    "contract_commitment",
    "contract_amendment",
)


def db(global_id: str) -> int:
    return decode_id(global_id)[1]


# -- customers -----------------------------------------------------------------------------


async def test_create_customer(database: Any) -> None:
    data = await execute(
        database,
        CREATE_CUSTOMER,
        input={"externalId": "cus_acme", "name": "Acme Corp", "partnerOwner": "partner-1"},
    )
    customer = data["createCustomer"]["customer"]
    assert data["createCustomer"]["errors"] == []
    assert customer == {
        "id": encode_id("Customer", 1),
        "externalId": "cus_acme",
        "name": "Acme Corp",
        "partnerOwner": "partner-1",
    }
    counts = await row_counts(database)
    assert counts["customer"] == 1

    read = await execute(
        database,
        "query($id: ID!) { node(id: $id) { __typename ... on Customer { "
        f"{CUSTOMER_FIELDS} }} }} }}",
        id=customer["id"],
    )
    assert read["node"] == {"__typename": "Customer", **customer}
    by_external = await execute(
        database, '{ customer(externalId: "cus_acme") { id name contracts { totalCount } } }'
    )
    assert by_external["customer"] == {
        "id": customer["id"],
        "name": "Acme Corp",
        "contracts": {"totalCount": 0},
    }


async def test_customers_connection(database: Any) -> None:
    for external_id, partner in (("c-3", None), ("c-1", "p"), ("c-2", "p")):
        await _ok(
            database,
            CREATE_CUSTOMER,
            input={"externalId": external_id, "name": external_id.upper(), "partnerOwner": partner},
        )
    page = await execute(
        database,
        "{ customers(first: 2) { totalCount nodes { externalId } "
        "pageInfo { hasNextPage endCursor } } }",
    )
    assert page["customers"]["totalCount"] == 3
    assert page["customers"]["nodes"] == [{"externalId": "c-1"}, {"externalId": "c-2"}]
    assert page["customers"]["pageInfo"]["hasNextPage"] is True
    rest = await execute(
        database,
        "query($after: String) { customers(first: 2, after: $after) { nodes { externalId } } }",
        after=page["customers"]["pageInfo"]["endCursor"],
    )
    assert rest["customers"]["nodes"] == [{"externalId": "c-3"}]
    partner = await execute(
        database, '{ customers(partnerOwner: "p") { totalCount nodes { externalId } } }'
    )
    assert partner["customers"] == {
        "totalCount": 2,
        "nodes": [{"externalId": "c-1"}, {"externalId": "c-2"}],
    }


# -- createContract ------------------------------------------------------------------------


async def test_create_contract_with_every_kind_of_term(database: Any) -> None:
    ids = await seed(database)

    contract = await create_contract(database, full_contract(ids))

    assert contract == {
        "id": encode_id("Contract", 1),
        "startDate": "2025-01-01",
        "endDate": "2026-01-01",
        "billingInterval": "QUARTERLY",
        "billingAnchor": "FIRST_OF_MONTH",
        "revision": 1,
        "customer": {"externalId": "acme"},
        "planVersions": [
            {"effectiveFrom": "2025-01-01", "plan": {"key": "pro-plan", "version": 1}}
        ],
        "adjustments": FULL_ADJUSTMENTS,
        "creditGrants": FULL_GRANTS,
        "commitments": FULL_COMMITMENTS,
        "settings": [FULL_SETTINGS],
        "amendments": [{"revision": 1, "kind": "CREATE", "effectiveDate": "2025-01-01"}],
    }
    read = await execute(database, READ_CONTRACT, id=contract["id"])
    assert read["node"] == contract
    counts = await row_counts(database)
    assert {table: counts[table] for table in CONTRACT_TABLES} == {
        "contract": 1,
        "contract_plan": 1,
        "contract_settings": 1,
        "contract_adjustment": 5,
        "contract_credit_grant": 2,
        "contract_commitment": 2,
        "contract_amendment": 1,
    }


async def test_create_contract_defaults_to_the_plan(database: Any) -> None:
    """No overrides: the plan's interval and anchor, one settings row of nulls."""
    ids = await seed(database)

    contract = await create_contract(database, simple_contract(ids))

    assert contract["billingInterval"] == "MONTHLY"
    assert contract["billingAnchor"] == "CONTRACT_START"
    assert contract["endDate"] is None
    assert contract["settings"] == [
        {
            "effectiveFrom": "2025-01-01",
            "netPaymentDays": None,
            "autoPay": None,
            "trial": None,
            "invoiceMinimum": None,
        }
    ]
    assert contract["adjustments"] == contract["creditGrants"] == contract["commitments"] == []


async def test_contracts_connection_and_customer_contracts(database: Any) -> None:
    ids = await seed(database)
    other = await create_customer(database, "globex")
    first = await create_contract(database, simple_contract(ids, endDate="2025-07-01"))
    second = await create_contract(database, simple_contract(ids, startDate="2025-07-01"))
    third = await create_contract(database, simple_contract(ids, customerId=other))

    everyone = await execute(database, "{ contracts { totalCount nodes { id } } }")
    assert everyone["contracts"] == {
        "totalCount": 3,
        "nodes": [{"id": first["id"]}, {"id": second["id"]}, {"id": third["id"]}],
    }
    acme = await execute(
        database,
        "query($c: ID!) { contracts(customerId: $c) { totalCount nodes { startDate } } }",
        c=ids["customer_id"],
    )
    assert acme["contracts"] == {
        "totalCount": 2,
        "nodes": [{"startDate": "2025-01-01"}, {"startDate": "2025-07-01"}],
    }
    nested = await execute(
        database,
        "query($id: ID!) { node(id: $id) { ... on Customer { contracts(first: 1) "
        "{ totalCount nodes { id } pageInfo { hasNextPage } } } } }",
        id=ids["customer_id"],
    )
    assert nested["node"]["contracts"] == {
        "totalCount": 2,
        "nodes": [{"id": first["id"]}],
        "pageInfo": {"hasNextPage": True},
    }
    one = await execute(
        database,
        "query($id: ID!) { contract(id: $id) { id customer { externalId } } }",
        id=third["id"],
    )
    assert one["contract"] == {"id": third["id"], "customer": {"externalId": "globex"}}


async def test_node_contract_typename(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    read = await execute(
        database, "query($id: ID!) { node(id: $id) { __typename id } }", id=contract["id"]
    )
    assert read["node"] == {"__typename": "Contract", "id": contract["id"]}
    missing = await execute(
        database,
        "query($id: ID!) { node(id: $id) { id } }",
        id=encode_id("Contract", 999),
    )
    assert missing["node"] is None


# -- amendContract -------------------------------------------------------------------------


async def test_amend_contract(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, full_contract(ids))
    adjustment_ids = await execute(database, ADJUSTMENT_IDS, id=contract["id"])
    percent_id = adjustment_ids["node"]["adjustments"][2]["id"]
    before = await row_counts(database)

    payload = await _ok(
        database,
        AMEND_CONTRACT,
        input={
            "contractId": contract["id"],
            "expectedRevision": 1,
            "addAdjustments": [
                {"priceKey": "model_usage", "kind": "OVERRIDE", "value": "0.001", "match": GPT_35}
            ],
            "endAdjustments": [{"adjustmentId": percent_id, "effectiveUntil": "2025-07-01"}],
            "grantCredits": [{"key": "goodwill", "amount": "75.00"}],
            "addCommitments": [
                {
                    "key": "h2-spend",
                    "kind": "POSTPAID",
                    "amount": "2000",
                    "start": "2025-07-01",
                    "end": "2026-01-01",
                }
            ],
            "changeSettings": {"effectiveFrom": "2025-04-01", "netPaymentDays": 60},
        },
    )

    amended = payload["contract"]
    assert amended["revision"] == 2
    assert amended["adjustments"] == [
        *FULL_ADJUSTMENTS[:2],
        {**FULL_ADJUSTMENTS[2], "effectiveUntil": "2025-07-01"},
        *FULL_ADJUSTMENTS[3:],
        {"priceKey": "model_usage", "kind": "OVERRIDE", "value": "0.001", "tiers": None,
         "match": GPT_35, "effectiveFrom": None, "effectiveUntil": None},
    ]  # fmt: skip
    assert amended["creditGrants"] == [
        *FULL_GRANTS,
        {"key": "goodwill", "amount": "75.00", "pricingUnit": "USD", "effective": "2025-01-01",
         "expires": None, "productKeys": [], "priority": 0},
    ]  # fmt: skip
    assert amended["commitments"] == [
        *FULL_COMMITMENTS,
        {"key": "h2-spend", "kind": "POSTPAID", "amount": "2000", "creditAmount": None,
         "start": "2025-07-01", "end": "2026-01-01", "productKeys": [], "priority": 0},
    ]  # fmt: skip
    # A new settings row from 2025-04-01; the first is unchanged; unchanged fields inherit.
    assert amended["settings"] == [
        FULL_SETTINGS,
        {**FULL_SETTINGS, "effectiveFrom": "2025-04-01", "netPaymentDays": 60},
    ]
    assert amended["amendments"] == [
        {"revision": 1, "kind": "CREATE", "effectiveDate": "2025-01-01"},
        {"revision": 2, "kind": "AMEND", "effectiveDate": "2025-04-01"},
    ]
    after = await row_counts(database)
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {
        "contract_adjustment": 1,
        "contract_credit_grant": 1,
        "contract_commitment": 1,
        "contract_settings": 1,
        "contract_amendment": 1,
        "audit_event": 1,
    }
    read = await execute(database, READ_CONTRACT, id=contract["id"])
    assert read["node"] == amended


async def test_amendments_grow_one_revision_at_a_time(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    for revision, (day, days) in enumerate(
        [("2025-02-01", 30), ("2025-03-01", 45), ("2025-04-01", 60)], start=1
    ):
        payload = await _ok(
            database,
            AMEND_CONTRACT,
            input={
                "contractId": contract["id"],
                "expectedRevision": revision,
                "changeSettings": {"effectiveFrom": day, "netPaymentDays": days, "autoPay": True},
            },
        )
        assert payload["contract"]["revision"] == revision + 1
    final = payload["contract"]
    assert [(s["effectiveFrom"], s["netPaymentDays"], s["autoPay"]) for s in final["settings"]] == [
        ("2025-01-01", None, None),
        ("2025-02-01", 30, True),
        ("2025-03-01", 45, True),
        ("2025-04-01", 60, True),
    ]
    assert [(a["revision"], a["kind"]) for a in final["amendments"]] == [
        (1, "CREATE"),
        (2, "AMEND"),
        (3, "AMEND"),
        (4, "AMEND"),
    ]


async def test_amendment_log_keeps_the_request(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    await _ok(
        database,
        AMEND_CONTRACT,
        input={
            "contractId": contract["id"],
            "expectedRevision": 1,
            "grantCredits": [{"key": "goodwill", "amount": "75.00"}],
        },
    )
    read = await execute(
        database,
        "query($id: ID!) { contract(id: $id) { amendments { revision changes } } }",
        id=contract["id"],
    )
    [created, amended] = read["contract"]["amendments"]
    assert created["changes"]["start_date"] == "2025-01-01"
    assert amended["changes"]["grant_credits"][0]["amount"] == "75.00"
    assert "idempotency_key" not in amended["changes"]


# -- endContract and moveContractToPlanVersion ---------------------------------------------


async def test_end_contract(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))

    payload = await _ok(
        database,
        END_CONTRACT,
        input={"contractId": contract["id"], "endDate": "2025-06-15", "expectedRevision": 1},
    )

    ended = payload["contract"]
    assert (ended["endDate"], ended["revision"]) == ("2025-06-15", 2)
    assert ended["amendments"] == [
        {"revision": 1, "kind": "CREATE", "effectiveDate": "2025-01-01"},
        {"revision": 2, "kind": "END", "effectiveDate": "2025-06-15"},
    ]
    # The customer can sign a new contract for the product from the end date on.
    later = await create_contract(database, simple_contract(ids, startDate="2025-06-15"))
    assert later["revision"] == 1


async def publish_v2(database: Any, plan_id: str) -> str:
    draft = await plan_action(database, "createPlanVersion", plan_id)
    published = await plan_action(database, "publishPlan", draft["id"])
    assert (published["version"], published["status"]) == (2, "PUBLISHED")
    return str(draft["id"])


async def test_move_contract_to_plan_version(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    v2 = await publish_v2(database, ids["plan_id"])

    payload = await _ok(
        database,
        MOVE_CONTRACT,
        input={
            "contractId": contract["id"],
            "planId": v2,
            "effectiveFrom": "2025-04-01",
            "expectedRevision": 1,
        },
    )

    moved = payload["contract"]
    assert moved["revision"] == 2
    assert moved["planVersions"] == [
        {"effectiveFrom": "2025-01-01", "plan": {"key": "pro-plan", "version": 1}},
        {"effectiveFrom": "2025-04-01", "plan": {"key": "pro-plan", "version": 2}},
    ]
    assert moved["amendments"][-1] == {
        "revision": 2,
        "kind": "MOVE_PLAN_VERSION",
        "effectiveDate": "2025-04-01",
    }
    on = await execute(
        database,
        'query($id: ID!) { contract(id: $id) { before: plan(on: "2025-03-31") { version id } '
        'first: plan(on: "2025-04-01") { version id } '
        'later: plan(on: "2030-01-01") { version } } }',
        id=contract["id"],
    )
    assert on["contract"] == {
        "before": {"version": 1, "id": ids["plan_id"]},
        "first": {"version": 2, "id": v2},
        "later": {"version": 2},
    }


# -- idempotency ---------------------------------------------------------------------------


async def test_idempotent_create_contract(database: Any) -> None:
    ids = await seed(database)
    given = {**full_contract(ids), "idempotencyKey": "create-acme-1"}

    first = await create_contract(database, given)
    after_first = await row_counts(database)
    second = await create_contract(database, copy.deepcopy(given))

    assert second == first
    assert await row_counts(database) == after_first
    assert {t: after_first[t] for t in (*CONTRACT_TABLES, "idempotency_key")} == {
        "contract": 1,
        "contract_plan": 1,
        "contract_settings": 1,
        "contract_adjustment": 5,
        "contract_credit_grant": 2,
        "contract_commitment": 2,
        "contract_amendment": 1,
        "idempotency_key": 1,
    }


async def test_idempotent_create_customer(database: Any) -> None:
    given = {"externalId": "acme", "name": "Acme Corp", "idempotencyKey": "k1"}
    first = await _ok(database, CREATE_CUSTOMER, input=given)
    counts = await row_counts(database)
    second = await _ok(database, CREATE_CUSTOMER, input=given)
    assert second == first
    assert await row_counts(database) == counts
    assert (counts["customer"], counts["idempotency_key"]) == (1, 1)


async def test_idempotent_amend_contract(database: Any) -> None:
    ids = await seed(database)
    contract = await create_contract(database, simple_contract(ids))
    given = {
        "contractId": contract["id"],
        "expectedRevision": 1,
        "grantCredits": [{"key": "goodwill", "amount": "75.00"}],
        "idempotencyKey": "amend-1",
    }
    first = await _ok(database, AMEND_CONTRACT, input=given)
    counts = await row_counts(database)

    # The retry carries the revision the client read, now stale: it still gets the result.
    second = await _ok(database, AMEND_CONTRACT, input=given)

    assert second == first
    assert first["contract"]["revision"] == 2
    assert await row_counts(database) == counts


async def test_idempotency_keys_are_per_operation(database: Any) -> None:
    """The same key on createCustomer and createContract names two different requests."""
    ids = await seed_catalog(database)
    customer = await _ok(
        database,
        CREATE_CUSTOMER,
        input={"externalId": "acme", "name": "Acme", "idempotencyKey": "same"},
    )
    ids["customer_id"] = customer["customer"]["id"]
    contract = await create_contract(database, simple_contract(ids, idempotencyKey="same"))
    assert contract["revision"] == 1


async def test_same_key_different_input_is_refused(database: Any) -> None:
    ids = await seed(database)
    given = {**simple_contract(ids), "idempotencyKey": "create-acme-1"}
    first = await create_contract(database, given)
    before = await row_counts(database)

    data = await execute(database, CREATE_CONTRACT, input={**given, "startDate": "2026-01-01"})

    assert data["createContract"]["contract"] is None
    assert [(e["code"], e["field"]) for e in data["createContract"]["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "input.idempotencyKey")
    ]
    assert await row_counts(database) == before
    assert first["id"] == encode_id("Contract", 1)
