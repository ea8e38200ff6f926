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

from pricing_graph.api.describe import describe_enum
from pricing_graph.api.scalars import DecimalInputError
from pricing_graph.services.errors import DomainError, Problem, camel, field_path
from pricing_graph.services.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("pricing_graph.api")


ErrorCode = DomainErrorCode

# What each code means, for the schema (services stay free of Strawberry). Codes are stable:
# programs switch on them; the message beside a code is for people and may change.
ERROR_CODE_DESCRIPTIONS: dict[DomainErrorCode, str] = {
    ErrorCode.BATCH_TOO_LARGE: "More usage events in one request than a batch takes (10,000).",
    ErrorCode.BODY_TOO_LARGE: "The HTTP body is larger than the server accepts (413).",
    ErrorCode.BOUNDED_LAST_TIER: "The last tier has an `upTo`; it must be unbounded (null).",
    ErrorCode.COMPOSITE_INVALID_TARGET: "A composite price refers to a price it cannot apply "
    "to (another composite, or a price of another kind).",
    ErrorCode.COMPOSITE_SELF_REFERENCE: "A composite price lists its own key in `priceKeys`.",
    ErrorCode.COMPOSITE_UNKNOWN_PRICE: "A composite price lists a key no price of the ramp has.",
    ErrorCode.CONFLICT: "The object changed since it was read (its `revision` moved on): read "
    "it again and retry.",
    ErrorCode.CURRENCY_MISMATCH: "An amount's currency is not the plan's currency.",
    ErrorCode.DUPLICATE_KEY: "The key (product, metric, plan, price or external ID) is taken.",
    ErrorCode.DUPLICATE_MATCH: "Two dimension rates of a price match the same dimension values.",
    ErrorCode.EVENT_ID_REUSED: "A usage event ID was stored before with different content "
    "(the same content is a harmless duplicate).",
    ErrorCode.FORBIDDEN: "The caller's key (or no key) may not do this: see docs/security.md.",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "An idempotency key was used before with another input.",
    ErrorCode.INVALID_BODY: "The HTTP body is not valid JSON, or not UTF-8 (400).",
    ErrorCode.INVALID_CURSOR: "A pagination cursor (`after`) this list did not hand out.",
    ErrorCode.INVALID_DATES: "Dates out of order, e.g. an end date before the start date.",
    ErrorCode.INVALID_DECIMAL: 'Not a Decimal: a string of digits such as "0.002", at most '
    "12 decimal places, no exponent.",
    ErrorCode.INVALID_ID: "Not a global ID, or the ID of another type than the field takes.",
    ErrorCode.INVALID_PLAN: "The plan cannot be rated as given (its field says where).",
    ErrorCode.INVALID_RANGE: "A minimum above its maximum, e.g. `minPerEvent` > `maxPerEvent`.",
    ErrorCode.INVALID_STATUS: "The object's status does not allow this, e.g. publishing a plan "
    "that is not a DRAFT.",
    ErrorCode.INVALID_TERMS: "Contract terms that cannot be applied (adjustments, "
    "commitments, settings).",
    ErrorCode.INVALID_USAGE: "Usage that cannot be rated, e.g. a negative quantity.",
    ErrorCode.INVALID_VALUE: "A value out of its allowed set or shape (a locale, a currency "
    "code, a malformed Date or DateTime).",
    ErrorCode.LAST_RAMP_HAS_DURATION: "The last ramp of a plan has `durationPeriods`; it must "
    "run to the end of the contract.",
    ErrorCode.MISSING_BILLING_STATE: "Rating needs state the contract does not have yet "
    "(e.g. a previous period's invoice).",
    ErrorCode.MISSING_VALUE: "A usage event has neither `value` nor the metric's event property.",
    ErrorCode.NEGATIVE_VALUE: "A value below zero where only 0 or more makes sense.",
    ErrorCode.NOT_FOUND: "Nothing with this ID or key exists, or the caller may not see it.",
    ErrorCode.NOT_PERIOD_BOUNDARY: "A contract change dated inside a billing period: changes "
    "take effect on a period's first day.",
    ErrorCode.NOT_POSITIVE: "A value of 0 or less where it must be above zero (a credit amount).",
    ErrorCode.OVERLAPPING_CONTRACT: "The customer already has a contract on this product over "
    "some of these dates.",
    ErrorCode.PAGE_SIZE_TOO_LARGE: "`first` asks for more items than a page holds (100).",
    ErrorCode.PERIOD_OUT_OF_RANGE: "A billing period index before the contract starts or after "
    "it ends.",
    ErrorCode.PLAN_ARCHIVED: "The plan is ARCHIVED: no new contracts or quotes on it.",
    ErrorCode.PLAN_NOT_DRAFT: "Only a DRAFT plan can be edited; publish a new version instead.",
    ErrorCode.PLAN_NOT_PUBLISHED: "Contracts need a PUBLISHED plan version.",
    ErrorCode.PRODUCT_ARCHIVED: "The product is archived: no new plans on it.",
    ErrorCode.PROMOTION_CODE_EXHAUSTED: "The promotion code was redeemed its maximum "
    "number of times.",
    ErrorCode.PROMOTION_CODE_EXPIRED: "The promotion code is past its expiry date.",
    ErrorCode.QUERY_TOO_COSTLY: "The query's estimated cost is above the limit (docs/security.md).",
    ErrorCode.QUERY_TOO_DEEP: "The query nests deeper than the limit allows.",
    ErrorCode.QUOTE_ACCEPTED: "The saved quote was accepted; it can no longer change.",
    ErrorCode.QUOTE_EXPIRED: "The saved quote is past its `validUntil` date.",
    ErrorCode.QUOTE_NOT_APPROVED: "Only an APPROVED quote can be accepted.",
    ErrorCode.QUOTE_NOT_DRAFT: "Only a DRAFT quote can be revised or approved.",
    ErrorCode.QUOTE_VOIDED: "The saved quote was voided.",
    ErrorCode.RAMP_DURATION_REQUIRED: "Every ramp but the last needs `durationPeriods`.",
    ErrorCode.RATE_LIMITED: "Too many requests from this caller; retry after `Retry-After` "
    "seconds (429).",
    ErrorCode.REQUIRED: "A value that must be given (or may not be null) is missing.",
    ErrorCode.TIERS_NOT_ASCENDING: "Tier bounds (`upTo`) are not strictly increasing.",
    ErrorCode.TIER_GAP: "Tiers leave a range of quantities without a price.",
    ErrorCode.TIER_OVERLAP: "Two tiers price the same quantities.",
    ErrorCode.TIMESTAMP_IN_FUTURE: "A usage event timestamped further ahead than the server "
    "allows (an hour by default).",
    ErrorCode.TIME_LIMIT_EXCEEDED: "The request ran longer than the time limit and was stopped.",
    ErrorCode.TOO_MANY_ALIASES: "The query uses more aliases than the limit allows.",
    ErrorCode.TOO_MANY_TOKENS: "The query document has more tokens than the limit allows.",
    ErrorCode.UNAUTHENTICATED: "The `Authorization: Bearer` key is unknown or revoked (401).",
    ErrorCode.UNBOUNDED_TIER_NOT_LAST: "Only the last tier may have no `upTo`.",
    ErrorCode.UNKNOWN_CURRENCY: "Not an ISO 4217 currency code (e.g. USD, EUR).",
    ErrorCode.UNKNOWN_CUSTOMER: "No customer with this ID or external ID (for this caller).",
    ErrorCode.UNKNOWN_DIMENSION: "A dimension the metric does not declare.",
    ErrorCode.UNKNOWN_METRIC: "No billable metric with this key on the product.",
    ErrorCode.UNKNOWN_PRICE: "No price with this key on the plan.",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "The body's content type is not application/json (415).",
}

strawberry.enum(
    DomainErrorCode,
    description="Why a request was refused; stable for programs to switch on (the message "
    "beside it is for people). docs/security.md and the domain docs list where each occurs.",
)
describe_enum(
    DomainErrorCode, **{code.name: text for code, text in ERROR_CODE_DESCRIPTIONS.items()}
)


@strawberry.type(description="An expected failure: which input field, a stable code, and why.")
class UserError:
    field: str | None = strawberry.field(
        description='Dotted path of the input field, e.g. "input.ramps.0.prices.1.usage.rate".'
    )
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")
    message: str = strawberry.field(description="What went wrong and how to fix it, for people.")


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
