"""The unit of work of one caller's request: a shared read session and write transactions.

Reads may run concurrently (GraphQL resolves fields in parallel) but an AsyncSession may
not, so they share one session behind a lock. A write closes the read session first (so
nothing read before it is served stale after it) and runs in its own transaction: all of
it commits, or none of it does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services.errors import DomainError, ErrorCode, Problem
from pricing_graph.settings import Settings
from pricing_graph.store.catalog_snapshot import CatalogSnapshot
from pricing_graph.store.engine import make_engine, make_session_factory
from pricing_graph.store.plan_cache import PlanCache
from pricing_graph.store.usage_store import SqlUsageStore, UsageStore, connect_usage_store

ResultT = TypeVar("ResultT")
Work = Callable[[AsyncSession], Awaitable[ResultT]]


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings = field(default_factory=Settings)
    # Published plan versions never change, so their domain values are kept per database
    # for the life of the process.
    plans: PlanCache = field(default_factory=PlanCache)
    # Usage events: in this database, or in ClickHouse (PRICING_GRAPH_USAGE_URL).
    usage: UsageStore = field(default_factory=SqlUsageStore)
    # Catalog rows that change only with the catalog version (plan status, plan discounts,
    # a product's plans), kept for the latest version read.
    catalog: CatalogSnapshot = field(default_factory=CatalogSnapshot)

    @classmethod
    def connect(cls, settings: Settings, **engine_options: Any) -> Database:
        engine = make_engine(settings.database_url, **engine_options)
        return cls(
            engine=engine,
            sessions=make_session_factory(engine),
            settings=settings,
            usage=connect_usage_store(settings.usage_url),
        )

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.usage.close()


DUPLICATE = Problem(
    field=None, code=ErrorCode.DUPLICATE_KEY, message="conflicts with existing data"
)


def _retrieved(read: asyncio.Task[int]) -> None:
    if not read.cancelled():
        read.exception()  # retrieved: a failure is met again by the reads that follow


class UnitOfWork:
    """One per request (or CLI command). `writes` counts committed or attempted writes, so
    per-request caches built on reads (DataLoaders) know when to start afresh."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.settings = database.settings
        self.writes = 0
        self._lock = asyncio.Lock()
        self._session: AsyncSession | None = None
        self._closed = False
        self._catalog_version: tuple[int, int] | None = None  # (writes when read, version)
        self._version_read: tuple[int, asyncio.Task[int]] | None = None  # (writes, read)

    async def read(self, statement: Any) -> Sequence[Any]:
        async with self.reader() as session:
            rows: Sequence[Any] = (await session.exec(statement)).all()
            return rows

    async def catalog_version(self) -> int | None:
        """The catalog version for this request's catalog reads (`database.catalog`): read
        once, and again after a write; None when it cannot be read (then read the rows)."""
        if self._catalog_version is None or self._catalog_version[0] != self.writes:
            started, self._version_read = self._version_read, None
            try:
                if started is not None and started[0] == self.writes:
                    version = await started[1]
                else:
                    version = await self.database.catalog.version(self.database.engine)
            except Exception:  # the reads that follow meet the failure themselves
                return None
            self._catalog_version = (self.writes, version)
        return self._catalog_version[1]

    def prefetch_catalog_version(self) -> bool:
        """Start reading the catalog version, for a request that will read the catalog
        (`catalog_version` then awaits this read): on PostgreSQL its round trip overlaps
        the work before the first catalog read instead of following it. False when the
        version is known or being read already."""
        if self._catalog_version is not None or self._version_read is not None:
            return False
        read = asyncio.ensure_future(self.database.catalog.version(self.database.engine))
        read.add_done_callback(_retrieved)  # a read never awaited (a refused request)
        self._version_read = (self.writes, read)
        return True

    def know_catalog_version(self, version: int) -> None:
        """The catalog version the edge read for this request before anything else: the
        catalog reads use it instead of reading it again (until a write)."""
        self._catalog_version = (self.writes, version)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, held alone for the block."""
        async with self._lock:
            if self._closed:
                # A batch load still in flight after the request ended (a resolver of a
                # failed field, whose siblings graphql-core cancelled): a session of its own.
                async with self.database.sessions() as session:
                    yield session
                return
            if self._session is None:
                self._session = self.database.sessions()
            yield self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            await self._close_reader()
            try:
                async with self.database.sessions() as session, session.begin():
                    yield session
            finally:
                self.writes += 1

    async def run(self, work: Work[ResultT], *, conflict: Problem | None = None) -> ResultT:
        """All of `work` commits, or none of it does and its DomainError propagates.

        A unique-constraint race (two requests creating the same key at once) reaches the
        database as an IntegrityError; it is reported as `conflict`."""
        try:
            async with self.transaction() as session:
                return await work(session)
        except IntegrityError:
            raise DomainError([conflict or DUPLICATE]) from None

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            await self._close_reader()

    async def _close_reader(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
