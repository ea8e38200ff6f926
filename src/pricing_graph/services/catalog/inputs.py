"""The catalog's typed inputs and its listing vocabulary.

Field names follow the GraphQL inputs (snake_case), so `api.convert.to_domain` builds these
from them and every problem's path names the input field. Global IDs stay strings: the
services decode them, so a bad one is refused at its own field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from pricing_graph.rating import models
from pricing_graph.services.inputs import UNCHANGED, Unchanged

ZERO = Decimal(0)
ONE = Decimal(1)


class PlanStatus(Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


class PlanVisibility(Enum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


class LimitEnforcement(Enum):
    HARD = "HARD"
    SOFT = "SOFT"


class RateLimitWindow(Enum):
    SECOND = "SECOND"
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"


@dataclass(frozen=True, slots=True)
class ById:
    """The global ID of the product or plan an operation acts on."""

    id: str


@dataclass(frozen=True, slots=True)
class NewProduct:
    key: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ProductChanges:
    """None leaves a field as it is."""

    id: str
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class NewMetric:
    key: str
    name: str
    unit_label: str
    aggregation: models.Aggregation = models.Aggregation.SUM
    event_property: str | None = None
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PricingUnitSpec:
    """An ISO 4217 code, or a custom unit with decimals, invoice currency and overage rate."""

    code: str
    decimals: int | None = None
    invoice_currency: str | None = None
    overage_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TrialSpec:
    days: int
    spending_cap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TierSpec:
    from_: Decimal | None = None  # optional; must equal the previous tier's up_to (0 first)
    up_to: Decimal | None = None
    unit_price: Decimal = ZERO
    flat_fee: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class RateSpec:
    model: models.PricingModel
    unit_price: Decimal | None = None
    tiers: tuple[TierSpec, ...] | None = None
    package_size: Decimal | None = None
    package_price: Decimal | None = None
    package_rounding: models.PackageRounding = models.PackageRounding.UP
    rate_percent: Decimal | None = None
    fixed_fee_per_event: Decimal = ZERO
    min_per_event: Decimal | None = None
    max_per_event: Decimal | None = None
    free_amount: Decimal = ZERO
    markup_percent: Decimal = ZERO
    free_events: int = 0


@dataclass(frozen=True, slots=True)
class DimensionValueSpec:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class DimensionRateSpec:
    match: tuple[DimensionValueSpec, ...]
    rate: RateSpec


@dataclass(frozen=True, slots=True)
class UsagePriceSpec:
    metric_key: str
    rate: RateSpec | None = None
    dimension_rates: tuple[DimensionRateSpec, ...] = ()
    conversion_factor: Decimal = ONE
    conversion_rounding: models.ConversionRounding = models.ConversionRounding.NONE
    free_units: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class FixedPriceSpec:
    amount: Decimal
    quantity: Decimal = ONE
    cadence: models.FixedCadence = models.FixedCadence.RECURRING
    every_periods: int = 1
    timing: models.ChargeTiming = models.ChargeTiming.IN_ARREARS
    prorate: bool = True
    is_discount: bool = False


@dataclass(frozen=True, slots=True)
class CompositePriceSpec:
    kind: models.CompositeKind
    value: Decimal
    price_keys: tuple[str, ...]
    quantity: Decimal = ONE


@dataclass(frozen=True, slots=True)
class PriceSpec:
    """Exactly one of usage, fixed or composite."""

    key: str
    name: str
    invoice_display_name: str | None = None
    usage: UsagePriceSpec | None = None
    fixed: FixedPriceSpec | None = None
    composite: CompositePriceSpec | None = None


@dataclass(frozen=True, slots=True)
class RampSpec:
    duration_periods: int | None = None
    invoice_minimum: Decimal | None = None
    prices: tuple[PriceSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """A usage limit and rate limit on one metric of a plan."""

    metric_key: str
    limit: Decimal | None = None
    enforcement: LimitEnforcement = LimitEnforcement.HARD
    rate_limit: int | None = None
    rate_limit_window: RateLimitWindow | None = None


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """A boolean feature a plan entitles its contracts to ("sso", "Single sign-on")."""

    key: str
    display_name: str


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A DRAFT plan, whole: ramps, prices, rates, tiers."""

    product_id: str
    key: str
    name: str
    ramps: tuple[RampSpec, ...]
    pricing_unit: PricingUnitSpec
    invoice_display_name: str | None = None
    description: str = ""
    visibility: PlanVisibility = PlanVisibility.PUBLIC
    tier_rank: int = 0
    billing_interval: models.BillingInterval = models.BillingInterval.MONTHLY
    billing_anchor: models.BillingAnchor = models.BillingAnchor.CONTRACT_START
    rounding_mode: models.RoundingMode = models.RoundingMode.HALF_UP
    trial: TrialSpec | None = None
    net_payment_days: int = 30
    features: tuple[str, ...] = ()
    usage_limits: tuple[LimitSpec, ...] = ()
    feature_entitlements: tuple[FeatureSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """Edits to a DRAFT plan: UNCHANGED keeps a field, given lists replace whole. Null is
    refused for every field but `trial` (null removes the trial). The field order is the
    order problems are reported in."""

    id: str
    name: str | Unchanged | None = UNCHANGED
    invoice_display_name: str | Unchanged | None = UNCHANGED
    description: str | Unchanged | None = UNCHANGED
    visibility: PlanVisibility | Unchanged | None = UNCHANGED
    tier_rank: int | Unchanged | None = UNCHANGED
    billing_interval: models.BillingInterval | Unchanged | None = UNCHANGED
    billing_anchor: models.BillingAnchor | Unchanged | None = UNCHANGED
    pricing_unit: PricingUnitSpec | Unchanged | None = UNCHANGED
    rounding_mode: models.RoundingMode | Unchanged | None = UNCHANGED
    trial: TrialSpec | Unchanged | None = UNCHANGED
    net_payment_days: int | Unchanged | None = UNCHANGED
    features: tuple[str, ...] | Unchanged | None = UNCHANGED
    usage_limits: tuple[LimitSpec, ...] | Unchanged | None = UNCHANGED
    ramps: tuple[RampSpec, ...] | Unchanged | None = UNCHANGED
    feature_entitlements: tuple[FeatureSpec, ...] | Unchanged | None = UNCHANGED


@dataclass(frozen=True, slots=True)
class PlanFilter:
    """Which plans a listing shows; None matches any."""

    product_id: int | None = None
    key: str | None = None
    status: PlanStatus | None = None
    visibility: PlanVisibility | None = None
