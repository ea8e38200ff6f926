"""Discount and promotion-code object types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from pricing_graph.api.describe import describe
from pricing_graph.rating.discounts import DiscountDuration, DiscountKind
from pricing_graph.store.discounts import ContractDiscountRow, PlanDiscountRow, PromotionCodeRow


@strawberry.type(description="A discount of a contract, as its invoices apply it.")
class ContractDiscount:
    key: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration
    periods: int | None
    price_keys: list[str]
    starts: date | None
    expires: date | None
    description: str
    source: str

    @classmethod
    def from_row(cls, row: ContractDiscountRow) -> ContractDiscount:
        return cls(
            key=row.key,
            kind=DiscountKind(row.kind),
            value=row.value,
            duration=DiscountDuration(row.duration),
            periods=row.periods,
            price_keys=list(row.price_keys),
            starts=row.starts,
            expires=row.expires,
            description=row.description,
            source=row.source,
        )


@strawberry.type(description="A default discount of a plan version (an introductory offer).")
class PlanDiscount:
    key: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration
    periods: int | None
    price_keys: list[str]
    description: str

    @classmethod
    def from_row(cls, row: PlanDiscountRow) -> PlanDiscount:
        return cls(
            key=row.key,
            kind=DiscountKind(row.kind),
            value=row.value,
            duration=DiscountDuration(row.duration),
            periods=row.periods,
            price_keys=list(row.price_keys),
            description=row.description,
        )


@strawberry.type(description="A code a checkout sends for a discount.")
class PromotionCode:
    code: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration
    periods: int | None
    price_keys: list[str]
    description: str
    max_redemptions: int | None
    times_redeemed: int
    expires_on: date | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: PromotionCodeRow) -> PromotionCode:
        return cls(
            code=row.code,
            kind=DiscountKind(row.kind),
            value=row.value,
            duration=DiscountDuration(row.duration),
            periods=row.periods,
            price_keys=list(row.price_keys),
            description=row.description,
            max_redemptions=row.max_redemptions,
            times_redeemed=row.times_redeemed,
            expires_on=row.expires_on,
            created_at=row.created_at,
        )


_DISCOUNT = {
    "kind": "PERCENT or AMOUNT.",
    "value": "PERCENT: percent off; AMOUNT: amount off per invoice, in the pricing unit.",
    "duration": "ONCE, PERIODS or FOREVER.",
    "periods": "PERIODS: how many billing periods; null otherwise.",
    "price_keys": "The prices it applies to; empty = the whole invoice.",
    "description": "Text of its invoice line; empty = generated from the key.",
}
describe(
    ContractDiscount,
    key="Names the discount on invoices (a promotion code's discount is keyed by the code).",
    starts="First day; null = the contract's start.",
    expires="First day it no longer applies; null = never.",
    source="Where it came from: CONTRACT (its input or an amendment), PLAN (a default of "
    "the plan version) or PROMOTION_CODE.",
    **_DISCOUNT,
)
describe(PlanDiscount, key="Names the discount on contracts and invoices.", **_DISCOUNT)
describe(
    PromotionCode,
    code='The code, upper-case, e.g. "LAUNCH20".',
    max_redemptions="How many contracts may use it; null = no limit.",
    times_redeemed="Contracts signed with it so far.",
    expires_on="First day it can no longer be used; null = never.",
    created_at="When it was created (UTC).",
    **_DISCOUNT,
)
