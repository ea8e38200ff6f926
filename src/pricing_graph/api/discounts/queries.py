"""Promotion-code reads (sales and admin)."""

from __future__ import annotations

import strawberry

from pricing_graph.api.catalog.queries import served
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.describe import PAGE_ARGS, describe, describe_args
from pricing_graph.api.discounts.types import PromotionCode
from pricing_graph.api.pagination import Connection, build_connection, page_window
from pricing_graph.services import promotions


@strawberry.type
class DiscountQuery:
    @strawberry.field
    async def promotion_codes(
        self, info: ContextInfo, first: int | None = None, after: str | None = None
    ) -> Connection[PromotionCode]:
        context = info.context
        offset, limit = page_window(first, after)
        rows, total = await served(
            promotions.promotion_codes(context.uow, context.actor, offset, limit)
        )
        return build_connection(rows, offset, total, PromotionCode.from_row)


describe(DiscountQuery, promotion_codes="Promotion codes by code, with their redemptions.")
describe_args(DiscountQuery, {"promotion_codes": PAGE_ARGS})
