"""The demo price book, as plain data in the exact shape of the GraphQL inputs.

Every dict here is a `createMetric`, `createProduct` or `createPlan` input (camelCase keys,
Decimal values as strings, enums by name), so tests can send it to the API as well;
`pricing_graph.demo.seed` reads it into the catalog service's inputs (`demo.inputs`), so it
goes through the same validation as any client. Plans are `createPlan` inputs without
`productId`, grouped by product key, each wrapped in a `DemoPlan` that says whether to
publish it.

Where the numbers come from (`/shared/seeds`):

- `llm-platform` "Neural Language Engine" (seeds 000 and 002): Developer $0.002 / $0.006
  per 1K input / output tokens with 10K free input tokens a month and 100 req/min; Pro
  $0.001 / $0.003 per 1K, fine-tuning $3/hour (seed 002; seed 000 says $5, seed 002 is the
  product's own price list) and 1000 req/min; Enterprise "custom token pricing" shown as
  the list rates of a typical deal ($0.0008 / $0.0024 per 1K) plus a $2,000.00 monthly
  platform fee billed in advance, with no rate limit.
- `cloud-analytics` "Cloud Analytics" (seeds 000 and 002): on-demand storage $0.023 per
  GB-month and compute $0.05 per query-second with no minimums; reserved storage $0.015 and
  compute pre-purchased in blocks of 1,000 query-seconds at a 40% discount ($30.00 a block,
  $0.03 per query-second) with a $500.00 monthly minimum; committed (public: the seeds
  offer it to everyone) bills annually at the reserved rates with a $50,000.00 yearly
  minimum. Egress ($0.09/GB) and the concurrent-connection caps are illustrative.
- `cloud-database` "Cloud Database" (seed 003): storage tiered, first 1,000 GB at $0.10 then
  $0.09 (1,500 GB = $145.00); CPU flat; a $49.00 recurring base charge; an introductory
  ramp of 2 billing periods with a $100.00 invoice minimum, then a $1,000.00 composite
  minimum across CPU and storage and a $1,500.00 invoice minimum. `db-volume` is the same
  plan priced by VOLUME (1,500 GB = $135.00); it is PRIVATE, a variant for sales-led deals
  and examples, so it stays off the pricing page.
- `ai-api` "AI API" (seed 001): the "Pro Plan" rate card, gpt-4 $0.03 and gpt-3.5 $0.002
  per model unit, the plan Startup Inc, Acme Corp and Mega Enterprise share. It is its own
  product, not part of `llm-platform`: it is priced per model unit through a rate card
  (seed 001, "Pattern 4: AI API with multiple metrics"), not per 1K tokens, and sharing a
  product would put a fourth, differently shaped plan on the LLM pricing page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """A `createPlan` input minus `productId`, and whether the seed publishes it."""

    input: Json
    publish: bool = True

    @property
    def key(self) -> str:
        key = self.input["key"]
        assert isinstance(key, str)
        return key


def _flat(unit_price: str) -> Json:
    return {"model": "FLAT", "unitPrice": unit_price}


def _usage(key: str, name: str, metric_key: str, rate: Json, **usage: Any) -> Json:
    return {"key": key, "name": name, "usage": {"metricKey": metric_key, "rate": rate, **usage}}


def _per_1k_tokens(key: str, name: str, metric_key: str, unit_price: str, **usage: Any) -> Json:
    """Tokens are metered one by one and priced per 1K (conversion factor 1000)."""
    return _usage(key, name, metric_key, _flat(unit_price), conversionFactor="1000", **usage)


USD = {"code": "USD"}

METRICS: tuple[Json, ...] = (
    # llm-platform
    {
        "key": "input_tokens",
        "name": "Input tokens",
        "unitLabel": "tokens",
        "aggregation": "SUM",
        "eventProperty": "tokens",
        "dimensions": ["model"],
    },
    {
        "key": "output_tokens",
        "name": "Output tokens",
        "unitLabel": "tokens",
        "aggregation": "SUM",
        "eventProperty": "tokens",
        "dimensions": ["model"],
    },
    {
        "key": "fine_tuning_hours",
        "name": "Fine-tuning compute hours",
        "unitLabel": "hour",
        "aggregation": "SUM",
        "eventProperty": "hours",
        "dimensions": [],
    },
    {
        "key": "api_calls",
        "name": "Model API calls",
        "unitLabel": "requests",
        "aggregation": "COUNT",
        "dimensions": [],
    },
    # cloud-analytics
    {
        "key": "query_compute_seconds",
        "name": "Query compute seconds",
        "unitLabel": "query-sec",
        "aggregation": "SUM",
        "eventProperty": "seconds",
        "dimensions": [],
    },
    {
        "key": "storage_gb_months",
        "name": "Storage GB-months",
        "unitLabel": "GB-month",
        "aggregation": "SUM",
        "eventProperty": "gb_months",
        "dimensions": [],
    },
    {
        "key": "egress_gb",
        "name": "Data egress",
        "unitLabel": "GB",
        "aggregation": "SUM",
        "eventProperty": "gb",
        "dimensions": [],
    },
    {
        "key": "concurrent_connections",
        "name": "Concurrent connections",
        "unitLabel": "connections",
        "aggregation": "MAX",
        "eventProperty": "connections",
        "dimensions": [],
    },
    # cloud-database
    {
        "key": "cpu_hours",
        "name": "CPU usage",
        "unitLabel": "CPU-hour",
        "aggregation": "SUM",
        "eventProperty": "cpu_hours",
        "dimensions": [],
    },
    {
        "key": "storage_gb",
        "name": "Max storage",
        "unitLabel": "GB",
        "aggregation": "MAX",
        "eventProperty": "gb",
        "dimensions": [],
    },
    # ai-api
    {
        "key": "model_units",
        "name": "Model units",
        "unitLabel": "unit",
        "aggregation": "SUM",
        "eventProperty": "units",
        "dimensions": ["model"],
    },
)

PRODUCTS: tuple[Json, ...] = (
    {
        "key": "llm-platform",
        "name": "Neural Language Engine",
        "description": "An LLM API: input and output tokens, fine-tuning compute and API calls.",
    },
    {
        "key": "cloud-analytics",
        "name": "Cloud Analytics",
        "description": "A data warehouse: query compute, storage, egress and connections.",
    },
    {
        "key": "cloud-database",
        "name": "Cloud Database",
        "description": "A managed database: CPU usage, max storage and a base charge.",
    },
    {
        "key": "ai-api",
        "name": "AI API",
        "description": "Model inference priced per model unit, with a rate per model.",
    },
)

# -- llm-platform ------------------------------------------------------------------------

_LLM_DEVELOPER = DemoPlan(
    {
        "key": "llm-developer",
        "name": "Developer",
        "invoiceDisplayName": "Neural Language Engine Developer",
        "description": "Low per-token rates and 10K free input tokens a month, for building.",
        "visibility": "PUBLIC",
        "tierRank": 1,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": ["Community support", "Usage caps"],
        "featureEntitlements": [{"key": "community_support", "displayName": "Community support"}],
        "usageLimits": [{"metricKey": "api_calls", "rateLimit": 100, "rateLimitWindow": "MINUTE"}],
        "ramps": [
            {
                "prices": [
                    _per_1k_tokens(
                        "input_tokens", "Input tokens", "input_tokens", "0.002", freeUnits="10"
                    ),
                    _per_1k_tokens("output_tokens", "Output tokens", "output_tokens", "0.006"),
                ]
            }
        ],
    }
)

_LLM_PRO = DemoPlan(
    {
        "key": "llm-pro",
        "name": "Pro",
        "invoiceDisplayName": "Neural Language Engine Pro",
        "description": "Half the Developer token rates, fine-tuning and higher rate limits.",
        "visibility": "PUBLIC",
        "tierRank": 2,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": ["Email support", "Volume discounts", "Higher limits"],
        "featureEntitlements": [
            {"key": "email_support", "displayName": "Email support"},
            {"key": "fine_tuning", "displayName": "Fine-tuning"},
        ],
        "usageLimits": [{"metricKey": "api_calls", "rateLimit": 1000, "rateLimitWindow": "MINUTE"}],
        "ramps": [
            {
                "prices": [
                    _per_1k_tokens("input_tokens", "Input tokens", "input_tokens", "0.001"),
                    _per_1k_tokens("output_tokens", "Output tokens", "output_tokens", "0.003"),
                    _usage(
                        "fine_tuning", "Fine-tuning compute", "fine_tuning_hours", _flat("3.00")
                    ),
                ]
            }
        ],
    }
)

_LLM_ENTERPRISE = DemoPlan(
    {
        "key": "llm-enterprise",
        "name": "Enterprise",
        "invoiceDisplayName": "Neural Language Engine Enterprise",
        "description": "Negotiated token rates, a platform fee, and no rate limits.",
        "visibility": "PUBLIC",
        "tierRank": 3,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": [
            "Unlimited rate limits",
            "Priority GPU access",
            "SLA guarantees",
            "Dedicated support",
        ],
        "featureEntitlements": [
            {"key": "dedicated_support", "displayName": "Dedicated support"},
            {"key": "fine_tuning", "displayName": "Fine-tuning"},
            {"key": "priority_gpu", "displayName": "Priority GPU access"},
            {"key": "sla", "displayName": "SLA guarantees"},
        ],
        "ramps": [
            {
                "prices": [
                    {
                        "key": "platform_fee",
                        "name": "Platform fee",
                        "invoiceDisplayName": "Enterprise platform fee",
                        "fixed": {"amount": "2000.00", "timing": "IN_ADVANCE"},
                    },
                    _per_1k_tokens("input_tokens", "Input tokens", "input_tokens", "0.0008"),
                    _per_1k_tokens("output_tokens", "Output tokens", "output_tokens", "0.0024"),
                    _usage(
                        "fine_tuning", "Fine-tuning compute", "fine_tuning_hours", _flat("3.00")
                    ),
                ]
            }
        ],
    }
)

# -- cloud-analytics ---------------------------------------------------------------------


def _egress() -> Json:
    return _usage("egress", "Data egress", "egress_gb", _flat("0.09"))


_ANALYTICS_ON_DEMAND = DemoPlan(
    {
        "key": "analytics-on-demand",
        "name": "On-demand",
        "invoiceDisplayName": "Cloud Analytics On-demand",
        "description": "Pay only for the queries you run and the data you store.",
        "visibility": "PUBLIC",
        "tierRank": 1,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": ["Pay only for queries run", "No minimums"],
        "usageLimits": [{"metricKey": "concurrent_connections", "limit": "10"}],
        "ramps": [
            {
                "prices": [
                    _usage("storage", "Storage", "storage_gb_months", _flat("0.023")),
                    _usage("compute", "Query compute", "query_compute_seconds", _flat("0.05")),
                    _egress(),
                ]
            }
        ],
    }
)

_ANALYTICS_RESERVED = DemoPlan(
    {
        "key": "analytics-reserved",
        "name": "Reserved",
        "invoiceDisplayName": "Cloud Analytics Reserved",
        "description": "Compute pre-purchased in blocks at a 40% discount, cheaper storage.",
        "visibility": "PUBLIC",
        "tierRank": 2,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": [
            "Compute blocks at 40% off on-demand",
            "Discounted storage",
            "Minimum commitment required",
        ],
        "usageLimits": [{"metricKey": "concurrent_connections", "limit": "50"}],
        "ramps": [
            {
                "invoiceMinimum": "500.00",
                "prices": [
                    _usage("storage", "Storage", "storage_gb_months", _flat("0.015")),
                    _usage(
                        "compute",
                        "Reserved compute blocks",
                        "query_compute_seconds",
                        {"model": "PACKAGE", "packageSize": "1000", "packagePrice": "30.00"},
                    ),
                    _egress(),
                ],
            }
        ],
    }
)

_ANALYTICS_COMMITTED = DemoPlan(
    {
        "key": "analytics-committed",
        "name": "Committed",
        "invoiceDisplayName": "Cloud Analytics Committed (annual)",
        "description": "An annual contract with a guaranteed minimum, at reserved rates.",
        "visibility": "PUBLIC",
        "tierRank": 3,
        "billingInterval": "ANNUAL",
        "pricingUnit": USD,
        "netPaymentDays": 45,
        "features": ["Annual contract", "Guaranteed minimum spend", "Reserved rates"],
        "usageLimits": [
            {"metricKey": "concurrent_connections", "limit": "200", "enforcement": "SOFT"}
        ],
        "ramps": [
            {
                "invoiceMinimum": "50000.00",
                "prices": [
                    _usage("storage", "Storage", "storage_gb_months", _flat("0.015")),
                    _usage("compute", "Query compute", "query_compute_seconds", _flat("0.03")),
                    _egress(),
                ],
            }
        ],
    }
)

# -- cloud-database ----------------------------------------------------------------------


def _db_prices(storage_model: str) -> list[Json]:
    return [
        _usage("cpu", "CPU usage", "cpu_hours", _flat("0.05")),
        _usage(
            "storage",
            "Storage",
            "storage_gb",
            {
                "model": storage_model,
                "tiers": [{"upTo": "1000", "unitPrice": "0.10"}, {"unitPrice": "0.09"}],
            },
        ),
        {"key": "base", "name": "Base charge", "fixed": {"amount": "49.00"}},
    ]


def _usage_minimum() -> Json:
    return {
        "key": "usage_minimum",
        "name": "Usage minimum",
        "invoiceDisplayName": "Minimum usage commitment",
        "composite": {"kind": "MINIMUM", "value": "1000.00", "priceKeys": ["cpu", "storage"]},
    }


_DB_STANDARD = DemoPlan(
    {
        "key": "db-standard",
        "name": "Standard",
        "invoiceDisplayName": "Cloud Database Standard",
        "description": "Two introductory periods with a low minimum, then standard minimums.",
        "visibility": "PUBLIC",
        "tierRank": 1,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": ["Tiered storage pricing", "Introductory pricing for 2 months"],
        "ramps": [
            {"durationPeriods": 2, "invoiceMinimum": "100.00", "prices": _db_prices("TIERED")},
            {"invoiceMinimum": "1500.00", "prices": [*_db_prices("TIERED"), _usage_minimum()]},
        ],
    }
)

_DB_VOLUME = DemoPlan(
    {
        "key": "db-volume",
        "name": "Standard (volume storage pricing)",
        "invoiceDisplayName": "Cloud Database Standard",
        "description": "Standard's rates with storage priced by volume: every GB at the rate "
        "of the tier reached.",
        "visibility": "PRIVATE",
        "tierRank": 2,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": ["Volume storage pricing"],
        "ramps": [{"prices": [*_db_prices("VOLUME"), _usage_minimum()]}],
    }
)

# -- ai-api ------------------------------------------------------------------------------

_PRO_PLAN = DemoPlan(
    {
        "key": "pro-plan",
        "name": "Pro Plan",
        "invoiceDisplayName": "AI API Pro Plan",
        "description": "One rate card for every customer; contracts override single rates.",
        "visibility": "PUBLIC",
        "tierRank": 1,
        "billingInterval": "MONTHLY",
        "pricingUnit": USD,
        "features": ["Per-model rate card", "Contract rate overrides"],
        "featureEntitlements": [{"key": "rate_card", "displayName": "Per-model rate card"}],
        "usageLimits": [{"metricKey": "model_units", "limit": "10000000"}],
        "ramps": [
            {
                "prices": [
                    {
                        "key": "model_usage",
                        "name": "Model usage",
                        "usage": {
                            "metricKey": "model_units",
                            "dimensionRates": [
                                {
                                    "match": [{"name": "model", "value": "gpt-4"}],
                                    "rate": _flat("0.03"),
                                },
                                {
                                    "match": [{"name": "model", "value": "gpt-3.5"}],
                                    "rate": _flat("0.002"),
                                },
                            ],
                        },
                    }
                ]
            }
        ],
    }
)

PLANS: dict[str, tuple[DemoPlan, ...]] = {
    "llm-platform": (_LLM_DEVELOPER, _LLM_PRO, _LLM_ENTERPRISE),
    "cloud-analytics": (_ANALYTICS_ON_DEMAND, _ANALYTICS_RESERVED, _ANALYTICS_COMMITTED),
    "cloud-database": (_DB_STANDARD, _DB_VOLUME),
    "ai-api": (_PRO_PLAN,),
}
