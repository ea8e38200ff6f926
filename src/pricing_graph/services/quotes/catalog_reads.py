"""A quote's and a plan comparison's catalog reads, served per catalog version.

`quote` reads its plan's row (status, visibility) and default discounts, `comparePlans` the
product and its plans: rows that can change, so they were read on every request, opening
the request's session for them. `SnapshotReads` keeps them in the database's catalog
snapshot (store/catalog_snapshot.py) under the catalog version the request read (one
statement on the lean version engine); a catalog write bumps the version, so the next
request reads them again. On a miss they are read straight from the store, after the
version was read (never from a loader that may have read them earlier in the request), so
nothing kept is older than the version it is kept under. Everything else is `reads`'.
"""

from __future__ import annotations

from collections.abc import Sequence

from pricing_graph.rating import UsageSnapshot
from pricing_graph.rating.discounts import Discount
from pricing_graph.services.billing import RatingReads
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.store.batch import children_by_parent_ids, rows_by_ids
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow, UsageLimitRow
from pricing_graph.store.catalog_queries import domain_plans_of_rows
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.contracts import CustomerRow
from pricing_graph.store.contracts_repo import ContractRecord
from pricing_graph.store.discounts import plan_discounts, to_discount
from pricing_graph.store.usage_repo import UsageRequest

PLANS_ORDER = ("tier_rank", "key", "version")


class SnapshotReads:
    """`reads`, with the plan rows, plan discounts, products and product plans per catalog
    version."""

    def __init__(self, uow: UnitOfWork, reads: RatingReads) -> None:
        self._uow = uow
        self._reads = reads
        self._snapshot = uow.database.catalog

    async def plans(self, plan_ids: Sequence[int]) -> Sequence[LoadedPlan | None]:
        version = await self._uow.catalog_version()
        if version is None:
            return await self._reads.plans(plan_ids)
        rows: list[PlanRow | None] = [self._snapshot.get(version, ("plan", i)) for i in plan_ids]
        if any(row is None for row in rows):
            rows = await rows_by_ids(self._uow.read, PlanRow, plan_ids)
            for row in rows:
                if row is not None:
                    self._snapshot.keep(version, ("plan", row.id), row)
        return await domain_plans_of_rows(self._uow.read, self._uow.database.plans, plan_ids, rows)

    async def plan_discounts(self, plan_id: int) -> tuple[Discount, ...]:
        """The plan version's default discounts, in order."""
        version = await self._uow.catalog_version()
        key = ("plan_discounts", plan_id)
        kept: tuple[Discount, ...] | None = (
            None if version is None else self._snapshot.get(version, key)
        )
        if kept is None:
            rows = await plan_discounts(self._uow.read, plan_id)
            kept = tuple(to_discount(row, row.key) for row in rows)
            if version is not None:
                self._snapshot.keep(version, key, kept)
        return kept

    async def product(self, product_id: int) -> ProductRow | None:
        version = await self._uow.catalog_version()
        if version is None:
            return await self._reads.product(product_id)
        found: ProductRow | None = self._snapshot.get(version, ("product", product_id))
        if found is None:
            found = (await rows_by_ids(self._uow.read, ProductRow, [product_id]))[0]
            if found is not None:
                self._snapshot.keep(version, ("product", product_id), found)
        return found

    async def product_plans(self, product_id: int) -> Sequence[PlanRow]:
        version = await self._uow.catalog_version()
        if version is None:
            return await self._reads.product_plans(product_id)
        kept: tuple[PlanRow, ...] | None = self._snapshot.get(
            version, ("product_plans", product_id)
        )
        if kept is None:
            [rows] = await children_by_parent_ids(
                self._uow.read, PlanRow, "product_id", PLANS_ORDER, [product_id]
            )
            kept = tuple(rows)
            self._snapshot.keep(version, ("product_plans", product_id), kept)
            for row in kept:
                self._snapshot.keep(version, ("plan", row.id), row)
        return kept

    # -- the rest: as `reads` has them ---------------------------------------------------

    async def contract(self, contract_id: int) -> ContractRecord | None:
        return await self._reads.contract(contract_id)

    async def customer(self, customer_id: int) -> CustomerRow | None:
        return await self._reads.customer(customer_id)

    async def usage(self, request: UsageRequest) -> list[UsageSnapshot]:
        return await self._reads.usage(request)

    async def usage_limits(self, plan_id: int) -> Sequence[UsageLimitRow]:
        return await self._reads.usage_limits(plan_id)

    async def metrics(self, metric_ids: Sequence[int]) -> Sequence[MetricRow | None]:
        return await self._reads.metrics(metric_ids)
