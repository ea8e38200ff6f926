"""Promotion-code and plan-discount mutations: convert the input, call the service."""

from __future__ import annotations

import strawberry

from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import ERRORS, describe, describe_args
from pricing_graph.api.discounts.inputs import CreatePromotionCodeInput, SetPlanDiscountsInput
from pricing_graph.api.discounts.types import PlanDiscount, PromotionCode
from pricing_graph.api.errors import UserError, user_errors
from pricing_graph.services import promotions
from pricing_graph.services.errors import DomainError


@strawberry.type
class PromotionCodePayload:
    promotion_code: PromotionCode | None
    errors: list[UserError]


@strawberry.type
class PlanDiscountsPayload:
    plan_id: strawberry.ID | None
    discounts: list[PlanDiscount]
    errors: list[UserError]


@strawberry.type
class DiscountMutation:
    @strawberry.mutation(description="Create a promotion code (sales and admin).")
    async def create_promotion_code(
        self, info: ContextInfo, input: CreatePromotionCodeInput
    ) -> PromotionCodePayload:
        context = info.context
        given = to_domain(input, promotions.NewPromotionCode)
        try:
            row = await promotions.create_promotion_code(context.uow, context.actor, given)
        except DomainError as refused:
            return PromotionCodePayload(promotion_code=None, errors=user_errors(refused))
        return PromotionCodePayload(promotion_code=PromotionCode.from_row(row), errors=[])

    @strawberry.mutation(
        description="Set a plan version's default discounts (admin): every contract signed "
        "on it from now on gets them, unless it sets applyPlanDiscounts: false."
    )
    async def set_plan_discounts(
        self, info: ContextInfo, input: SetPlanDiscountsInput
    ) -> PlanDiscountsPayload:
        context = info.context
        given = to_domain(input, promotions.SetPlanDiscounts)
        try:
            _, rows = await promotions.set_plan_discounts(context.uow, context.actor, given)
        except DomainError as refused:
            return PlanDiscountsPayload(plan_id=None, discounts=[], errors=user_errors(refused))
        return PlanDiscountsPayload(
            plan_id=strawberry.ID(given.plan_id),
            discounts=[PlanDiscount.from_row(r) for r in rows],
            errors=[],
        )


describe(
    PromotionCodePayload,
    "The promotion code created, or why not.",
    promotion_code="The code created; null when refused.",
    errors=ERRORS,
)
describe(
    PlanDiscountsPayload,
    "A plan version's default discounts after the change, or why not.",
    plan_id="The plan version's global ID; null when refused.",
    discounts="Its default discounts now, in order.",
    errors=ERRORS,
)
describe_args(
    DiscountMutation,
    {
        "create_promotion_code": {"input": "The code and the discount it grants."},
        "set_plan_discounts": {"input": "The plan version and its default discounts."},
    },
)
