"""Customer and contract mutation inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.enums import BillingAnchor, BillingInterval
from pricing_graph.api.catalog.inputs import DimensionValueInput, TierInput, TrialInput
from pricing_graph.api.describe import describe, describe_enum
from pricing_graph.api.discounts.inputs import DiscountInput, EndDiscountInput
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
    discounts: list[DiscountInput] = strawberry.field(default_factory=list)
    promotion_code: str | None = None
    apply_plan_discounts: bool = True


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
    add_discounts: list[DiscountInput] = strawberry.field(default_factory=list)
    end_discounts: list[EndDiscountInput] = strawberry.field(default_factory=list)


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


describe_enum(
    AdjustmentKind,
    "How a contract adjustment changes a price for one customer.",
    PERCENT="Percent change to the unit prices: -15 = 15% off.",
    FIXED="Amount added to each unit price: -0.001 = $0.001 off per unit.",
    OVERRIDE="`value` replaces the unit price, or `tiers` the whole tier table.",
    QUANTITY="Sets a fixed charge's or composite's quantity, e.g. 10 licences; 1 enables a "
    "composite priced at quantity 0.",
)
describe_enum(
    CommitmentKind,
    "How a customer commits to spend.",
    PREPAID="Paid up front: `amount` is invoiced on the first invoice, `creditAmount` of "
    "credits are granted.",
    POSTPAID="Paid at the end: a true-up for spend short of `amount` over the commitment.",
)
describe(
    CreateCustomerInput,
    "A new customer: a company that signs contracts.",
    name='Name on invoices, e.g. "Acme Corp".',
)
describe(
    PriceAdjustmentInput,
    price_key='Key of the plan\'s price it changes, e.g. "input_tokens".',
    value="PERCENT: percent; FIXED: amount per unit; OVERRIDE: the new unit price; "
    "QUANTITY: the quantity.",
    tiers="OVERRIDE only: a whole new tier table for the price.",
    effective_from="First day it applies; default: the contract's start.",
)
describe(
    CreditGrantInput,
    "Credits the customer can spend on usage and fees.",
    key='Names the grant on invoices, e.g. "welcome-credit".',
    amount="Credits granted, in the plan's pricing unit.",
    expires="First day it can no longer be used (exclusive); omit: never.",
)
describe(
    CommitmentInput,
    "A promise to spend an amount over the contract or a span of it.",
    key='Names the commitment on invoices, e.g. "annual-prepaid".',
    amount="Committed spend, in the plan's pricing unit, e.g. 100000.00.",
    credit_amount="PREPAID: credits granted for it (125000.00 for 100000.00 paid); default: "
    "the amount.",
    start="First day it covers; default: the contract's start.",
    end="First day it no longer covers (exclusive); default: the contract's end.",
    product_keys="Products whose charges count toward it; empty = all.",
    priority="Order its credits burn in among grants: lower first; 0 by default.",
)
_SETTINGS = {
    "net_payment_days": "Days from issue to due date (net 45 = 45).",
    "auto_pay": "Whether invoices are charged automatically.",
    "trial": "A trial replacing the plan's; days 0 removes it.",
    "invoice_minimum": "Least a period's invoice comes to; replaces the ramps' minimums.",
}
describe(ContractSettingsInput, **_SETTINGS)
describe(
    CreateContractInput,
    "A contract: a customer on a PUBLISHED plan version, from a date, with its own terms.",
    customer_id="Global ID of the customer.",
    start_date="First day covered; billing periods count from it.",
    billing_interval="Overrides the plan's billing interval.",
    billing_anchor="Overrides the plan's billing anchor.",
    settings="Overrides of the plan's payment terms, trial and minimum.",
    adjustments="Per-price discounts and overrides.",
    credit_grants="Credits granted with the contract.",
    commitments="Spend commitments (prepaid or postpaid).",
    discounts="Discounts (coupons) of its own, applied after the plan's defaults.",
    promotion_code='A promotion code, e.g. "LAUNCH20": redeemed with the contract; its '
    "discount applies last.",
    apply_plan_discounts="Whether the plan version's default discounts apply (default true).",
)
describe(
    EndAdjustmentInput,
    "Stops a contract adjustment from a date.",
    adjustment_id="Global ID of the ContractAdjustment.",
)
describe(
    ChangeSettingsInput,
    "New setting overrides from a date; null keeps the plan's value.",
    effective_from="First day they apply; must start a billing period.",
    **_SETTINGS,
)
describe(
    AmendContractInput,
    contract_id="Global ID of the contract.",
    add_adjustments="New per-price adjustments.",
    end_adjustments="Adjustments to stop.",
    grant_credits="Credits to grant.",
    add_commitments="Commitments to add.",
    change_settings="Setting overrides from a date.",
    add_discounts="Discounts to add, applied after the contract's others; each needs "
    "`starts` (it never reaches back to earlier periods).",
    end_discounts="Discounts to stop from a date.",
)
describe(
    EndContractInput,
    "Ends a contract on a date.",
    contract_id="Global ID of the contract.",
    expected_revision="The revision you read; a stale one is a CONFLICT.",
)
describe(
    MoveContractToPlanVersionInput,
    "Moves a contract to another version of its plan from a period boundary.",
    contract_id="Global ID of the contract.",
    expected_revision="The revision you read; a stale one is a CONFLICT.",
)
