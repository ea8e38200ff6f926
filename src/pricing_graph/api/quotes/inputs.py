"""Quote inputs: a plan, draft contract terms and projected usage over some periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.enums import BillingAnchor, BillingInterval
from pricing_graph.api.catalog.inputs import DimensionValueInput
from pricing_graph.api.contracts.inputs import (
    CommitmentInput,
    ContractSettingsInput,
    CreditGrantInput,
    PriceAdjustmentInput,
)
from pricing_graph.api.describe import describe
from pricing_graph.api.discounts.inputs import DiscountInput
from pricing_graph.services.quotes import MAX_PERIODS


@strawberry.input(
    description="Projected usage of one metric (and dimension group) per billing period: "
    "a constant `quantity`, optionally growing by `growthPercent` a period; or a "
    "`perPeriod` list; or, for PERCENTAGE prices, `transactionCount` transactions of "
    "`averageAmount`."
)
class ProjectedUsageInput:
    metric_key: str
    dimensions: list[DimensionValueInput] | None = None
    quantity: Decimal | None = None
    growth_percent: Decimal | None = None
    per_period: list[Decimal] | None = None
    transaction_count: int | None = None
    average_amount: Decimal | None = None


@strawberry.input(
    description="A plan change inside the quoted term (a prospect's upgrade path): the "
    "period of the change is split and prorated as changeContractPlan would."
)
class QuotePlanChangeInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan to move to: another plan or version of the same product."
    )
    effective_date: date = strawberry.field(
        description="First day on it; inside the term, after its start."
    )


@strawberry.input(description="What a deal would cost: the same terms createContract takes.")
class QuoteInput:
    plan_id: strawberry.ID
    start_date: date
    periods: int = strawberry.field(description=f"Billing periods to price, 1 to {MAX_PERIODS}.")
    usage: list[ProjectedUsageInput]
    end_date: date | None = None
    billing_interval: BillingInterval | None = None
    billing_anchor: BillingAnchor | None = None
    settings: ContractSettingsInput | None = None
    adjustments: list[PriceAdjustmentInput] = strawberry.field(default_factory=list)
    credit_grants: list[CreditGrantInput] = strawberry.field(default_factory=list)
    commitments: list[CommitmentInput] = strawberry.field(default_factory=list)
    discounts: list[DiscountInput] = strawberry.field(default_factory=list)
    promotion_code: str | None = None
    apply_plan_discounts: bool = True
    plan_change: QuotePlanChangeInput | None = strawberry.field(
        default=None,
        description="Move to another plan of the product during the term; omit for none.",
    )


describe(
    ProjectedUsageInput,
    metric_key='The metric, e.g. "input_tokens".',
    dimensions='Its dimension values, e.g. [{name: "model", value: "gpt-4"}]; omit for none.',
    quantity="Metric units every period (with growthPercent: in the first).",
    growth_percent="Growth per period on quantity: 10 = +10% a period, compounded.",
    per_period='Metric units of each period, e.g. ["20000000", "40000000"]; one per period.',
    transaction_count="PERCENTAGE prices: transactions per period.",
    average_amount="PERCENTAGE prices: the average transaction amount.",
)
describe(
    QuoteInput,
    plan_id="Global ID of the plan version to quote (drafts need a sales key).",
    start_date="First day of the deal; billing periods count from it.",
    usage="Projected usage per metric.",
    end_date="First day no longer covered (exclusive); omit for open-ended.",
    billing_interval="Overrides the plan's billing interval.",
    billing_anchor="Overrides the plan's billing anchor.",
    settings="Overrides of the plan's payment terms, trial and minimum.",
    adjustments="Per-price discounts and overrides, as a contract takes them.",
    credit_grants="Credits granted with the deal.",
    commitments="Spend commitments (prepaid or postpaid).",
    discounts="Discounts (coupons) of its own, applied after the plan's defaults.",
    promotion_code='A promotion code, e.g. "LAUNCH20": priced, not redeemed; its discount '
    "applies last.",
    apply_plan_discounts="Whether the plan version's default discounts apply (default true).",
)
