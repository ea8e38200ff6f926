"""The checkout and partner contracts: exact results against the seeded demo customers.

Every `frontend-contract/{checkout,partner}/expected/*.json` case (`operation`, `variables`,
`data`) runs through the real schema on SQLite and PostgreSQL against a freshly seeded demo
database (`seed_database`: the catalog, Startup Inc, Acme Corp and Mega Enterprise, their
contracts and usage) and must return exactly `data` with no errors. Queries share one
seeded database per backend; a mutation case (IngestUsage) gets its own.

Each folder runs as the consumer it describes, with the demo API key `seed_database`
creates for it: the partner cases with the partner key of `acme-reseller` (it sees only its
own customers, Acme Corp and Mega Enterprise); the checkout cases with the sales key (the
merchant's own back end: it reads every customer's contracts, also Startup Inc's, which no
partner owns).

The operations select no IDs and no timestamps. Where a variable needs a contract ID, the
case holds `"@contract:<customer externalId>/<plan key>"` and the test substitutes the ID
of that customer's contract on that plan, looked up by the customer's external ID.
(Document validation and unique operation names are checked in test_frontend_contract.py.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import graphql
import pytest
from tests.support.graphql import execute, execute_raw

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database
from pricing_graph.services import keys
from pricing_graph.services.actor import Actor, Role
from pricing_graph.services.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "frontend-contract"
CHECKOUT = CONTRACT / "checkout"
PARTNER = CONTRACT / "partner"
GATEWAY = CONTRACT / "gateway"
FOLDERS = (CHECKOUT, PARTNER, GATEWAY)
PLACEHOLDER = "@contract:"
PLAN_PLACEHOLDER = "@plan:"  # the latest published version of a plan key, as in sales-quoting
# whose demo key each folder uses (the gateway is the merchant's own back end, as checkout)
CONSUMERS = {CHECKOUT: Role.SALES, PARTNER: Role.PARTNER, GATEWAY: Role.SALES}

CONTRACT_IDS = """
query($externalId: String!) {
  customer(externalId: $externalId) {
    contracts { nodes { id planVersions { plan { key } } } }
  }
}
"""


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _operation(folder: Path, name: str) -> graphql.OperationDefinitionNode:
    document = graphql.parse((folder / f"{name}.graphql").read_text())
    [operation] = [
        d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)
    ]
    return operation


def _is_mutation(folder: Path, name: str) -> bool:
    return _operation(folder, name).operation is graphql.OperationType.MUTATION


CASES = sorted(path for folder in FOLDERS for path in (folder / "expected").glob("*.json"))
QUERY_CASES = [p for p in CASES if not _is_mutation(p.parent.parent, p.name.split(".")[0])]
MUTATION_CASES = [p for p in CASES if p not in QUERY_CASES]


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    assert set(case) == {"operation", "variables", "data"}, _name(path)
    assert path.name.startswith(f"{case['operation']}."), _name(path)
    return case


async def _contract_id(database: Any, reference: str) -> str:
    external_id, plan_key = reference.split("/")
    data = await execute(database, CONTRACT_IDS, externalId=external_id)
    assert data["customer"] is not None, f"no demo customer {external_id!r}"
    ids = [
        node["id"]
        for node in data["customer"]["contracts"]["nodes"]
        if plan_key in {version["plan"]["key"] for version in node["planVersions"]}
    ]
    assert len(ids) == 1, f"{external_id} has {len(ids)} contracts on {plan_key}"
    contract_id: str = ids[0]
    return contract_id


async def _plan_id(database: Any, key: str) -> str:
    data = await execute(database, "query($key: String!) { plan(key: $key) { id } }", key=key)
    assert data["plan"] is not None, f"no demo plan {key!r}"
    plan_id: str = data["plan"]["id"]
    return plan_id


async def _variables(database: Any, given: Any) -> Any:
    if isinstance(given, str) and given.startswith(PLACEHOLDER):
        return await _contract_id(database, given.removeprefix(PLACEHOLDER))
    if isinstance(given, str) and given.startswith(PLAN_PLACEHOLDER):
        return await _plan_id(database, given.removeprefix(PLAN_PLACEHOLDER))
    if isinstance(given, dict):
        return {key: await _variables(database, value) for key, value in given.items()}
    if isinstance(given, list):
        return [await _variables(database, value) for value in given]
    return given


async def _consumer(database: Any, folder: Path) -> Actor:
    """The actor of the demo key of the folder's consumer, as a request bearing it gets."""
    [demo] = [key for key in keys.DEMO_KEYS if key.role is CONSUMERS[folder]]
    uow = UnitOfWork(database)
    try:
        actor = await keys.identify(uow, f"Bearer {demo.secret}")
    finally:
        await uow.close()
    assert actor is not None and actor.role is CONSUMERS[folder], demo.name
    return actor


async def _run_case(database: Any, path: Path) -> tuple[dict[str, Any], Any]:
    case = _case(path)
    folder = path.parent.parent
    query = (folder / f"{case['operation']}.graphql").read_text()
    context = Context(database, actor=await _consumer(database, folder))
    try:
        result = await schema.execute(
            query,
            variable_values=await _variables(database, case["variables"]),
            context_value=context,
        )
    finally:
        await context.close()
    assert result.errors is None, (path.name, [error.formatted for error in result.errors])
    return case, result.data


def test_the_checkout_and_partner_operations_are_in_the_contract() -> None:
    names = {_name(path) for path in CONTRACT.rglob("*.graphql")}
    assert {
        "frontend-contract/checkout/CheckoutPlans.graphql",
        "frontend-contract/checkout/InvoicePreview.graphql",
        "frontend-contract/checkout/EstimateCost.graphql",
        "frontend-contract/checkout/ApplyPromotionCode.graphql",
        "frontend-contract/checkout/PreviewUpgrade.graphql",
        "frontend-contract/checkout/ConfirmUpgrade.graphql",
        "frontend-contract/partner/PartnerCustomers.graphql",
        "frontend-contract/partner/IngestUsage.graphql",
        "frontend-contract/partner/ContractInvoices.graphql",
    } <= names
    assert [p.name.split(".")[0] for p in MUTATION_CASES] == ["ConfirmUpgrade", "IngestUsage"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_every_operation_has_an_expected_result(folder: Path) -> None:
    operations = {path.stem for path in folder.glob("*.graphql")}
    covered = {_case(path)["operation"] for path in (folder / "expected").glob("*.json")}
    assert covered == operations


@pytest.mark.parametrize("path", CASES, ids=_name)
def test_each_case_gives_only_variables_its_operation_declares(path: Path) -> None:
    case = _case(path)
    operation = _operation(path.parent.parent, case["operation"])
    declared = {definition.variable.name.value for definition in operation.variable_definitions}
    required = {
        definition.variable.name.value
        for definition in operation.variable_definitions
        if isinstance(definition.type, graphql.NonNullTypeNode) and definition.default_value is None
    }
    assert required <= set(case["variables"]) <= declared


@pytest.mark.parametrize("path", CASES, ids=_name)
def test_no_case_selects_ids_or_timestamps(path: Path) -> None:
    text = json.dumps(_case(path)["data"])
    for field in ('"id"', '"createdAt"', '"publishedAt"', '"ingestedAt"'):
        assert field not in text, f"{_name(path)} selects {field}"


async def test_query_operations_return_the_expected_json(database: Any) -> None:
    await seed_database(database)
    actual: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for path in QUERY_CASES:
        case, data = await _run_case(database, path)
        actual[_name(path)] = data
        expected[_name(path)] = case["data"]
    assert len(actual) == 29  # 23 checkout and partner cases, 6 gateway cases
    assert actual == expected


@pytest.mark.parametrize("path", MUTATION_CASES, ids=_name)
async def test_mutation_operations_return_the_expected_json(database: Any, path: Path) -> None:
    """Each on its own freshly seeded database: the case writes."""
    await seed_database(database)
    case, data = await _run_case(database, path)
    assert data == case["data"]


async def test_ingested_partner_usage_reaches_the_invoice_and_replays_are_duplicates(
    database: Any,
) -> None:
    await seed_database(database)
    path = PARTNER / "expected" / "IngestUsage.mixed-batch.json"
    await _run_case(database, path)
    mega = await _contract_id(database, "mega-enterprise/pro-plan")
    march = await execute(
        database,
        "query($id: ID!) { contract(id: $id) { invoicePreview(periodIndex: 2) { "
        "periodStart lines { description quantity unitPrice amount } total } } }",
        id=mega,
    )
    # 200,000 gpt-4 units at Mega's $0.015 + 3,000,000 gpt-3.5 units at its $0.001
    assert march["contract"]["invoicePreview"] == {
        "periodStart": "2026-03-01",
        "lines": [
            {
                "description": "Model usage (model=gpt-3.5)",
                "quantity": "3000000",
                "unitPrice": "0.001",
                "amount": "3000.00",
            },
            {
                "description": "Model usage (model=gpt-4)",
                "quantity": "200000",
                "unitPrice": "0.015",
                "amount": "3000.00",
            },
        ],
        "total": "6000.00",
    }

    _case_data, replay = await _run_case(database, path)
    assert {key: value for key, value in replay["ingestUsage"].items() if key != "errors"} == {
        "accepted": 0,
        "duplicates": 4,
        "rejected": 1,
        "unbilled": 0,
    }


async def test_a_period_after_the_contract_end_is_a_typed_error(database: Any) -> None:
    await seed_database(database)
    result = await execute_raw(
        database,
        (CHECKOUT / "InvoicePreview.graphql").read_text(),
        contractId=await _contract_id(database, "acme-corp/llm-enterprise"),
        periodIndex=4,
    )
    assert result.errors is not None
    assert [(error.message, error.extensions) for error in result.errors] == [
        (
            "period 4 starts on 2027-01-01, on or after the contract end 2027-01-01",
            {"code": "PERIOD_OUT_OF_RANGE", "field": "periodIndex"},
        )
    ]
