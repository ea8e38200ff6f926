"""GraphQL enums: the rating vocabulary, plus the catalog's own listing states (defined by
`services.catalog.inputs`, registered here)."""

from __future__ import annotations

import strawberry

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


PlanStatus = catalog.PlanStatus
PlanVisibility = catalog.PlanVisibility
LimitEnforcement = catalog.LimitEnforcement
RateLimitWindow = catalog.RateLimitWindow

strawberry.enum(PlanStatus, description="DRAFT (editable) -> PUBLISHED (immutable) -> ARCHIVED.")
strawberry.enum(
    PlanVisibility, description="PUBLIC plans appear on the pricing page; PRIVATE are per customer."
)
strawberry.enum(LimitEnforcement, description="HARD blocks usage past the limit; SOFT only warns.")
strawberry.enum(RateLimitWindow)
