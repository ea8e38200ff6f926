"""GraphQL enums: the rating vocabulary, plus the catalog's own listing states."""

from __future__ import annotations

from enum import Enum

import strawberry

from pricing_graph.rating import models

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


@strawberry.enum(description="DRAFT (editable) -> PUBLISHED (immutable) -> ARCHIVED.")
class PlanStatus(Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


@strawberry.enum(description="PUBLIC plans appear on the pricing page; PRIVATE are per customer.")
class PlanVisibility(Enum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


@strawberry.enum(description="HARD blocks usage past the limit; SOFT only warns.")
class LimitEnforcement(Enum):
    HARD = "HARD"
    SOFT = "SOFT"


@strawberry.enum
class RateLimitWindow(Enum):
    SECOND = "SECOND"
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"
