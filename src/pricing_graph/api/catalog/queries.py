"""Catalog queries: paged lists, lookups by key or ID, and Relay `node`."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import func
from sqlmodel import col, select

from pricing_graph.api.catalog.enums import PlanStatus, PlanVisibility
from pricing_graph.api.catalog.types import (
    ContextInfo,
    Metric,
    Plan,
    Product,
)
from pricing_graph.api.errors import ErrorCode, PublicError
from pricing_graph.api.ids import InvalidGlobalId, decode_id
from pricing_graph.api.pagination import Connection, build_connection, page_window
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow


def argument_id(global_id: str, expected: str | None, argument: str = "id") -> tuple[str, int]:
    try:
        return decode_id(global_id, expected)
    except InvalidGlobalId as exc:
        raise PublicError(ErrorCode.INVALID_ID, argument, str(exc)) from None


async def page_of(
    info: ContextInfo,
    statement: Any,
    first: int | None,
    after: str | None,
    to_node: Any,
) -> Connection[Any]:
    offset, limit = page_window(first, after)
    read = info.context.read
    total = (await read(select(func.count()).select_from(statement.subquery())))[0]
    rows = await read(statement.offset(offset).limit(limit))
    return build_connection(rows, offset, total, to_node)


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Products by key; archived ones only when asked.")
    async def products(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Connection[Product]:
        statement = select(ProductRow).order_by(col(ProductRow.key))
        if not include_archived:
            statement = statement.where(col(ProductRow.archived).is_(False))
        return await page_of(info, statement, first, after, Product.from_row)

    @strawberry.field(description="One product by global ID or by key.")
    async def product(
        self, info: ContextInfo, id: strawberry.ID | None = None, key: str | None = None
    ) -> Product | None:
        if id is not None:
            row = await info.context.loaders.product_by_id.load(argument_id(id, "Product")[1])
        else:
            rows = await info.context.read(select(ProductRow).where(ProductRow.key == key))
            row = rows[0] if rows else None
        return Product.from_row(row) if row else None

    @strawberry.field
    async def metrics(
        self, info: ContextInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Metric]:
        statement = select(MetricRow).order_by(col(MetricRow.key))
        return await page_of(info, statement, first, after, Metric.from_row)

    @strawberry.field
    async def metric(self, info: ContextInfo, key: str) -> Metric | None:
        rows = await info.context.read(select(MetricRow).where(MetricRow.key == key))
        return Metric.from_row(rows[0]) if rows else None

    @strawberry.field(description="Plans across products, filtered; tier rank order.")
    async def plans(
        self,
        info: ContextInfo,
        first: int | None = None,
        after: str | None = None,
        product_id: strawberry.ID | None = None,
        key: str | None = None,
        status: PlanStatus | None = None,
        visibility: PlanVisibility | None = None,
    ) -> Connection[Plan]:
        statement = select(PlanRow).order_by(
            col(PlanRow.product_id), col(PlanRow.tier_rank), col(PlanRow.key), col(PlanRow.version)
        )
        if product_id is not None:
            db_id = argument_id(product_id, "Product", "productId")[1]
            statement = statement.where(PlanRow.product_id == db_id)
        if key is not None:
            statement = statement.where(PlanRow.key == key)
        if status is not None:
            statement = statement.where(PlanRow.status == status.value)
        if visibility is not None:
            statement = statement.where(PlanRow.visibility == visibility.value)
        return await page_of(info, statement, first, after, Plan.from_row)

    @strawberry.field(
        description="One plan by global ID, or by key and version (the latest published "
        "version when version is omitted)."
    )
    async def plan(
        self,
        info: ContextInfo,
        id: strawberry.ID | None = None,
        key: str | None = None,
        version: int | None = None,
    ) -> Plan | None:
        if id is not None:
            row = await info.context.loaders.plan_by_id.load(argument_id(id, "Plan")[1])
            return Plan.from_row(row) if row else None
        statement = select(PlanRow).where(PlanRow.key == key)
        if version is not None:
            statement = statement.where(PlanRow.version == version)
        else:
            statement = statement.where(PlanRow.status == "PUBLISHED")
        rows = await info.context.read(statement.order_by(col(PlanRow.version).desc()).limit(1))
        return Plan.from_row(rows[0]) if rows else None
