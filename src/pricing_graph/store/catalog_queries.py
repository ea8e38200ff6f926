"""Catalog lookups and small writes: rows by key, pages for the root queries, the rows a
catalog write locks or checks, and whole plans for the loaders (through the plan cache).

The plan tree itself (insert, replace, load as a domain `Plan`) is in `catalog_repo`.
Functions taking a `session` run inside the caller's transaction; those taking `read` run
on the request's shared read session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store.batch import rows_by_ids
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow, UsageLimitRow
from pricing_graph.store.catalog_repo import LoadedPlan, Reader, UsageLimitSpec, load_plans
from pricing_graph.store.plan_cache import PlanCache

# --- pages and lookups for the root queries ----------------------------------------------


async def page_of_statement(
    read: Reader, statement: Any, offset: int, limit: int
) -> tuple[list[Any], int]:
    """One page of `statement`'s rows and the count of all of them (two statements)."""
    total = (await read(select(func.count()).select_from(statement.subquery())))[0]
    rows = await read(statement.offset(offset).limit(limit))
    return list(rows), int(total)


async def products_page(
    read: Reader, offset: int, limit: int, *, include_archived: bool = False
) -> tuple[list[ProductRow], int]:
    """Products by key (archived ones only when asked), and how many there are."""
    statement = select(ProductRow).order_by(col(ProductRow.key))
    if not include_archived:
        statement = statement.where(col(ProductRow.archived).is_(False))
    return await page_of_statement(read, statement, offset, limit)


async def product_by_key(read: Reader, key: str) -> ProductRow | None:
    rows = await read(select(ProductRow).where(ProductRow.key == key))
    return rows[0] if rows else None


# The product's columns in `product_and_plans_by_key`, beside the plan's under their names.
_PRODUCT_LABEL = "product__"


async def product_and_plans_by_key(read: Reader, key: str) -> tuple[ProductRow | None, list[Any]]:
    """The product with this key and every plan of it, in one statement (the product's plans
    ordered as `PlansByProductIdLoader` orders them): one round trip instead of two.

    The plans are Core rows of the plan table (as `store/batch.py` reads them; each also
    carries the product's columns under `product__<name>`), the product a detached row."""
    product: Any = ProductRow.__table__  # type: ignore[attr-defined]
    plan: Any = PlanRow.__table__  # type: ignore[attr-defined]
    statement = (
        sa_select(plan, *(column.label(_PRODUCT_LABEL + column.name) for column in product.c))
        .select_from(product.outerjoin(plan, plan.c.product_id == product.c.id))
        .where(product.c.key == key)
        .order_by(plan.c.tier_rank, plan.c.key, plan.c.version)
    )
    rows = await read(statement)
    if not rows:
        return None, []
    first = rows[0]._mapping
    found = ProductRow(**{c.name: first[_PRODUCT_LABEL + c.name] for c in product.c})
    # Without plans, the outer join gives one row whose plan columns are all null.
    return found, [row for row in rows if row.id is not None]


async def product_by_id(read: Reader, product_id: int) -> ProductRow | None:
    return (await rows_by_ids(read, ProductRow, [product_id]))[0]


async def metrics_page(read: Reader, offset: int, limit: int) -> tuple[list[MetricRow], int]:
    """Metrics by key, and how many there are."""
    statement = select(MetricRow).order_by(col(MetricRow.key))
    return await page_of_statement(read, statement, offset, limit)


async def metric_by_id(read: Reader, metric_id: int) -> MetricRow | None:
    return (await rows_by_ids(read, MetricRow, [metric_id]))[0]


async def metric_by_key(read: Reader, key: str) -> MetricRow | None:
    rows = await read(select(MetricRow).where(MetricRow.key == key))
    return rows[0] if rows else None


async def plans_page(
    read: Reader,
    offset: int,
    limit: int,
    *,
    product_id: int | None = None,
    key: str | None = None,
    status: str | None = None,
    visibility: str | None = None,
) -> tuple[list[PlanRow], int]:
    """Plans across products in product, tier rank, key and version order, filtered by
    whichever of product, key, status and visibility are given."""
    statement = select(PlanRow).order_by(
        col(PlanRow.product_id), col(PlanRow.tier_rank), col(PlanRow.key), col(PlanRow.version)
    )
    if product_id is not None:
        statement = statement.where(PlanRow.product_id == product_id)
    if key is not None:
        statement = statement.where(PlanRow.key == key)
    if status is not None:
        statement = statement.where(PlanRow.status == status)
    if visibility is not None:
        statement = statement.where(PlanRow.visibility == visibility)
    return await page_of_statement(read, statement, offset, limit)


async def plan_by_key(read: Reader, key: str, version: int | None = None) -> PlanRow | None:
    """Version `version` of plan `key`, or its latest PUBLISHED version when none is given."""
    statement = select(PlanRow).where(PlanRow.key == key)
    if version is not None:
        statement = statement.where(PlanRow.version == version)
    else:
        statement = statement.where(PlanRow.status == "PUBLISHED")
    rows = await read(statement.order_by(col(PlanRow.version).desc()).limit(1))
    return rows[0] if rows else None


async def plan_by_id(read: Reader, plan_id: int) -> PlanRow | None:
    return (await rows_by_ids(read, PlanRow, [plan_id]))[0]


# --- whole plans for the loaders ---------------------------------------------------------


async def domain_plans_by_ids(
    read: Reader, cache: PlanCache, ids: Sequence[int]
) -> list[LoadedPlan | None]:
    """Whole plans as rating values, in the order asked (None where missing): one statement
    for the rows, and six more for the plans `cache` does not hold yet."""
    return await domain_plans_of_rows(read, cache, ids, await rows_by_ids(read, PlanRow, ids))


async def domain_plans_of_rows(
    read: Reader, cache: PlanCache, ids: Sequence[int], found: Sequence[PlanRow | None]
) -> list[LoadedPlan | None]:
    """`domain_plans_by_ids` for plan rows already read in this request (`found`): six
    statements for the plans `cache` does not hold yet, none for the others."""
    rows = [row for row in found if row is not None]
    plans = {row.id: cached for row in rows if (cached := cache.get(row))}
    missing = [row.id for row in rows if row.id not in plans and row.id is not None]
    for plan_id, loaded in (await load_plans(read, missing)).items():
        cache.keep(loaded)
        plans[plan_id] = loaded
    return [plans.get(i) for i in ids]


# --- inside a catalog write's transaction ------------------------------------------------


async def product_key_taken(session: AsyncSession, key: str) -> bool:
    found = (await session.exec(select(ProductRow.id).where(ProductRow.key == key))).first()
    return found is not None


async def metric_key_taken(session: AsyncSession, key: str) -> bool:
    found = (await session.exec(select(MetricRow.id).where(MetricRow.key == key))).first()
    return found is not None


async def plan_key_taken(session: AsyncSession, key: str) -> bool:
    found = (await session.exec(select(PlanRow.id).where(PlanRow.key == key))).first()
    return found is not None


async def metrics_by_key(session: AsyncSession, keys: Iterable[str]) -> dict[str, MetricRow]:
    wanted = set(keys)
    if not wanted:
        return {}
    rows = await session.exec(select(MetricRow).where(col(MetricRow.key).in_(wanted)))
    return {row.key: row for row in rows}


async def product_for_write(session: AsyncSession, product_id: int) -> ProductRow | None:
    return await session.get(ProductRow, product_id)


async def plan_for_update(session: AsyncSession, plan_id: int) -> PlanRow | None:
    """The plan row, locked for the transaction (FOR UPDATE where the database has it)."""
    return await session.get(PlanRow, plan_id, with_for_update=True)


async def other_published_versions(session: AsyncSession, plan: PlanRow) -> list[PlanRow]:
    """The PUBLISHED versions of `plan`'s key other than `plan` itself."""
    rows = await session.exec(
        select(PlanRow).where(
            PlanRow.key == plan.key, PlanRow.status == "PUBLISHED", PlanRow.id != plan.id
        )
    )
    return list(rows)


async def draft_version(session: AsyncSession, key: str) -> int | None:
    """The version number of plan `key`'s DRAFT, if it has one."""
    found: int | None = (
        await session.exec(
            select(PlanRow.version).where(PlanRow.key == key, PlanRow.status == "DRAFT")
        )
    ).first()
    return found


async def latest_version(session: AsyncSession, key: str) -> int:
    """The highest version of plan `key` (0 when it has none)."""
    found: int | None = (
        await session.exec(select(func.max(PlanRow.version)).where(PlanRow.key == key))
    ).one()
    return found or 0


async def usage_limit_specs(session: AsyncSession, plan_id: int) -> tuple[UsageLimitSpec, ...]:
    """A plan's usage limits, in order, by metric key."""
    rows = await session.exec(
        select(UsageLimitRow, MetricRow)
        .join(MetricRow, col(MetricRow.id) == col(UsageLimitRow.metric_id))
        .where(UsageLimitRow.plan_id == plan_id)
        .order_by(col(UsageLimitRow.position))
    )
    return tuple(
        UsageLimitSpec(
            metric.key,
            limit.limit_quantity,
            limit.enforcement,
            limit.rate_limit,
            limit.rate_limit_window,
        )
        for limit, metric in rows
    )


async def insert_product(
    session: AsyncSession, key: str, name: str, description: str
) -> ProductRow:
    row = ProductRow(key=key, name=name, description=description)
    session.add(row)
    await session.flush()
    return row


async def insert_metric(
    session: AsyncSession,
    *,
    key: str,
    name: str,
    unit_label: str,
    aggregation: str,
    event_property: str | None,
    dimensions: Sequence[str],
) -> MetricRow:
    row = MetricRow(
        key=key,
        name=name,
        unit_label=unit_label,
        aggregation=aggregation,
        event_property=event_property,
        dimensions=list(dimensions),
    )
    session.add(row)
    await session.flush()
    return row


async def save(session: AsyncSession) -> None:
    """Write the changes made to the session's rows (the transaction commits later)."""
    await session.flush()
