"""Catalog loaders, named `<Thing>By<Key>Loader`; each reads through a store function."""

from __future__ import annotations

from collections.abc import Sequence

from pricing_graph.api.loaders.base import Loader, Reader, RowByIdLoader, RowsByParentLoader
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
from pricing_graph.store.catalog_queries import domain_plans_of_rows
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.plan_cache import PlanCache
from pricing_graph.store.sealed_rows import SealedRows


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
    """A product's plans; the rows read also answer `plans` by id for the rest of the
    request (comparePlans reads a product's plans, then those plans as rating values)."""

    model = PlanRow
    parent = "product_id"
    order_by = ("tier_rank", "key", "version")

    def __init__(self, read: Reader, sealed: SealedRows, plans: PlanByIdLoader) -> None:
        super().__init__(read, sealed)
        self._plans = plans

    async def _load(self, parent_ids: Sequence[int]) -> list[list[PlanRow]]:
        found = await super()._load(parent_ids)
        self._plans.prime_many({row.id: row for rows in found for row in rows if row.id})
        return found


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


class DomainPlanByIdLoader(Loader[int, LoadedPlan | None]):
    """Whole plans as rating values: their rows through `plans` (no statement for rows
    this request has read already, one for the others), and six statements more for the
    plans not cached yet."""

    def __init__(self, read: Reader, cache: PlanCache, plans: PlanByIdLoader) -> None:
        super().__init__(load_fn=self._load)
        self._read = read
        self._cache = cache
        self._plans = plans

    async def _load(self, ids: Sequence[int]) -> list[LoadedPlan | None]:
        rows = await self._plans.load_many(ids)
        return await domain_plans_of_rows(self._read, self._cache, ids, rows)


__all__ = ["PlanCache"]  # Loaders is built with the database's plan cache
