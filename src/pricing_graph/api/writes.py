"""Run one mutation as one transaction, turning expected failures into `UserError`s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.api.context import Context
from pricing_graph.api.errors import ErrorCode, RefusedError, UserError, user_error
from pricing_graph.api.ids import InvalidGlobalId, decode_id
from pricing_graph.rating.plan_checks import Path

ResultT = TypeVar("ResultT")


async def run_write(
    context: Context,
    work: Callable[[AsyncSession], Awaitable[ResultT]],
    *,
    conflict: UserError | None = None,
) -> tuple[ResultT | None, list[UserError]]:
    """All of `work` commits, or none of it does and the errors come back.

    A unique-constraint race (two requests creating the same key at once) reaches the
    database as an IntegrityError; it is reported as `conflict`.
    """
    try:
        async with context.write() as session:
            return await work(session), []
    except RefusedError as refused:
        return None, refused.errors
    except IntegrityError:
        return None, [
            conflict
            or UserError(
                field=None, code=ErrorCode.DUPLICATE_KEY, message="conflicts with existing data"
            )
        ]


def refuse_if(errors: list[UserError]) -> None:
    if errors:
        raise RefusedError(errors)


def db_id(path: Path, global_id: str, expected: str) -> int:
    """Decode a global ID from input, or refuse the write with INVALID_ID at `path`."""
    try:
        return decode_id(global_id, expected)[1]
    except InvalidGlobalId as exc:
        raise RefusedError([user_error(path, ErrorCode.INVALID_ID, str(exc))]) from None


def not_found(path: Path, what: str, global_id: str) -> RefusedError:
    return RefusedError([user_error(path, ErrorCode.NOT_FOUND, f"no {what} with ID {global_id}")])
