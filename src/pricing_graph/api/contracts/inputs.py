"""Customer and contract mutation inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.enums import BillingAnchor, BillingInterval
from pricing_graph.api.catalog.inputs import DimensionValueInput, TierInput, TrialInput
from pricing_graph.rating.terms import AdjustmentKind, CommitmentKind

strawberry.enum(AdjustmentKind)
strawberry.enum(CommitmentKind)

IDEMPOTENCY = "Retrying with the same key and input returns the first result."


@strawberry.input
class CreateCustomerInput:
    external_id: str = strawberry.field(description="Your ID for the customer; unique.")
    name: str
    partner_owner: str | None = strawberry.field(
        default=None, description="The partner that brought the customer, if any."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="A per-customer change to one price of the plan, by price key.")
class PriceAdjustmentInput:
    price_key: str
    kind: AdjustmentKind = strawberry.field(
        description="PERCENT (-15 = 15% off), FIXED (added to each unit price), OVERRIDE "
        "(value replaces the rate, or tiers the whole tier table), QUANTITY (of a fixed "
        "charge or composite)."
    )
    value: Decimal | None = None
    tiers: list[TierInput] | None = None
    match: list[DimensionValueInput] | None = strawberry.field(
        default=None, description='Only the usage matching these dimensions: {model: "gpt-4"}.'
    )
    effective_from: date | None = None
    effective_until: date | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.input
class CreditGrantInput:
    key: str
    amount: Decimal
    pricing_unit: str | None = strawberry.field(
        default=None, description="Must be the plan's pricing unit (the default)."
    )
    effective: date | None = strawberry.field(default=None, description="Default: start.")
    expires: date | None = None
    product_keys: list[str] = strawberry.field(
        default_factory=list, description="Products it pays for; empty = all."
    )
    priority: int = strawberry.field(default=0, description="Lower burns first.")


@strawberry.input
class CommitmentInput:
    key: str
    kind: CommitmentKind = strawberry.field(
        description="PREPAID: amount invoiced up front, creditAmount granted. POSTPAID: a "
        "true-up at the end for spend short of amount."
    )
    amount: Decimal
    credit_amount: Decimal | None = None
    start: date | None = None
    end: date | None = None
    product_keys: list[str] = strawberry.field(default_factory=list)
    priority: int = 0


@strawberry.input(description="Overrides of plan settings; null keeps the plan's value.")
class ContractSettingsInput:
    net_payment_days: int | None = None
    auto_pay: bool | None = None
    trial: TrialInput | None = None
    invoice_minimum: Decimal | None = None


@strawberry.input
class CreateContractInput:
    customer_id: strawberry.ID
    plan_id: strawberry.ID = strawberry.field(description="A PUBLISHED plan version; pinned.")
    start_date: date
    end_date: date | None = strawberry.field(default=None, description="Exclusive.")
    billing_interval: BillingInterval | None = None
    billing_anchor: BillingAnchor | None = None
    settings: ContractSettingsInput | None = None
    adjustments: list[PriceAdjustmentInput] = strawberry.field(default_factory=list)
    credit_grants: list[CreditGrantInput] = strawberry.field(default_factory=list)
    commitments: list[CommitmentInput] = strawberry.field(default_factory=list)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class EndAdjustmentInput:
    adjustment_id: strawberry.ID
    effective_until: date = strawberry.field(description="First day it no longer applies.")


@strawberry.input
class ChangeSettingsInput:
    effective_from: date
    net_payment_days: int | None = None
    auto_pay: bool | None = None
    trial: TrialInput | None = None
    invoice_minimum: Decimal | None = None


@strawberry.input(description="Changes to a contract; each call is one revision.")
class AmendContractInput:
    contract_id: strawberry.ID
    expected_revision: int = strawberry.field(
        description="The revision you read; a stale one is a CONFLICT and writes nothing."
    )
    add_adjustments: list[PriceAdjustmentInput] = strawberry.field(default_factory=list)
    end_adjustments: list[EndAdjustmentInput] = strawberry.field(default_factory=list)
    grant_credits: list[CreditGrantInput] = strawberry.field(default_factory=list)
    add_commitments: list[CommitmentInput] = strawberry.field(default_factory=list)
    change_settings: ChangeSettingsInput | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class EndContractInput:
    contract_id: strawberry.ID
    end_date: date = strawberry.field(description="Exclusive: the first day not covered.")
    expected_revision: int
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class MoveContractToPlanVersionInput:
    contract_id: strawberry.ID
    plan_id: strawberry.ID = strawberry.field(
        description="A PUBLISHED version of the same plan key."
    )
    effective_from: date = strawberry.field(description="Must start a billing period.")
    expected_revision: int
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)
