"""Promotion-code reads (sales and admin)."""

from __future__ import annotations

import strawberry

from pricing_graph.api.catalog.queries import served
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.describe import PAGE_ARGS, describe, describe_args
from pricing_graph.api.discounts.types import PlanDiscount, PromotionCode
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

    @strawberry.field(
        description="A plan version's default discounts (introductory offers), in the order "
        "they apply; null when there is no such plan (for this caller). Every contract "
        "signed on the version gets them unless it sets applyPlanDiscounts: false."
    )
    async def plan_discounts(
        self, info: ContextInfo, plan_id: strawberry.ID
    ) -> list[PlanDiscount] | None:
        context = info.context
        rows = await served(promotions.plan_default_discounts(context.uow, context.actor, plan_id))
        return None if rows is None else [PlanDiscount.from_row(r) for r in rows]


describe(DiscountQuery, promotion_codes="Promotion codes by code, with their redemptions.")
describe_args(
    DiscountQuery,
    {"promotion_codes": PAGE_ARGS, "plan_discounts": {"plan_id": "The plan version's global ID."}},
)
