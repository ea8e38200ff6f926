"""Idempotency keys for create/amend operations.

A retry with the same key and the same input returns the first result and writes nothing;
the same key with a different input is IDEMPOTENCY_KEY_REUSED. Keys are per caller: one
caller's key neither answers nor blocks another's. The key row is claimed (inserted)
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
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.services.errors import DomainError, ErrorCode, Problem, problem, refuse
from pricing_graph.services.unit_of_work import DUPLICATE, UnitOfWork, Work
from pricing_graph.store.idempotency import claim_key, find_key

KEY_LENGTH = 200  # the idempotency_key.key column


def request_hash(given: Any) -> str:
    """A stable digest of a dataclass input, ignoring its idempotency key."""
    data = dataclasses.asdict(given)
    data.pop("idempotency_key", None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def idempotent_write(
    uow: UnitOfWork,
    operation: str,
    given: Any,
    work: Work[int],
    *,
    conflict: Problem | None = None,
    caller: str = "anonymous",
) -> int:
    """Run `work` (which returns the id of what it made or changed) at most once per key.

    Keys are scoped by `caller` (`Actor.caller_id`): another caller's use of the same key
    neither answers nor blocks this request. `conflict` is the error for a
    unique-constraint race the work's own checks could not see (two requests creating the
    same external ID at once)."""
    key: str | None = getattr(given, "idempotency_key", None)
    if key is None:
        return await uow.run(work, conflict=conflict)
    if not key or len(key) > KEY_LENGTH:
        raise refuse(
            ("idempotency_key",),
            ErrorCode.INVALID_VALUE,
            f"an idempotency key has 1 to {KEY_LENGTH} characters",
        )
    digest = request_hash(given)

    async def guarded(session: AsyncSession) -> int:
        found = await find_key(session, caller, operation, key)
        if found is not None:
            if found.request_hash != digest:
                raise DomainError(
                    [
                        problem(
                            ("idempotency_key",),
                            ErrorCode.IDEMPOTENCY_KEY_REUSED,
                            f"key {key!r} was used for a different {operation} input",
                        )
                    ]
                )
            return found.result_id
        return await claim_key(session, caller, operation, key, digest, work)

    try:
        return await uow.run(guarded)
    except DomainError as refused:
        if refused.problems != [DUPLICATE]:
            raise
    # A unique-constraint race: if a concurrent request with the same key committed first,
    # this finds and returns its result; otherwise it reports `conflict`.
    return await uow.run(guarded, conflict=conflict)
