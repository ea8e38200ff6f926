"""Batch reads behind the DataLoaders: rows by id, and the ordered children of parents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlmodel import col, select

from pricing_graph.store.catalog_repo import Reader

RowT = TypeVar("RowT")


async def rows_by_ids(read: Reader, model: type[RowT], ids: Sequence[int]) -> list[RowT | None]:
    """The rows of `model` with these ids, in the order asked (None where missing)."""
    table: Any = model
    rows = await read(select(table).where(col(table.id).in_(ids)))
    by_id = {row.id: row for row in rows}
    return [by_id.get(i) for i in ids]


async def children_by_parent_ids(
    read: Reader,
    model: type[RowT],
    parent: str,
    order_by: Sequence[str],
    parent_ids: Sequence[int],
) -> list[list[RowT]]:
    """For each parent id, its children rows of `model` ordered by `order_by`."""
    table: Any = model
    rows = await read(
        select(table)
        .where(col(getattr(table, parent)).in_(parent_ids))
        .order_by(*(getattr(table, name) for name in order_by))
    )
    grouped: defaultdict[int, list[RowT]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, parent)].append(row)
    return [grouped[i] for i in parent_ids]
