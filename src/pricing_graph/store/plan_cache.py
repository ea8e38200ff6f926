"""Domain values of plans that can no longer change, kept per database for the process."""

from __future__ import annotations

from dataclasses import replace

from pricing_graph.store.catalog import PlanRow
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.sealed_rows import SealedRows


class PlanCache:
    """Domain values of plans that can no longer change (published or archived), by id.

    Their content is immutable (only drafts are edited; a new version is a new plan), so
    one load serves every later request; the row, which carries the status, is re-read."""

    MAX_PLANS = 1000

    def __init__(self) -> None:
        self._plans: dict[int, LoadedPlan] = {}
        # The same plans' rows, for the GraphQL loaders (store/sealed_rows.py).
        self.rows = SealedRows()

    def get(self, row: PlanRow) -> LoadedPlan | None:
        found = self._plans.get(row.id or 0) if row.status != "DRAFT" else None
        if found is None or found.row is row:
            return found
        found = self._plans[row.id or 0] = replace(found, row=row)  # the next get: the same
        return found

    def keep(self, loaded: LoadedPlan) -> None:
        if loaded.row.status == "DRAFT" or loaded.row.id is None:
            return
        if len(self._plans) >= self.MAX_PLANS:
            self._plans.clear()
        self._plans[loaded.row.id] = loaded
