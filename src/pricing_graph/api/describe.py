"""Descriptions for the schema, kept beside the types they describe.

`describe(Type, "what it is", field="what it holds", ...)` sets the GraphQL descriptions of a
Strawberry type's fields (by their Python or GraphQL name); `describe_args` those of their
arguments and `describe_enum(Enum, VALUE="...")` those of an enum's values. An unknown name
raises, so a renamed field cannot leave its description behind; tests/api/test_schema_docs.py
checks that nothing in schema.graphql is left undescribed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from strawberry.types.base import get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition

# The arguments every connection takes, and the payload fields every mutation returns.
PAGE_ARGS = {
    "first": "Page size: at most 100, default 50.",
    "after": "Cursor from the previous page's `pageInfo.endCursor`; omit for the first page.",
}
ERRORS = "Why nothing was written; empty on success."


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _fields(cls: type) -> dict[str, Any]:
    """A type's fields by GraphQL name and by Python name."""
    definition = get_object_definition(cls, strict=True)
    found = {f.python_name: f for f in definition.fields}
    return found | {f.graphql_name or _camel(f.python_name): f for f in definition.fields}


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found.append(sub)
        found += _subclasses(sub)
    return found


def describe(cls: type, doc: str | None = None, **fields: str) -> None:
    definition = get_object_definition(cls, strict=True)
    if doc is not None:
        definition.description = doc
    by_name = _fields(cls)
    for name, text in fields.items():
        if name not in by_name:
            raise KeyError(f"{cls.__name__} has no field {name!r}")
        by_name[name].description = text
        # Subclasses (the types implementing an interface) hold copies of inherited fields.
        for sub in _subclasses(cls):
            inherited = _fields(sub).get(name)
            if inherited is not None and inherited.description is None:
                inherited.description = text


def describe_args(cls: type, by_field: Mapping[str, Mapping[str, str]]) -> None:
    """The descriptions of fields' arguments: {field: {argument: text}}."""
    by_name = _fields(cls)
    for name, texts in by_field.items():
        field = by_name[name]
        arguments = {a.python_name: a for a in field.arguments}
        arguments |= {a.graphql_name or _camel(a.python_name): a for a in field.arguments}
        for arg_name, text in texts.items():
            if arg_name not in arguments:
                raise KeyError(f"{cls.__name__}.{name} has no argument {arg_name!r}")
            arguments[arg_name].description = text


def describe_enum(enum: type[Enum], doc: str | None = None, **values: str) -> None:
    definition: Any = getattr(enum, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryEnumDefinition):
        raise TypeError(f"{enum.__name__} is not registered with strawberry.enum")
    if doc is not None:
        definition.description = doc
    by_name = {v.name: v for v in definition.values}
    for name, text in values.items():
        if name not in by_name:
            raise KeyError(f"{enum.__name__} has no value {name!r}")
        by_name[name].description = text
