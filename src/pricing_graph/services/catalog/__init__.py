"""The catalog: products, billable metrics and versioned plans.

Every operation takes the unit of work, the caller and a typed input (`inputs`), checks the
access policy, runs in one transaction (with its audit event) and returns the row it made or
changed, or raises `DomainError`.
"""

from pricing_graph.services.catalog.inputs import (
    ById,
    NewMetric,
    NewPlan,
    NewProduct,
    PlanChanges,
    PlanFilter,
    ProductChanges,
)
from pricing_graph.services.catalog.plans import (
    archive_plan,
    create_plan,
    create_plan_version,
    is_public,
    plan_by_id,
    plan_by_key,
    plans_page,
    price_by_id,
    publish_plan,
    ramp_by_id,
    update_plan,
    visible_plans,
)
from pricing_graph.services.catalog.products import (
    archive_product,
    create_metric,
    create_product,
    metric_by_id,
    metric_by_key,
    metrics_page,
    product_and_plans_by_key,
    product_by_id,
    product_by_key,
    products_page,
    update_product,
)

__all__ = [
    "ById",
    "NewMetric",
    "NewPlan",
    "NewProduct",
    "PlanChanges",
    "PlanFilter",
    "ProductChanges",
    "archive_plan",
    "archive_product",
    "create_metric",
    "create_plan",
    "create_plan_version",
    "create_product",
    "is_public",
    "metric_by_id",
    "metric_by_key",
    "metrics_page",
    "plan_by_id",
    "plan_by_key",
    "plans_page",
    "price_by_id",
    "product_and_plans_by_key",
    "product_by_id",
    "product_by_key",
    "products_page",
    "publish_plan",
    "ramp_by_id",
    "update_plan",
    "update_product",
    "visible_plans",
]
