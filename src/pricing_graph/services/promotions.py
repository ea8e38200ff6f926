"""Promotion codes (created by sales and admin, sent by a checkout) and a plan version's
default discounts (an admin's introductory offers).

A code grants one discount to the contract signed with it (createContract's, or an accepted
quote's `promotionCode`); quotes price with it without redeeming it. Redemption is counted
in the contract's transaction (`services.discounts.write_granted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind
from pricing_graph.services import access, audit
from pricing_graph.services.actor import Actor
from pricing_graph.services.catalog.products import argument_id
from pricing_graph.services.discounts import (
    DiscountSpec,
    discount_value_errors,
    discounts_from_input,
    normalized_code,
    today,
)
from pricing_graph.services.errors import ErrorCode, Problem, not_found, problem, refuse_if
from pricing_graph.services.idempotency import idempotent_write
from pricing_graph.services.ids import db_id
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import date_out_of_range, text_errors
from pricing_graph.store.catalog_queries import plan_by_id
from pricing_graph.store.catalog_repo import load_plan
from pricing_graph.store.catalog_version import bump_catalog_version
from pricing_graph.store.discounts import (
    PlanDiscountRow,
    PromotionCodeRow,
    insert_promotion_code,
    plan_discounts,
    promotion_code_by_code,
    promotion_codes_page,
    replace_plan_discounts,
)

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,49}")


@dataclass(frozen=True, slots=True)
class NewPromotionCode:
    """A code and the discount it grants (GraphQL `CreatePromotionCodeInput`)."""

    code: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration = DiscountDuration.ONCE
    periods: int | None = None
    price_keys: tuple[str, ...] = ()
    description: str | None = None
    max_redemptions: int | None = None
    expires_on: date | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SetPlanDiscounts:
    """A plan version's default discounts, replacing the ones it had."""

    plan_id: str
    discounts: tuple[DiscountSpec, ...] = ()


def _code_problems(given: NewPromotionCode) -> list[Problem]:
    errors: list[Problem] = []
    code = normalized_code(given.code)
    if not CODE_PATTERN.fullmatch(code):
        errors.append(
            problem(
                ("code",),
                ErrorCode.INVALID_VALUE,
                f"{given.code!r} is not a code: use 1-50 letters, digits, '-' or '_' "
                "(matched without regard to case)",
            )
        )
    spec = DiscountSpec(
        key=code,
        kind=given.kind,
        value=given.value,
        duration=given.duration,
        periods=given.periods,
        price_keys=given.price_keys,
    )
    errors += discount_value_errors(spec, ())
    if given.description is not None:
        errors += text_errors(("description",), given.description, required=False)
    if len(given.price_keys) > 100:
        errors.append(problem(("price_keys",), ErrorCode.INVALID_VALUE, "at most 100"))
    if given.max_redemptions is not None and given.max_redemptions < 1:
        errors.append(
            problem(
                ("max_redemptions",),
                ErrorCode.NOT_POSITIVE,
                f"must be at least 1, got {given.max_redemptions}",
            )
        )
    if given.expires_on is not None:
        outside = date_out_of_range(given.expires_on)
        if outside is None and given.expires_on <= today():
            outside = f"{given.expires_on} is not after today ({today()})"
        if outside is not None:
            errors.append(problem(("expires_on",), ErrorCode.INVALID_DATES, outside))
    return errors


async def create_promotion_code(
    uow: UnitOfWork, actor: Actor, given: NewPromotionCode
) -> PromotionCodeRow:
    """Create a promotion code (stored upper-case); a code already taken is DUPLICATE_KEY."""
    access.authorize(actor, "createPromotionCode")
    taken = problem(("code",), ErrorCode.DUPLICATE_KEY, f"code {given.code!r} is already used")

    async def work(session: AsyncSession) -> int:
        refuse_if(_code_problems(given))
        code = normalized_code(given.code)
        discount = _discount(given, code)
        row = await insert_promotion_code(
            session, code, discount, given.max_redemptions, given.expires_on
        )
        assert row.id is not None
        await bump_catalog_version(session)  # the public cache may keep "no such code"
        audit.record(
            session,
            actor,
            "createPromotionCode",
            object_type="PromotionCode",
            object_id=row.id,
            given=given,
        )
        return row.id

    await idempotent_write(
        uow, "createPromotionCode", given, work, conflict=taken, caller=actor.caller_id
    )
    row = await promotion_code_by_code(uow.read, normalized_code(given.code))
    assert row is not None
    return row


def _discount(given: NewPromotionCode, code: str) -> Discount:
    """The discount a code grants; its key on a contract is the code."""
    return Discount(
        key=code,
        kind=DiscountKind(given.kind),
        value=given.value,
        duration=DiscountDuration(given.duration),
        periods=given.periods,
        price_keys=tuple(given.price_keys),
        description=given.description or "",
    )


async def promotion_codes(
    uow: UnitOfWork, actor: Actor, offset: int, limit: int
) -> tuple[list[PromotionCodeRow], int]:
    """A page of promotion codes by code, and how many there are."""
    access.authorize(actor, "promotionCodes")
    return await promotion_codes_page(uow.read, offset, limit)


async def set_plan_discounts(
    uow: UnitOfWork, actor: Actor, given: SetPlanDiscounts
) -> tuple[int, list[PlanDiscountRow]]:
    """Make `given.discounts` the plan version's defaults: every contract signed on it from
    now on gets them (unless it opts out); contracts already signed keep theirs."""
    access.authorize(actor, "setPlanDiscounts")

    async def work(session: AsyncSession) -> int:
        plan_id = db_id(("plan_id",), given.plan_id, "Plan")
        loaded = await load_plan(session, plan_id)
        if loaded is None:
            raise not_found(("plan_id",), "plan", given.plan_id)
        errors: list[Problem] = []
        discounts = discounts_from_input(
            given.discounts, ("discounts",), loaded[1], errors, dated=False
        )
        refuse_if(errors)
        await replace_plan_discounts(session, plan_id, discounts)
        await bump_catalog_version(session)  # public quotes of the plan change
        audit.record(
            session, actor, "setPlanDiscounts", object_type="Plan", object_id=plan_id, given=given
        )
        return plan_id

    plan_id = await uow.run(work)
    return plan_id, await plan_discounts(uow.read, plan_id)


async def plan_default_discounts(
    uow: UnitOfWork, actor: Actor, global_id: str
) -> list[PlanDiscountRow] | None:
    """A plan version's default discounts, in order (None: no such plan for this caller;
    the public sees those of PUBLISHED PUBLIC plans, as it sees the plans)."""
    rule = access.authorize(actor, "planDiscounts")
    plan_id = argument_id("planId", global_id, "Plan")
    row = await plan_by_id(uow.read, plan_id)
    if row is None:
        return None
    if rule is access.PUBLIC and (row.status != "PUBLISHED" or row.visibility != "PUBLIC"):
        return None
    return await plan_discounts(uow.read, plan_id)


__all__ = [
    "NewPromotionCode",
    "SetPlanDiscounts",
    "create_promotion_code",
    "plan_default_discounts",
    "promotion_codes",
    "set_plan_discounts",
]
