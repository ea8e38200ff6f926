"""What every catalog write does last, in its own transaction: bump the catalog version
(public read caches key on it) and record the audit event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services import audit
from pricing_graph.services.actor import Actor
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow
from pricing_graph.store.catalog_version import bump_catalog_version

_OBJECT_TYPES = {ProductRow: "Product", MetricRow: "Metric", PlanRow: "Plan"}


async def catalog_changed(
    session: AsyncSession,
    actor: Actor,
    operation: str,
    row: ProductRow | MetricRow | PlanRow,
    given: Any,
    *,
    object_ids: Iterable[int | None] = (),
) -> None:
    await bump_catalog_version(session)
    audit.record(
        session,
        actor,
        operation,
        object_type=_OBJECT_TYPES[type(row)],
        object_id=row.id,
        object_ids=[i for i in object_ids if i is not None],
        given=given,
    )
