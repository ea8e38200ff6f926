"""Products and billable metrics: create, edit, archive, and the reads behind their queries.

Every operation checks the access policy first (`services.access`): the catalog writes are
an admin's; everyone reads products and metrics (a product's plans are filtered per caller:
`plans.visible_plans`). Every write records an audit event in its own transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating import models
from pricing_graph.rating.plan_checks import Path
from pricing_graph.services import access
from pricing_graph.services.actor import Actor
from pricing_graph.services.catalog.changes import catalog_changed
from pricing_graph.services.catalog.inputs import ById, NewMetric, NewProduct, ProductChanges
from pricing_graph.services.errors import (
    DomainError,
    ErrorCode,
    Problem,
    not_found,
    problem,
    refuse_if,
)
from pricing_graph.services.ids import InvalidGlobalId, db_id, decode_id
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.services.validation import key_errors, text_errors
from pricing_graph.store import catalog_queries as store
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow

DESCRIPTION_LENGTH = 2000  # the product.description and plan.description columns

RowT = TypeVar("RowT")
Load = Callable[[int], Awaitable[RowT | None]]
"""How a by-id read loads its row: the GraphQL edge passes its DataLoader's `load`, so a page
of lookups stays one statement; other callers read the store."""


def argument_id(argument: str, global_id: str, expected: str) -> int:
    """Decode a global ID given as a query argument, or refuse with INVALID_ID naming the
    argument (`id`, `customerId`). Reads call it after the policy check, so a caller that
    may not read at all learns nothing from the ID."""
    try:
        return decode_id(global_id, expected)[1]
    except InvalidGlobalId as exc:
        raise DomainError([Problem(argument, ErrorCode.INVALID_ID, str(exc))]) from None


def duplicate(path: Path, what: str, key: str) -> Problem:
    return problem(path, ErrorCode.DUPLICATE_KEY, f"a {what} with key {key!r} already exists")


def description_errors(description: str) -> list[Problem]:
    return text_errors(("description",), description, max_length=DESCRIPTION_LENGTH, required=False)


async def product_for_write(session: AsyncSession, global_id: str, path: Path) -> ProductRow:
    """The product `global_id` names, or INVALID_ID / NOT_FOUND at `path`."""
    row = await store.product_for_write(session, db_id(path, global_id, "Product"))
    if row is None:
        raise not_found(path, "product", global_id)
    return row


async def create_product(uow: UnitOfWork, actor: Actor, given: NewProduct) -> ProductRow:
    access.authorize(actor, "createProduct")

    async def work(session: AsyncSession) -> ProductRow:
        refuse_if(
            key_errors(("key",), given.key)
            + text_errors(("name",), given.name)
            + description_errors(given.description)
        )
        taken = await store.product_key_taken(session, given.key)
        refuse_if([duplicate(("key",), "product", given.key)] if taken else [])
        row = await store.insert_product(session, given.key, given.name, given.description)
        await catalog_changed(session, actor, "createProduct", row, given)
        return row

    return await uow.run(work, conflict=duplicate(("key",), "product", given.key))


async def update_product(uow: UnitOfWork, actor: Actor, given: ProductChanges) -> ProductRow:
    """Rename or redescribe a product; None leaves a field as it is."""
    access.authorize(actor, "updateProduct")

    async def work(session: AsyncSession) -> ProductRow:
        row = await product_for_write(session, given.id, ("id",))
        if given.name is not None:
            refuse_if(text_errors(("name",), given.name))
            row.name = given.name
        if given.description is not None:
            refuse_if(description_errors(given.description))
            row.description = given.description
        await store.save(session)
        await catalog_changed(session, actor, "updateProduct", row, given)
        return row

    return await uow.run(work)


async def archive_product(uow: UnitOfWork, actor: Actor, given: ById) -> ProductRow:
    """Hide a product; its plans and contracts stay readable."""
    access.authorize(actor, "archiveProduct")

    async def work(session: AsyncSession) -> ProductRow:
        row = await product_for_write(session, given.id, ("id",))
        row.archived = True
        await store.save(session)
        await catalog_changed(session, actor, "archiveProduct", row, given)
        return row

    return await uow.run(work)


async def create_metric(uow: UnitOfWork, actor: Actor, given: NewMetric) -> MetricRow:
    access.authorize(actor, "createMetric")

    async def work(session: AsyncSession) -> MetricRow:
        errors = key_errors(("key",), given.key) + text_errors(("name",), given.name)
        errors += text_errors(("unit_label",), given.unit_label, max_length=50)
        if given.event_property is not None:
            errors += text_errors(
                ("event_property",), given.event_property, max_length=100, required=False
            )
        aggregation = models.Aggregation(given.aggregation)
        if aggregation is not models.Aggregation.COUNT and not given.event_property:
            errors.append(
                problem(
                    ("event_property",),
                    ErrorCode.REQUIRED,
                    f"{aggregation.value} aggregates a property: name it (only COUNT needs none)",
                )
            )
        for index, name in enumerate(given.dimensions):
            errors += key_errors(("dimensions", index), name)
        if len(set(given.dimensions)) != len(given.dimensions):
            errors.append(
                problem(("dimensions",), ErrorCode.DUPLICATE_KEY, "names a dimension twice")
            )
        refuse_if(errors)
        taken = await store.metric_key_taken(session, given.key)
        refuse_if([duplicate(("key",), "metric", given.key)] if taken else [])
        row = await store.insert_metric(
            session,
            key=given.key,
            name=given.name,
            unit_label=given.unit_label,
            aggregation=aggregation.value,
            event_property=given.event_property,
            dimensions=given.dimensions,
        )
        await catalog_changed(session, actor, "createMetric", row, given)
        return row

    return await uow.run(work, conflict=duplicate(("key",), "metric", given.key))


# --- reads ---------------------------------------------------------------------------------
# Everyone reads products and metrics (the policy says so per operation); what differs per
# caller is which of a product's plans exist for them (`plans.visible_plans`).


async def products_page(
    uow: UnitOfWork, actor: Actor, offset: int, limit: int, *, include_archived: bool = False
) -> tuple[list[ProductRow], int]:
    """A page of products by key (archived ones only when asked), and how many there are."""
    access.authorize(actor, "products")
    return await store.products_page(uow.read, offset, limit, include_archived=include_archived)


async def product_by_key(uow: UnitOfWork, actor: Actor, key: str | None) -> ProductRow | None:
    access.authorize(actor, "product")
    if key is None:
        return None
    return await store.product_by_key(uow.read, key)


async def product_and_plans_by_key(
    uow: UnitOfWork, actor: Actor, key: str
) -> tuple[ProductRow | None, list[PlanRow]]:
    """The product with this key and all its plans, read together (one statement); the
    caller filters the plans for the actor (`plans.visible_plans`), as the loader's are.

    Kept in the catalog snapshot per catalog version (store/catalog_snapshot.py), as a
    quote's plan rows are: read after the version, so never older than it, and read again
    after any catalog write. The rows are shared between requests and never written to."""
    access.authorize(actor, "product")
    version = await uow.catalog_version()
    snapshot = uow.database.catalog
    kept_as = ("product_and_plans_by_key", key)
    if version is not None:
        kept: tuple[ProductRow, tuple[PlanRow, ...]] | None = snapshot.get(version, kept_as)
        if kept is not None:
            return kept[0], list(kept[1])
    product, plans = await store.product_and_plans_by_key(uow.read, key)
    if version is not None and product is not None:
        snapshot.keep(version, kept_as, (product, tuple(plans)))
    return product, plans


async def product_by_id(
    uow: UnitOfWork,
    actor: Actor,
    global_id: str,
    load: Load[ProductRow] | None = None,
    *,
    operation: str = "product",
) -> ProductRow | None:
    """The product `global_id` names (INVALID_ID on `id` for a malformed one); `operation`
    is `product` or `node:Product`."""
    access.authorize(actor, operation)
    product_id = argument_id("id", global_id, "Product")
    if load is None:
        return await store.product_by_id(uow.read, product_id)
    return await load(product_id)


async def metrics_page(
    uow: UnitOfWork, actor: Actor, offset: int, limit: int
) -> tuple[list[MetricRow], int]:
    """A page of metrics by key, and how many there are."""
    access.authorize(actor, "metrics")
    return await store.metrics_page(uow.read, offset, limit)


async def metric_by_key(uow: UnitOfWork, actor: Actor, key: str) -> MetricRow | None:
    access.authorize(actor, "metric")
    return await store.metric_by_key(uow.read, key)


async def metric_by_id(
    uow: UnitOfWork, actor: Actor, global_id: str, load: Load[MetricRow] | None = None
) -> MetricRow | None:
    """`node(id:)` of a Metric."""
    access.authorize(actor, "node:Metric")
    metric_id = argument_id("id", global_id, "Metric")
    if load is None:
        return await store.metric_by_id(uow.read, metric_id)
    return await load(metric_id)
