"""The async engine and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store.types import json_text
from pricing_graph.store.usage_repo import register_sqlite_aggregates

QUERY_CANCELED = "57014"  # PostgreSQL: statement_timeout expired (or the query was cancelled)


def make_engine(url: str, *, statement_timeout_ms: int = 0, **kwargs: Any) -> AsyncEngine:
    """`statement_timeout_ms` (PostgreSQL only; 0: none) makes the server cancel any one
    statement that runs longer, on every connection of the pool.

    On PostgreSQL every connection also gets `plan_cache_mode=force_custom_plan`: asyncpg
    prepares every statement, and from a statement's 6th execution on a connection the
    server may switch to a generic plan (one for any parameters). For the usage aggregation
    that plan assumes an average customer's few hundred events and reads a big customer's
    million by index, 5-8 times slower (docs/usage.md, "Stable plans"). Custom plans cost a
    planning per execution (tenths of a millisecond here). A caller's own
    `connect_args={"server_settings": {"plan_cache_mode": ...}}` wins (the benchmark's
    before/after)."""
    if make_url(url).get_backend_name() == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        server_settings = dict(connect_args.get("server_settings", {}))
        server_settings.setdefault("plan_cache_mode", "force_custom_plan")
        if statement_timeout_ms:
            server_settings["statement_timeout"] = str(statement_timeout_ms)
        connect_args["server_settings"] = server_settings
        kwargs["connect_args"] = connect_args
    # Pre-ping: a connection the server closed meanwhile (a restart, a failover, an idle
    # timeout) is replaced when it is checked out instead of failing the request. A SQLite
    # file has no server to close it: there the ping is only a round trip to aiosqlite's
    # thread (four hand-offs) on every checkout.
    kwargs.setdefault("pool_pre_ping", make_url(url).get_backend_name() != "sqlite")
    engine = create_async_engine(url, json_serializer=json_text, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def is_statement_timeout(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is PostgreSQL cancelling a statement."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if getattr(cause, "sqlstate", None) == QUERY_CANCELED:
            return True
        orig = getattr(cause, "orig", None)
        cause = orig if isinstance(orig, BaseException) else cause.__cause__
    return False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    register_sqlite_aggregates(dbapi_connection)  # exact decimal_sum / decimal_max


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
