"""Expected failures of the domain: one `DomainError` carrying every `Problem` found.

Edges map them: GraphQL to `UserError`s in payloads, the bulk endpoint to JSON. The codes
are the domain's; the GraphQL `ErrorCode` enum is this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from pricing_graph.rating.plan_checks import Path


class ErrorCode(Enum):
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BOUNDED_LAST_TIER = "BOUNDED_LAST_TIER"
    COMPOSITE_INVALID_TARGET = "COMPOSITE_INVALID_TARGET"
    COMPOSITE_SELF_REFERENCE = "COMPOSITE_SELF_REFERENCE"
    COMPOSITE_UNKNOWN_PRICE = "COMPOSITE_UNKNOWN_PRICE"
    CONFLICT = "CONFLICT"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    DUPLICATE_MATCH = "DUPLICATE_MATCH"
    EVENT_ID_REUSED = "EVENT_ID_REUSED"
    FORBIDDEN = "FORBIDDEN"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_BODY = "INVALID_BODY"
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
    PROMOTION_CODE_EXHAUSTED = "PROMOTION_CODE_EXHAUSTED"
    PROMOTION_CODE_EXPIRED = "PROMOTION_CODE_EXPIRED"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    QUOTE_ACCEPTED = "QUOTE_ACCEPTED"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"
    QUOTE_NOT_APPROVED = "QUOTE_NOT_APPROVED"
    QUOTE_NOT_DRAFT = "QUOTE_NOT_DRAFT"
    QUOTE_VOIDED = "QUOTE_VOIDED"
    RAMP_DURATION_REQUIRED = "RAMP_DURATION_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"
    REQUIRED = "REQUIRED"
    TIERS_NOT_ASCENDING = "TIERS_NOT_ASCENDING"
    TIER_GAP = "TIER_GAP"
    TIER_OVERLAP = "TIER_OVERLAP"
    TIMESTAMP_IN_FUTURE = "TIMESTAMP_IN_FUTURE"
    TIME_LIMIT_EXCEEDED = "TIME_LIMIT_EXCEEDED"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNBOUNDED_TIER_NOT_LAST = "UNBOUNDED_TIER_NOT_LAST"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
    UNKNOWN_DIMENSION = "UNKNOWN_DIMENSION"
    UNKNOWN_METRIC = "UNKNOWN_METRIC"
    UNKNOWN_PRICE = "UNKNOWN_PRICE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"


@dataclass(frozen=True, slots=True)
class Problem:
    """One refusal: the dotted path of the input field (None: the request as a whole), a
    stable code and a message that says how to fix it."""

    field: str | None
    code: ErrorCode
    message: str


class DomainError(Exception):
    """Raised by a service to refuse an operation; nothing it began is kept."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_path(path: Path, root: str = "input") -> str:
    """("ramps", 0, "unit_price") -> "input.ramps.0.unitPrice"."""
    return ".".join([root, *(camel(p) if isinstance(p, str) else str(p) for p in path)])


def problem(path: Path | None, code: str | ErrorCode, message: str) -> Problem:
    """A problem on the input field at `path` (snake_case, relative to the input)."""
    return Problem(
        field=None if path is None else field_path(path),
        code=code if isinstance(code, ErrorCode) else ErrorCode(code),
        message=message,
    )


def refuse(path: Path | None, code: ErrorCode, message: str) -> DomainError:
    return DomainError([problem(path, code, message)])


def refuse_if(problems: Sequence[Problem]) -> None:
    if problems:
        raise DomainError(problems)


def not_found(path: Path, what: str, global_id: str) -> DomainError:
    return refuse(path, ErrorCode.NOT_FOUND, f"no {what} with ID {global_id}")
