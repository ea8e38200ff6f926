"""Quotes: what a deal would cost (`price_quote`, `compare_plans`) and saved quotes, whose
lifecycle (create, revise, approve, void, accept) ends in a contract."""

from pricing_graph.services.quotes.documents import from_json, quote_document, to_json
from pricing_graph.services.quotes.pricing import (
    MAX_PERIODS,
    Comparison,
    ComparisonRequest,
    EffectivePrice,
    PlanComparison,
    PricedQuote,
    QuotePlanChange,
    QuoteRequest,
    UnratedPlan,
    compare_plans,
    price_quote,
)
from pricing_graph.services.quotes.projection import ProjectedUsage
from pricing_graph.services.quotes.saved import (
    AcceptQuote,
    ApproveQuote,
    NewSavedQuote,
    Prospect,
    QuoteRevision,
    VoidQuote,
    accept_quote,
    approve_quote,
    create_quote,
    saved_quote,
    saved_quotes_page,
    update_quote,
    void_quote,
)

__all__ = [
    "MAX_PERIODS",
    "AcceptQuote",
    "ApproveQuote",
    "Comparison",
    "ComparisonRequest",
    "EffectivePrice",
    "NewSavedQuote",
    "PlanComparison",
    "PricedQuote",
    "ProjectedUsage",
    "Prospect",
    "QuotePlanChange",
    "QuoteRequest",
    "QuoteRevision",
    "UnratedPlan",
    "VoidQuote",
    "accept_quote",
    "approve_quote",
    "compare_plans",
    "create_quote",
    "from_json",
    "price_quote",
    "quote_document",
    "saved_quote",
    "saved_quotes_page",
    "to_json",
    "update_quote",
    "void_quote",
]
