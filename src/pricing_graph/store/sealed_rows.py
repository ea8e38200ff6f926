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

from pricing_graph.store.catalog import MetricRow, PlanRow

PLANS: str = PlanRow.__tablename__  # type: ignore[assignment]
METRICS: str = MetricRow.__tablename__  # type: ignore[assignment]


class SealedRows:
    """The children of sealed parents, values computed from them, and the metrics they name.

    Metrics never change either (no write changes one); one is kept by id once a sealed row
    (a price, a usage limit) names it. A catalog of drafts reads its metrics every time:
    one statement per level, whatever it holds (tests/api/test_batching.py)."""

    MAX_ROWS = 100_000  # then everything is forgotten and read again

    def __init__(self) -> None:
        self._sealed: set[tuple[str, int]] = set()  # (table, id): its children never change
        self._children: dict[tuple[str, str, int], tuple[Any, ...]] = {}
        self._derived: dict[Hashable, object] = {}
        self._named: set[tuple[str, int]] = set()  # (table, id) a sealed row refers to
        self._rows: dict[tuple[str, int], Any] = {}
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
        for row in rows:
            metric_id = getattr(row, "metric_id", None)
            if metric_id is not None:
                self._named.add((METRICS, metric_id))

    def row(self, table: str, row_id: int) -> Any | None:
        """A kept row that never changes (a metric a sealed row names)."""
        return self._rows.get((table, row_id))

    def keep_rows(self, table: str, rows: Iterable[Any]) -> None:
        """Rows just read by id: kept when a sealed row names them."""
        for row in rows:
            if (table, row.id) in self._named:
                self._make_room(1)
                self._rows[(table, row.id)] = row

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
        self._named.clear()
        self._rows.clear()
        self._size = 0

    def _make_room(self, rows: int) -> None:
        if self._size + rows > self.MAX_ROWS:
            self.clear()
        self._size += rows
