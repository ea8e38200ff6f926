"""Typed rating errors. Every error names the offending field so a caller can point at it.

The API layer maps `RatingError.code` and `RatingError.field` onto a `UserError`.
"""

from __future__ import annotations


class RatingError(Exception):
    """Base class: bad input to the rating core. `field` is a dotted path into the input."""

    code = "RATING_ERROR"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class InvalidPlan(RatingError):
    """The plan (or one of its ramps, prices, rates or tiers) is not a valid spec."""

    code = "INVALID_PLAN"


class InvalidTerms(RatingError):
    """The contract terms (adjustments, overrides, grants, commitments) are not valid."""

    code = "INVALID_TERMS"


class InvalidUsage(RatingError):
    """Usage that cannot be rated: unknown metric, negative quantity, missing values."""

    code = "INVALID_USAGE"


class PeriodOutOfRange(RatingError):
    """A billing period that lies outside the contract."""

    code = "PERIOD_OUT_OF_RANGE"


class CurrencyMismatch(RatingError):
    """Amounts in different pricing units that cannot be combined."""

    code = "CURRENCY_MISMATCH"


class MissingBillingState(RatingError):
    """A period after the first needs the closing state of the period before it
    (credit balances, commitment spend, trial cap used)."""

    code = "MISSING_BILLING_STATE"
