"""The rating package imports only the standard library and never produces a float."""

from __future__ import annotations

import ast
import sys
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import pricing_graph.rating as rating
from pricing_graph.rating import (
    ContractTerms,
    CreditGrant,
    MetricUsage,
    UsageProjection,
    UsageSnapshot,
    quote,
)

from .test_properties import plans, usage_for

PACKAGE = Path(rating.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py"))


def test_rating_imports_only_the_standard_library() -> None:
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside the package
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if name.startswith("pricing_graph.rating"):
                    continue
                if top not in sys.stdlib_module_names:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_no_float_literals_or_float_calls_in_rating() -> None:
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                offenders.append(f"{path.name}:{node.lineno} literal {node.value!r}")
            if isinstance(node, ast.Name) and node.id == "float":
                offenders.append(f"{path.name}:{node.lineno} float")
            # true division of two int literals would make a float
            if (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Div)
                and all(
                    isinstance(side, ast.Constant) and isinstance(side.value, int)
                    for side in (node.left, node.right)
                )
            ):
                offenders.append(f"{path.name}:{node.lineno} int/int")
    assert offenders == []


def find_floats(value: object, path: str = "result") -> list[str]:
    if isinstance(value, float):
        return [path]
    if isinstance(value, str | bytes | int | Decimal | date | Enum) or value is None:
        return []
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return [
            hit
            for name in value._fields
            for hit in find_floats(getattr(value, name), f"{path}.{name}")
        ]
    if isinstance(value, tuple | list):
        return [hit for i, v in enumerate(value) for hit in find_floats(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in find_floats(v, f"{path}[{k!r}]")]
    if is_dataclass(value):
        return [
            hit
            for f in fields(value)
            for hit in find_floats(getattr(value, f.name), f"{path}.{f.name}")
        ]
    raise AssertionError(f"{path}: unexpected {type(value).__name__}")


def test_find_floats_can_fail() -> None:
    assert find_floats(MetricUsage("x", Decimal(1), transactions=(1.5,))) == [  # type: ignore[arg-type]
        "result.transactions[0]"
    ]


@settings(max_examples=60, deadline=None)
@given(plan=plans(), data=st.data())
def test_quotes_contain_no_float(plan, data) -> None:  # type: ignore[no-untyped-def]
    usage = data.draw(usage_for(plan))
    terms = ContractTerms(
        date(2024, 1, 31),
        credit_grants=(CreditGrant("g", Decimal(50), plan.pricing_unit.code, date(2024, 1, 31)),),
    )
    q = quote(plan, terms, UsageProjection.constant(usage), 3)
    assert find_floats(q) == []


def test_a_float_in_usage_is_rejected() -> None:
    import pytest

    from pricing_graph.rating import InvalidUsage, preview_invoice

    from .factories import START, flat, plan, usage_price

    p = plan(usage_price("api", flat("1")))
    bad = UsageSnapshot((MetricUsage("api", 1.5),))  # type: ignore[arg-type]
    with pytest.raises(InvalidUsage, match=r"usage\[0\]\.quantity"):
        preview_invoice(p, ContractTerms(START), bad, 0)
