"""Expected failures as values: `UserError` in payloads, `PublicError` for query arguments.

Anything else raised while resolving is masked ("Unexpected error.") and logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from pricing_graph.api.scalars import DecimalInputError
from pricing_graph.services.errors import DomainError, Problem, camel, field_path
from pricing_graph.services.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("pricing_graph.api")


ErrorCode = DomainErrorCode
strawberry.enum(
    DomainErrorCode, description="Why a request was refused; stable for programs to switch on."
)


@strawberry.type(description="An expected failure: which input field, a stable code, and why.")
class UserError:
    field: str | None = strawberry.field(
        description='Dotted path of the input field, e.g. "input.ramps.0.prices.1.usage.rate".'
    )
    code: ErrorCode
    message: str


def to_user_error(found: Problem) -> UserError:
    return UserError(field=found.field, code=found.code, message=found.message)


def user_errors(refused: DomainError) -> list[UserError]:
    """A service's refusal as payload errors."""
    return [to_user_error(p) for p in refused.problems]


class PublicError(GraphQLError):
    """A query argument we refuse, shown to the caller with a code and the argument's name."""

    def __init__(self, code: ErrorCode, field: str | None, message: str) -> None:
        super().__init__(message, extensions={"code": code.value, "field": field})

    @classmethod
    def of(cls, refused: DomainError) -> PublicError:
        """A service's refusal of a read: the field resolves to null with this error."""
        first = refused.problems[0]
        return cls(first.code, first.field, first.message)


_VARIABLE_PATH = re.compile(r"Variable '\$(\w+)' has invalid value at (\S*?):")


def _is_public(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | DecimalInputError):
        return True
    log.error("unexpected error", exc_info=original)
    return False


def _with_code(error: GraphQLError) -> GraphQLError:
    """Give a value that cannot be coerced (a bad Decimal, a malformed DateTime) the same
    `code` and `field` shape as every other refusal."""
    if error.extensions:
        return error
    cause = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    found = _VARIABLE_PATH.search(error.message)
    if isinstance(cause, DecimalInputError):
        code = ErrorCode.INVALID_DECIMAL
    elif found is not None:
        code = ErrorCode.INVALID_VALUE
    else:
        return error
    field = re.sub(r"\[(\d+)\]", r".\1", f"{found.group(1)}{found.group(2)}") if found else None
    error.extensions = {"code": code.value, "field": field}
    return error


class PublicErrors(MaskErrors):
    """Unexpected errors become "Unexpected error." (and are logged); expected ones keep
    their message and carry `extensions.code` and `extensions.field`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _is_public(error))

    def _process_result(self, result: Any) -> None:
        super()._process_result(result)
        if result.errors:
            result.errors = [_with_code(error) for error in result.errors]


__all__ = ["camel", "field_path"]
