"""Catalog mutations. Each runs in one transaction and reports expected failures as errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import strawberry
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.api.catalog.inputs import (
    CreateMetricInput,
    CreatePlanInput,
    CreateProductInput,
    IdInput,
    UpdatePlanInput,
    UpdateProductInput,
)
from pricing_graph.api.catalog.plan_input import (
    key_errors,
    plan_errors,
    pricing_unit_from_input,
    ramps_from_input,
    referenced_metric_keys,
    text_errors,
    usage_limits_from_input,
)
from pricing_graph.api.catalog.types import ContextInfo, Metric, Plan, Product
from pricing_graph.api.errors import ErrorCode, RefusedError, UserError, user_error
from pricing_graph.api.writes import db_id, not_found, refuse_if, run_write
from pricing_graph.rating import models
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow, UsageLimitRow
from pricing_graph.store.catalog_repo import (
    PlanListing,
    UsageLimitSpec,
    insert_plan,
    load_plan,
    plan_settings,
    replace_ramps,
    replace_usage_limits,
)


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


def _duplicate(path: tuple[str, ...], what: str, key: str) -> UserError:
    return user_error(path, ErrorCode.DUPLICATE_KEY, f"a {what} with key {key!r} already exists")


async def _metrics_by_key(session: AsyncSession, keys: set[str]) -> dict[str, MetricRow]:
    if not keys:
        return {}
    rows = await session.exec(select(MetricRow).where(col(MetricRow.key).in_(keys)))
    return {row.key: row for row in rows}


async def _product_for_write(session: AsyncSession, global_id: str, path: str) -> ProductRow:
    row = await session.get(ProductRow, db_id((path,), global_id, "Product"))
    if row is None:
        raise not_found((path,), "product", global_id)
    return row


async def _plan_for_write(session: AsyncSession, global_id: str) -> PlanRow:
    row = await session.get(PlanRow, db_id(("id",), global_id, "Plan"), with_for_update=True)
    if row is None:
        raise not_found(("id",), "plan", global_id)
    return row


def _description_errors(description: str) -> list[UserError]:
    return text_errors(("description",), description, max_length=2000, required=False)


def _listing(row: PlanRow, limits: tuple[UsageLimitSpec, ...]) -> PlanListing:
    return PlanListing(
        description=row.description,
        visibility=row.visibility,
        tier_rank=row.tier_rank,
        features=tuple(row.features),
        usage_limits=limits,
    )


def _require_status(row: PlanRow, *allowed: str, code: ErrorCode, action: str) -> None:
    if row.status not in allowed:
        raise RefusedError(
            [
                user_error(
                    ("id",),
                    code,
                    f"plan {row.key} v{row.version} is {row.status}; {action}",
                )
            ]
        )


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def create_product(self, info: ContextInfo, input: CreateProductInput) -> ProductPayload:
        async def work(session: AsyncSession) -> ProductRow:
            refuse_if(
                key_errors(("key",), input.key)
                + text_errors(("name",), input.name)
                + _description_errors(input.description)
            )
            exists = (
                await session.exec(select(ProductRow.id).where(ProductRow.key == input.key))
            ).first()
            refuse_if([_duplicate(("key",), "product", input.key)] if exists else [])
            row = ProductRow(key=input.key, name=input.name, description=input.description)
            session.add(row)
            await session.flush()
            return row

        row, errors = await run_write(
            info.context, work, conflict=_duplicate(("key",), "product", input.key)
        )
        return ProductPayload(product=Product.from_row(row) if row else None, errors=errors)

    @strawberry.mutation
    async def update_product(self, info: ContextInfo, input: UpdateProductInput) -> ProductPayload:
        async def work(session: AsyncSession) -> ProductRow:
            row = await _product_for_write(session, input.id, "id")
            if input.name is not None:
                refuse_if(text_errors(("name",), input.name))
                row.name = input.name
            if input.description is not None:
                refuse_if(_description_errors(input.description))
                row.description = input.description
            await session.flush()
            return row

        row, errors = await run_write(info.context, work)
        return ProductPayload(product=Product.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Hide a product; its plans and contracts stay readable.")
    async def archive_product(self, info: ContextInfo, input: IdInput) -> ProductPayload:
        async def work(session: AsyncSession) -> ProductRow:
            row = await _product_for_write(session, input.id, "id")
            row.archived = True
            await session.flush()
            return row

        row, errors = await run_write(info.context, work)
        return ProductPayload(product=Product.from_row(row) if row else None, errors=errors)

    @strawberry.mutation
    async def create_metric(self, info: ContextInfo, input: CreateMetricInput) -> MetricPayload:
        async def work(session: AsyncSession) -> MetricRow:
            errors = key_errors(("key",), input.key) + text_errors(("name",), input.name)
            errors += text_errors(("unit_label",), input.unit_label, max_length=50)
            if input.event_property is not None:
                errors += text_errors(
                    ("event_property",), input.event_property, max_length=100, required=False
                )
            aggregation = models.Aggregation(input.aggregation)
            if aggregation is not models.Aggregation.COUNT and not input.event_property:
                errors.append(
                    user_error(
                        ("event_property",),
                        ErrorCode.REQUIRED,
                        f"{aggregation.value} aggregates a property: name it (only COUNT "
                        "needs none)",
                    )
                )
            for index, name in enumerate(input.dimensions):
                errors += key_errors(("dimensions", index), name)
            if len(set(input.dimensions)) != len(input.dimensions):
                errors.append(
                    user_error(("dimensions",), ErrorCode.DUPLICATE_KEY, "names a dimension twice")
                )
            refuse_if(errors)
            exists = (
                await session.exec(select(MetricRow.id).where(MetricRow.key == input.key))
            ).first()
            refuse_if([_duplicate(("key",), "metric", input.key)] if exists else [])
            row = MetricRow(
                key=input.key,
                name=input.name,
                unit_label=input.unit_label,
                aggregation=aggregation.value,
                event_property=input.event_property,
                dimensions=list(input.dimensions),
            )
            session.add(row)
            await session.flush()
            return row

        row, errors = await run_write(
            info.context, work, conflict=_duplicate(("key",), "metric", input.key)
        )
        return MetricPayload(metric=Metric.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Create a DRAFT plan, whole: ramps, prices, rates, tiers.")
    async def create_plan(self, info: ContextInfo, input: CreatePlanInput) -> PlanPayload:
        async def work(session: AsyncSession) -> PlanRow:
            product = await _product_for_write(session, input.product_id, "productId")
            errors = key_errors(("key",), input.key) + text_errors(("name",), input.name)
            errors += _description_errors(input.description)
            if input.invoice_display_name is not None:
                errors += text_errors(
                    ("invoice_display_name",), input.invoice_display_name, required=False
                )
            if product.archived:
                errors.append(
                    user_error(
                        ("product_id",),
                        ErrorCode.PRODUCT_ARCHIVED,
                        f"product {product.key} is archived",
                    )
                )
            exists = (
                await session.exec(select(PlanRow.id).where(PlanRow.key == input.key))
            ).first()
            if exists:
                errors.append(
                    user_error(
                        ("key",),
                        ErrorCode.DUPLICATE_KEY,
                        f"plan key {input.key!r} exists; use createPlanVersion for a new version",
                    )
                )
            metrics = await _metrics_by_key(
                session, referenced_metric_keys(input.ramps, input.usage_limits)
            )
            unit = pricing_unit_from_input(input.pricing_unit, errors)
            ramps = ramps_from_input(input.ramps, metrics, errors)
            limits = usage_limits_from_input(input.usage_limits, metrics, errors)
            plan = models.Plan(
                key=input.key,
                version=1,
                name=input.name,
                display_name=input.invoice_display_name or input.name,
                product_key=product.key,
                billing_interval=models.BillingInterval(input.billing_interval),
                billing_anchor=models.BillingAnchor(input.billing_anchor),
                pricing_unit=unit,
                ramps=ramps,
                rounding_mode=models.RoundingMode(input.rounding_mode),
                trial=models.Trial(input.trial.days, input.trial.spending_cap)
                if input.trial
                else None,
                net_payment_days=input.net_payment_days,
            )
            refuse_if(errors or plan_errors(plan))
            assert product.id is not None
            return await insert_plan(
                session,
                product_id=product.id,
                plan=plan,
                listing=PlanListing(
                    description=input.description,
                    visibility=input.visibility.value,
                    tier_rank=input.tier_rank,
                    features=tuple(input.features),
                    usage_limits=limits,
                ),
                metric_ids={key: row.id for key, row in metrics.items() if row.id is not None},
            )

        conflict = user_error(("key",), ErrorCode.DUPLICATE_KEY, f"plan {input.key!r} exists")
        row, errors = await run_write(info.context, work, conflict=conflict)
        return PlanPayload(plan=Plan.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Edit a DRAFT plan; published plans are immutable.")
    async def update_plan(self, info: ContextInfo, input: UpdatePlanInput) -> PlanPayload:
        async def work(session: AsyncSession) -> PlanRow:
            row = await _plan_for_write(session, input.id)
            _require_status(
                row,
                "DRAFT",
                code=ErrorCode.PLAN_NOT_DRAFT,
                action="published plans are immutable: createPlanVersion makes an editable copy",
            )
            assert row.id is not None
            loaded = await load_plan(session, row.id)
            assert loaded is not None
            given = {
                name: value
                for name, value in vars(input).items()
                if name != "id" and value is not strawberry.UNSET
            }
            errors = [
                user_error((name,), ErrorCode.REQUIRED, "cannot be null; omit it to keep it")
                for name, value in given.items()
                if value is None and name != "trial"
            ]
            refuse_if(errors)
            if "name" in given:
                errors += text_errors(("name",), given["name"])
            if "invoice_display_name" in given:
                errors += text_errors(("invoice_display_name",), given["invoice_display_name"])
            if "description" in given:
                errors += _description_errors(given["description"])
            metrics = await _metrics_by_key(
                session, referenced_metric_keys(given.get("ramps"), given.get("usage_limits"))
            )
            plan = _updated_plan(loaded[1], given, metrics, errors)
            limits = (
                usage_limits_from_input(given["usage_limits"], metrics, errors)
                if "usage_limits" in given
                else None
            )
            refuse_if(errors or plan_errors(plan))
            listing = PlanListing(
                description=given.get("description", row.description),
                visibility=given["visibility"].value if "visibility" in given else row.visibility,
                tier_rank=given.get("tier_rank", row.tier_rank),
                features=tuple(given.get("features", row.features)),
            )
            for column, value in plan_settings(plan, listing).items():
                setattr(row, column, value)
            if "ramps" in given:
                await replace_ramps(session, row.id, plan.ramps, _ids(metrics))
            if limits is not None:
                await replace_usage_limits(session, row.id, limits, _ids(metrics))
            await session.flush()
            return row

        row, errors = await run_write(info.context, work)
        return PlanPayload(plan=Plan.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        description="DRAFT -> PUBLISHED. Earlier published versions of the key are archived: "
        "contracts that pinned them keep them, new contracts take this one."
    )
    async def publish_plan(self, info: ContextInfo, input: IdInput) -> PlanPayload:
        async def work(session: AsyncSession) -> PlanRow:
            row = await _plan_for_write(session, input.id)
            _require_status(
                row, "DRAFT", code=ErrorCode.INVALID_STATUS, action="only drafts can be published"
            )
            assert row.id is not None
            loaded = await load_plan(session, row.id)
            assert loaded is not None
            refuse_if(plan_errors(loaded[1]))
            earlier = await session.exec(
                select(PlanRow).where(
                    PlanRow.key == row.key, PlanRow.status == "PUBLISHED", PlanRow.id != row.id
                )
            )
            for other in earlier:
                other.status = "ARCHIVED"
            row.status = "PUBLISHED"
            row.published_at = datetime.now(UTC)
            await session.flush()
            return row

        row, errors = await run_write(info.context, work)
        return PlanPayload(plan=Plan.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="A new DRAFT copied from a published plan, version + 1.")
    async def create_plan_version(self, info: ContextInfo, input: IdInput) -> PlanPayload:
        async def work(session: AsyncSession) -> PlanRow:
            source = await _plan_for_write(session, input.id)
            _require_status(
                source,
                "PUBLISHED",
                "ARCHIVED",
                code=ErrorCode.INVALID_STATUS,
                action="edit the draft itself instead of copying it",
            )
            draft = (
                await session.exec(
                    select(PlanRow.version).where(
                        PlanRow.key == source.key, PlanRow.status == "DRAFT"
                    )
                )
            ).first()
            if draft is not None:
                raise RefusedError(
                    [
                        user_error(
                            ("id",),
                            ErrorCode.INVALID_STATUS,
                            f"plan {source.key} already has a draft, v{draft}; edit that one",
                        )
                    ]
                )
            latest = (
                await session.exec(
                    select(func.max(PlanRow.version)).where(PlanRow.key == source.key)
                )
            ).one()
            assert source.id is not None
            loaded = await load_plan(session, source.id)
            assert loaded is not None
            limit_rows = await session.exec(
                select(UsageLimitRow, MetricRow)
                .join(MetricRow, col(MetricRow.id) == col(UsageLimitRow.metric_id))
                .where(UsageLimitRow.plan_id == source.id)
                .order_by(col(UsageLimitRow.position))
            )
            limits = tuple(
                UsageLimitSpec(
                    metric.key,
                    limit.limit_quantity,
                    limit.enforcement,
                    limit.rate_limit,
                    limit.rate_limit_window,
                )
                for limit, metric in limit_rows
            )
            metric_keys = {limit.metric_key for limit in limits} | {
                price.metric.key
                for ramp in loaded[1].ramps
                for price in ramp.prices
                if isinstance(price, models.UsagePrice)
            }
            metric_ids = _ids(await _metrics_by_key(session, metric_keys))
            return await insert_plan(
                session,
                product_id=source.product_id,
                plan=replace(loaded[1], version=(latest or 0) + 1),
                listing=_listing(source, limits),
                metric_ids=metric_ids,
            )

        row, errors = await run_write(info.context, work)
        return PlanPayload(plan=Plan.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        description="No new contracts; existing ones keep the version they pinned."
    )
    async def archive_plan(self, info: ContextInfo, input: IdInput) -> PlanPayload:
        async def work(session: AsyncSession) -> PlanRow:
            row = await _plan_for_write(session, input.id)
            _require_status(
                row,
                "DRAFT",
                "PUBLISHED",
                code=ErrorCode.INVALID_STATUS,
                action="it is archived already",
            )
            row.status = "ARCHIVED"
            await session.flush()
            return row

        row, errors = await run_write(info.context, work)
        return PlanPayload(plan=Plan.from_row(row) if row else None, errors=errors)


def _updated_plan(
    current: models.Plan,
    given: dict[str, Any],
    metrics: dict[str, MetricRow],
    errors: list[UserError],
) -> models.Plan:
    """`current` with the fields an updatePlan input gave (enums arrive as domain enums)."""
    plan = replace(
        current,
        name=given.get("name", current.name),
        display_name=given.get("invoice_display_name", current.display_name),
        billing_interval=given.get("billing_interval", current.billing_interval),
        billing_anchor=given.get("billing_anchor", current.billing_anchor),
        rounding_mode=given.get("rounding_mode", current.rounding_mode),
        net_payment_days=given.get("net_payment_days", current.net_payment_days),
    )
    if "pricing_unit" in given:
        plan = replace(plan, pricing_unit=pricing_unit_from_input(given["pricing_unit"], errors))
    if "trial" in given:
        trial = given["trial"]
        plan = replace(plan, trial=models.Trial(trial.days, trial.spending_cap) if trial else None)
    if "ramps" in given:
        plan = replace(plan, ramps=ramps_from_input(given["ramps"], metrics, errors))
    return plan


def _ids(metrics: dict[str, MetricRow]) -> dict[str, int]:
    return {key: row.id for key, row in metrics.items() if row.id is not None}
