"""Plain values completed without a resolver call per field.

graphql-core completes every field of every object through the same machinery: a resolve
info, the field's resolver, an awaitable check, then the value's completion. For a value
built whole before it is returned (a quote's 36 invoices and their lines, a plan
comparison) every field is a Strawberry "basic" field: no resolver, no arguments, no
extension, just the attribute of the same name. `PlainValueExecutor` completes such a
selection in one synchronous pass: attribute, scalar or enum coercion, lists and nested
plain objects. The ~880 fields of a full 36-period quote took ~2.9 ms, now ~0.9 ms.

A selection qualifies only when every field in it, at every depth, is a basic field of an
object type (or `__typename`), with no `@defer` or `@stream`, no field middleware, no
`is_type_of` check and no interface or union. Anything else (a field with a resolver, such
as `issuedParts`) goes the standard way, and its nested selections are tried again. Errors
keep the standard semantics: a null in a non-null field, a scalar that cannot serialise, a
list that is not one (any exception) abandons the pass, and graphql-core completes the same
value itself, with its error, path and null propagation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.collect_fields import DeferUsage, FieldDetails, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]


class _Abandon(Exception):
    """A value the plain pass does not complete: graphql-core does, with its error."""


def _basic_attribute(parent: GraphQLObjectType, name: str) -> str | None:
    """The Python attribute a field reads, when it is a basic Strawberry field."""
    field = parent.fields.get(name)
    if field is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    if definition.default_resolver is not getattr:
        return None
    return definition.python_name


def _leaf(kind: GraphQLScalarType | GraphQLEnumType) -> Complete:
    coerce = kind.coerce_output_value

    def complete(value: Any) -> Any:
        if value is None:
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Abandon
        return coerced

    return complete


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise _Abandon
        return completed

    return complete


def _list(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise _Abandon
        return [inner(item) for item in value]

    return complete


def _object(fields: Sequence[tuple[str, str | None, Complete | str]]) -> Complete:
    """`fields`: response name, attribute and its completion; or, for `__typename`,
    response name, None and the type's name."""

    def complete(value: Any) -> Any:
        if value is None:
            return None
        return {
            name: field(getattr(value, attribute)) if attribute else field  # type: ignore[operator]
            for name, attribute, field in fields
        }

    return complete


# Plans across requests, by parent type and field nodes (each entry holds its field set,
# so the nodes stay alive and their ids are not reused while kept); and, by operation,
# whether its selections are the same for any variables.
_SHARED: dict[tuple[Any, ...], tuple[Any, Complete | None]] = {}
_STATIC: dict[int, tuple[Any, bool]] = {}
_SHARED_LIMIT = 1024


def _without_directives(execution: Any) -> bool:
    """Whether the operation and its fragments use no directive at all (so no @skip or
    @include reads a variable, and no @defer or @stream)."""
    pending: list[Any] = [execution.operation]
    pending += list(execution.fragments.values())
    while pending:
        node = pending.pop()
        if getattr(node, "directives", None):
            return False
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return True


class PlainValueExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing plain selections in one synchronous pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (type, id of a field set) -> the field set, kept alive, and its plan (None: not plain)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, Complete | None]] = {}

    def execute_collected_subfields(  # type: ignore[override]
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path,
        grouped_field_set: GroupedFieldSet,
        new_defer_usages: Sequence[DeferUsage],
        delivery_group_map: Any,
    ) -> Any:
        if delivery_group_map is None and not new_defer_usages and self._no_middleware():
            plan = self._plan(parent_type, grouped_field_set)
            if plan is not None:
                try:
                    return plan(source_value)
                except Exception:
                    pass  # graphql-core completes it again, and reports what is wrong
        return super().execute_collected_subfields(
            parent_type,
            source_value,
            path,
            grouped_field_set,
            new_defer_usages,
            delivery_group_map,
        )

    def _no_middleware(self) -> bool:
        manager = self.middleware_manager
        return manager is None or not manager.middlewares

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Complete | None:
        key = (parent_type, id(grouped_field_set))
        kept = self._plans.get(key)
        if kept is None:
            shared = self._shared_key(parent_type, grouped_field_set)
            kept = _SHARED.get(shared) if shared is not None else None
            if kept is None:
                kept = (grouped_field_set, self._object_plan(parent_type, grouped_field_set))
                if shared is not None:
                    if len(_SHARED) >= _SHARED_LIMIT:
                        _SHARED.clear()
                    _SHARED[shared] = kept
            self._plans[key] = kept
        return kept[1]

    def _shared_key(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[Any, ...] | None:
        """The key of this selection's plan across requests (the same field nodes of the
        same parsed document), when the operation's selections cannot depend on its
        variables (no directive anywhere in it or its fragments); else None."""
        operation = self.operation
        known = _STATIC.get(id(operation))
        if known is None or known[0] is not operation:
            if len(_STATIC) >= _SHARED_LIMIT:
                _STATIC.clear()
            known = _STATIC[id(operation)] = (operation, _without_directives(self))
        if not known[1]:
            return None
        return (
            parent_type,
            tuple(
                (name, tuple(id(details.node) for details in field_details))
                for name, field_details in grouped_field_set.items()
            ),
        )

    def _object_plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Complete | None:
        if parent_type.is_type_of is not None:
            return None
        fields: list[tuple[str, str | None, Complete | str]] = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            if node.directives and any(d.name.value == "stream" for d in node.directives):
                return None
            if node.name.value == "__typename":
                fields.append((response_name, None, parent_type.name))
                continue
            attribute = _basic_attribute(parent_type, node.name.value)
            if attribute is None:
                if self.schema.get_field(parent_type, node.name.value) is None:
                    continue  # graphql-core skips it too (validation refuses it anyway)
                return None
            complete = self._value_plan(parent_type.fields[node.name.value].type, details)
            if complete is None:
                return None
            fields.append((response_name, attribute, complete))
        return _object(fields)

    def _value_plan(self, kind: GraphQLOutputType, details: list[FieldDetails]) -> Complete | None:
        if isinstance(kind, GraphQLNonNull):
            inner = self._value_plan(kind.of_type, details)
            return None if inner is None else _non_null(inner)
        if isinstance(kind, GraphQLList):
            inner = self._value_plan(kind.of_type, details)
            return None if inner is None else _list(inner)
        if isinstance(kind, GraphQLScalarType | GraphQLEnumType):
            return _leaf(kind)
        if isinstance(kind, GraphQLObjectType):
            grouped, defer_usages, _forbidden = self.collect_subfields(kind, details)
            if defer_usages:
                return None
            plan = self._plan(kind, grouped)
            return plan
        return None  # an interface or a union: its runtime type is resolved the usual way
