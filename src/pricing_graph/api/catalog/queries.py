"""Catalog queries: paged lists and lookups by key or ID.

Each calls its service, which checks the access policy; a refusal (FORBIDDEN, a malformed
ID) becomes the field's error (`served`): the field is null, never data. For anonymous and
partner callers the plan reads see the public price book only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import strawberry

from pricing_graph.api.catalog.enums import PlanStatus, PlanVisibility
from pricing_graph.api.catalog.types import (
    ContextInfo,
    Metric,
    Plan,
    Product,
)
from pricing_graph.api.describe import PAGE_ARGS, describe, describe_args
from pricing_graph.api.errors import ErrorCode, PublicError
from pricing_graph.api.ids import InvalidGlobalId, decode_id
from pricing_graph.api.pagination import Connection, build_connection, page_window
from pricing_graph.api.selection import selects
from pricing_graph.services import catalog
from pricing_graph.services.errors import DomainError

RowT = TypeVar("RowT")
NodeT = TypeVar("NodeT")
T = TypeVar("T")


async def served(call: Awaitable[T]) -> T:
    """A service read's value, or its refusal as this field's error."""
    try:
        return await call
    except DomainError as refused:
        raise PublicError.of(refused) from None


def argument_id(global_id: str, expected: str | None, argument: str = "id") -> tuple[str, int]:
    try:
        return decode_id(global_id, expected)
    except InvalidGlobalId as exc:
        raise PublicError(ErrorCode.INVALID_ID, argument, str(exc)) from None


async def connection(
    first: int | None,
    after: str | None,
    fetch: Callable[[int, int], Awaitable[tuple[Sequence[RowT], int]]],
    to_node: Callable[[RowT], NodeT],
) -> Connection[NodeT]:
    """The page `first`/`after` asks for: `fetch(offset, limit)` returns its rows and the
    count of all of them."""
    offset, limit = page_window(first, after)
    rows, total = await served(fetch(offset, limit))
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
        ctx = info.context
        return await connection(
            first,
            after,
            lambda offset, limit: catalog.products_page(
                ctx.uow, ctx.actor, offset, limit, include_archived=include_archived
            ),
            Product.from_row,
        )

    @strawberry.field(description="One product by global ID or by key.")
    async def product(
        self, info: ContextInfo, id: strawberry.ID | None = None, key: str | None = None
    ) -> Product | None:
        ctx = info.context
        if id is not None:
            load = ctx.loaders.product_by_id.load
            row = await served(catalog.product_by_id(ctx.uow, ctx.actor, id, load))
        elif key is not None and selects(info, "plans"):
            # The pricing page's shape: the product and its plans in one statement.
            row, plans = await served(catalog.product_and_plans_by_key(ctx.uow, ctx.actor, key))
            if row is not None:
                assert row.id is not None
                ctx.loaders.plans_by_product_id.read_with_parent(row.id, plans)
        else:
            row = await served(catalog.product_by_key(ctx.uow, ctx.actor, key))
        return Product.from_row(row) if row else None

    @strawberry.field
    async def metrics(
        self, info: ContextInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Metric]:
        ctx = info.context
        return await connection(
            first,
            after,
            lambda offset, limit: catalog.metrics_page(ctx.uow, ctx.actor, offset, limit),
            Metric.from_row,
        )

    @strawberry.field
    async def metric(self, info: ContextInfo, key: str) -> Metric | None:
        ctx = info.context
        row = await served(catalog.metric_by_key(ctx.uow, ctx.actor, key))
        return Metric.from_row(row) if row else None

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
        ctx = info.context
        only = catalog.PlanFilter(
            product_id=None
            if product_id is None
            else argument_id(product_id, "Product", "productId")[1],
            key=key,
            status=status,
            visibility=visibility,
        )
        return await connection(
            first,
            after,
            lambda offset, limit: catalog.plans_page(ctx.uow, ctx.actor, offset, limit, only),
            Plan.from_row,
        )

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
        ctx = info.context
        if id is not None:
            load = ctx.loaders.plan_by_id.load
            row = await served(catalog.plan_by_id(ctx.uow, ctx.actor, id, load))
        else:
            row = await served(catalog.plan_by_key(ctx.uow, ctx.actor, key, version))
        return Plan.from_row(row) if row else None


describe(
    CatalogQuery,
    metrics="Billable metrics, by key.",
    metric="One billable metric by key; null when there is none.",
)
describe_args(
    CatalogQuery,
    {
        "products": {
            **PAGE_ARGS,
            "include_archived": "Also archived products; false by default.",
        },
        "product": {
            "id": "The product's global ID (give id or key).",
            "key": 'The product\'s key, e.g. "llm-platform".',
        },
        "metrics": PAGE_ARGS,
        "metric": {"key": 'The metric\'s key, e.g. "input_tokens".'},
        "plans": {
            **PAGE_ARGS,
            "product_id": "Only plans of this product (global ID).",
            "key": "Only versions of the plan with this key.",
            "status": "Only plans with this status.",
            "visibility": "Only PUBLIC or only PRIVATE plans.",
        },
        "plan": {
            "id": "The plan's global ID (give id, or key and optionally version).",
            "key": 'The plan\'s key, e.g. "llm-pro".',
            "version": "Version number; omitted: the latest PUBLISHED version.",
        },
    },
)
