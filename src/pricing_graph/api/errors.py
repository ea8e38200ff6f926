"""Expected failures as values: `UserError` in payloads, `PublicError` for query arguments.

Anything else raised while resolving is masked ("Unexpected error.") and logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from pricing_graph.api.scalars import DecimalInputError
from pricing_graph.rating.plan_checks import Path

log = logging.getLogger("pricing_graph.api")


@strawberry.enum(description="Why a request was refused; stable for programs to switch on.")
class ErrorCode(Enum):
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    BOUNDED_LAST_TIER = "BOUNDED_LAST_TIER"
    COMPOSITE_INVALID_TARGET = "COMPOSITE_INVALID_TARGET"
    COMPOSITE_SELF_REFERENCE = "COMPOSITE_SELF_REFERENCE"
    COMPOSITE_UNKNOWN_PRICE = "COMPOSITE_UNKNOWN_PRICE"
    CONFLICT = "CONFLICT"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    DUPLICATE_MATCH = "DUPLICATE_MATCH"
    FORBIDDEN = "FORBIDDEN"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_DATES = "INVALID_DATES"
    INVALID_DECIMAL = "INVALID_DECIMAL"
    INVALID_ID = "INVALID_ID"
    INVALID_PLAN = "INVALID_PLAN"
    INVALID_RANGE = "INVALID_RANGE"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_TERMS = "INVALID_TERMS"
    INVALID_USAGE = "INVALID_USAGE"
    INVALID_VALUE = "INVALID_VALUE"
    LAST_RAMP_HAS_DURATION = "LAST_RAMP_HAS_DURATION"
    MISSING_BILLING_STATE = "MISSING_BILLING_STATE"
    MISSING_VALUE = "MISSING_VALUE"
    NEGATIVE_VALUE = "NEGATIVE_VALUE"
    NOT_FOUND = "NOT_FOUND"
    NOT_PERIOD_BOUNDARY = "NOT_PERIOD_BOUNDARY"
    NOT_POSITIVE = "NOT_POSITIVE"
    OVERLAPPING_CONTRACT = "OVERLAPPING_CONTRACT"
    PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
    PERIOD_OUT_OF_RANGE = "PERIOD_OUT_OF_RANGE"
    PLAN_ARCHIVED = "PLAN_ARCHIVED"
    PLAN_NOT_DRAFT = "PLAN_NOT_DRAFT"
    PLAN_NOT_PUBLISHED = "PLAN_NOT_PUBLISHED"
    PRODUCT_ARCHIVED = "PRODUCT_ARCHIVED"
    QUOTE_ACCEPTED = "QUOTE_ACCEPTED"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"
    QUOTE_NOT_APPROVED = "QUOTE_NOT_APPROVED"
    QUOTE_NOT_DRAFT = "QUOTE_NOT_DRAFT"
    QUOTE_VOIDED = "QUOTE_VOIDED"
    RAMP_DURATION_REQUIRED = "RAMP_DURATION_REQUIRED"
    REQUIRED = "REQUIRED"
    TIERS_NOT_ASCENDING = "TIERS_NOT_ASCENDING"
    TIER_GAP = "TIER_GAP"
    TIER_OVERLAP = "TIER_OVERLAP"
    TIMESTAMP_IN_FUTURE = "TIMESTAMP_IN_FUTURE"
    UNBOUNDED_TIER_NOT_LAST = "UNBOUNDED_TIER_NOT_LAST"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
    UNKNOWN_DIMENSION = "UNKNOWN_DIMENSION"
    UNKNOWN_METRIC = "UNKNOWN_METRIC"
    UNKNOWN_PRICE = "UNKNOWN_PRICE"


@strawberry.type(description="An expected failure: which input field, a stable code, and why.")
class UserError:
    field: str | None = strawberry.field(
        description='Dotted path of the input field, e.g. "input.ramps.0.prices.1.usage.rate".'
    )
    code: ErrorCode
    message: str


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_path(path: Path, root: str = "input") -> str:
    return ".".join([root, *(camel(p) if isinstance(p, str) else str(p) for p in path)])


def user_error(path: Path | None, code: str | ErrorCode, message: str) -> UserError:
    return UserError(
        field=None if path is None else field_path(path),
        code=code if isinstance(code, ErrorCode) else ErrorCode(code),
        message=message,
    )


class RefusedError(Exception):
    """Raised inside a write to abandon the transaction and report these errors instead."""

    def __init__(self, errors: Sequence[UserError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


class PublicError(GraphQLError):
    """A query argument we refuse, shown to the caller with a code and the argument's name."""

    def __init__(self, code: ErrorCode, field: str, message: str) -> None:
        super().__init__(message, extensions={"code": code.value, "field": field})


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
