"""Catalog rows that can no longer change, kept for the process (per database).

A plan leaves DRAFT once (published, later archived) and only drafts are edited (a new
version is a new plan), so everything under a published or archived plan (its ramps and
usage limits, their prices, rates and tiers) is immutable. Those rows are read once and
then served from here, by the parent that asks for them. The rows whose state can change
(products, plans: status, names) are read on every request, and decide what is sealed: a
plan row read as not DRAFT seals its children.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from pricing_graph.store.catalog import PlanRow

PLANS: str = PlanRow.__tablename__  # type: ignore[assignment]


class SealedRows:
    """The children of sealed parents, and values computed from them.

    Metrics never change either, but are not kept: a metric is asked for by id, from drafts
    too, and one statement per level is what tests/api/test_batching.py keeps."""

    MAX_ROWS = 100_000  # then everything is forgotten and read again

    def __init__(self) -> None:
        self._sealed: set[tuple[str, int]] = set()  # (table, id): its children never change
        self._children: dict[tuple[str, str, int], tuple[Any, ...]] = {}
        self._derived: dict[Hashable, object] = {}
        self._size = 0

    def note(self, table: str, rows: Iterable[Any]) -> None:
        """Rows just read: a plan that is not a draft seals its children."""
        if table == PLANS:
            self._sealed.update((PLANS, row.id) for row in rows if row.status != "DRAFT")

    def is_sealed(self, table: str, row_id: int) -> bool:
        return (table, row_id) in self._sealed

    def children(self, table: str, parent: str, parent_id: int) -> tuple[Any, ...] | None:
        """The kept rows of `table` whose `parent` column is `parent_id`, if kept."""
        return self._children.get((table, parent, parent_id))

    def keep_children(self, table: str, parent: str, parent_id: int, rows: Sequence[Any]) -> None:
        """The children of a sealed parent, which are sealed in turn."""
        self._make_room(len(rows) + 1)
        self._children[(table, parent, parent_id)] = tuple(rows)
        self._sealed.update((table, row.id) for row in rows)

    def derived(self, table: str, row_id: int | None, key: Hashable) -> object | None:
        """A value kept for a sealed row (`key` names the row and what was computed)."""
        return self._derived.get(key) if (table, row_id) in self._sealed else None

    def keep_derived(self, table: str, row_id: int | None, key: Hashable, value: object) -> None:
        """Keep `value`, computed from a sealed row and its sealed children, under `key`."""
        if (table, row_id) in self._sealed:
            self._make_room(1)
            self._derived[key] = value

    def clear(self) -> None:
        """Forget everything (it is read again as asked)."""
        self._sealed.clear()
        self._children.clear()
        self._derived.clear()
        self._size = 0

    def _make_room(self, rows: int) -> None:
        if self._size + rows > self.MAX_ROWS:
            self.clear()
        self._size += rows
