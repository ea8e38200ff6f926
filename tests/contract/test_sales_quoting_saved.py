"""The sales quoting tool's saved-quote operations: SaveQuote, ApproveQuote, AcceptQuote.

Every `frontend-contract/sales-quoting/expected/{SaveQuote,ApproveQuote,AcceptQuote}.*.json`
case (`operation`, `variables`, `data`) runs through the real schema on SQLite and
PostgreSQL against its own freshly seeded demo database (they write) and must return
exactly `data` with no errors. The operations select no IDs and no timestamps; variables
name what they need by placeholder, which the test resolves first:

- `"@plan:<key>"`: the ID of the plan's current version (`plan(key:)`).
- `"@quote:<case>"`: a quote created from the variables of `SaveQuote.<case>.json`;
  `"@quote:<case>/APPROVED"`: the same quote, approved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.graphql import execute

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database
from pricing_graph.services.actor import Actor

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "frontend-contract" / "sales-quoting"
OPERATIONS = ("SaveQuote", "ApproveQuote", "AcceptQuote")
CASES = sorted(p for name in OPERATIONS for p in (FOLDER / "expected").glob(f"{name}.*.json"))

CREATE = """
mutation($input: CreateQuoteInput!) {
  createQuote(input: $input) { savedQuote { id } errors { code } }
}
"""
APPROVE = "mutation($id: ID!) { approveQuote(input: {id: $id}) { errors { code } } }"


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    assert set(case) == {"operation", "variables", "data"}, _name(path)
    assert path.name.startswith(f"{case['operation']}."), _name(path)
    return case


async def _quote_id(database: Any, reference: str) -> str:
    name, _, status = reference.partition("/")
    given = _case(FOLDER / "expected" / f"SaveQuote.{name}.json")["variables"]["input"]
    created = (await execute(database, CREATE, input=await _resolve(database, given)))[
        "createQuote"
    ]
    assert created["errors"] == [], created["errors"]
    quote_id: str = created["savedQuote"]["id"]
    if status == "APPROVED":
        assert (await execute(database, APPROVE, id=quote_id))["approveQuote"]["errors"] == []
    return quote_id


async def _resolve(database: Any, given: Any) -> Any:
    if isinstance(given, str) and given.startswith("@plan:"):
        data = await execute(
            database, "query($key: String!) { plan(key: $key) { id } }", key=given[6:]
        )
        plan_id: str = data["plan"]["id"]
        return plan_id
    if isinstance(given, str) and given.startswith("@quote:"):
        return await _quote_id(database, given[7:])
    if isinstance(given, dict):
        return {key: await _resolve(database, value) for key, value in given.items()}
    if isinstance(given, list):
        return [await _resolve(database, value) for value in given]
    return given


def test_every_saved_quote_operation_has_cases() -> None:
    assert {_case(path)["operation"] for path in CASES} == set(OPERATIONS)
    for name in OPERATIONS:
        assert (FOLDER / f"{name}.graphql").is_file()


@pytest.mark.parametrize("path", CASES, ids=_name)
def test_no_case_selects_ids_or_timestamps(path: Path) -> None:
    text = json.dumps(_case(path)["data"])
    for field in ('"id"', '"createdAt"'):
        assert field not in text, f"{_name(path)} selects {field}"


@pytest.mark.parametrize("path", CASES, ids=_name)
async def test_each_case_returns_the_expected_json(database: Any, path: Path) -> None:
    await seed_database(database)
    case = _case(path)
    result = await schema.execute(
        (FOLDER / f"{case['operation']}.graphql").read_text(),
        variable_values=await _resolve(database, case["variables"]),
        # The saved-quote lifecycle is the sales team's: a sales key.
        context_value=Context(database, actor=Actor.from_scopes(frozenset({"sales"}))),
    )
    assert result.errors is None, [error.formatted for error in result.errors]
    assert result.data == case["data"]
