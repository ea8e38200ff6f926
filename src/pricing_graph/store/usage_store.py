"""The usage store: where usage events are written and aggregated.

One interface, two implementations. `SqlUsageStore` keeps the events in the catalog's own
database (SQLite or PostgreSQL, `store.usage_repo`); `ClickHouseUsageStore`
(`store.clickhouse`) keeps them in ClickHouse when `PRICING_GRAPH_USAGE_URL` names one.
Customers, metrics and contracts are always read from the catalog's database, so the
`session` every method takes is that database's session: the SQL store writes and reads
through it (the events commit with the batch's audit record), the ClickHouse store ignores it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.usage import UsageSnapshot
from pricing_graph.store import usage_repo
from pricing_graph.store.usage_repo import StoredEvent, UsageRequest


class UsageStore(Protocol):
    """Writes and aggregates usage events; see `usage_repo` for each operation's contract."""

    #: "sql" or "clickhouse" (shown by `pricing-graph migrate` and in the logs).
    kind: str

    def refusal(self, value: Decimal | None, occurred_at: datetime) -> tuple[str, str] | None:
        """(field, message) when this store cannot keep an event's value or timestamp
        exactly (None: it can); the event is then refused with INVALID_VALUE."""
        ...

    async def insert_events(
        self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]
    ) -> set[tuple[int, str]]: ...

    async def stored_events(
        self, session: AsyncSession, keys: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], StoredEvent]: ...

    async def aggregate_usage_many(
        self, session: AsyncSession, requests: Sequence[UsageRequest]
    ) -> list[list[UsageSnapshot]]: ...

    async def prepare(self) -> None:
        """Create what the store needs (idempotent); `pricing-graph migrate` calls it."""
        ...

    async def unreachable(self) -> str | None:
        """Why the store cannot answer now (`/readyz`), or None when it can."""
        ...

    async def close(self) -> None: ...


class SqlUsageStore:
    """Usage events in the catalog's database, through `usage_repo` (one transaction with
    the rest of the batch)."""

    kind = "sql"

    def refusal(self, value: Decimal | None, occurred_at: datetime) -> tuple[str, str] | None:
        return None

    async def insert_events(
        self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]
    ) -> set[tuple[int, str]]:
        return await usage_repo.insert_events(session, rows)

    async def stored_events(
        self, session: AsyncSession, keys: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], StoredEvent]:
        return await usage_repo.stored_events(session, keys)

    async def aggregate_usage_many(
        self, session: AsyncSession, requests: Sequence[UsageRequest]
    ) -> list[list[UsageSnapshot]]:
        return await usage_repo.aggregate_usage_many(session, requests)

    async def prepare(self) -> None:
        return None  # the alembic migrations create usage_event

    async def unreachable(self) -> str | None:
        return None  # the catalog's database: /readyz checks it already

    async def close(self) -> None:
        return None


def connect_usage_store(usage_url: str) -> UsageStore:
    """The store `PRICING_GRAPH_USAGE_URL` names: "" for the catalog's database, or a
    clickhouse:// URL (validated by settings.py)."""
    if not usage_url:
        return SqlUsageStore()
    from pricing_graph.store.clickhouse.usage import ClickHouseUsageStore

    return ClickHouseUsageStore.from_url(usage_url)


__all__ = ["SqlUsageStore", "UsageRequest", "UsageStore", "connect_usage_store"]
