"""Reading the catalog version once per anonymous request, as cheaply as the database allows.

The public read cache keys every answer by the committed catalog version
(`store/catalog_version.py`, docs/caching.md), read before the operation runs. On a hit that
read is most of the request, so it skips the request engine's layers:

- a SQLite file: a plain `sqlite3` statement on a connection of its own, in the calling
  (event loop) thread. In WAL mode it sees the last commit of every process and takes
  microseconds; through aiosqlite the same statement cost a hand-off to its thread and
  back, about 0.5 ms of a 1 ms hit;
- PostgreSQL: one asyncpg connection of its own, no pool and no SQLAlchemy: 0.03 ms a read
  on loopback against 0.14 ms through a pooled engine. Reads take turns on it (a lock), so
  each starts after its request arrived and sees every commit made before;
- anything else (an in-memory SQLite): the lean `version_engine`.

A read that fails raises (the caller then runs the request uncached) and drops its
connection; the next read opens a new one (on PostgreSQL, not before half a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from sqlalchemy import URL, event
from sqlalchemy.ext.asyncio import AsyncEngine

from pricing_graph.store.catalog_version import (
    CURRENT_SQL,
    current_catalog_version,
    version_engine,
)

# How long a read of the SQLite file may wait for a lock. In WAL mode a reader waits only
# while a crashed writer's log is recovered; past this the request runs uncached.
SQLITE_READ_TIMEOUT_S = 0.05
# A PostgreSQL read (or connect) that takes longer is abandoned: the request runs uncached.
POSTGRES_READ_TIMEOUT_S = 1.0
# After a failed read, reads fail at once for this long instead of queueing behind a
# server that does not answer (each would wait its turn and its timeout).
POSTGRES_RETRY_AFTER_S = 0.5


class VersionReadPaused(Exception):
    """A PostgreSQL read failed less than `POSTGRES_RETRY_AFTER_S` ago: not tried."""


class _Reader(Protocol):
    kind: str

    async def read(self) -> int: ...

    def close(self) -> None: ...


class CatalogVersions:
    """The committed version (`current`); `reads` counts the statements sent."""

    def __init__(self, owner: AsyncEngine, *, statement_timeout_ms: int = 0) -> None:
        self.reads = 0
        self._reader = _reader_for(owner, statement_timeout_ms)
        event.listen(owner.sync_engine, "engine_disposed", lambda _engine: self.close())

    @property
    def kind(self) -> str:
        """`sqlite-file`, `postgresql` or `engine`: how the version is read."""
        return self._reader.kind

    async def current(self) -> int:
        self.reads += 1
        return await self._reader.read()

    def close(self) -> None:
        self._reader.close()


def _reader_for(owner: AsyncEngine, statement_timeout_ms: int) -> _Reader:
    path = _sqlite_file(owner.url)
    if path is not None:
        return _SqliteFile(path)
    if owner.dialect.driver == "asyncpg":
        _args, connect = owner.dialect.create_connect_args(owner.url)
        return _Postgres(dict(connect))
    return _Engine(version_engine(owner, statement_timeout_ms=statement_timeout_ms))


class _SqliteFile:
    kind = "sqlite-file"

    def __init__(self, path: str) -> None:
        self._uri = Path(path).resolve().as_uri() + "?mode=rw"  # never create the file
        self._connection: sqlite3.Connection | None = None

    async def read(self) -> int:
        connection = self._connection
        if connection is None:
            connection = sqlite3.connect(
                self._uri,
                uri=True,
                timeout=SQLITE_READ_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
            self._connection = connection
        try:
            row = connection.execute(CURRENT_SQL).fetchone()
        except sqlite3.Error:
            self.close()
            raise
        return int(row[0]) if row is not None else 0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Postgres:
    kind = "postgresql"

    def __init__(self, connect: dict[str, Any]) -> None:
        self._connect = connect
        self._connection: asyncpg.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turns: asyncio.Lock | None = None
        self._failed_at = -POSTGRES_RETRY_AFTER_S

    async def read(self) -> int:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a connection and a lock belong to one event loop
            self.close()
            self._loop, self._turns = loop, asyncio.Lock()
        assert self._turns is not None
        async with self._turns:
            if loop.time() - self._failed_at < POSTGRES_RETRY_AFTER_S:
                raise VersionReadPaused("the catalog version could not be read just now")
            try:
                if self._connection is None:
                    self._connection = await asyncpg.connect(
                        **self._connect, timeout=POSTGRES_READ_TIMEOUT_S
                    )
                value = await self._connection.fetchval(
                    CURRENT_SQL, timeout=POSTGRES_READ_TIMEOUT_S
                )
            except BaseException:
                self._failed_at = loop.time()
                self.close()
                raise
        return int(value) if value is not None else 0

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Immediate (no round trip): also safe from a synchronous dispose hook. The
            # connection's event loop may be closed already (a test's): nothing to do then.
            with contextlib.suppress(RuntimeError):
                connection.terminate()


class _Engine:
    kind = "engine"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def read(self) -> int:
        return await current_catalog_version(self._engine)

    def close(self) -> None:
        """Disposed with the request engine (`version_engine`)."""


def _sqlite_file(url: URL) -> str | None:
    """The path of a SQLite database file `url` names (None: not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database
