"""Which plans PostgreSQL uses for the statements of one transaction.

The engine makes every connection plan each execution for its parameters
(`plan_cache_mode=force_custom_plan`, store/engine.py): the usage aggregation's generic plan
reads a big customer's events by index, several times slower. Planning every time also
reaches the foreign-key checks of an INSERT, whose per-row query (`SELECT 1 FROM customer
WHERE id = $1 FOR KEY SHARE`) is then planned again for each row: for a batch of 1,000
usage events, 46 ms of EXPLAIN ANALYZE against 24 ms on generic plans (the two checks 16 +
16 ms against 4 + 3 ms). An ingestion batch's statements (lookups by key, the insert, the
audit row) do not depend on their values, so the batch runs on generic plans, each prepared
statement planned once per connection, and turns the connection's own mode back on before
anything that aggregates usage. `SET LOCAL` ends with the transaction either way.
SQLite has no such setting: these do nothing there.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

GENERIC = "SET LOCAL plan_cache_mode = force_generic_plan"
OWN = "SET LOCAL plan_cache_mode TO DEFAULT"  # the connection's own (its startup value)
_MARK = "pricing_graph.generic_plans"  # the transaction the setting holds for


async def generic_plans(session: AsyncSession) -> None:
    """Generic plans for the rest of the session's transaction (PostgreSQL)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql(GENERIC)
        session.info[_MARK] = session.sync_session.get_transaction()


async def own_plans(session: AsyncSession) -> None:
    """The connection's own plan mode again, after `generic_plans` (nothing otherwise)."""
    if on_generic_plans(session):
        connection = await session.connection()
        await connection.exec_driver_sql(OWN)
        del session.info[_MARK]


def on_generic_plans(session: AsyncSession) -> bool:
    """Whether `generic_plans` holds for the session's current transaction."""
    mark = session.info.get(_MARK)
    return mark is not None and mark is session.sync_session.get_transaction()
