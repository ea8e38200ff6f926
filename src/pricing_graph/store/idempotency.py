"""The idempotency_key table: claimed before the work, filled with its result.

Keys are scoped by caller: the same key sent by two callers names two requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store.contracts import IdempotencyKeyRow


async def find_key(
    session: AsyncSession, caller: str, operation: str, key: str
) -> IdempotencyKeyRow | None:
    statement = select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.caller == caller,
        IdempotencyKeyRow.operation == operation,
        IdempotencyKeyRow.key == key,
    )
    return (await session.exec(statement)).first()


async def claim_key(
    session: AsyncSession,
    caller: str,
    operation: str,
    key: str,
    request_hash: str,
    work: Callable[[AsyncSession], Awaitable[int]],
) -> int:
    """Insert the key first (a concurrent duplicate waits on its unique index), run the
    work, and record the id it returns."""
    claim = IdempotencyKeyRow(
        caller=caller, operation=operation, key=key, request_hash=request_hash, result_id=0
    )
    session.add(claim)
    await session.flush()
    claim.result_id = await work(session)
    await session.flush()
    return claim.result_id
