"""The sales quoting contract (BuildQuote, ComparePlans) and the pricing page's calculator
(PriceCalculator): exact results against a freshly seeded demo database, on both backends.

Every `frontend-contract/sales-quoting/expected/{BuildQuote,ComparePlans}.*.json` case runs
through the real schema and must return exactly `data` with no errors. IDs depend on the
database, so a variable holds `"@plan:<plan key>"` (the latest published version of the key)
or `"@product:<product key>"`, and the test substitutes the ID, looked up by key.
(SaveQuote, ApproveQuote and AcceptQuote, in the same folder, are saved quotes: they write
and run in test_sales_quoting_saved.py. Document validation is test_frontend_contract.py's.)

`frontend-contract/pricing-page/expected/PriceCalculator.*.json` also runs in
test_frontend_contract.py, which passes variables as they are: its `productId` is the
literal ID the demo seed gives the product on a fresh database; this test checks that it
still is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import graphql
import pytest
from tests.support.graphql import execute

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database

ROOT = Path(__file__).resolve().parents[2]
SALES = ROOT / "frontend-contract" / "sales-quoting"
PRICING_PAGE = ROOT / "frontend-contract" / "pricing-page"
OPERATIONS = {"BuildQuote": SALES, "ComparePlans": SALES, "PriceCalculator": PRICING_PAGE}
CASES = sorted(
    path
    for name, folder in OPERATIONS.items()
    for path in (folder / "expected").glob(f"{name}.*.json")
)
PLACEHOLDERS = {
    "@plan:": "query($key: String!) { plan(key: $key) { id } }",
    "@product:": "query($key: String!) { product(key: $key) { id } }",
}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    assert set(case) == {"operation", "variables", "data"}, _name(path)
    assert path.name.startswith(f"{case['operation']}."), _name(path)
    return case


def _operation(name: str) -> graphql.OperationDefinitionNode:
    document = graphql.parse((OPERATIONS[name] / f"{name}.graphql").read_text())
    [operation] = [
        d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)
    ]
    return operation


async def _lookup(database: Any, reference: str) -> str:
    for prefix, query in PLACEHOLDERS.items():
        if reference.startswith(prefix):
            data = await execute(database, query, key=reference.removeprefix(prefix))
            [node] = data.values()
            assert node is not None, f"nothing in the demo for {reference!r}"
            found: str = node["id"]
            return found
    raise AssertionError(f"unknown placeholder {reference!r}")


async def _variables(database: Any, given: Any) -> Any:
    if isinstance(given, str) and given.startswith(tuple(PLACEHOLDERS)):
        return await _lookup(database, given)
    if isinstance(given, dict):
        return {key: await _variables(database, value) for key, value in given.items()}
    if isinstance(given, list):
        return [await _variables(database, value) for value in given]
    return given


def test_the_operations_and_their_cases_are_in_the_contract() -> None:
    for name, folder in OPERATIONS.items():
        assert (folder / f"{name}.graphql").exists(), name
        assert _operation(name).operation is graphql.OperationType.QUERY
    assert {_case(path)["operation"] for path in CASES} == set(OPERATIONS)


@pytest.mark.parametrize("path", CASES, ids=_name)
def test_each_case_gives_only_variables_its_operation_declares(path: Path) -> None:
    case = _case(path)
    operation = _operation(case["operation"])
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
    for field in ('"id"', '"createdAt"', '"publishedAt"'):
        assert field not in text, f"{_name(path)} selects {field}"


async def test_the_cases_return_the_expected_json(database: Any) -> None:
    await seed_database(database)
    actual: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for path in CASES:
        case = _case(path)
        query = (OPERATIONS[case["operation"]] / f"{case['operation']}.graphql").read_text()
        result = await schema.execute(
            query,
            variable_values=await _variables(database, case["variables"]),
            context_value=Context(database),
        )
        assert result.errors is None, (path.name, [error.formatted for error in result.errors])
        actual[_name(path)] = result.data
        expected[_name(path)] = case["data"]
    assert len(actual) == 5
    assert actual == expected


async def test_the_calculator_cases_name_the_products_the_seed_creates(database: Any) -> None:
    await seed_database(database)
    ids = {
        "UHJvZHVjdDox": "llm-platform",  # Product:1
        "UHJvZHVjdDo0": "ai-api",  # Product:4
    }
    for global_id, key in ids.items():
        assert await _lookup(database, f"@product:{key}") == global_id
    used = {
        _case(path)["variables"]["productId"]
        for path in CASES
        if _case(path)["operation"] == "PriceCalculator"
    }
    assert used == set(ids)
