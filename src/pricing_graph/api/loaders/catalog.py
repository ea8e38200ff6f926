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
from pricing_graph.store.catalog_queries import domain_plans_by_ids
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.plan_cache import PlanCache


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


class DomainPlanByIdLoader(Loader[int, LoadedPlan | None]):
    """Whole plans as rating values: one statement for the rows, and six more for the
    plans not cached yet."""

    def __init__(self, read: Reader, cache: PlanCache) -> None:
        super().__init__(load_fn=self._load)
        self._read = read
        self._cache = cache

    async def _load(self, ids: Sequence[int]) -> list[LoadedPlan | None]:
        return await domain_plans_by_ids(self._read, self._cache, ids)


__all__ = ["PlanCache"]  # Loaders is built with the database's plan cache
