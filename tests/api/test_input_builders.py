"""`InputBuilder` (api/input_builders.py) builds the same input objects as Strawberry's own
conversion, and `LeanExtensionsRunner` (api/extension_hooks.py) runs the same hooks in
the same order as Strawberry's runner. No database: conversion and hooks alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from graphql import coerce_input_value
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.arguments import convert_argument

from pricing_graph.api.extension_hooks import LeanExtensionsRunner
from pricing_graph.api.input_builders import InputBuilder
from pricing_graph.api.schema import schema

QUOTE = {
    "planId": "UGxhbjox",
    "startDate": "2026-01-01",
    "endDate": "2027-01-01",
    "periods": 4,
    "billingInterval": "QUARTERLY",
    "settings": {"netPaymentDays": 45},
    "adjustments": [{"priceKey": "input_tokens", "kind": "PERCENT", "value": "-50"}],
    "commitments": [
        {"key": "prepaid", "kind": "PREPAID", "amount": "100.00", "creditAmount": "125.00"}
    ],
    "usage": [
        {"metricKey": "input_tokens", "quantity": "1000", "growthPercent": "2"},
        {
            "metricKey": "gpu_hours",
            "dimensions": [{"name": "region", "value": "eu"}],
            "perPeriod": ["1", "2.5", "3", "4"],
        },
        {"metricKey": "payments", "transactionCount": 12, "averageAmount": "9.99"},
    ],
}
PLAN = {
    "productId": "UHJvZHVjdDox",
    "key": "pro",
    "name": "Pro",
    "pricingUnit": {"code": "USD"},
    "ramps": [
        {
            "prices": [
                {
                    "key": "input_tokens",
                    "name": "Input tokens",
                    "usage": {
                        "metricKey": "input_tokens",
                        "conversionFactor": "1000",
                        "rate": {
                            "model": "TIERED",
                            "tiers": [
                                {"upTo": "1000000", "unitPrice": "0.002"},
                                {"unitPrice": "0.001"},
                            ],
                        },
                    },
                },
                {"key": "platform", "name": "Platform", "fixed": {"amount": "100.00"}},
            ]
        }
    ],
}


def _converted(type_name: str, value: dict[str, Any], *, strawberry_own: bool) -> Any:
    """The input object of `value` (JSON, as a client sends it), built by the builder or,
    with the type's `from_input` taken away for the call, by Strawberry alone."""
    graphql_type = schema._schema.type_map[type_name]
    coerced = coerce_input_value(value, graphql_type)  # as graphql-core hands it over
    cls = schema.get_type_by_name(type_name)
    assert cls is not None
    origin = cls.origin  # type: ignore[union-attr]
    builders = {}
    if strawberry_own:
        for concrete in schema.schema_converter.type_map.values():
            definition = concrete.definition
            if isinstance(getattr(definition, "from_input", None), InputBuilder):
                builders[definition] = definition.from_input  # type: ignore[union-attr]
                definition.from_input = None  # type: ignore[union-attr]
    try:
        return convert_argument(
            coerced, origin, schema.schema_converter.scalar_registry, schema.config
        )
    finally:
        for definition, builder in builders.items():
            definition.from_input = builder  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("QuoteInput", QUOTE),
        (
            "QuoteInput",
            {"planId": "UGxhbjox", "startDate": "2026-01-01", "periods": 1, "usage": []},
        ),
        ("CreatePlanInput", PLAN),
        ("ProjectedUsageInput", {"metricKey": "m", "perPeriod": ["1.000000000001"]}),
    ],
)
def test_builder_builds_what_strawberry_builds(type_name: str, value: dict[str, Any]) -> None:
    built = _converted(type_name, value, strawberry_own=False)
    expected = _converted(type_name, value, strawberry_own=True)
    assert built == expected
    assert repr(built) == repr(expected)


def test_every_input_type_has_a_builder_and_values_are_exact() -> None:
    inputs = [
        concrete.definition
        for concrete in schema.schema_converter.type_map.values()
        if getattr(concrete.definition, "is_input", False)
    ]
    assert len(inputs) > 20
    own = [d.name for d in inputs if not isinstance(d.from_input, InputBuilder)]  # type: ignore[union-attr]
    assert own == ["UsageEventInput"]  # builds its own (api/usage), untouched
    quote = _converted("QuoteInput", QUOTE, strawberry_own=False)
    assert quote.usage[1].per_period == [Decimal(1), Decimal("2.5"), Decimal(3), Decimal(4)]
    assert quote.usage[1].dimensions[0].value == "eu"
    assert quote.usage[0].per_period is None  # omitted, no default: None
    assert quote.adjustments[0].value == Decimal(-50)
    assert quote.credit_grants == []  # the field's default (default_factory)
    assert quote.settings.net_payment_days == 45


def test_a_list_value_is_copied() -> None:
    """graphql-core gives every request the same default list object: a copy each time."""
    coerced = coerce_input_value(
        {"metricKey": "m", "perPeriod": ["1"]}, schema._schema.type_map["ProjectedUsageInput"]
    )
    built = convert_argument(
        coerced,
        schema.get_type_by_name("ProjectedUsageInput").origin,  # type: ignore[union-attr]
        schema.schema_converter.scalar_registry,
        schema.config,
    )
    assert built.per_period == coerced["perPeriod"]
    assert built.per_period is not coerced["perPeriod"]


# --- the runner --------------------------------------------------------------------------

EVENTS: list[str] = []


class Generator(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        EVENTS.append("generator operation in")
        yield
        EVENTS.append("generator operation out")

    def on_execute(self) -> Iterator[None]:
        EVENTS.append("generator execute in")
        yield
        EVENTS.append("generator execute out")


class AsyncGenerator(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        EVENTS.append("async operation in")
        yield
        EVENTS.append("async operation out")

    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        EVENTS.append("async parse in")
        yield
        EVENTS.append("async parse out")


class Plain(SchemaExtension):
    def on_validate(self) -> None:  # type: ignore[override]
        EVENTS.append("plain validate")

    async def on_execute(self) -> None:  # type: ignore[override]
        EVENTS.append("coroutine execute")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        EVENTS.append("resolver")
        return "hi"


class LeanSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


async def _events(schema_class: type[strawberry.Schema]) -> list[str]:
    EVENTS.clear()
    small = schema_class(query=Query, extensions=[Generator, AsyncGenerator, Plain])
    result = await small.execute("{ hello }")
    assert result.data == {"hello": "hi"}
    return list(EVENTS)


async def test_lean_runner_runs_the_hooks_strawberry_runs() -> None:
    lean = await _events(LeanSchema)
    assert lean == await _events(strawberry.Schema)
    assert lean == [
        "generator operation in",
        "async operation in",
        "async parse in",
        "async parse out",
        "plain validate",
        "generator execute in",
        "coroutine execute",
        "resolver",
        "generator execute out",
        "async operation out",
        "generator operation out",
    ]


def test_the_schema_uses_the_lean_runner() -> None:
    runner = schema.create_extensions_runner(None, [])  # type: ignore[arg-type]
    assert isinstance(runner, LeanExtensionsRunner)
