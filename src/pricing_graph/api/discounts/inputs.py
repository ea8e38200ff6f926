"""Discount and promotion-code inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.describe import describe, describe_enum
from pricing_graph.rating.discounts import DiscountDuration, DiscountKind

strawberry.enum(DiscountKind)
strawberry.enum(DiscountDuration)

IDEMPOTENCY = "Retrying with the same key and input returns the first result."


@strawberry.input(
    description="A discount (coupon): PERCENT or AMOUNT off the whole invoice or listed "
    "prices, for ONCE, PERIODS or FOREVER; applied after minimums and before credits."
)
class DiscountInput:
    key: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration = DiscountDuration.FOREVER
    periods: int | None = None
    price_keys: list[str] = strawberry.field(default_factory=list)
    starts: date | None = None
    expires: date | None = None
    description: str | None = None


@strawberry.input(description="Stops one of a contract's discounts from a date.")
class EndDiscountInput:
    key: str
    expires: date


@strawberry.input(description="A promotion code a checkout can send, and the discount it grants.")
class CreatePromotionCodeInput:
    code: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration = DiscountDuration.ONCE
    periods: int | None = None
    price_keys: list[str] = strawberry.field(default_factory=list)
    description: str | None = None
    max_redemptions: int | None = None
    expires_on: date | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="A plan version's default discounts (introductory offers).")
class SetPlanDiscountsInput:
    plan_id: strawberry.ID
    discounts: list[DiscountInput]


describe_enum(
    DiscountKind,
    "What a discount takes off.",
    PERCENT="`value` percent of its base: 20 = 20% off.",
    AMOUNT="`value` in the plan's pricing unit, at most its base.",
)
describe_enum(
    DiscountDuration,
    "How long a discount lasts, in billing periods from its start.",
    ONCE="One invoice (an AMOUNT's unused rest carries to later invoices until used).",
    PERIODS="`periods` consecutive billing periods.",
    FOREVER="Every billing period until it expires.",
)
_DISCOUNT = {
    "kind": "PERCENT or AMOUNT.",
    "value": "PERCENT: percent off (0 to 100); AMOUNT: amount off per invoice.",
    "duration": "ONCE, PERIODS or FOREVER (the default for DiscountInput).",
    "periods": "PERIODS only: how many billing periods, 1 to 1200.",
    "price_keys": "Only these prices' lines (and their minimums); empty = the whole invoice.",
    "description": 'Text of its invoice line, e.g. "Launch offer"; default: from the key.',
}
describe(
    DiscountInput,
    key='Names the discount on the contract and its invoices, e.g. "intro-20".',
    starts="First day: it applies from the first period starting on or after it; "
    "default: the contract's start.",
    expires="First day it no longer applies (periods starting on or after it get none).",
    **_DISCOUNT,
)
describe(
    EndDiscountInput,
    key="Key of the contract's discount (a promotion code's is the code).",
    expires="First day it no longer applies: periods starting on or after it get none.",
)
describe(
    CreatePromotionCodeInput,
    code='The code customers type, e.g. "LAUNCH20": 1-50 letters, digits, "-" or "_", '
    "matched without regard to case.",
    max_redemptions="How many contracts may use it; null = no limit.",
    expires_on="First day it can no longer be used; null = never.",
    **{**_DISCOUNT, "duration": "ONCE (the default), PERIODS or FOREVER."},
)
describe(
    SetPlanDiscountsInput,
    plan_id="Global ID of the plan version.",
    discounts="Its default discounts, in the order they apply; they replace the ones it "
    "had. Durations count from each contract's start; no dates.",
)
