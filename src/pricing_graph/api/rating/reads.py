"""The rating services' reads (`services.billing.RatingReads`) over this request's
DataLoaders: concurrent resolvers (a page of contracts, each with its invoice preview)
share one batch per relation."""

from __future__ import annotations

from collections.abc import Sequence

from pricing_graph.api.context import Context
from pricing_graph.rating.usage import UsageSnapshot
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow, UsageLimitRow
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.contracts_repo import ContractRecord
from pricing_graph.store.usage_repo import UsageRequest


class LoaderReads:
    """Reads `context.loaders` at each call: the loaders start afresh after a write."""

    def __init__(self, context: Context) -> None:
        self._context = context

    async def contract(self, contract_id: int) -> ContractRecord | None:
        return await self._context.loaders.contract_record_by_id.load(contract_id)

    async def customer(self, customer_id: int) -> CustomerRow | None:
        return await self._context.loaders.customer_by_id.load(customer_id)

    async def plans(self, plan_ids: Sequence[int]) -> Sequence[LoadedPlan | None]:
        return await self._context.loaders.domain_plan_by_id.load_many(plan_ids)

    async def usage(self, request: UsageRequest) -> list[UsageSnapshot]:
        return await self._context.loaders.usage_by_request.load(request)

    async def usage_limits(self, plan_id: int) -> Sequence[UsageLimitRow]:
        return await self._context.loaders.usage_limits_by_plan_id.load(plan_id)

    async def metrics(self, metric_ids: Sequence[int]) -> Sequence[MetricRow | None]:
        return await self._context.loaders.metric_by_id.load_many(metric_ids)

    async def product(self, product_id: int) -> ProductRow | None:
        return await self._context.loaders.product_by_id.load(product_id)

    async def product_plans(self, product_id: int) -> Sequence[PlanRow]:
        return await self._context.loaders.plans_by_product_id.load(product_id)
