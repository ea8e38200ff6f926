"""GraphQL enums: the rating vocabulary, plus the catalog's own listing states (defined by
`services.catalog.inputs`, registered here)."""

from __future__ import annotations

import strawberry

from pricing_graph.api.describe import describe_enum
from pricing_graph.rating import models
from pricing_graph.services.catalog import inputs as catalog

BillingInterval = models.BillingInterval
BillingAnchor = models.BillingAnchor
RoundingMode = models.RoundingMode
Aggregation = models.Aggregation
PricingModel = models.PricingModel
ConversionRounding = models.ConversionRounding
PackageRounding = models.PackageRounding
FixedCadence = models.FixedCadence
ChargeTiming = models.ChargeTiming
CompositeKind = models.CompositeKind

for _shared in (
    BillingInterval,
    BillingAnchor,
    RoundingMode,
    Aggregation,
    PricingModel,
    ConversionRounding,
    PackageRounding,
    FixedCadence,
    ChargeTiming,
    CompositeKind,
):
    strawberry.enum(_shared)

describe_enum(
    BillingInterval,
    "How long one billing period is; one invoice per period.",
    BIWEEKLY="Every 14 days.",
    WEEKLY="Every 7 days from the contract start (anchored like BIWEEKLY).",
    MONTHLY="Every calendar month.",
    QUARTERLY="Every 3 months.",
    SEMIANNUAL="Every 6 months.",
    ANNUAL="Every 12 months.",
)
describe_enum(
    BillingAnchor,
    "Where billing periods start.",
    CONTRACT_START="On the contract's start date (Jan 15 -> Feb 15 -> ...).",
    FIRST_OF_MONTH="On the 1st: the first period runs from the start to the next 1st, prorated.",
)
describe_enum(
    RoundingMode,
    "How a line amount is rounded (once) to the pricing unit's minor units, e.g. $0.125.",
    HALF_UP="Half away from zero: $0.125 -> $0.13 (the default).",
    HALF_EVEN="Half to the even digit (banker's rounding): $0.125 -> $0.12.",
    UP="Away from zero: $0.121 -> $0.13.",
    DOWN="Toward zero: $0.129 -> $0.12.",
)
describe_enum(
    Aggregation,
    "How a metric turns a period's usage events into one quantity (per dimension group).",
    SUM="Adds the event property's values, e.g. tokens.",
    COUNT="Counts the events, e.g. API calls.",
    MAX="The largest value in the period, e.g. peak seats.",
    UNIQUE_COUNT="Distinct values of the property, e.g. monthly active users.",
    LATEST="The last value reported in the period, e.g. storage GB.",
    WEIGHTED_SUM=(
        "A gauge integrated over time: each event reports the new value (GB stored now), "
        "the quantity is value x hours (GB-hours), the last value carried into the next "
        "period; a price's unit conversion turns it into GB-months."
    ),
)
describe_enum(
    PricingModel,
    "How a rate turns a quantity into an amount (docs/pricing.md#pricing-models).",
    FLAT="quantity x unitPrice: 1,000,000 x $0.03 = $30,000.00.",
    TIERED="Each tier prices the units that fall in it: 1,500 GB at $0.10 to 1,000 then "
    "$0.09 = $145.00.",
    VOLUME="The tier the quantity reaches prices every unit: 1,500 GB x $0.09 = $135.00.",
    PACKAGE="Whole packs: ceil(quantity / packageSize) x packagePrice; 11 in packs of 10 at "
    "$0.80 = $1.60.",
    PERCENTAGE="A share of each transaction's amount plus a fixed fee, clamped to min/max: "
    "2.9% of $1,000 = $29.00.",
    DYNAMIC="The events' own costs plus a markup: $3.25 of cost at 20% = $3.90.",
)
describe_enum(
    ConversionRounding,
    "How metric units divided by the conversion factor become whole priced units.",
    NONE="Keep the fraction: 1.5 GB stays 1.5.",
    UP="Round up: 5 GiB + 1 byte -> 6 GB.",
    DOWN="Round down: 5.9 -> 5.",
    NEAREST="Round half up: 5.5 -> 6, 5.4 -> 5.",
)
describe_enum(
    PackageRounding,
    "How a partly used package counts.",
    UP="A started package is paid in full: 11 units in packs of 10 = 2 packs.",
    DOWN="Only full packages are paid: 19 units in packs of 10 = 1 pack.",
)
describe_enum(
    FixedCadence,
    "How often a fixed fee is charged.",
    RECURRING="Every `everyPeriods` billing periods.",
    ONE_TIME="Once, on the first period (a setup fee); never prorated.",
)
describe_enum(
    ChargeTiming,
    "When in its period a fixed fee is invoiced.",
    IN_ADVANCE="At the start of the period it pays for (a subscription).",
    IN_ARREARS="At the end of the period it pays for.",
)
describe_enum(
    CompositeKind,
    "What a composite price computes over other prices of its ramp.",
    PERCENTAGE="value% of the listed prices' amounts, e.g. a 10% support uplift.",
    MINIMUM="A true-up when the listed prices sum to less than value, e.g. a $50 minimum.",
)


PlanStatus = catalog.PlanStatus
PlanVisibility = catalog.PlanVisibility
LimitEnforcement = catalog.LimitEnforcement
RateLimitWindow = catalog.RateLimitWindow

strawberry.enum(PlanStatus, description="DRAFT (editable) -> PUBLISHED (immutable) -> ARCHIVED.")
strawberry.enum(
    PlanVisibility, description="PUBLIC plans appear on the pricing page; PRIVATE are per customer."
)
strawberry.enum(LimitEnforcement, description="HARD blocks usage past the limit; SOFT only warns.")
strawberry.enum(
    RateLimitWindow, description="The window a usage limit's rate limit counts requests in."
)

describe_enum(
    PlanStatus,
    DRAFT="Being edited; sales and admin keys see it, contracts cannot use it.",
    PUBLISHED="Frozen and sellable: contracts and quotes use it; changes need a new version.",
    ARCHIVED="No longer sold; existing contracts keep it.",
)
describe_enum(
    PlanVisibility,
    PUBLIC="On the pricing page, for anyone (no key needed).",
    PRIVATE="A negotiated plan: only sales and admin keys see it.",
)
describe_enum(
    LimitEnforcement,
    HARD="Usage past the limit is blocked.",
    SOFT="Usage past the limit is allowed; the limit only warns.",
)
describe_enum(
    RateLimitWindow,
    SECOND="Requests per second.",
    MINUTE="Requests per minute (shown as req/min).",
    HOUR="Requests per hour.",
    DAY="Requests per day.",
)
