"""Batch reads behind the DataLoaders: rows by id, and the ordered children of parents.

They read SQLAlchemy Core rows (`select(table)`), not ORM instances: no identity map, no
instance state, several times cheaper per row, and immutable, so safe to share. A Core row
carries the model's columns as attributes, under the same names and with the same Python
types (the column types do the conversion), so callers read it as the model; it is typed
as the model for them, and never written to (writes load their rows in their transaction).

With `sealed` (store/sealed_rows.py), the children of parents that can no longer change
are served from the process's cache instead of the database: the statement for a level is
sent only for the parents whose children are not kept (none: no statement).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, select

from pricing_graph.store.catalog_repo import Reader
from pricing_graph.store.sealed_rows import SealedRows

RowT = TypeVar("RowT")


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


async def rows_by_ids(
    read: Reader, model: type[RowT], ids: Sequence[int], sealed: SealedRows | None = None
) -> list[RowT | None]:
    """The rows of `model` with these ids, in the order asked (None where missing)."""
    table = _table(model)
    by_id: dict[int, Any] = {}
    if sealed is not None:
        by_id = {i: row for i in ids if (row := sealed.row(table.name, i)) is not None}
    missing = [i for i in ids if i not in by_id]
    if missing:
        rows = await read(select(table).where(table.c.id.in_(missing)))
        if sealed is not None:
            sealed.note(table.name, rows)
            sealed.keep_rows(table.name, rows)
        by_id.update((row.id, row) for row in rows)
    return [by_id.get(i) for i in ids]


async def children_by_parent_ids(
    read: Reader,
    model: type[RowT],
    parent: str,
    order_by: Sequence[str],
    parent_ids: Sequence[int],
    sealed: SealedRows | None = None,
) -> list[list[RowT]]:
    """For each parent id, its children rows of `model` ordered by `order_by`."""
    table = _table(model)
    kept: dict[int, list[Any]] = {}
    parent_table = ""
    if sealed is not None:
        (foreign_key,) = table.c[parent].foreign_keys
        parent_table = foreign_key.column.table.name
        for parent_id in parent_ids:
            if sealed.is_sealed(parent_table, parent_id):
                children = sealed.children(table.name, parent, parent_id)
                if children is not None:
                    kept[parent_id] = list(children)
    missing = [i for i in parent_ids if i not in kept]
    grouped: defaultdict[int, list[Any]] = defaultdict(list)
    if missing:
        rows = await read(
            select(table)
            .where(table.c[parent].in_(missing))
            .order_by(*(table.c[name] for name in order_by))
        )
        for row in rows:
            grouped[row._mapping[parent]].append(row)
        if sealed is not None:
            sealed.note(table.name, rows)
            for parent_id in missing:
                if sealed.is_sealed(parent_table, parent_id):
                    sealed.keep_children(table.name, parent, parent_id, grouped[parent_id])
    return [kept[i] if i in kept else grouped[i] for i in parent_ids]
