"""GraphQL enums: the rating vocabulary, plus the catalog's own listing states."""

from __future__ import annotations

from enum import Enum

import strawberry

from pricing_graph.rating import models

BillingInterval = strawberry.enum(models.BillingInterval)
BillingAnchor = strawberry.enum(models.BillingAnchor)
RoundingMode = strawberry.enum(models.RoundingMode)
Aggregation = strawberry.enum(models.Aggregation)
PricingModel = strawberry.enum(models.PricingModel)
ConversionRounding = strawberry.enum(models.ConversionRounding)
PackageRounding = strawberry.enum(models.PackageRounding)
FixedCadence = strawberry.enum(models.FixedCadence)
ChargeTiming = strawberry.enum(models.ChargeTiming)
CompositeKind = strawberry.enum(models.CompositeKind)


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
