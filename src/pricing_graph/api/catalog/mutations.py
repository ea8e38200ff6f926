"""Catalog mutations: convert the input, call `services.catalog`, map the row or the
refusal to the payload."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry

from pricing_graph.api.catalog.inputs import (
    CreateMetricInput,
    CreatePlanInput,
    CreateProductInput,
    IdInput,
    UpdatePlanInput,
    UpdateProductInput,
)
from pricing_graph.api.catalog.types import ContextInfo, Metric, Plan, Product
from pricing_graph.api.convert import to_domain
from pricing_graph.api.describe import ERRORS, describe, describe_args
from pricing_graph.api.errors import UserError, user_errors
from pricing_graph.services import catalog
from pricing_graph.services.errors import DomainError
from pricing_graph.store.catalog import PlanRow, ProductRow

RowT = TypeVar("RowT")


@strawberry.type
class ProductPayload:
    product: Product | None
    errors: list[UserError]


@strawberry.type
class MetricPayload:
    metric: Metric | None
    errors: list[UserError]


@strawberry.type
class PlanPayload:
    plan: Plan | None
    errors: list[UserError]


async def _outcome(call: Awaitable[RowT]) -> tuple[RowT | None, list[UserError]]:
    try:
        return await call, []
    except DomainError as refused:
        return None, user_errors(refused)


async def _product(call: Awaitable[ProductRow]) -> ProductPayload:
    row, errors = await _outcome(call)
    return ProductPayload(product=Product.from_row(row) if row else None, errors=errors)


async def _plan(call: Awaitable[PlanRow]) -> PlanPayload:
    row, errors = await _outcome(call)
    return PlanPayload(plan=Plan.from_row(row) if row else None, errors=errors)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def create_product(self, info: ContextInfo, input: CreateProductInput) -> ProductPayload:
        ctx = info.context
        given = to_domain(input, catalog.NewProduct)
        return await _product(catalog.create_product(ctx.uow, ctx.actor, given))

    @strawberry.mutation
    async def update_product(self, info: ContextInfo, input: UpdateProductInput) -> ProductPayload:
        ctx = info.context
        given = to_domain(input, catalog.ProductChanges)
        return await _product(catalog.update_product(ctx.uow, ctx.actor, given))

    @strawberry.mutation(description="Hide a product; its plans and contracts stay readable.")
    async def archive_product(self, info: ContextInfo, input: IdInput) -> ProductPayload:
        ctx = info.context
        given = to_domain(input, catalog.ById)
        return await _product(catalog.archive_product(ctx.uow, ctx.actor, given))

    @strawberry.mutation
    async def create_metric(self, info: ContextInfo, input: CreateMetricInput) -> MetricPayload:
        ctx = info.context
        given = to_domain(input, catalog.NewMetric)
        row, errors = await _outcome(catalog.create_metric(ctx.uow, ctx.actor, given))
        return MetricPayload(metric=Metric.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Create a DRAFT plan, whole: ramps, prices, rates, tiers.")
    async def create_plan(self, info: ContextInfo, input: CreatePlanInput) -> PlanPayload:
        ctx = info.context
        given = to_domain(input, catalog.NewPlan)
        return await _plan(catalog.create_plan(ctx.uow, ctx.actor, given))

    @strawberry.mutation(description="Edit a DRAFT plan; published plans are immutable.")
    async def update_plan(self, info: ContextInfo, input: UpdatePlanInput) -> PlanPayload:
        ctx = info.context
        given = to_domain(input, catalog.PlanChanges)
        return await _plan(catalog.update_plan(ctx.uow, ctx.actor, given))

    @strawberry.mutation(
        description="DRAFT -> PUBLISHED. Earlier published versions of the key are archived: "
        "contracts that pinned them keep them, new contracts take this one."
    )
    async def publish_plan(self, info: ContextInfo, input: IdInput) -> PlanPayload:
        ctx = info.context
        given = to_domain(input, catalog.ById)
        return await _plan(catalog.publish_plan(ctx.uow, ctx.actor, given))

    @strawberry.mutation(description="A new DRAFT copied from a published plan, version + 1.")
    async def create_plan_version(self, info: ContextInfo, input: IdInput) -> PlanPayload:
        ctx = info.context
        given = to_domain(input, catalog.ById)
        return await _plan(catalog.create_plan_version(ctx.uow, ctx.actor, given))

    @strawberry.mutation(
        description="No new contracts; existing ones keep the version they pinned."
    )
    async def archive_plan(self, info: ContextInfo, input: IdInput) -> PlanPayload:
        ctx = info.context
        given = to_domain(input, catalog.ById)
        return await _plan(catalog.archive_plan(ctx.uow, ctx.actor, given))


for _payload, _what in (
    (ProductPayload, "product"),
    (MetricPayload, "metric"),
    (PlanPayload, "plan"),
):
    describe(
        _payload,
        f"What a {_what} mutation did: the {_what}, or the errors that refused it.",
        errors=ERRORS,
        **{_what: f"The {_what} as stored; null when refused."},
    )
describe(
    CatalogMutation,
    create_product="Create a product (admin key).",
    update_product="Rename or redescribe a product (admin key).",
    create_metric="Create a billable metric usage events can report (admin key).",
)
describe_args(
    CatalogMutation,
    {
        name: {"input": "What to do; `errors` paths start at `input`."}
        for name in (
            "create_product",
            "update_product",
            "archive_product",
            "create_metric",
            "create_plan",
            "update_plan",
            "publish_plan",
            "create_plan_version",
            "archive_plan",
        )
    },
)
