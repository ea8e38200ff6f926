"""Frozen catalog values the rating core prices: plans, ramps, prices, rates and tiers.

These are the shared vocabulary of the service. `store/` maps rows to them, `api/` renders
them, and the rest of `rating/` computes with them. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

ZERO = Decimal(0)
ONE = Decimal(1)


class BillingInterval(str, Enum):
    BIWEEKLY = "BIWEEKLY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    SEMIANNUAL = "SEMIANNUAL"
    ANNUAL = "ANNUAL"


class BillingAnchor(str, Enum):
    CONTRACT_START = "CONTRACT_START"
    FIRST_OF_MONTH = "FIRST_OF_MONTH"


class RoundingMode(str, Enum):
    HALF_UP = "HALF_UP"
    HALF_EVEN = "HALF_EVEN"
    UP = "UP"
    DOWN = "DOWN"


class Aggregation(str, Enum):
    SUM = "SUM"
    COUNT = "COUNT"
    MAX = "MAX"
    UNIQUE_COUNT = "UNIQUE_COUNT"
    LATEST = "LATEST"
    WEIGHTED_SUM = "WEIGHTED_SUM"


class PricingModel(str, Enum):
    FLAT = "FLAT"
    TIERED = "TIERED"
    VOLUME = "VOLUME"
    PACKAGE = "PACKAGE"
    PERCENTAGE = "PERCENTAGE"
    DYNAMIC = "DYNAMIC"


class ConversionRounding(str, Enum):
    NONE = "NONE"
    UP = "UP"
    DOWN = "DOWN"
    NEAREST = "NEAREST"


class PackageRounding(str, Enum):
    UP = "UP"
    DOWN = "DOWN"


class FixedCadence(str, Enum):
    RECURRING = "RECURRING"
    ONE_TIME = "ONE_TIME"


class ChargeTiming(str, Enum):
    IN_ADVANCE = "IN_ADVANCE"
    IN_ARREARS = "IN_ARREARS"


class CompositeKind(str, Enum):
    PERCENTAGE = "PERCENTAGE"
    MINIMUM = "MINIMUM"


class PriceKind(str, Enum):
    USAGE = "USAGE"
    FIXED = "FIXED"
    COMPOSITE = "COMPOSITE"


@dataclass(frozen=True, slots=True)
class PricingUnit:
    """An ISO 4217 currency, or a custom pricing unit (credits, CCU) sold at `overage_rate`
    units of `invoice_currency` each once credits run out."""

    code: str
    decimals: int
    invoice_currency: str | None = None
    overage_rate: Decimal | None = None

    @property
    def is_custom(self) -> bool:
        return self.invoice_currency is not None


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    name: str
    unit_label: str
    aggregation: Aggregation
    event_property: str | None = None
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tier:
    """`up_to` is inclusive; `None` is unbounded and only allowed on the last tier."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Rate:
    """A pricing model with its parameters; which fields matter depends on `model`:

    FLAT: unit_price. TIERED/VOLUME: tiers. PACKAGE: package_size, package_price,
    package_rounding. PERCENTAGE: rate_percent, fixed_fee_per_event, min_per_event,
    max_per_event, free_amount, free_events. DYNAMIC: markup_percent.
    """

    model: PricingModel
    unit_price: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()
    package_size: Decimal | None = None
    package_price: Decimal | None = None
    package_rounding: PackageRounding = PackageRounding.UP
    rate_percent: Decimal | None = None
    fixed_fee_per_event: Decimal = ZERO
    min_per_event: Decimal | None = None
    max_per_event: Decimal | None = None
    free_amount: Decimal = ZERO
    markup_percent: Decimal = ZERO
    free_events: int = 0


@dataclass(frozen=True, slots=True)
class DimensionRate:
    """A rate-card entry: usage whose dimension values include every pair in `match` is
    priced by `rate`; the entry with the most pairs wins."""

    match: tuple[tuple[str, str], ...]
    rate: Rate


@dataclass(frozen=True, slots=True)
class UsagePrice:
    key: str
    name: str
    display_name: str
    metric: Metric
    rate: Rate | None
    dimension_rates: tuple[DimensionRate, ...] = ()
    conversion_factor: Decimal = ONE
    conversion_rounding: ConversionRounding = ConversionRounding.NONE
    free_units: Decimal = ZERO

    kind = PriceKind.USAGE


@dataclass(frozen=True, slots=True)
class FixedPrice:
    key: str
    name: str
    display_name: str
    amount: Decimal
    quantity: Decimal = ONE
    cadence: FixedCadence = FixedCadence.RECURRING
    every_periods: int = 1
    timing: ChargeTiming = ChargeTiming.IN_ARREARS
    prorate: bool = True
    is_discount: bool = False

    kind = PriceKind.FIXED


@dataclass(frozen=True, slots=True)
class CompositePrice:
    """PERCENTAGE: `value`% of the listed prices' amounts (negative = discount).
    MINIMUM: a true-up to `value` when the listed prices sum to less. Quantity 0 disables it."""

    key: str
    name: str
    display_name: str
    composite: CompositeKind
    value: Decimal
    price_keys: tuple[str, ...]
    quantity: Decimal = ONE

    kind = PriceKind.COMPOSITE


Price = UsagePrice | FixedPrice | CompositePrice


@dataclass(frozen=True, slots=True)
class Ramp:
    """Applies for `duration_periods` billing periods; the last ramp has no duration."""

    prices: tuple[Price, ...]
    duration_periods: int | None = None
    invoice_minimum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Trial:
    days: int
    spending_cap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    key: str
    version: int
    name: str
    display_name: str
    product_key: str
    billing_interval: BillingInterval
    billing_anchor: BillingAnchor
    pricing_unit: PricingUnit
    ramps: tuple[Ramp, ...]
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
    trial: Trial | None = None
    net_payment_days: int = 30
