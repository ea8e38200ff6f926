"""GraphQL input values -> Strawberry input objects, with each type's work done once.

Strawberry converts an argument's input value field by field, and for every field of every
input object of every request it asks the name converter for the field's GraphQL name
(a camel-case conversion), resolves the field's annotation and walks a chain of
`isinstance` checks to find what kind of type it is. A comparison's two usage entries
took 33 such conversions, about 0.35 ms, a quote's input more. Strawberry's supported hook
for this is `StrawberryObjectDefinition.from_input` (a type that builds its own value from
the whole input value): `install_input_builders` gives every input type of the schema an
`InputBuilder` that makes those decisions the first time the type is built and then only
copies values: the same objects as Strawberry's conversion (its rules: omitted fields
without a default are None, lists are copied, scalars and enums as graphql-core coerced
them, nested inputs built the same way). A kind of type it does not know (a `Maybe`, a
global ID, a type with its own hook) is converted by Strawberry's own `convert_argument`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType

# value, the context of the input holding it, its key there -> the Python value
Convert = Callable[[Any, InputContext, str | int], Any]


def install_input_builders(schema: strawberry.Schema) -> None:
    """Every input type of `schema` that has no `from_input` of its own gets a builder."""
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if (
            isinstance(definition, StrawberryObjectDefinition)
            and definition.is_input
            and definition.from_input is None
        ):
            definition.from_input = InputBuilder(definition)


class InputBuilder:
    """`from_input` for one input type: its fields' names and conversions, found once."""

    __slots__ = ("_definition", "_fields", "_nones")

    def __init__(self, definition: StrawberryObjectDefinition) -> None:
        self._definition = definition
        self._fields: tuple[tuple[str, str, Convert | None], ...] | None = None
        self._nones: dict[str, None] = {}

    def __call__(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        fields = self._fields
        if fields is None:
            fields = self._prepare(context)
        kwargs: dict[str, Any] = dict(self._nones)
        for graphql_name, python_name, convert in fields:
            if graphql_name in value:
                given = value[graphql_name]
                kwargs[python_name] = (
                    given if convert is None else convert(given, context, graphql_name)
                )
        return cls(**kwargs)

    def _prepare(self, context: InputContext) -> tuple[tuple[str, str, Convert | None], ...]:
        definition = self._definition
        names = context.config.name_converter
        self._nones = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        }
        fields = tuple(
            (
                names.from_field(field),
                field.python_name,
                _converter(field.resolve_type(type_definition=definition), context),
            )
            for field in definition.fields
        )
        self._fields = fields
        return fields


def _converter(type_: Any, context: InputContext) -> Convert | None:
    """How a value of `type_` is converted; None: it is kept as it is."""
    if isinstance(type_, StrawberryMaybe):
        return _strawberry(type_)
    if isinstance(type_, StrawberryOptional):
        inner = _converter(type_.of_type, context)
        if inner is None:
            return None

        def optional(value: Any, within: InputContext, key: str | int) -> Any:
            if value is None or value is strawberry.UNSET:
                return value
            return inner(value, within, key)

        return optional
    if isinstance(type_, StrawberryList):
        item = _converter(type_.of_type, context)

        def listed(value: Any, within: InputContext, key: str | int) -> Any:
            if value is None or value is strawberry.UNSET:
                return value
            if item is None:
                return list(value)  # a copy: graphql-core shares default values
            nested = _within(within, key)
            return [item(x, nested, index) for index, x in enumerate(value)]

        return listed
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), context)
    if isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
        return None
    if is_scalar(type_, context.scalar_registry):
        if type_ is GlobalID:
            return _strawberry(type_)
        return None
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if not isinstance(definition.from_input, InputBuilder):
            return _strawberry(type_)
        build = definition.from_input

        def built(value: Any, within: InputContext, key: str | int) -> Any:
            if value is None or value is strawberry.UNSET:
                return value
            return build(type_, value, _within(within, key))

        return built
    return _strawberry(type_)


def _within(context: InputContext, key: str | int) -> InputContext:
    return InputContext(
        info=context.info,
        config=context.config,
        scalar_registry=context.scalar_registry,
        path=(*context.path, key),
    )


def _strawberry(type_: StrawberryType | type) -> Convert:
    def converted(value: Any, within: InputContext, key: str | int) -> Any:
        return convert_argument(
            value,
            type_,
            within.scalar_registry,
            within.config,
            within.info,
            path=(*within.path, key),
        )

    return converted
