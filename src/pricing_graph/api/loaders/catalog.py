"""Catalog loaders, named `<Thing>By<Key>Loader`."""

from __future__ import annotations

from collections.abc import Sequence

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


class DomainPlanByIdLoader(DataLoader[int, LoadedPlan | None]):
    """Whole plans as rating values (six statements per batch)."""

    def __init__(self, read: Reader) -> None:
        super().__init__(load_fn=self._load)
        self._read = read

    async def _load(self, ids: Sequence[int]) -> list[LoadedPlan | None]:
        plans = await load_plans(self._read, ids)
        return [plans.get(i) for i in ids]
