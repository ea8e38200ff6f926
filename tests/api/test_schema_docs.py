"""The schema explains itself: every type, field, argument, input field and enum value of
schema.graphql has a description, and every error code says what it means."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)

from pricing_graph.api.errors import ERROR_CODE_DESCRIPTIONS
from pricing_graph.services.errors import ErrorCode

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed() -> dict[str, list[str]]:
    schema = build_schema(SCHEMA_FILE.read_text())
    found: dict[str, list[str]] = {
        "types": [],
        "fields": [],
        "arguments": [],
        "input fields": [],
        "enum values": [],
    }
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not kind.description:
            found["types"].append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                if not field.description:
                    found["fields"].append(f"{name}.{field_name}")
                found["arguments"] += [
                    f"{name}.{field_name}({arg})"
                    for arg, argument in field.args.items()
                    if not argument.description
                ]
        elif isinstance(kind, GraphQLInputObjectType):
            found["input fields"] += [
                f"{name}.{field_name}"
                for field_name, field in kind.fields.items()
                if not field.description
            ]
        elif isinstance(kind, GraphQLEnumType):
            found["enum values"] += [
                f"{name}.{value_name}"
                for value_name, value in kind.values.items()
                if not value.description
            ]
    return found


def test_every_schema_element_has_a_description() -> None:
    missing = undescribed()
    counts = {what: len(names) for what, names in missing.items()}
    listed = "\n".join(f"  {name}" for names in missing.values() for name in names)
    assert sum(counts.values()) == 0, (
        f"undescribed {counts}:\n{listed}\ngive each a `description=` (strawberry.type, "
        "strawberry.field, strawberry.argument) or use pricing_graph.api.describe "
        "(describe, describe_args, describe_enum), then run `make schema`"
    )


def test_every_error_code_has_a_description() -> None:
    assert set(ERROR_CODE_DESCRIPTIONS) == set(ErrorCode)
    assert all(text.strip() for text in ERROR_CODE_DESCRIPTIONS.values())


def test_custom_scalars_name_their_specification() -> None:
    text = SCHEMA_FILE.read_text()
    for scalar in ("Date", "DateTime", "Decimal", "JSON"):
        line = next(line for line in text.splitlines() if line.startswith(f"scalar {scalar}"))
        assert "@specifiedBy(url:" in line, line
