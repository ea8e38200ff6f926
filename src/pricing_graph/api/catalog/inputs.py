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
