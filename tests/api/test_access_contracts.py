"""Who may read and change customers and contracts, on both backends.

A partner acts on the customers it owns, and its key (never an argument) says which
partner it is: another partner's customer or contract answers exactly as a missing one
(null); `customers(partnerOwner:)` may only narrow the list to itself; a customer it
creates is its own. Anonymous callers read no customer and no contract (FORBIDDEN); sales
reads them all; only an admin signs, amends, ends or moves a contract. Every write is
audited in its transaction, a refused one writes nothing; idempotency keys are per caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support.graphql import execute

from pricing_graph.api.context import Context
from pricing_graph.api.ids import decode_id
from pricing_graph.api.schema import schema
from pricing_graph.services import audit
from pricing_graph.services.actor import ANONYMOUS, Actor, Role
from pricing_graph.services.unit_of_work import Database, UnitOfWork
from pricing_graph.store.schema import metadata

PARTNER_A = Actor.for_key(21, Role.PARTNER, "partner-a")
PARTNER_B = Actor.for_key(22, Role.PARTNER, "partner-b")
SALES = Actor.for_key(23, Role.SALES)
ADMIN = Actor.for_key(24, Role.ADMIN)
ACTORS = {"anonymous": ANONYMOUS, "partner": PARTNER_A, "sales": SALES, "admin": ADMIN}
# A partner key of PRICING_GRAPH_API_KEYS names no partner: it owns nothing.
ENV_PARTNER = Actor.from_scopes(frozenset({"partner"}), caller="env:0123456789ab")

ERRORS = "errors { field code message }"


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


def refusals(result: Any) -> list[tuple[tuple[str | int, ...], str | None]]:
    assert result.errors is not None
    return [(tuple(e.path), e.extensions["code"]) for e in result.errors]


async def row_counts(database: Database) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).one()[0]
            for table in metadata.sorted_tables
        }


CREATE_CUSTOMER = f"""mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ {ERRORS} customer {{ id externalId partnerOwner }} }}
}}"""
CREATE_CONTRACT = f"""mutation($input: CreateContractInput!) {{
  createContract(input: $input) {{ {ERRORS} contract {{ id revision }} }}
}}"""
AMEND_CONTRACT = f"""mutation($input: AmendContractInput!) {{
  amendContract(input: $input) {{ {ERRORS} contract {{ id revision }} }}
}}"""
END_CONTRACT = f"""mutation($input: EndContractInput!) {{
  endContract(input: $input) {{ {ERRORS} contract {{ id revision }} }}
}}"""
MOVE_CONTRACT = f"""mutation($input: MoveContractToPlanVersionInput!) {{
  moveContractToPlanVersion(input: $input) {{ {ERRORS} contract {{ id revision }} }}
}}"""
PLAN_INPUT = {
    "key": "pro",
    "name": "Pro",
    "pricingUnit": {"code": "USD"},
    "ramps": [{"prices": [{"key": "base", "name": "Platform", "fixed": {"amount": "10"}}]}],
}


@dataclass(frozen=True)
class Book:
    plan: str  # "pro" v1, PUBLISHED
    next_version: str  # "pro" v2, a DRAFT (published when a test moves a contract to it)
    customers: dict[str, str]  # external ID -> global ID
    contracts: dict[str, str]  # customer external ID -> its contract's global ID


async def _id(database: Database, query: str, name: str, given: dict[str, Any]) -> str:
    data = await execute(database, query, input=given)
    assert data[name]["errors"] == [], data
    payload = data[name]
    found: str = (payload.get("customer") or payload.get("contract") or payload["plan"])["id"]
    return found


async def seed(database: Database) -> Book:
    """A published plan; a customer of partner-a, one of partner-b and a direct one, each
    with a contract (made by the system, an admin)."""
    product = await execute(
        database,
        'mutation { createProduct(input: {key: "llm", name: "LLM"}) { product { id } } }',
    )
    plan_doc = (
        "mutation($input: CreatePlanInput!) { createPlan(input: $input) "
        "{ errors { code } plan { id } } }"
    )
    plan = await _id(
        database,
        plan_doc,
        "createPlan",
        {**PLAN_INPUT, "productId": product["createProduct"]["product"]["id"]},
    )
    await execute(
        database, "mutation($id: ID!) { publishPlan(input: {id: $id}) { plan { id } } }", id=plan
    )
    version = await execute(
        database,
        "mutation($id: ID!) { createPlanVersion(input: {id: $id}) "
        "{ errors { code } plan { id } } }",
        id=plan,
    )
    customers, contracts = {}, {}
    for external_id, owner in (("a-1", "partner-a"), ("b-1", "partner-b"), ("direct", None)):
        customers[external_id] = await _id(
            database,
            CREATE_CUSTOMER,
            "createCustomer",
            {"externalId": external_id, "name": external_id.upper(), "partnerOwner": owner},
        )
        contracts[external_id] = await _id(
            database,
            CREATE_CONTRACT,
            "createContract",
            {"customerId": customers[external_id], "planId": plan, "startDate": "2026-01-01"},
        )
    return Book(
        plan=plan,
        next_version=version["createPlanVersion"]["plan"]["id"],
        customers=customers,
        contracts=contracts,
    )


# --- reads -------------------------------------------------------------------------------

LISTS = """{
  customers { totalCount nodes { externalId contracts { totalCount } } }
  contracts { totalCount nodes { customer { externalId } } }
}"""


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("partner", ["a-1"]),
        ("sales", ["a-1", "b-1", "direct"]),
        ("admin", ["a-1", "b-1", "direct"]),
    ],
)
async def test_lists_hold_the_customers_the_caller_may_see(
    database: Database, role: str, visible: list[str]
) -> None:
    await seed(database)
    data = await ok(database, ACTORS[role], LISTS)
    assert data == {
        "customers": {
            "totalCount": len(visible),
            "nodes": [{"externalId": e, "contracts": {"totalCount": 1}} for e in visible],
        },
        "contracts": {
            "totalCount": len(visible),
            "nodes": [{"customer": {"externalId": e}} for e in visible],
        },
    }


async def test_partner_b_sees_its_own_and_an_ownerless_partner_key_sees_nothing(
    database: Database,
) -> None:
    await seed(database)
    b = await ok(database, PARTNER_B, LISTS)
    assert [n["externalId"] for n in b["customers"]["nodes"]] == ["b-1"]
    assert b["contracts"]["totalCount"] == 1
    nobody = await ok(database, ENV_PARTNER, LISTS)
    assert nobody == {
        "customers": {"totalCount": 0, "nodes": []},
        "contracts": {"totalCount": 0, "nodes": []},
    }


async def test_the_partner_owner_argument_only_narrows_to_the_partner_itself(
    database: Database,
) -> None:
    await seed(database)
    query = """query($owner: String) {
      customers(partnerOwner: $owner) { totalCount nodes { externalId } }
    }"""
    for owner, expected in (("partner-a", ["a-1"]), ("partner-b", []), ("nobody", [])):
        data = await ok(database, PARTNER_A, query, owner=owner)
        assert data["customers"] == {
            "totalCount": len(expected),
            "nodes": [{"externalId": e} for e in expected],
        }, owner
    # sales may filter by any partner
    sales = await ok(database, SALES, query, owner="partner-b")
    assert sales["customers"]["nodes"] == [{"externalId": "b-1"}]


ONE = """query($customer: ID!, $contract: ID!, $externalId: String!) {
  byId: customer(id: $customer) { externalId partnerOwner }
  byExternalId: customer(externalId: $externalId) { externalId }
  customerNode: node(id: $customer) { ... on Customer { externalId } }
  contract(id: $contract) { customer { externalId } plan { key } }
  contractNode: node(id: $contract) { ... on Contract { revision } }
  contracts(customerId: $customer) { totalCount }
}"""


def one(book: Book, external_id: str) -> dict[str, str]:
    return {
        "customer": book.customers[external_id],
        "contract": book.contracts[external_id],
        "externalId": external_id,
    }


async def test_another_partners_customer_and_contract_read_as_missing(database: Database) -> None:
    book = await seed(database)
    missing = await ok(database, PARTNER_A, ONE, **one(book, "b-1"))
    direct = await ok(database, PARTNER_A, ONE, **one(book, "direct"))
    nothing = {
        "byId": None,
        "byExternalId": None,
        "customerNode": None,
        "contract": None,
        "contractNode": None,
        "contracts": {"totalCount": 0},
    }
    assert missing == direct == nothing
    # exactly as IDs that name nothing at all
    absent = await ok(
        database,
        PARTNER_A,
        ONE,
        customer="Q3VzdG9tZXI6OTk5",  # Customer:999
        contract="Q29udHJhY3Q6OTk5",  # Contract:999
        externalId="nobody",
    )
    assert absent == nothing
    own = await ok(database, PARTNER_A, ONE, **one(book, "a-1"))
    assert own == {
        "byId": {"externalId": "a-1", "partnerOwner": "partner-a"},
        "byExternalId": {"externalId": "a-1"},
        "customerNode": {"externalId": "a-1"},
        "contract": {"customer": {"externalId": "a-1"}, "plan": {"key": "pro"}},
        "contractNode": {"revision": 1},
        "contracts": {"totalCount": 1},
    }


@pytest.mark.parametrize("role", ["sales", "admin"])
async def test_sales_and_admin_read_every_customer(database: Database, role: str) -> None:
    book = await seed(database)
    for external_id in ("a-1", "b-1", "direct"):
        data = await ok(database, ACTORS[role], ONE, **one(book, external_id))
        assert data["byId"]["externalId"] == data["byExternalId"]["externalId"] == external_id
        assert data["contract"]["customer"] == {"externalId": external_id}
        assert data["contractNode"] == {"revision": 1}


async def test_anonymous_callers_read_no_customer_and_no_contract(database: Database) -> None:
    book = await seed(database)
    for query, data in (
        ("{ customers { totalCount } }", None),  # a non-null connection: all of data is null
        ("{ contracts { totalCount } }", None),
        ('{ customers(partnerOwner: "partner-a") { totalCount } }', None),
        ('{ customer(externalId: "a-1") { name } }', {"customer": None}),
    ):
        result = await run(database, ANONYMOUS, query)
        assert result.data == data, query
        [error] = result.errors
        assert error.extensions == {"code": "FORBIDDEN", "field": None}, query
    result = await run(
        database,
        ANONYMOUS,
        """query($customer: ID!, $contract: ID!) {
             customer(id: $customer) { name }
             contract(id: $contract) { revision }
             customerNode: node(id: $customer) { id }
             contractNode: node(id: $contract) { id }
           }""",
        customer=book.customers["a-1"],
        contract=book.contracts["a-1"],
    )
    assert result.data == {
        "customer": None,
        "contract": None,
        "customerNode": None,
        "contractNode": None,
    }
    assert sorted(refusals(result)) == [
        (("contract",), "FORBIDDEN"),
        (("contractNode",), "FORBIDDEN"),
        (("customer",), "FORBIDDEN"),
        (("customerNode",), "FORBIDDEN"),
    ]
    assert [e.message for e in result.errors][:1] == ["an anonymous caller may not use customer"]


async def test_a_forbidden_read_costs_nothing_not_even_the_id_check(database: Database) -> None:
    result = await run(database, ANONYMOUS, '{ customer(id: "nope") { name } }')
    assert refusals(result) == [(("customer",), "FORBIDDEN")]
    result = await run(database, PARTNER_A, '{ customer(id: "nope") { name } }')
    assert [(e.extensions["code"], e.extensions["field"]) for e in result.errors] == [
        ("INVALID_ID", "id")
    ]
    result = await run(database, PARTNER_A, '{ contracts(customerId: "nope") { totalCount } }')
    assert [(e.extensions["code"], e.extensions["field"]) for e in result.errors] == [
        ("INVALID_ID", "customerId")
    ]


# --- createCustomer ----------------------------------------------------------------------


async def test_a_partners_customer_is_its_own(database: Database) -> None:
    await seed(database)
    uow = UnitOfWork(database)
    events_before = len((await audit.audit_events(uow, first=100)).events)
    for external_id, given_owner in (("a-2", None), ("a-3", "partner-a")):
        data = await ok(
            database,
            PARTNER_A,
            CREATE_CUSTOMER,
            input={"externalId": external_id, "name": "Two", "partnerOwner": given_owner},
        )
        payload = data["createCustomer"]
        assert payload["errors"] == []
        assert payload["customer"]["partnerOwner"] == "partner-a"
    [latest, earlier] = (await audit.audit_events(uow, first=2)).events
    assert len((await audit.audit_events(uow, first=100)).events) == events_before + 2
    await uow.close()
    assert (
        earlier.operation,
        earlier.key_id,
        earlier.caller,
        earlier.role,
        earlier.object_type,
        earlier.input,
    ) == (
        "createCustomer",
        21,
        "key:21",
        "partner",
        "Customer",
        {
            "external_id": "a-2",
            "name": "Two",
            "partner_owner": "partner-a",
            "idempotency_key": None,
        },
    )
    assert latest.object_id == decode_id(payload["customer"]["id"])[1]
    listed = await ok(database, PARTNER_A, "{ customers { nodes { externalId } } }")
    assert [n["externalId"] for n in listed["customers"]["nodes"]] == ["a-1", "a-2", "a-3"]


async def test_a_partner_cannot_create_another_partners_customer(database: Database) -> None:
    await seed(database)
    before = await row_counts(database)
    data = await ok(
        database,
        PARTNER_A,
        CREATE_CUSTOMER,
        input={"externalId": "b-2", "name": "Theirs", "partnerOwner": "partner-b"},
    )
    assert data["createCustomer"] == {
        "errors": [
            {
                "field": "input.partnerOwner",
                "code": "FORBIDDEN",
                "message": "a partner key creates customers for its own partner 'partner-a' only",
            }
        ],
        "customer": None,
    }
    assert await row_counts(database) == before  # no customer, no key, no audit event


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        (ANONYMOUS, "an anonymous caller may not use createCustomer"),
        (ENV_PARTNER, "a partner key may not use createCustomer without a partner of its own"),
    ],
    ids=["anonymous", "ownerless-partner"],
)
async def test_create_customer_refused(database: Database, actor: Actor, message: str) -> None:
    before = await row_counts(database)
    data = await ok(
        database,
        actor,
        CREATE_CUSTOMER,
        input={"externalId": "x", "name": "X", "idempotencyKey": "k-1"},
    )
    assert data["createCustomer"] == {
        "errors": [{"field": None, "code": "FORBIDDEN", "message": message}],
        "customer": None,
    }
    assert await row_counts(database) == before


@pytest.mark.parametrize("role", ["sales", "admin"])
async def test_sales_and_admin_create_customers_for_any_partner(
    database: Database, role: str
) -> None:
    data = await ok(
        database,
        ACTORS[role],
        CREATE_CUSTOMER,
        input={"externalId": "c-1", "name": "C", "partnerOwner": "partner-c"},
    )
    assert data["createCustomer"]["errors"] == []
    assert data["createCustomer"]["customer"]["partnerOwner"] == "partner-c"


async def test_one_idempotency_key_serves_two_partners(database: Database) -> None:
    """Keys used to be global: partner B's `order-1001` made partner A's request fail."""
    created = {}
    for actor, external_id in ((PARTNER_B, "b-order"), (PARTNER_A, "a-order")):
        data = await ok(
            database,
            actor,
            CREATE_CUSTOMER,
            input={"externalId": external_id, "name": "Order", "idempotencyKey": "order-1001"},
        )
        assert data["createCustomer"]["errors"] == [], external_id
        created[external_id] = data["createCustomer"]["customer"]
    assert created["a-order"]["partnerOwner"] == "partner-a"
    assert created["b-order"]["partnerOwner"] == "partner-b"
    # A's retry answers A's customer, writing nothing (and auditing nothing)
    before = await row_counts(database)
    retry = await ok(
        database,
        PARTNER_A,
        CREATE_CUSTOMER,
        input={"externalId": "a-order", "name": "Order", "idempotencyKey": "order-1001"},
    )
    assert retry["createCustomer"]["customer"] == created["a-order"]
    assert await row_counts(database) == before


# --- contract writes ---------------------------------------------------------------------


def contract_writes(
    book: Book, customer: str, contract: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every contract mutation once, in an order in which each succeeds for an admin (the
    last needs `book.next_version` published)."""
    return [
        (
            "createContract",
            CREATE_CONTRACT,
            {"customerId": customer, "planId": book.plan, "startDate": "2027-01-01"},
        ),
        (
            "amendContract",
            AMEND_CONTRACT,
            {
                "contractId": contract,
                "expectedRevision": 1,
                "changeSettings": {"effectiveFrom": "2027-02-01", "netPaymentDays": 45},
            },
        ),
        (
            "endContract",
            END_CONTRACT,
            {"contractId": contract, "endDate": "2028-01-01", "expectedRevision": 2},
        ),
        (
            "moveContractToPlanVersion",
            MOVE_CONTRACT,
            {
                "contractId": contract,
                "planId": book.next_version,
                "effectiveFrom": "2027-06-01",
                "expectedRevision": 3,
            },
        ),
    ]


@pytest.mark.parametrize("role", ["anonymous", "partner", "sales"])
async def test_only_an_admin_writes_contracts(database: Database, role: str) -> None:
    """Also a partner on its own customer's contract."""
    book = await seed(database)
    await execute(
        database,
        "mutation($id: ID!) { publishPlan(input: {id: $id}) { plan { id } } }",
        id=book.next_version,
    )
    before = await row_counts(database)
    who = "an anonymous caller" if role == "anonymous" else f"a {role} key"
    writes = contract_writes(book, book.customers["a-1"], book.contracts["a-1"])
    for name, query, given in writes:
        data = await ok(database, ACTORS[role], query, input=given)
        assert data[name] == {
            "errors": [
                {"field": None, "code": "FORBIDDEN", "message": f"{who} may not use {name}"}
            ],
            "contract": None,
        }, name
    assert await row_counts(database) == before


async def test_an_admins_contract_writes_are_audited(database: Database) -> None:
    book = await seed(database)
    customer = await _id(
        database, CREATE_CUSTOMER, "createCustomer", {"externalId": "new", "name": "New"}
    )
    uow = UnitOfWork(database)
    expected = []
    contract = ""
    for name, query, given in contract_writes(book, customer, "the one createContract makes"):
        if name != "createContract":
            given = {**given, "contractId": contract}
        if name == "moveContractToPlanVersion":
            await execute(
                database,
                "mutation($id: ID!) { publishPlan(input: {id: $id}) { plan { id } } }",
                id=book.next_version,
            )
        data = await ok(database, ADMIN, query, input=given)
        assert data[name]["errors"] == [], name
        contract = data[name]["contract"]["id"]
        expected.append((name, "Contract", decode_id(contract)[1], 24, "key:24", "admin"))
        [event] = (await audit.audit_events(uow, first=1)).events
        assert (
            event.operation,
            event.object_type,
            event.object_id,
            event.key_id,
            event.caller,
            event.role,
        ) == expected[-1]
        assert event.input["contract_id" if name != "createContract" else "customer_id"] == (
            contract if name != "createContract" else customer
        )
    created = (
        await audit.audit_events(uow, object_type="Contract", object_id=expected[0][2])
    ).events
    await uow.close()
    assert [e.operation for e in created] == [
        "moveContractToPlanVersion",
        "endContract",
        "amendContract",
        "createContract",
    ]
    assert created[-1].object_ids == (decode_id(customer)[1],)


async def test_a_refused_admin_contract_write_records_nothing(database: Database) -> None:
    book = await seed(database)
    before = await row_counts(database)
    data = await ok(
        database,
        ADMIN,
        END_CONTRACT,
        input={"contractId": book.contracts["a-1"], "endDate": "2027-01-01", "expectedRevision": 7},
    )
    assert [(e["field"], e["code"]) for e in data["endContract"]["errors"]] == [
        ("input.expectedRevision", "CONFLICT")
    ]
    assert await row_counts(database) == before
