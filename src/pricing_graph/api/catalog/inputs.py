"""Catalog mutation inputs. A plan arrives whole: plan -> ramps -> prices -> rates -> tiers."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from pricing_graph.api.catalog.enums import (
    Aggregation,
    BillingAnchor,
    BillingInterval,
    ChargeTiming,
    CompositeKind,
    ConversionRounding,
    FixedCadence,
    LimitEnforcement,
    PackageRounding,
    PlanVisibility,
    PricingModel,
    RateLimitWindow,
    RoundingMode,
)
from pricing_graph.api.describe import describe
from pricing_graph.rating import models

ZERO = Decimal(0)
ONE = Decimal(1)


@strawberry.input
class CreateProductInput:
    key: str = strawberry.field(description="Unique slug: lowercase letters, digits, - and _.")
    name: str
    description: str = ""


@strawberry.input
class UpdateProductInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None


@strawberry.input
class IdInput:
    id: strawberry.ID


@strawberry.input
class CreateMetricInput:
    key: str
    name: str
    unit_label: str = strawberry.field(description='Shown after quantities: "tokens", "GB".')
    aggregation: Aggregation = models.Aggregation.SUM
    event_property: str | None = strawberry.field(
        default=None, description="The event property whose value is aggregated (not COUNT)."
    )
    dimensions: list[str] = strawberry.field(
        default_factory=list, description='Properties usage can be grouped by: "model".'
    )


@strawberry.input(description="ISO 4217 code, or a custom unit with decimals and overage rate.")
class PricingUnitInput:
    code: str
    decimals: int | None = strawberry.field(
        default=None, description="Custom units only; currencies use their ISO minor units."
    )
    invoice_currency: str | None = None
    overage_rate: Decimal | None = None


@strawberry.input
class TrialInput:
    days: int
    spending_cap: Decimal | None = None


@strawberry.input
class TierInput:
    from_: Decimal | None = strawberry.field(
        default=None,
        name="from",
        description="Optional exclusive lower bound (Lago-style ranges); must equal the "
        "previous tier's upTo, or 0 for the first.",
    )
    up_to: Decimal | None = strawberry.field(default=None, description="Null on the last tier.")
    unit_price: Decimal = ZERO
    flat_fee: Decimal = ZERO


@strawberry.input
class RateInput:
    model: PricingModel
    unit_price: Decimal | None = None
    tiers: list[TierInput] | None = None
    package_size: Decimal | None = None
    package_price: Decimal | None = None
    package_rounding: PackageRounding = models.PackageRounding.UP
    rate_percent: Decimal | None = None
    fixed_fee_per_event: Decimal = ZERO
    min_per_event: Decimal | None = None
    max_per_event: Decimal | None = None
    free_amount: Decimal = ZERO
    markup_percent: Decimal = ZERO
    free_events: int = 0


@strawberry.input
class DimensionValueInput:
    name: str
    value: str


@strawberry.input
class DimensionRateInput:
    match: list[DimensionValueInput]
    rate: RateInput


@strawberry.input
class UsagePriceInput:
    metric_key: str
    rate: RateInput | None = strawberry.field(
        default=None, description="The default rate, for usage no dimension rate matches."
    )
    dimension_rates: list[DimensionRateInput] = strawberry.field(default_factory=list)
    conversion_factor: Decimal = strawberry.field(
        default=ONE, description="Metric units per priced unit: 1000 prices tokens per 1K."
    )
    conversion_rounding: ConversionRounding = models.ConversionRounding.NONE
    free_units: Decimal = strawberry.field(default=ZERO, description="Priced units, per period.")


@strawberry.input
class FixedPriceInput:
    amount: Decimal
    quantity: Decimal = ONE
    cadence: FixedCadence = models.FixedCadence.RECURRING
    every_periods: int = 1
    timing: ChargeTiming = models.ChargeTiming.IN_ARREARS
    prorate: bool = True
    is_discount: bool = False


@strawberry.input
class CompositePriceInput:
    kind: CompositeKind
    value: Decimal
    price_keys: list[str]
    quantity: Decimal = ONE


@strawberry.input(description="Exactly one of usage, fixed or composite.")
class PriceInput:
    key: str = strawberry.field(description="Same key in every ramp for the same charge.")
    name: str
    invoice_display_name: str | None = None
    usage: UsagePriceInput | None = None
    fixed: FixedPriceInput | None = None
    composite: CompositePriceInput | None = None


@strawberry.input
class RampInput:
    duration_periods: int | None = strawberry.field(
        default=None, description="Billing periods this ramp lasts; null on the last ramp."
    )
    invoice_minimum: Decimal | None = None
    prices: list[PriceInput] = strawberry.field(default_factory=list)


@strawberry.input(description="A boolean feature a plan entitles its contracts to.")
class FeatureEntitlementInput:
    key: str = strawberry.field(
        description='What checkEntitlement asks about, e.g. "sso" (lowercase key).'
    )
    display_name: str = strawberry.field(
        description='What the pricing page shows, e.g. "Single sign-on".'
    )


@strawberry.input
class UsageLimitInput:
    metric_key: str
    limit: Decimal | None = None
    enforcement: LimitEnforcement = LimitEnforcement.HARD
    rate_limit: int | None = None
    rate_limit_window: RateLimitWindow | None = None


@strawberry.input
class CreatePlanInput:
    product_id: strawberry.ID
    key: str
    name: str
    ramps: list[RampInput]
    pricing_unit: PricingUnitInput
    invoice_display_name: str | None = None
    description: str = ""
    visibility: PlanVisibility = PlanVisibility.PUBLIC
    tier_rank: int = 0
    billing_interval: BillingInterval = models.BillingInterval.MONTHLY
    billing_anchor: BillingAnchor = models.BillingAnchor.CONTRACT_START
    rounding_mode: RoundingMode = models.RoundingMode.HALF_UP
    trial: TrialInput | None = None
    net_payment_days: int = 30
    features: list[str] = strawberry.field(default_factory=list)
    usage_limits: list[UsageLimitInput] = strawberry.field(default_factory=list)
    feature_entitlements: list[FeatureEntitlementInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Drafts only. Omitted fields stay; given lists replace whole.")
class UpdatePlanInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    invoice_display_name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    visibility: PlanVisibility | None = strawberry.UNSET
    tier_rank: int | None = strawberry.UNSET
    billing_interval: BillingInterval | None = strawberry.UNSET
    billing_anchor: BillingAnchor | None = strawberry.UNSET
    pricing_unit: PricingUnitInput | None = strawberry.UNSET
    rounding_mode: RoundingMode | None = strawberry.UNSET
    trial: TrialInput | None = strawberry.UNSET
    net_payment_days: int | None = strawberry.UNSET
    features: list[str] | None = strawberry.UNSET
    usage_limits: list[UsageLimitInput] | None = strawberry.UNSET
    ramps: list[RampInput] | None = strawberry.UNSET
    feature_entitlements: list[FeatureEntitlementInput] | None = strawberry.UNSET


describe(
    CreateProductInput,
    "A new product: something you sell.",
    name='Name shown to customers, e.g. "Neural Language Engine".',
    description="Marketing text for the pricing page.",
)
describe(
    UpdateProductInput,
    "Changes to a product; omitted fields stay as they are.",
    id="The product's global ID.",
    name="New name.",
    description="New description.",
)
describe(IdInput, "The object to act on.", id="Its global ID.")
describe(
    CreateMetricInput,
    "A new billable metric (meter).",
    key='Unique slug usage events name, e.g. "input_tokens".',
    name='Name on invoices, e.g. "Input tokens".',
    aggregation="How a period's events become one quantity; SUM by default.",
)
describe(
    PricingUnitInput,
    code='ISO 4217 code ("USD") or a custom unit\'s code ("CCU").',
    invoice_currency="Custom units only: the ISO currency overage is invoiced in.",
    overage_rate="Custom units only: invoice currency per unit once credits run out.",
)
describe(
    TrialInput,
    "A free trial at the start of each contract.",
    days="Trial length in days.",
    spending_cap="Most usage the trial pays for, in the pricing unit; omit for no cap.",
)
describe(
    TierInput,
    "One band of a TIERED or VOLUME rate, in ascending order.",
    unit_price="Price per unit in this tier; 0 by default.",
    flat_fee="Charged once when any unit falls in the tier; 0 by default.",
)
describe(
    RateInput,
    "A pricing model and its parameters: set the ones the model uses.",
    model="FLAT, TIERED, VOLUME, PACKAGE, PERCENTAGE or DYNAMIC.",
    unit_price="FLAT: price per priced unit, e.g. 0.002.",
    tiers="TIERED and VOLUME: the tiers, lowest first; only the last is unbounded.",
    package_size="PACKAGE: units per package, more than 0.",
    package_price="PACKAGE: price of one package.",
    package_rounding="PACKAGE: UP (a started package is paid, the default) or DOWN.",
    rate_percent="PERCENTAGE: percent of each transaction, e.g. 2.9.",
    fixed_fee_per_event="PERCENTAGE: fee added per transaction; 0 by default.",
    min_per_event="PERCENTAGE: least one transaction pays.",
    max_per_event="PERCENTAGE: most one transaction pays.",
    free_amount="PERCENTAGE: transaction volume per period that pays nothing; 0 by default.",
    free_events=(
        "PERCENTAGE: the first N transactions of each period pay nothing (no percentage, no "
        "fixed fee), as Lago's free_units_per_events; with freeAmount, whichever runs out "
        "first ends the free transactions. 0 (none) by default."
    ),
    markup_percent="DYNAMIC: percent added to the events' own costs; 0 by default.",
)
describe(
    DimensionValueInput,
    'One dimension and its value, e.g. {name: "model", value: "gpt-4"}.',
    name="Dimension name; the metric must declare it.",
    value="Dimension value.",
)
describe(
    DimensionRateInput,
    "A rate-card entry: usage with every listed dimension value uses `rate`.",
    match="Dimension values to match; the most specific entry wins.",
    rate="The rate for matching usage.",
)
describe(
    UsagePriceInput,
    "A price per unit of a billable metric.",
    metric_key='Key of the metric it prices, e.g. "input_tokens".',
    dimension_rates="Rate-card entries by dimension values.",
    conversion_rounding="How converted quantities round to whole priced units; NONE by default.",
)
describe(
    FixedPriceInput,
    "A fixed fee: a subscription, platform fee, setup fee or discount.",
    amount="Fee per unit of quantity, in the plan's pricing unit; negative with isDiscount.",
    quantity="How many are charged; 1 by default.",
    cadence="RECURRING (default) or ONE_TIME.",
    every_periods="RECURRING: charged every N billing periods; 1 by default.",
    timing="IN_ARREARS (default) or IN_ADVANCE.",
    prorate="Whether a partial period pays by days; true by default.",
    is_discount="A discount: the amount is negative and capped at the lines it reduces.",
)
describe(
    CompositePriceInput,
    "A percentage of, or a minimum over, other prices of the same ramp.",
    kind="PERCENTAGE or MINIMUM.",
    value="PERCENTAGE: percent (10 = 10%); MINIMUM: amount per period.",
    price_keys="Keys of the prices of the same ramp it applies to.",
    quantity="Multiplier; 0 disables the charge (a QUANTITY adjustment can enable it).",
)
describe(
    PriceInput,
    name='Name on the pricing page, e.g. "Input tokens".',
    invoice_display_name="Name on invoice lines; the name by default.",
    usage="Set for a usage price.",
    fixed="Set for a fixed fee.",
    composite="Set for a composite price.",
)
describe(
    RampInput,
    "The prices that apply for a number of billing periods.",
    invoice_minimum="Least a period's invoice comes to under this ramp; omit for none.",
    prices="The charges of this ramp.",
)
describe(
    UsageLimitInput,
    "A per-metric usage limit and rate limit for the pricing page.",
    metric_key="Key of the metric limited.",
    limit="Units per billing period; omit for no limit.",
    enforcement="HARD (default) or SOFT.",
    rate_limit="Requests per rate-limit window; omit for none.",
    rate_limit_window="SECOND, MINUTE, HOUR or DAY; needed with rateLimit.",
)
_PLAN_FIELDS = {
    "name": 'Internal name, e.g. "Acme Corp - Annual 2024".',
    "invoice_display_name": "Name on invoices and the pricing page; the name by default.",
    "description": "Pricing-page text for the plan.",
    "visibility": "PUBLIC (pricing page, the default) or PRIVATE (a negotiated deal).",
    "tier_rank": "Upgrade order on the pricing page: lower comes first.",
    "billing_interval": "Length of one billing period; MONTHLY by default.",
    "billing_anchor": "Where billing periods start; CONTRACT_START by default.",
    "pricing_unit": "Currency or custom unit of every amount.",
    "rounding_mode": "How line amounts are rounded; HALF_UP by default.",
    "trial": "A free trial; omit for none.",
    "net_payment_days": "Days from an invoice's issue date to its due date; 30 by default.",
    "features": "Pricing-page bullet points.",
    "usage_limits": "Per-metric limits and rate limits.",
    "ramps": "Pricing over time: each ramp but the last lasts durationPeriods periods.",
    "feature_entitlements": (
        "Boolean features the plan entitles its contracts to (checkEntitlement's featureKey); "
        "the pricing page shows their display names when `features` is empty."
    ),
}
describe(
    CreatePlanInput,
    "A whole new plan, stored as DRAFT version 1.",
    product_id="Global ID of the product it sells.",
    key='Slug shared by every version, e.g. "llm-pro".',
    **_PLAN_FIELDS,
)
describe(UpdatePlanInput, id="Global ID of the DRAFT plan.", **_PLAN_FIELDS)
