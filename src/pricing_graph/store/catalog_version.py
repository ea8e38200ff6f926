"""The catalog version: one row, one number, bumped in the transaction of every catalog write.

Answers to anonymous reads are cached per version (docs/caching.md): every worker and every
host reads the version from the database once per request, so a committed catalog write
changes the very next answer everywhere, with no expiry to guess.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, CheckConstraint, Integer, event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.engine import make_engine

ROW_ID = 1  # the only row


class CatalogVersionRow(SQLModel, table=True):
    __tablename__ = "catalog_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=ROW_ID, primary_key=True)
    version: int = Field(default=1, sa_type=Integer, nullable=False)


CURRENT_SQL = "SELECT version FROM catalog_version WHERE id = 1"
_CURRENT = text(CURRENT_SQL)
# How long a read of the SQLite file may wait for a lock. In WAL mode a reader waits only
# while a crashed writer's log is recovered; past this the request runs uncached.
SQLITE_READ_TIMEOUT_S = 0.05


async def bump_catalog_version(session: AsyncSession) -> None:
    """+1, in the caller's transaction: the new version commits with the write or not at
    all. On PostgreSQL the row lock also orders concurrent catalog writes' bumps."""
    table = CatalogVersionRow.__table__  # type: ignore[attr-defined]
    result = await session.exec(
        update(table).where(table.c.id == ROW_ID).values(version=table.c.version + 1)
    )
    if not result.rowcount:  # a database whose row was removed by hand: start again
        session.add(CatalogVersionRow(id=ROW_ID, version=2))
        await session.flush()


def version_engine(owner: AsyncEngine, *, statement_timeout_ms: int = 0) -> AsyncEngine:
    """An engine on `owner`'s database for reading the version alone, leaner than the
    request engine: no pre-ping on checkout and no rollback on return (autocommit), so a
    read is one round trip (about 0.15 ms on PostgreSQL and 0.25 ms on SQLite, against
    0.3-0.4 ms through the request engine). A connection the server closed meanwhile fails
    one read (the caller then runs uncached) and is replaced. Disposing `owner` disposes
    it too, so whoever owns the request engine needs to know nothing of it."""
    versions = make_engine(
        owner.url.render_as_string(hide_password=False),
        statement_timeout_ms=statement_timeout_ms,
        pool_pre_ping=False,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
    )

    def dispose(_engine: Any) -> None:
        # Runs inside AsyncEngine.dispose's greenlet, where the async drivers can close.
        versions.sync_engine.dispose()

    event.listen(owner.sync_engine, "engine_disposed", dispose)
    return versions


async def current_catalog_version(engine: AsyncEngine) -> int:
    """The committed version: one statement on a pooled connection (0 without the row)."""
    async with engine.connect() as connection:
        value = (await connection.execute(_CURRENT)).scalar()
    return int(value) if value is not None else 0


class CatalogVersions:
    """The committed version, read once per anonymous request (`current`).

    On a SQLite file the read is a plain `sqlite3` statement on a connection of its own, in
    the calling (event loop) thread: in WAL mode it sees the last commit of any process and
    takes a few microseconds, where a hand-off to aiosqlite's thread and back costs about
    0.5 ms of a 1 ms request (the pricing page's hit rate halved). Elsewhere (PostgreSQL, an
    in-memory SQLite) it goes through `version_engine`. `reads` counts the statements sent."""

    def __init__(self, owner: AsyncEngine, *, statement_timeout_ms: int = 0) -> None:
        self.reads = 0
        self._file = _sqlite_file(owner.url)
        self._connection: sqlite3.Connection | None = None
        self.engine = (
            None if self._file else version_engine(owner, statement_timeout_ms=statement_timeout_ms)
        )
        if self._file:
            event.listen(owner.sync_engine, "engine_disposed", lambda _engine: self.close())

    async def current(self) -> int:
        self.reads += 1
        if self.engine is not None:
            return await current_catalog_version(self.engine)
        return self._read_file()

    def _read_file(self) -> int:
        connection = self._connection
        if connection is None:
            assert self._file is not None
            # mode=rw: never create a database file that is not there.
            connection = sqlite3.connect(
                Path(self._file).resolve().as_uri() + "?mode=rw",
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


def _sqlite_file(url: URL) -> str | None:
    """The path of a SQLite database file `url` names (None: not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database
