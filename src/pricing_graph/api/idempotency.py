"""Idempotency keys for create/amend mutations.

A retry with the same key and the same input returns the first result and writes nothing;
the same key with a different input is IDEMPOTENCY_KEY_REUSED. The key row is claimed (inserted)
before the work, in the same transaction: a concurrent duplicate waits on the unique index
until the first commits or rolls back, then either fails, rolls back whole and on its retry
finds the first request's result, or does the work itself. Had the work come first, the
duplicate would run it too and could be refused by what the first wrote (an overlapping
contract, a stale revision) instead of getting the first result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.api.context import Context
from pricing_graph.api.errors import ErrorCode, RefusedError, UserError, user_error
from pricing_graph.api.writes import run_write
from pricing_graph.store.contracts import IdempotencyKeyRow

Work = Callable[[AsyncSession], Awaitable[int]]
KEY_LENGTH = 200  # the idempotency_key.key column


def request_hash(given: Any) -> str:
    """A stable digest of a Strawberry input, ignoring its idempotency key."""
    data = dataclasses.asdict(given)
    data.pop("idempotency_key", None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def idempotent_write(
    context: Context,
    operation: str,
    given: Any,
    work: Work,
    *,
    conflict: UserError | None = None,
) -> tuple[int | None, list[UserError]]:
    """Run `work` (which returns the id of what it made or changed) at most once per key.

    `conflict` is the error for a unique-constraint race the work's own checks could not
    see (two requests creating the same external ID at once)."""
    key: str | None = getattr(given, "idempotency_key", None)
    if key is None:
        return await run_write(context, work, conflict=conflict)
    if not key or len(key) > KEY_LENGTH:
        return None, [
            user_error(
                ("idempotency_key",),
                ErrorCode.INVALID_VALUE,
                f"an idempotency key has 1 to {KEY_LENGTH} characters",
            )
        ]
    digest = request_hash(given)

    async def guarded(session: AsyncSession) -> int:
        found = (
            await session.exec(
                select(IdempotencyKeyRow).where(
                    IdempotencyKeyRow.operation == operation, IdempotencyKeyRow.key == key
                )
            )
        ).first()
        if found is not None:
            if found.request_hash != digest:
                raise RefusedError(
                    [
                        user_error(
                            ("idempotency_key",),
                            ErrorCode.IDEMPOTENCY_KEY_REUSED,
                            f"key {key!r} was used for a different {operation} input",
                        )
                    ]
                )
            return found.result_id
        claim = IdempotencyKeyRow(operation=operation, key=key, request_hash=digest, result_id=0)
        session.add(claim)
        await session.flush()
        claim.result_id = await work(session)
        await session.flush()
        return claim.result_id

    result, errors = await run_write(context, guarded)
    if errors and errors[0].code is ErrorCode.DUPLICATE_KEY and errors[0].field is None:
        # A unique-constraint race: if a concurrent request with the same key committed
        # first, this finds and returns its result; otherwise it reports `conflict`.
        result, errors = await run_write(context, guarded, conflict=conflict)
    return result, errors
