"""`PlainValueExecutor` (api/execution.py): a selection of basic fields completes in one
pass, and every answer (data and errors, paths included) is the one graphql-core gives.

Each case runs on a small schema twice, with the plain executor and with Strawberry's own,
and compares the whole result. No database: this is the executor alone (the quotes'
figures through it are in test_quotes.py, on both backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from pricing_graph.api.execution import PlainValueExecutor
from pricing_graph.api.scalars import schema_config


@strawberry.enum
class Kind(Enum):
    USAGE = "usage"
    FIXED = "fixed"


@strawberry.type
class Tier:
    up_to: Decimal | None
    amount: Decimal


@strawberry.type
class Line:
    kind: Kind
    description: str
    amount: Decimal
    tiers: list[Tier]
    note: str | None = None


@strawberry.type
class Invoice:
    index: int
    lines: list[Line]
    total: Decimal

    @strawberry.field
    def line_count(self) -> int:
        return len(self.lines)


@strawberry.type
class Quote:
    invoices: list[Invoice]
    total: Decimal


@dataclass
class Shaky:
    """A line whose fields break the schema's promises."""

    kind: Any
    description: Any
    amount: Any
    tiers: Any
    note: Any = None


def line(n: int, **broken: Any) -> Any:
    fields: dict[str, Any] = {
        "kind": Kind.USAGE if n % 2 else Kind.FIXED,
        "description": f"line {n}",
        "amount": Decimal(n) / 4,
        "tiers": [
            Tier(up_to=Decimal(10), amount=Decimal("1.50")),
            Tier(up_to=None, amount=Decimal(n)),
        ],
    }
    return Shaky(**(fields | broken)) if broken else Line(**fields)


def quote(**broken: Any) -> Quote:
    invoices = [
        Invoice(index=i, lines=[line(i * 3 + n) for n in range(3)], total=Decimal(i))
        for i in range(4)
    ]
    if broken:
        invoices[2].lines[1] = line(99, **broken)
    return Quote(invoices=invoices, total=Decimal("6.00"))


@strawberry.type
class Query:
    @strawberry.field
    def quote(self, broken: str | None = None) -> Quote:
        given = {
            None: {},
            "null": {"description": None},
            "decimal": {"amount": "not a decimal"},
            "enum": {"kind": "neither"},
            "list": {"tiers": 7},
        }[broken]
        return quote(**given)

    @strawberry.field
    async def later(self) -> Quote:
        return quote()


class CountingExecutor(PlainValueExecutor):
    """Counts the resolve infos graphql-core builds: one per field completed its way."""

    built = 0

    def build_resolve_info(self, *args: Any) -> GraphQLResolveInfo:
        CountingExecutor.built += 1
        return super().build_resolve_info(*args)


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(
        query=Query, config=schema_config(), execution_context_class=CountingExecutor
    )
    standard = strawberry.Schema(
        query=Query,
        config=schema_config(),
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )
    return plain, standard


QUOTE = """
query($broken: String, $withTiers: Boolean!) {
  quote(broken: $broken) {
    __typename
    sum: total
    invoices {
      index total
      lines {
        kind description amount __typename
        ...on Line { note tiers @include(if: $withTiers) { upTo amount } }
      }
    }
  }
}
"""


async def both(query: str, **variables: Any) -> tuple[Any, Any]:
    plain, standard = schemas()
    CountingExecutor.built = 0
    fast = await plain.execute(query, variable_values=variables)
    slow = await standard.execute(query, variable_values=variables)
    return fast, slow


def formatted(result: Any) -> Any:
    return (result.data, [e.formatted for e in result.errors or ()])


async def test_a_plain_selection_is_completed_in_one_pass_with_the_same_answer() -> None:
    fast, slow = await both(QUOTE, withTiers=True)
    assert fast.errors is None
    assert formatted(fast) == formatted(slow)
    assert fast.data["quote"]["invoices"][1]["lines"][0] == {
        "kind": "USAGE",
        "description": "line 3",
        "amount": "0.75",
        "__typename": "Line",
        "note": None,
        "tiers": [{"upTo": "10", "amount": "1.50"}, {"upTo": None, "amount": "3"}],
    }
    assert fast.data["quote"]["sum"] == "6.00"
    # Only the root field `quote` went through a resolver: 4 invoices x 3 lines x 2 tiers
    # and their fields (152 leaves and objects) did not.
    assert CountingExecutor.built == 1


async def test_skipped_fields_stay_out() -> None:
    fast, slow = await both(QUOTE, withTiers=False)
    assert formatted(fast) == formatted(slow)
    assert "tiers" not in fast.data["quote"]["invoices"][0]["lines"][0]


async def test_a_field_with_a_resolver_goes_the_standard_way_and_its_children_stay_plain() -> None:
    query = "{ quote { total invoices { index lineCount lines { description amount } } } }"
    fast, slow = await both(query)
    assert formatted(fast) == formatted(slow)
    assert fast.data["quote"]["invoices"][3]["lineCount"] == 3
    # quote, invoices and total, then per invoice its 3 fields (lines: a list of plain
    # lines, completed in one pass each).
    assert CountingExecutor.built == 1 + 2 + 4 * 3


async def test_an_async_root_field_completes_plainly_once_awaited() -> None:
    fast, slow = await both("{ later { total invoices { lines { amount } } } }")
    assert formatted(fast) == formatted(slow)
    assert fast.data["later"]["invoices"][2]["lines"][2]["amount"] == "2"
    assert CountingExecutor.built == 1


@pytest.mark.parametrize("broken", ["null", "decimal", "enum", "list"])
async def test_a_broken_value_gets_graphql_cores_own_error_and_path(broken: str) -> None:
    fast, slow = await both(QUOTE, broken=broken, withTiers=True)
    assert fast.errors is not None
    assert formatted(fast) == formatted(slow)
    (error,) = fast.errors
    field = {"null": "description", "decimal": "amount", "enum": "kind", "list": "tiers"}
    assert error.path == ["quote", "invoices", 2, "lines", 1, field[broken]]


async def test_a_plan_is_shared_across_requests_only_when_variables_cannot_change_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same parsed document on the same schema reuses its plans; a document whose
    selection reads a variable (@include) plans per request, so each answer is its own."""
    from strawberry.extensions import ParserCache

    from pricing_graph.api import execution

    built: list[int] = []
    plan = PlainValueExecutor._object_plan

    def counted(self: Any, *args: Any) -> Any:
        built.append(1)
        return plan(self, *args)

    monkeypatch.setattr(PlainValueExecutor, "_object_plan", counted)
    monkeypatch.setattr(execution, "_SHARED", {})
    cached = strawberry.Schema(
        query=Query,
        config=schema_config(),
        execution_context_class=PlainValueExecutor,
        extensions=[lambda: ParserCache(maxsize=8)],  # one document object per text
    )
    _plain, standard = schemas()
    plain_query = "{ quote { total invoices { index lines { kind description amount } } } }"
    for _ in range(3):
        fast = await cached.execute(plain_query)
        assert formatted(fast) == formatted(await standard.execute(plain_query))
    assert len(built) == 3  # quote, invoice, line: planned once for the three requests

    built.clear()
    answers = []
    for with_tiers in (True, False, True):
        fast = await cached.execute(QUOTE, variable_values={"withTiers": with_tiers})
        slow = await standard.execute(QUOTE, variable_values={"withTiers": with_tiers})
        assert formatted(fast) == formatted(slow)
        answers.append("tiers" in fast.data["quote"]["invoices"][0]["lines"][0])
    assert answers == [True, False, True]
    assert len(built) == 4 + 3 + 4  # planned per request (tiers too when included)
