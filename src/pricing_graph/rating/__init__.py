"""The rating core: pure, standard-library-only pricing of plans, contracts and usage.

Public entry points: `preview_invoice`, `quote`, `compare_plans` (`rank_plans`),
`round_money`.
"""

from .calendar import BillingCalendar, Period
from .credits import BillingState, Breakage, CreditApplication
from .discounts import Discount, DiscountApplication, DiscountDuration, DiscountKind
from .errors import (
    CurrencyMismatch,
    InvalidPlan,
    InvalidTerms,
    InvalidUsage,
    MissingBillingState,
    PeriodOutOfRange,
    RatingError,
)
from .invoice import InvoiceLine, InvoicePreview, LineKind, UnpricedUsage, preview_invoice
from .money import round_money
from .pricing import TierLine
from .quote import (
    CreditSummary,
    PlanRanking,
    PlanRankings,
    Quote,
    UnratedPlan,
    compare_plans,
    quote,
    rank_plans,
)
from .terms import (
    AdjustmentKind,
    Commitment,
    CommitmentKind,
    ContractTerms,
    CreditGrant,
    PriceAdjustment,
    SettingOverrides,
)
from .usage import MetricUsage, UsageProjection, UsageSnapshot, group_of

__all__ = [
    "AdjustmentKind",
    "BillingCalendar",
    "BillingState",
    "Breakage",
    "Commitment",
    "CommitmentKind",
    "ContractTerms",
    "CreditApplication",
    "CreditGrant",
    "CreditSummary",
    "CurrencyMismatch",
    "Discount",
    "DiscountApplication",
    "DiscountDuration",
    "DiscountKind",
    "InvalidPlan",
    "InvalidTerms",
    "InvalidUsage",
    "InvoiceLine",
    "InvoicePreview",
    "LineKind",
    "MetricUsage",
    "MissingBillingState",
    "Period",
    "PeriodOutOfRange",
    "PlanRanking",
    "PlanRankings",
    "PriceAdjustment",
    "Quote",
    "RatingError",
    "SettingOverrides",
    "TierLine",
    "UnpricedUsage",
    "UnratedPlan",
    "UsageProjection",
    "UsageSnapshot",
    "compare_plans",
    "group_of",
    "preview_invoice",
    "quote",
    "rank_plans",
    "round_money",
]
