"""The demo's GraphQL-shaped data as the services' typed inputs.

`demo.catalog` and `demo.customers` keep their data in the exact shape of the GraphQL
inputs (camelCase keys, decimals as strings, enums by name, dates as ISO text), so the same
dicts can be sent to the API by tests and examples. `from_json` reads one such dict into a
service's frozen dataclass by the field names and type hints alone, the way GraphQL's input
coercion would: decimals through the API's strict parser, enums by name, lists as tuples.
A key the dataclass does not have is an error, so nothing of the demo is silently dropped.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, Union

from pricing_graph.services.decimals import parse_decimal
from pricing_graph.services.inputs import Unchanged

T = TypeVar("T")


class DemoDataError(ValueError):
    """The demo data does not fit the service's input (a bug in demo/*.py)."""


def from_json(cls: type[T], data: Mapping[str, Any], path: str = "input") -> T:
    """Build the dataclass `cls` from `data`, a dict keyed by camelCase field names
    (`from_` reads "from"). Fields missing from `data` keep their defaults."""
    fields = _fields(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise DemoDataError(f"{path}: {cls.__name__} has no field {', '.join(unknown)}")
    hints = _hints(cls)
    values = {
        name: _convert(data[key], hints[name], f"{path}.{key}")
        for key, name in fields.items()
        if key in data
    }
    return cls(**values)


_FIELDS: dict[type[Any], dict[str, str]] = {}
_HINTS: dict[type[Any], dict[str, Any]] = {}


def _fields(cls: type[Any]) -> dict[str, str]:
    """camelCase key -> field name, for the fields a caller may give."""
    if cls not in _FIELDS:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        _FIELDS[cls] = {
            _camel(f.name.rstrip("_")): f.name for f in dataclasses.fields(cls) if f.init
        }
    return _FIELDS[cls]


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _convert(value: Any, hint: Any, path: str) -> Any:
    if value is None or hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [
            option
            for option in typing.get_args(hint)
            if option is not type(None) and option is not Unchanged  # never given by the demo
        ]
        if len(options) == 1:
            return _convert(value, options[0], path)
        for option in options:
            try:
                return _convert(value, option, path)
            except (DemoDataError, ValueError, KeyError):
                continue
        raise DemoDataError(f"{path}: {value!r} fits none of {hint}")
    if origin in (tuple, list, typing.Sequence, typing.Collection):
        if not isinstance(value, list | tuple):
            raise DemoDataError(f"{path}: expected a list, got {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(_convert(v, item, f"{path}.{i}") for i, v in enumerate(value))
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return value
    if isinstance(hint, type):
        return _scalar(value, hint, path)
    raise DemoDataError(f"{path}: cannot read a {hint}")


def _scalar(value: Any, hint: type[Any], path: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise DemoDataError(f"{path}: expected an object, got {value!r}")
        return from_json(hint, value, path)
    if issubclass(hint, Enum):
        try:
            return hint[value]
        except KeyError:
            raise DemoDataError(f"{path}: {value!r} is not a {hint.__name__}") from None
    if hint is Decimal:
        return parse_decimal(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is bool or hint is int:
        if type(value) is not hint:
            raise DemoDataError(f"{path}: expected {hint.__name__}, got {value!r}")
        return value
    if not isinstance(value, hint):
        raise DemoDataError(f"{path}: expected {hint.__name__}, got {value!r}")
    return value
