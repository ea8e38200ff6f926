"""Strawberry inputs -> the services' frozen dataclass inputs, by field name.

Strawberry input types are dataclasses, so one recursive walk converts them: nested inputs
become the annotated dataclass, lists become tuples, `strawberry.UNSET` becomes
`services.inputs.UNCHANGED`, and global IDs stay strings (the services decode them, so their
errors name the input field).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union

import strawberry

from pricing_graph.services.inputs import UNCHANGED

T = TypeVar("T")


def to_domain(given: Any, cls: type[T]) -> T:
    """Build `cls` (a dataclass) from `given` (a Strawberry input with the same field names,
    or a superset of them)."""
    hints = _hints(cls)  # type: ignore[arg-type]  # classes are hashable
    values = {
        f.name: _convert(getattr(given, f.name), hints[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and hasattr(given, f.name)
    }
    return cls(**values)


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(value: Any, hint: Any) -> Any:
    if value is strawberry.UNSET:
        return UNCHANGED
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        for option in typing.get_args(hint):
            if option is type(None) or option is type(UNCHANGED):
                continue
            return _convert(value, option)
    if origin in (tuple, list) and isinstance(value, list | tuple):
        (item, *_rest) = typing.get_args(hint)
        return tuple(_convert(v, item) for v in value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return to_domain(value, hint)
    return value
