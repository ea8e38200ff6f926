"""Catalog loaders, named `<Thing>By<Key>Loader`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlmodel import col, select
from strawberry.dataloader import DataLoader

from pricing_graph.api.loaders.base import Reader, RowByIdLoader, RowsByParentLoader
from pricing_graph.store.catalog import (
    MetricRow,
    PlanRow,
    PriceRow,
    ProductRow,
    RampRow,
    RateRow,
    TierRow,
    UsageLimitRow,
)
from pricing_graph.store.catalog_repo import LoadedPlan, load_plans


class ProductByIdLoader(RowByIdLoader[ProductRow]):
    model = ProductRow


class PlanByIdLoader(RowByIdLoader[PlanRow]):
    model = PlanRow


class MetricByIdLoader(RowByIdLoader[MetricRow]):
    model = MetricRow


class RampByIdLoader(RowByIdLoader[RampRow]):
    model = RampRow


class PriceByIdLoader(RowByIdLoader[PriceRow]):
    model = PriceRow


class PlansByProductIdLoader(RowsByParentLoader[PlanRow]):
    model = PlanRow
    parent = "product_id"
    order_by = ("tier_rank", "key", "version")


class RampsByPlanIdLoader(RowsByParentLoader[RampRow]):
    model = RampRow
    parent = "plan_id"


class PricesByRampIdLoader(RowsByParentLoader[PriceRow]):
    model = PriceRow
    parent = "ramp_id"


class RatesByPriceIdLoader(RowsByParentLoader[RateRow]):
    model = RateRow
    parent = "price_id"


class TiersByRateIdLoader(RowsByParentLoader[TierRow]):
    model = TierRow
    parent = "rate_id"


class UsageLimitsByPlanIdLoader(RowsByParentLoader[UsageLimitRow]):
    model = UsageLimitRow
    parent = "plan_id"


class PlanCache:
    """Domain values of plans that can no longer change (published or archived), by id.

    Their content is immutable (only drafts are edited; a new version is a new plan), so
    one load serves every later request; the row, which carries the status, is re-read."""

    MAX_PLANS = 1000

    def __init__(self) -> None:
        self._plans: dict[int, LoadedPlan] = {}

    def get(self, row: PlanRow) -> LoadedPlan | None:
        found = self._plans.get(row.id or 0) if row.status != "DRAFT" else None
        return replace(found, row=row) if found else None

    def keep(self, loaded: LoadedPlan) -> None:
        if loaded.row.status == "DRAFT" or loaded.row.id is None:
            return
        if len(self._plans) >= self.MAX_PLANS:
            self._plans.clear()
        self._plans[loaded.row.id] = loaded


class DomainPlanByIdLoader(DataLoader[int, LoadedPlan | None]):
    """Whole plans as rating values: one statement for the rows, and six more for the
    plans not cached yet."""

    def __init__(self, read: Reader, cache: PlanCache) -> None:
        super().__init__(load_fn=self._load)
        self._read = read
        self._cache = cache

    async def _load(self, ids: Sequence[int]) -> list[LoadedPlan | None]:
        rows = await self._read(select(PlanRow).where(col(PlanRow.id).in_(ids)))
        plans = {row.id: cached for row in rows if (cached := self._cache.get(row))}
        missing = [row.id for row in rows if row.id not in plans]
        for plan_id, loaded in (await load_plans(self._read, missing)).items():
            self._cache.keep(loaded)
            plans[plan_id] = loaded
        return [plans.get(i) for i in ids]
