"""PostgreSQL: statements sent straight on the asyncpg connection of a transaction.

An ingestion batch's few statements cost more in SQLAlchemy than in the database: 0.8-1.7
ms of the client's CPU each (compiling, expanding IN lists, the cursor's adaptation, the
ORM's flush for a row) against 0.1-0.2 ms for asyncpg's prepared statement (cached per
connection). These run in the session's open transaction (SQLAlchemy has started it: a
statement went before), and are announced to the engine's `before_cursor_execute`
listeners like any other, so statement counters and tracing still see every one.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection


async def driver(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `connection`, inside its open transaction."""
    raw = (await connection.get_raw_connection()).driver_connection
    assert isinstance(raw, asyncpg.Connection) and raw.is_in_transaction()
    return raw


async def fetch(connection: AsyncConnection, statement: str, *arguments: Any) -> list[Any]:
    """The rows of one prepared statement, on the driver's connection."""
    raw = await driver(connection)
    announce(connection, statement, arguments)
    return list(await raw.fetch(statement, *arguments))


async def execute(connection: AsyncConnection, statement: str, *arguments: Any) -> None:
    """One prepared statement, on the driver's connection; its rows (if any) unread."""
    raw = await driver(connection)
    announce(connection, statement, arguments)
    await raw.execute(statement, *arguments)


def announce(connection: AsyncConnection, statement: str, parameters: Any) -> None:
    """Tell the engine's `before_cursor_execute` listeners about a statement sent on the
    driver's connection (SQLAlchemy does not see it)."""
    sync = connection.sync_connection
    if sync is not None and (sync._has_events or sync.engine._has_events):
        sync.dispatch.before_cursor_execute(sync, None, statement, parameters, None, False)
