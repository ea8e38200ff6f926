"""The usage events a test stored, read back from whichever usage store holds them (the
catalog's database, or ClickHouse), in the SQL row's shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlmodel import col, select

from pricing_graph.api.context import Database
from pricing_graph.store.clickhouse.usage import ClickHouseUsageStore, from_micros
from pricing_graph.store.usage import UsageEventRow
from pricing_graph.store.usage_repo import group_from_key


@dataclass(frozen=True)
class StoredRow:
    customer_id: int
    event_id: str
    metric_id: int
    occurred_at: datetime
    value: Decimal | None
    unique_value: str | None
    group_key: str
    dimensions: dict[str, str]
    properties: dict[str, Any]


async def stored_rows(database: Database) -> list[StoredRow]:
    """Every stored event, by event ID."""
    store = database.usage
    if isinstance(store, ClickHouseUsageStore):
        rows = await store.client.rows(
            "SELECT customer_id, event_id, metric_id, occurred_us, value_text, unique_value, "
            f"group_key, properties FROM {store.db}.usage_event FINAL "
            "ORDER BY event_id, customer_id"
        )
        return [
            StoredRow(
                int(row[0]),
                row[1],
                int(row[2]),
                from_micros(int(row[3])),
                Decimal(row[4]) if row[4] else None,
                row[5] or None,
                row[6],
                dict(group_from_key(row[6])),  # the SQL row's dimensions, from their group
                orjson.loads(row[7]),
            )
            for row in rows
        ]
    async with database.sessions() as session:
        found = await session.exec(select(UsageEventRow).order_by(col(UsageEventRow.event_id)))
        return [
            StoredRow(
                row.customer_id,
                row.event_id,
                row.metric_id,
                row.occurred_at,
                row.value,
                row.unique_value,
                row.group_key,
                row.dimensions,
                row.properties,
            )
            for row in found
        ]


async def stored_count(database: Database) -> int:
    """How many events are stored (copies an event-ID race let in counted too)."""
    store = database.usage
    if isinstance(store, ClickHouseUsageStore):
        [[count]] = await store.client.rows(f"SELECT count() FROM {store.db}.usage_event")
        return int(count)
    return len(await stored_rows(database))
