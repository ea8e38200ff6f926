"""Per-request context: one read session, serialised; writes in their own transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.api.loaders import Loaders
from pricing_graph.api.loaders.catalog import PlanCache
from pricing_graph.settings import Settings


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings = field(default_factory=Settings)
    # Published plan versions never change, so their domain values are kept per database
    # for the life of the process (see DomainPlanByIdLoader).
    plans: PlanCache = field(default_factory=PlanCache)


class Context:
    """Built fresh for every request, so loader caches never outlive it.

    Resolvers run concurrently, but an AsyncSession may not, so reads share one session
    behind a lock. A write closes the read session first (so nothing read before it is
    served stale after it), runs in its own transaction, and then resets the loaders.
    """

    def __init__(self, database: Database, scopes: frozenset[str] = frozenset()) -> None:
        self.database = database
        self.scopes = scopes  # what the caller's API key allows; anonymous: none
        self._lock = asyncio.Lock()
        self._session: AsyncSession | None = None
        self.loaders = Loaders(self.read, self.reader, database.plans)

    async def read(self, statement: Any) -> Sequence[Any]:
        async with self.reader() as session:
            rows: Sequence[Any] = (await session.exec(statement)).all()
            return rows

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, held alone for the block (for repository calls)."""
        async with self._lock:
            if self._session is None:
                self._session = self.database.sessions()
            yield self._session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            await self._close_reader()
            async with self.database.sessions() as session, session.begin():
                yield session
            self.loaders = Loaders(self.read, self.reader, self.database.plans)

    async def close(self) -> None:
        async with self._lock:
            await self._close_reader()

    async def _close_reader(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
