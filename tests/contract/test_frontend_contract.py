"""The frontend contract: the operations consumers send, and what the pricing page gets back.

1. Every `.graphql` document under `frontend-contract/` (any subfolder) parses, holds exactly
   one named operation (operation names are unique across the contract), and validates
   against the committed `schema.graphql` and against the schema the code serves now.
   Each file is named after its operation.
2. Every `frontend-contract/pricing-page/expected/*.json` case (`operation`, `variables`,
   `data`) is run through the real schema against the seeded demo catalog, on SQLite and
   PostgreSQL, and must return exactly `data` with no errors. The operations select no
   IDs, so the results do not depend on the database. The checkout and partner cases run
   the same way in test_checkout_partner_contract.py.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import graphql
import pytest

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "frontend-contract"
PRICING_PAGE = CONTRACT / "pricing-page"
SCHEMA_FILE = ROOT / "schema.graphql"

DOCUMENTS = sorted(CONTRACT.rglob("*.graphql"))
CASES = sorted((PRICING_PAGE / "expected").glob("*.json"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _operations(document: graphql.DocumentNode) -> list[graphql.OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]


@cache
def _committed_schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(SCHEMA_FILE.read_text())


@cache
def _served_schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(schema.as_str())


def test_the_pricing_page_operations_are_in_the_contract() -> None:
    names = {_name(path) for path in DOCUMENTS}
    assert {
        "frontend-contract/pricing-page/PricingPage.graphql",
        "frontend-contract/pricing-page/PlanDetails.graphql",
    } <= names


@pytest.mark.parametrize("path", DOCUMENTS, ids=_name)
def test_each_document_is_one_named_operation(path: Path) -> None:
    operations = _operations(graphql.parse(path.read_text()))
    assert len(operations) == 1, f"{_name(path)}: put exactly one operation in each file"
    assert operations[0].name is not None, f"{_name(path)}: name the operation"
    assert operations[0].name.value == path.stem, f"{_name(path)}: name the file after it"


def test_operation_names_are_unique_across_the_contract() -> None:
    seen: dict[str, str] = {}
    for path in DOCUMENTS:
        for operation in _operations(graphql.parse(path.read_text())):
            assert operation.name is not None
            name = operation.name.value
            assert name not in seen, f"{name} is in both {seen[name]} and {_name(path)}"
            seen[name] = _name(path)


@pytest.mark.parametrize("source", ["schema.graphql", "served"])
@pytest.mark.parametrize("path", DOCUMENTS, ids=_name)
def test_each_document_validates_against_the_schema(path: Path, source: str) -> None:
    if source == "schema.graphql":
        if not SCHEMA_FILE.exists():
            pytest.skip("schema.graphql is not exported yet (pricing-graph export-schema)")
        target = _committed_schema()
    else:
        target = _served_schema()
    errors = graphql.validate(target, graphql.parse(path.read_text()))
    assert [error.message for error in errors] == []


def test_every_pricing_page_operation_has_an_expected_result() -> None:
    operations = {path.stem for path in PRICING_PAGE.glob("*.graphql")}
    covered = {json.loads(path.read_text())["operation"] for path in CASES}
    assert covered == operations


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    assert set(case) == {"operation", "variables", "data"}, _name(path)
    assert path.name.startswith(f"{case['operation']}."), _name(path)
    return case


async def test_pricing_page_operations_return_the_expected_json(database: Any) -> None:
    await seed_database(database)
    actual: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for path in CASES:
        case = _case(path)
        query = (PRICING_PAGE / f"{case['operation']}.graphql").read_text()
        result = await schema.execute(
            query, variable_values=case["variables"], context_value=Context(database)
        )
        assert result.errors is None, (path.name, [error.formatted for error in result.errors])
        actual[path.name] = result.data
        expected[path.name] = case["data"]
    assert len(actual) == 18
    assert actual == expected


async def test_an_unknown_locale_is_an_error_not_a_guess(database: Any) -> None:
    await seed_database(database)
    result = await schema.execute(
        (PRICING_PAGE / "PricingPage.graphql").read_text(),
        variable_values={"productKey": "ai-api", "locale": "xx_NOPE"},
        context_value=Context(database),
    )
    assert result.errors is not None
    assert {error.message for error in result.errors} == {
        "unknown locale 'xx_NOPE': use a CLDR locale identifier such as 'en_US', 'de_DE', "
        "'fr_FR' or 'ja_JP'"
    }
