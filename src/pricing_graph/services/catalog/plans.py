"""Plans: create a DRAFT whole, edit it, publish it, copy a new version, archive; and the
reads behind the plan queries.

DRAFT (editable) -> PUBLISHED (immutable) -> ARCHIVED. Publishing a version archives the
earlier published versions of its key; contracts that pinned them keep them.

The writes are an admin's (`services.access`), each audited in its transaction. A caller
whose rule for a plan read is PUBLIC (anonymous, partner) sees the public price book only:
for it, a plan that is not PUBLISHED and PUBLIC does not exist (filtered out of lists, null
by key or ID), nor do its ramps and prices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import models
from pricing_graph.services import access
from pricing_graph.services.actor import Actor
from pricing_graph.services.catalog.changes import catalog_changed
from pricing_graph.services.catalog.features import (
    feature_entitlements_from_input,
    stored_feature_entitlements,
)
from pricing_graph.services.catalog.inputs import (
    ById,
    NewPlan,
    PlanChanges,
    PlanFilter,
    PlanStatus,
    PlanVisibility,
)
from pricing_graph.services.catalog.plan_input import (
    plan_errors,
    pricing_unit_from_input,
    ramps_from_input,
    referenced_metric_keys,
    usage_limits_from_input,
)
from pricing_graph.services.catalog.products import (
    Load,
    argument_id,
    description_errors,
    product_for_write,
)
from pricing_graph.services.errors import (
    DomainError,
    ErrorCode,
    Problem,
    not_found,
    problem,
    refuse,
    refuse_if,
)
from pricing_graph.services.ids import db_id
from pricing_graph.services.inputs import UNCHANGED
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import key_errors, text_errors
from pricing_graph.store import catalog_queries as store
from pricing_graph.store.catalog import MetricRow, PlanRow, PriceRow, RampRow
from pricing_graph.store.catalog_repo import (
    PlanListing,
    insert_plan,
    load_plan,
    plan_settings,
    replace_ramps,
    replace_usage_limits,
)


async def _plan_for_update(session: AsyncSession, global_id: str) -> PlanRow:
    row = await store.plan_for_update(session, db_id(("id",), global_id, "Plan"))
    if row is None:
        raise not_found(("id",), "plan", global_id)
    return row


def _require_status(row: PlanRow, *allowed: str, code: ErrorCode, action: str) -> None:
    if row.status not in allowed:
        raise refuse(("id",), code, f"plan {row.key} v{row.version} is {row.status}; {action}")


async def _loaded(session: AsyncSession, row: PlanRow) -> models.Plan:
    assert row.id is not None
    loaded = await load_plan(session, row.id)
    assert loaded is not None
    return loaded[1]


def _ids(metrics: dict[str, MetricRow]) -> dict[str, int]:
    return {key: row.id for key, row in metrics.items() if row.id is not None}


async def create_plan(uow: UnitOfWork, actor: Actor, given: NewPlan) -> PlanRow:
    """Create a DRAFT plan, whole: ramps, prices, rates, tiers, usage limits."""
    access.authorize(actor, "createPlan")

    async def work(session: AsyncSession) -> PlanRow:
        product = await product_for_write(session, given.product_id, ("product_id",))
        errors = key_errors(("key",), given.key) + text_errors(("name",), given.name)
        errors += description_errors(given.description)
        if given.invoice_display_name is not None:
            errors += text_errors(
                ("invoice_display_name",), given.invoice_display_name, required=False
            )
        if product.archived:
            errors.append(
                problem(
                    ("product_id",),
                    ErrorCode.PRODUCT_ARCHIVED,
                    f"product {product.key} is archived",
                )
            )
        if await store.plan_key_taken(session, given.key):
            errors.append(
                problem(
                    ("key",),
                    ErrorCode.DUPLICATE_KEY,
                    f"plan key {given.key!r} exists; use createPlanVersion for a new version",
                )
            )
        metrics = await store.metrics_by_key(
            session, referenced_metric_keys(given.ramps, given.usage_limits)
        )
        unit = pricing_unit_from_input(given.pricing_unit, errors)
        ramps = ramps_from_input(given.ramps, metrics, errors)
        limits = usage_limits_from_input(given.usage_limits, metrics, errors)
        features = feature_entitlements_from_input(given.feature_entitlements, errors)
        plan = models.Plan(
            key=given.key,
            version=1,
            name=given.name,
            display_name=given.invoice_display_name or given.name,
            product_key=product.key,
            billing_interval=models.BillingInterval(given.billing_interval),
            billing_anchor=models.BillingAnchor(given.billing_anchor),
            pricing_unit=unit,
            ramps=ramps,
            rounding_mode=models.RoundingMode(given.rounding_mode),
            trial=models.Trial(given.trial.days, given.trial.spending_cap) if given.trial else None,
            net_payment_days=given.net_payment_days,
        )
        refuse_if(errors or plan_errors(plan))
        assert product.id is not None
        row = await insert_plan(
            session,
            product_id=product.id,
            plan=plan,
            listing=PlanListing(
                description=given.description,
                visibility=given.visibility.value,
                tier_rank=given.tier_rank,
                features=tuple(given.features),
                usage_limits=limits,
                feature_entitlements=features,
            ),
            metric_ids=_ids(metrics),
        )
        await catalog_changed(session, actor, "createPlan", row, given)
        return row

    conflict = problem(("key",), ErrorCode.DUPLICATE_KEY, f"plan {given.key!r} exists")
    return await uow.run(work, conflict=conflict)


def _given_changes(given: PlanChanges) -> dict[str, Any]:
    """The fields `given` sets, by name, in input order."""
    return {
        field.name: value
        for field in dataclasses.fields(given)
        if field.name != "id" and (value := getattr(given, field.name)) is not UNCHANGED
    }


async def update_plan(uow: UnitOfWork, actor: Actor, given: PlanChanges) -> PlanRow:
    """Edit a DRAFT plan; published plans are immutable."""
    access.authorize(actor, "updatePlan")

    async def work(session: AsyncSession) -> PlanRow:
        row = await _plan_for_update(session, given.id)
        _require_status(
            row,
            "DRAFT",
            code=ErrorCode.PLAN_NOT_DRAFT,
            action="published plans are immutable: createPlanVersion makes an editable copy",
        )
        assert row.id is not None
        current = await _loaded(session, row)
        changes = _given_changes(given)
        errors = [
            problem((name,), ErrorCode.REQUIRED, "cannot be null; omit it to keep it")
            for name, value in changes.items()
            if value is None and name != "trial"
        ]
        refuse_if(errors)
        if "name" in changes:
            errors += text_errors(("name",), changes["name"])
        if "invoice_display_name" in changes:
            errors += text_errors(("invoice_display_name",), changes["invoice_display_name"])
        if "description" in changes:
            errors += description_errors(changes["description"])
        metrics = await store.metrics_by_key(
            session, referenced_metric_keys(changes.get("ramps"), changes.get("usage_limits"))
        )
        plan = _updated_plan(current, changes, metrics, errors)
        limits = (
            usage_limits_from_input(changes["usage_limits"], metrics, errors)
            if "usage_limits" in changes
            else None
        )
        refuse_if(errors or plan_errors(plan))
        listing = PlanListing(
            description=changes.get("description", row.description),
            visibility=changes["visibility"].value if "visibility" in changes else row.visibility,
            tier_rank=changes.get("tier_rank", row.tier_rank),
            features=tuple(changes.get("features", row.features)),
            feature_entitlements=feature_entitlements_from_input(
                changes["feature_entitlements"], errors
            )
            if "feature_entitlements" in changes
            else stored_feature_entitlements(row),
        )
        refuse_if(errors)
        for column, value in plan_settings(plan, listing).items():
            setattr(row, column, value)
        if "ramps" in changes:
            await replace_ramps(session, row.id, plan.ramps, _ids(metrics))
        if limits is not None:
            await replace_usage_limits(session, row.id, limits, _ids(metrics))
        await store.save(session)
        await catalog_changed(session, actor, "updatePlan", row, given)
        return row

    return await uow.run(work)


def _updated_plan(
    current: models.Plan,
    changes: dict[str, Any],
    metrics: dict[str, MetricRow],
    errors: list[Problem],
) -> models.Plan:
    """`current` with the fields an update gave."""
    plan = replace(
        current,
        name=changes.get("name", current.name),
        display_name=changes.get("invoice_display_name", current.display_name),
        billing_interval=changes.get("billing_interval", current.billing_interval),
        billing_anchor=changes.get("billing_anchor", current.billing_anchor),
        rounding_mode=changes.get("rounding_mode", current.rounding_mode),
        net_payment_days=changes.get("net_payment_days", current.net_payment_days),
    )
    if "pricing_unit" in changes:
        plan = replace(plan, pricing_unit=pricing_unit_from_input(changes["pricing_unit"], errors))
    if "trial" in changes:
        trial = changes["trial"]
        plan = replace(plan, trial=models.Trial(trial.days, trial.spending_cap) if trial else None)
    if "ramps" in changes:
        plan = replace(plan, ramps=ramps_from_input(changes["ramps"], metrics, errors))
    return plan


async def publish_plan(uow: UnitOfWork, actor: Actor, given: ById) -> PlanRow:
    """DRAFT -> PUBLISHED; earlier published versions of the key are archived."""
    access.authorize(actor, "publishPlan")

    async def work(session: AsyncSession) -> PlanRow:
        row = await _plan_for_update(session, given.id)
        _require_status(
            row, "DRAFT", code=ErrorCode.INVALID_STATUS, action="only drafts can be published"
        )
        refuse_if(plan_errors(await _loaded(session, row)))
        archived = await store.other_published_versions(session, row)
        for other in archived:
            other.status = "ARCHIVED"
        row.status = "PUBLISHED"
        row.published_at = datetime.now(UTC)
        await store.save(session)
        await catalog_changed(
            session, actor, "publishPlan", row, given, object_ids=[other.id for other in archived]
        )
        return row

    return await uow.run(work)


async def create_plan_version(uow: UnitOfWork, actor: Actor, given: ById) -> PlanRow:
    """A new DRAFT copied from a published (or archived) plan, numbered after the latest."""
    access.authorize(actor, "createPlanVersion")

    async def work(session: AsyncSession) -> PlanRow:
        source = await _plan_for_update(session, given.id)
        _require_status(
            source,
            "PUBLISHED",
            "ARCHIVED",
            code=ErrorCode.INVALID_STATUS,
            action="edit the draft itself instead of copying it",
        )
        draft = await store.draft_version(session, source.key)
        if draft is not None:
            raise DomainError(
                [
                    problem(
                        ("id",),
                        ErrorCode.INVALID_STATUS,
                        f"plan {source.key} already has a draft, v{draft}; edit that one",
                    )
                ]
            )
        latest = await store.latest_version(session, source.key)
        assert source.id is not None
        plan = await _loaded(session, source)
        limits = await store.usage_limit_specs(session, source.id)
        metric_keys = {limit.metric_key for limit in limits} | {
            price.metric.key
            for ramp in plan.ramps
            for price in ramp.prices
            if isinstance(price, models.UsagePrice)
        }
        metrics = await store.metrics_by_key(session, metric_keys)
        row = await insert_plan(
            session,
            product_id=source.product_id,
            plan=replace(plan, version=latest + 1),
            listing=PlanListing(
                description=source.description,
                visibility=source.visibility,
                tier_rank=source.tier_rank,
                features=tuple(source.features),
                usage_limits=limits,
                feature_entitlements=stored_feature_entitlements(source),
            ),
            metric_ids=_ids(metrics),
        )
        await catalog_changed(
            session, actor, "createPlanVersion", row, given, object_ids=[source.id]
        )
        return row

    return await uow.run(work)


async def archive_plan(uow: UnitOfWork, actor: Actor, given: ById) -> PlanRow:
    """No new contracts; existing ones keep the version they pinned."""
    access.authorize(actor, "archivePlan")

    async def work(session: AsyncSession) -> PlanRow:
        row = await _plan_for_update(session, given.id)
        _require_status(
            row,
            "DRAFT",
            "PUBLISHED",
            code=ErrorCode.INVALID_STATUS,
            action="it is archived already",
        )
        row.status = "ARCHIVED"
        await store.save(session)
        await catalog_changed(session, actor, "archivePlan", row, given)
        return row

    return await uow.run(work)


# --- reads ---------------------------------------------------------------------------------


def is_public(row: PlanRow) -> bool:
    """In the public price book: PUBLISHED and PUBLIC."""
    return row.status == "PUBLISHED" and row.visibility == "PUBLIC"


def _sees(rule: access.Rule, row: PlanRow) -> bool:
    return rule is access.ALL or is_public(row)


def visible_plans(actor: Actor, rows: Iterable[PlanRow]) -> list[PlanRow]:
    """The plans of `rows` that exist for the caller (a product's plans, already loaded:
    the loader stays batched and the filter runs after it)."""
    rule = access.rule(actor, "plans")
    return [row for row in rows if _sees(rule, row)]


async def plans_page(
    uow: UnitOfWork, actor: Actor, offset: int, limit: int, only: PlanFilter | None = None
) -> tuple[list[PlanRow], int]:
    """A page of plans across products (product, tier rank, key, version order), filtered,
    and how many match. A PUBLIC caller's filter is narrowed to PUBLISHED PUBLIC plans (a
    filter asking for other ones matches nothing)."""
    rule = access.authorize(actor, "plans")
    only = only or PlanFilter()
    if rule is access.PUBLIC:
        if only.status not in (None, PlanStatus.PUBLISHED) or only.visibility not in (
            None,
            PlanVisibility.PUBLIC,
        ):
            return [], 0
        only = replace(only, status=PlanStatus.PUBLISHED, visibility=PlanVisibility.PUBLIC)
    return await store.plans_page(
        uow.read,
        offset,
        limit,
        product_id=only.product_id,
        key=only.key,
        status=only.status.value if only.status is not None else None,
        visibility=only.visibility.value if only.visibility is not None else None,
    )


async def plan_by_key(
    uow: UnitOfWork, actor: Actor, key: str | None, version: int | None = None
) -> PlanRow | None:
    """Version `version` of plan `key`, or its latest PUBLISHED version when none is given
    (None for a PUBLIC caller unless it is PUBLISHED and PUBLIC)."""
    rule = access.authorize(actor, "plan")
    if key is None:
        return None
    row = await store.plan_by_key(uow.read, key, version)
    return row if row is not None and _sees(rule, row) else None


async def plan_by_id(
    uow: UnitOfWork,
    actor: Actor,
    global_id: str,
    load: Load[PlanRow] | None = None,
    *,
    operation: str = "plan",
) -> PlanRow | None:
    """The plan `global_id` names, if it exists for the caller; `operation` is `plan` or
    `node:Plan`."""
    rule = access.authorize(actor, operation)
    plan_id = argument_id("id", global_id, "Plan")
    row = await (store.plan_by_id(uow.read, plan_id) if load is None else load(plan_id))
    return row if row is not None and _sees(rule, row) else None


async def ramp_by_id(
    uow: UnitOfWork,
    actor: Actor,
    global_id: str,
    load_ramp: Load[RampRow],
    load_plan: Load[PlanRow],
) -> tuple[RampRow, PlanRow] | None:
    """`node(id:)` of a PricingRamp: the ramp and its plan, if that plan exists for the
    caller."""
    rule = access.authorize(actor, "node:PricingRamp")
    ramp = await load_ramp(argument_id("id", global_id, "PricingRamp"))
    if ramp is None:
        return None
    plan = await load_plan(ramp.plan_id)
    return (ramp, plan) if plan is not None and _sees(rule, plan) else None


async def price_by_id(
    uow: UnitOfWork,
    actor: Actor,
    global_id: str,
    load_price: Load[PriceRow],
    load_ramp: Load[RampRow],
    load_plan: Load[PlanRow],
) -> tuple[PriceRow, PlanRow] | None:
    """`node(id:)` of a Price: the price and its plan, if that plan exists for the caller."""
    rule = access.authorize(actor, "node:Price")
    price = await load_price(argument_id("id", global_id, "Price"))
    if price is None:
        return None
    ramp = await load_ramp(price.ramp_id)
    plan = await load_plan(ramp.plan_id) if ramp is not None else None
    return (price, plan) if plan is not None and _sees(rule, plan) else None
