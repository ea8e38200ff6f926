"""`quote` and `comparePlans` against the seeded demo data, to the cent, on both backends.

Every figure below was worked out by hand from the seeds before it was asserted:

- Seed 001, "Example: Full Enterprise Setup": Acme on the Neural Language Engine's
  Enterprise plan (list $0.0008 / $0.0024 per 1K input / output tokens, fine-tuning
  $3.00 an hour, a $2,000.00 platform fee in advance each billing period) with 50% off the
  usage prices, a $100,000 PREPAID commitment granting $125,000.00 of credits, QUARTERLY
  billing, net 45, from 2026-01-01 to 2027-01-01. "Quoted over 12 months" on quarterly
  billing is 4 periods (4 invoices, each issued at its quarter's end).
- comparePlans at 5M input and 2M output tokens a month (seeds 000/002 rates):
  Pro 5,000 x $0.001 + 2,000 x $0.003 = $11.00; Developer (5,000 - 10 free) x $0.002 +
  2,000 x $0.006 = $21.98; Enterprise $2,000 + 5,000 x $0.0008 + 2,000 x $0.0024 =
  $2,008.80 a month.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from graphql import parse
from tests.support.graphql import StatementCounter, execute, execute_raw

from pricing_graph.api.context import Context, Database
from pricing_graph.api.schema import schema
from pricing_graph.api.selection import reads_catalog_version
from pricing_graph.app import PricingGraphQL
from pricing_graph.demo.seed import seed_database
from pricing_graph.rating import ContractTerms
from pricing_graph.rating.terms import AdjustmentKind, PriceAdjustment
from pricing_graph.services.quotes.pricing import MAX_KNOWN_TERMS, known_terms
from pricing_graph.settings import Settings

ERRORS = "errors { field code message }"
QUOTE = f"""
query($input: QuoteInput!) {{
  quote(input: $input) {{
    quote {{
      planKey planVersion currency pricingUnit
      invoices {{
        periodIndex periodStart periodEnd issueDate dueDate
        lines {{ kind priceKey quantity unitPrice amount }}
        subtotal creditsTotal creditsApplied {{ grantKey amount remaining }}
        currencyLines {{ kind amount }} total breakage {{ grantKey amount expiredOn }}
      }}
      total credits {{ grantKey granted used expired remaining }}
      creditsUsed trialCredit breakage listPriceTotal saving
      effectivePrices {{ metricKey quantity amount pricePerUnit }}
    }}
    {ERRORS}
  }}
}}
"""
COMPARE = f"""
query($productId: ID!, $usage: [ProjectedUsageInput!]!, $periods: Int!, $startDate: Date) {{
  comparePlans(productId: $productId, usage: $usage, periods: $periods, startDate: $startDate) {{
    plans {{ rank planKey planVersion planName currency total monthlyEquivalent }}
    {ERRORS}
  }}
}}
"""
IDS = """
query($key: String!) {
  product(key: $key) { id plans { nodes { id key version status } } }
}
"""


def plan_action(name: str) -> str:
    """publishPlan, createPlanVersion or archivePlan on one plan ID."""
    return (
        f"mutation($id: ID!) {{ {name}(input: {{id: $id}}) "
        f"{{ plan {{ id key version status }} {ERRORS} }} }}"
    )


def D(text: str) -> Decimal:
    return Decimal(text)


async def plan_ids(database: Any, product_key: str = "llm-platform") -> dict[str, str]:
    """Plan key (and "product") -> global ID; the latest version of each key."""
    data = await execute(database, IDS, key=product_key)
    ids = {"product": data["product"]["id"]}
    for node in sorted(data["product"]["plans"]["nodes"], key=lambda n: n["version"]):
        ids[node["key"]] = node["id"]
    return ids


def acme_terms(plan_id: str, usage: list[dict[str, Any]]) -> dict[str, Any]:
    """Acme's enterprise setup of seed 001 as a quote input, quoted over 12 months."""
    return {
        "planId": plan_id,
        "startDate": "2026-01-01",
        "endDate": "2027-01-01",
        "periods": 4,
        "billingInterval": "QUARTERLY",
        "settings": {"netPaymentDays": 45},
        "adjustments": [
            {"priceKey": key, "kind": "PERCENT", "value": "-50"}
            for key in ("input_tokens", "output_tokens", "fine_tuning")
        ],
        "commitments": [
            {
                "key": "annual-prepaid",
                "kind": "PREPAID",
                "amount": "100000.00",
                "creditAmount": "125000.00",
            }
        ],
        "usage": usage,
    }


# The demo's own Acme usage per quarter (demo/customers.py): 20B/40B/40B/20B input tokens,
# a quarter of that in output tokens, 2,000/4,000/4,000/2,000 fine-tuning hours.
ACME_USAGE = [
    {
        "metricKey": "input_tokens",
        "perPeriod": ["20000000000", "40000000000", "40000000000", "20000000000"],
    },
    {
        "metricKey": "output_tokens",
        "perPeriod": ["5000000000", "10000000000", "10000000000", "5000000000"],
    },
    {"metricKey": "fine_tuning_hours", "perPeriod": ["2000", "4000", "4000", "2000"]},
]


async def run_quote(database: Any, given: dict[str, Any], **scopes: Any) -> dict[str, Any]:
    context = Context(database, frozenset(scopes.get("scopes", ())))
    result = await schema.execute(QUOTE, variable_values={"input": given}, context_value=context)
    assert result.errors is None, [e.formatted for e in result.errors]
    assert result.data is not None
    payload: dict[str, Any] = result.data["quote"]
    return payload


def usage_lines(invoice: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (line["priceKey"], D(line["quantity"]), D(line["unitPrice"]), D(line["amount"]))
        for line in invoice["lines"]
    ]


async def test_acme_enterprise_setup_quoted_over_12_months(database: Any) -> None:
    await seed_database(database)
    ids = await plan_ids(database)
    payload = await run_quote(database, acme_terms(ids["llm-enterprise"], ACME_USAGE))
    assert payload["errors"] == []
    quote = payload["quote"]
    assert (quote["planKey"], quote["planVersion"], quote["currency"]) == (
        "llm-enterprise",
        1,
        "USD",
    )
    invoices = quote["invoices"]
    # Four quarters, issued at each quarter's end, due net 45.
    assert [
        (i["periodIndex"], i["periodStart"], i["periodEnd"], i["issueDate"], i["dueDate"])
        for i in invoices
    ] == [
        (0, "2026-01-01", "2026-04-01", "2026-04-01", "2026-05-16"),
        (1, "2026-04-01", "2026-07-01", "2026-07-01", "2026-08-15"),
        (2, "2026-07-01", "2026-10-01", "2026-10-01", "2026-11-15"),
        (3, "2026-10-01", "2027-01-01", "2027-01-01", "2027-02-15"),
    ]
    # Q1: 20,000,000 K input x $0.0004 = $8,000; 5,000,000 K output x $0.0012 = $6,000;
    # 2,000 h x $1.50 = $3,000; platform fee $2,000 (not discounted): $19,000.00.
    assert usage_lines(invoices[0]) == [
        ("input_tokens", D("20000000"), D("0.0004"), D("8000.00")),
        ("output_tokens", D("5000000"), D("0.0012"), D("6000.00")),
        ("fine_tuning", D("2000"), D("1.5"), D("3000.00")),
        ("platform_fee", D("1"), D("2000"), D("2000.00")),
    ]
    # Q2 and Q3 twice the usage: $16,000 + $12,000 + $6,000 + $2,000 = $36,000.00.
    assert [line[3] for line in usage_lines(invoices[1])] == [
        D("16000.00"),
        D("12000.00"),
        D("6000.00"),
        D("2000.00"),
    ]
    assert [i["subtotal"] for i in invoices] == ["19000.00", "36000.00", "36000.00", "19000.00"]
    # Credits pay every quarter: 125,000 - 19,000 - 36,000 - 36,000 - 19,000 = 15,000 left.
    assert [
        [(c["grantKey"], c["amount"], c["remaining"]) for c in i["creditsApplied"]]
        for i in invoices
    ] == [
        [("annual-prepaid", "19000.00", "106000.00")],
        [("annual-prepaid", "36000.00", "70000.00")],
        [("annual-prepaid", "36000.00", "34000.00")],
        [("annual-prepaid", "19000.00", "15000.00")],
    ]
    assert invoices[0]["currencyLines"] == [{"kind": "PREPAID_COMMITMENT", "amount": "100000.00"}]
    assert [i["currencyLines"] for i in invoices[1:]] == [[], [], []]
    # The only money due is the commitment, on Q1's invoice.
    assert [i["total"] for i in invoices] == ["100000.00", "0.00", "0.00", "0.00"]
    assert [i["breakage"] for i in invoices] == [
        [],
        [],
        [],
        [{"grantKey": "annual-prepaid", "amount": "15000.00", "expiredOn": "2027-01-01"}],
    ]
    assert D(quote["total"]) == D("100000.00")
    assert [
        {key: D(value) if key != "grantKey" else value for key, value in c.items()}
        for c in quote["credits"]
    ] == [
        {
            "grantKey": "annual-prepaid",
            "granted": D("125000.00"),
            "used": D("110000.00"),
            "expired": D("15000.00"),
            "remaining": D("0"),
        }
    ]
    assert D(quote["creditsUsed"]) == D("110000.00")
    assert D(quote["trialCredit"]) == 0
    assert D(quote["breakage"]) == D("15000.00")
    # List price: Q1 16,000 + 12,000 + 6,000 + 2,000 = 36,000; Q2, Q3 32,000 + 24,000 +
    # 12,000 + 2,000 = 70,000; Q4 36,000: $212,000.00. Saving 212,000 - 100,000.
    assert D(quote["listPriceTotal"]) == D("212000.00")
    assert D(quote["saving"]) == D("112000.00")
    # Per metric unit (per token, per hour) over the year, usage lines before credits:
    # 120B input tokens for $48,000 = $0.0000004 a token ($0.0004 per 1K), 30B output
    # tokens for $36,000, 12,000 hours for $18,000 = $1.50 an hour.
    assert [
        (e["metricKey"], D(e["quantity"]), D(e["amount"]), D(e["pricePerUnit"]))
        for e in quote["effectivePrices"]
    ] == [
        ("fine_tuning_hours", D("12000"), D("18000.00"), D("1.5")),
        ("input_tokens", D("120000000000"), D("48000.00"), D("0.0000004")),
        ("output_tokens", D("30000000000"), D("36000.00"), D("0.0000012")),
    ]


async def test_a_constant_projection_that_outruns_the_credits(database: Any) -> None:
    await seed_database(database)
    ids = await plan_ids(database)
    usage = [
        {"metricKey": "input_tokens", "quantity": "40000000000"},
        {"metricKey": "output_tokens", "quantity": "10000000000"},
        {"metricKey": "fine_tuning_hours", "quantity": "4000"},
    ]
    payload = await run_quote(database, acme_terms(ids["llm-enterprise"], usage))
    assert payload["errors"] == []
    quote = payload["quote"]
    # $36,000.00 a quarter; credits left 106,000 -> 89,000... : 125,000 - 36,000 x 3 =
    # 17,000 pay part of Q4, whose remaining $19,000.00 is due.
    invoices = quote["invoices"]
    assert [i["subtotal"] for i in invoices] == ["36000.00"] * 4
    assert [i["creditsTotal"] for i in invoices] == ["36000.00", "36000.00", "36000.00", "17000.00"]
    assert [i["total"] for i in invoices] == ["100000.00", "0.00", "0.00", "19000.00"]
    assert D(quote["total"]) == D("119000.00")
    assert D(quote["creditsUsed"]) == D("125000.00")
    assert D(quote["breakage"]) == 0
    # Every credit was used: the grant closes at the term's end with nothing to expire, and
    # no zero breakage row is reported (issue 14).
    assert [i["breakage"] for i in invoices] == [[], [], [], []]
    # List: 70,000 a quarter.
    assert D(quote["listPriceTotal"]) == D("280000.00")
    assert D(quote["saving"]) == D("161000.00")
    assert [(e["metricKey"], D(e["pricePerUnit"])) for e in quote["effectivePrices"]] == [
        ("fine_tuning_hours", D("1.5")),
        ("input_tokens", D("0.0000004")),
        ("output_tokens", D("0.0000012")),
    ]


async def test_a_growth_projection_grows_by_the_percent_each_period(database: Any) -> None:
    await seed_database(database)
    ids = await plan_ids(database)
    given = {
        "planId": ids["llm-pro"],
        "startDate": "2026-01-01",
        "periods": 4,
        "usage": [
            {"metricKey": "input_tokens", "quantity": "1000000", "growthPercent": "10"},
            {"metricKey": "fine_tuning_hours", "quantity": "1000", "growthPercent": "10"},
        ],
    }
    payload = await run_quote(database, given)
    assert payload["errors"] == []
    quote = payload["quote"]
    # 1,000 -> 1,100 -> 1,210 -> 1,331 (K tokens and hours), monthly at list price; the
    # plan's output tokens, not projected, show as a 0.00 line.
    assert [
        [(line["priceKey"], D(line["quantity"]), D(line["amount"])) for line in i["lines"]]
        for i in quote["invoices"]
    ] == [
        [
            ("input_tokens", D("1000"), D("1.00")),
            ("output_tokens", D("0"), D("0.00")),
            ("fine_tuning", D("1000"), D("3000.00")),
        ],
        [
            ("input_tokens", D("1100"), D("1.10")),
            ("output_tokens", D("0"), D("0.00")),
            ("fine_tuning", D("1100"), D("3300.00")),
        ],
        [
            ("input_tokens", D("1210"), D("1.21")),
            ("output_tokens", D("0"), D("0.00")),
            ("fine_tuning", D("1210"), D("3630.00")),
        ],
        # 1,331 K x $0.001 = $1.331, rounded half up once: $1.33
        [
            ("input_tokens", D("1331"), D("1.33")),
            ("output_tokens", D("0"), D("0.00")),
            ("fine_tuning", D("1331"), D("3993.00")),
        ],
    ]
    assert [i["periodStart"] for i in quote["invoices"]] == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
    ]
    assert [i["total"] for i in quote["invoices"]] == ["3001.00", "3301.10", "3631.21", "3994.33"]
    # 4.64 + 13,923.00
    assert D(quote["total"]) == D("13927.64")
    # No terms: list price is the total, no saving, no credits.
    assert D(quote["listPriceTotal"]) == D("13927.64")
    assert D(quote["saving"]) == 0
    assert quote["credits"] == []
    assert D(quote["creditsUsed"]) == 0
    assert D(quote["breakage"]) == 0
    # 4,641,000 tokens for $4.64 = $0.0000009997845... a token, kept to 12 places;
    # 4,641 hours for $13,923.00 = $3.00 an hour.
    assert [
        (e["metricKey"], D(e["quantity"]), D(e["amount"]), D(e["pricePerUnit"]))
        for e in quote["effectivePrices"]
    ] == [
        ("fine_tuning_hours", D("4641"), D("13923.00"), D("3")),
        ("input_tokens", D("4641000"), D("4.64"), D("0.000000999785")),
    ]


PAYMENTS_PLAN = {
    "key": "payments-standard",
    "name": "Standard",
    "billingInterval": "MONTHLY",
    "pricingUnit": {"code": "USD"},
    "ramps": [
        {
            "prices": [
                {
                    "key": "card_fees",
                    "name": "Card processing",
                    "usage": {
                        "metricKey": "payment_amount",
                        "rate": {
                            "model": "PERCENTAGE",
                            "ratePercent": "2.9",
                            "fixedFeePerEvent": "0.30",
                            "minPerEvent": "0.50",
                            "maxPerEvent": "100",
                        },
                    },
                }
            ]
        }
    ],
}


async def payments_plan(database: Any) -> str:
    """A small PERCENTAGE plan built through the mutations (the demo has none)."""
    product = await execute(
        database,
        f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) "
        f"{{ product {{ id }} {ERRORS} }} }}",
        input={"key": "payments", "name": "Payments"},
    )
    assert product["createProduct"]["errors"] == []
    metric = await execute(
        database,
        f"mutation($input: CreateMetricInput!) {{ createMetric(input: $input) "
        f"{{ metric {{ id }} {ERRORS} }} }}",
        input={
            "key": "payment_amount",
            "name": "Payment amount",
            "unitLabel": "USD",
            "aggregation": "SUM",
            "eventProperty": "amount",
        },
    )
    assert metric["createMetric"]["errors"] == []
    created = await execute(
        database,
        f"mutation($input: CreatePlanInput!) {{ createPlan(input: $input) "
        f"{{ plan {{ id }} {ERRORS} }} }}",
        input={"productId": product["createProduct"]["product"]["id"], **PAYMENTS_PLAN},
    )
    assert created["createPlan"]["errors"] == []
    plan_id: str = created["createPlan"]["plan"]["id"]
    published = await execute(database, plan_action("publishPlan"), id=plan_id)
    assert published["publishPlan"]["errors"] == []
    return plan_id


async def test_a_percentage_price_is_quoted_from_a_count_and_an_average(database: Any) -> None:
    plan_id = await payments_plan(database)
    given = {
        "planId": plan_id,
        "startDate": "2026-01-01",
        "periods": 3,
        "usage": [{"metricKey": "payment_amount", "transactionCount": 1000, "averageAmount": "50"}],
    }
    payload = await run_quote(database, given)
    assert payload["errors"] == []
    quote = payload["quote"]
    # $50 x 2.9% = $1.45 + $0.30 = $1.75 a transaction (above the $0.50 minimum, under the
    # $100 maximum) x 1,000 = $1,750.00 a month.
    assert [i["total"] for i in quote["invoices"]] == ["1750.00", "1750.00", "1750.00"]
    assert D(quote["total"]) == D("5250.00")
    # Per dollar of payment volume: 5,250 / 150,000 = 3.5%.
    assert [
        (e["metricKey"], D(e["quantity"]), D(e["amount"]), D(e["pricePerUnit"]))
        for e in quote["effectivePrices"]
    ] == [("payment_amount", D("150000"), D("5250.00"), D("0.035"))]

    # Clamped to the maximum: $10,000 x 2.9% + $0.30 = $290.30 -> $100 each.
    clamped = await run_quote(
        database,
        {
            **given,
            "periods": 1,
            "usage": [
                {"metricKey": "payment_amount", "transactionCount": 100, "averageAmount": "10000"}
            ],
        },
    )
    assert clamped["errors"] == []
    assert clamped["quote"]["total"] == "10000.00"
    small = await run_quote(
        database,
        {
            **given,
            "periods": 1,
            "usage": [
                {"metricKey": "payment_amount", "transactionCount": 10, "averageAmount": "5"}
            ],
        },
    )
    # $5 x 2.9% + $0.30 = $0.445, below the $0.50 minimum: 10 x $0.50 = $5.00.
    assert small["quote"]["total"] == "5.00"


async def test_compare_plans_ranks_the_llm_platform_for_a_usage_profile(database: Any) -> None:
    await seed_database(database)
    ids = await plan_ids(database)
    data = await execute(
        database,
        COMPARE,
        productId=ids["product"],
        usage=[
            {"metricKey": "input_tokens", "quantity": "5000000"},
            {"metricKey": "output_tokens", "quantity": "2000000"},
        ],
        periods=12,
        startDate="2026-01-01",
    )
    assert data["comparePlans"] == {
        "plans": [
            {
                "rank": 1,
                "planKey": "llm-pro",
                "planVersion": 1,
                "planName": "Pro",
                "currency": "USD",
                "total": "132.00",
                "monthlyEquivalent": "11.00",
            },
            {
                "rank": 2,
                "planKey": "llm-developer",
                "planVersion": 1,
                "planName": "Developer",
                "currency": "USD",
                "total": "263.76",
                "monthlyEquivalent": "21.98",
            },
            {
                "rank": 3,
                "planKey": "llm-enterprise",
                "planVersion": 1,
                "planName": "Enterprise",
                "currency": "USD",
                "total": "24105.60",
                "monthlyEquivalent": "2008.80",
            },
        ],
        "errors": [],
    }


SET_PLAN_DISCOUNTS = f"""
mutation($input: SetPlanDiscountsInput!) {{
  setPlanDiscounts(input: $input) {{ planId {ERRORS} }}
}}
"""
# llm-pro for one month: 1,000 K input tokens x $0.001 + 1,000 h x $3.00 = $3,001.00.
PRO_MONTH = {
    "startDate": "2026-01-01",
    "periods": 1,
    "usage": [
        {"metricKey": "input_tokens", "quantity": "1000000"},
        {"metricKey": "fine_tuning_hours", "quantity": "1000"},
    ],
}
TOKENS = [{"metricKey": "input_tokens", "quantity": "5000000"}]


async def compared(database: Any, product_id: str) -> list[tuple[str, int, str]]:
    data = await execute(database, COMPARE, productId=product_id, usage=TOKENS, periods=12)
    return [(p["planKey"], p["planVersion"], p["total"]) for p in data["comparePlans"]["plans"]]


async def quoted(database: Any, plan_id: str) -> Any:
    payload = await run_quote(database, {**PRO_MONTH, "planId": plan_id})
    return payload["errors"] or payload["quote"]["total"]


async def test_quote_and_compare_read_the_catalog_once_per_version(database: Any) -> None:
    """The plan rows, plan discounts, product and product plans a quote or a comparison
    reads are kept per catalog version: once kept, a call sends one statement (the version,
    on its own engine) and none on the request's; every catalog write shows at once."""
    await seed_database(database)
    ids = await plan_ids(database)
    pro = ids["llm-pro"]
    # 5,000 K input tokens a month, 12 months: Pro $5, Developer (5,000 - 10 free) x $0.002,
    # Enterprise $2,000 + 5,000 x $0.0008, a month.
    ranked = [
        ("llm-pro", 1, "60.00"),
        ("llm-developer", 1, "119.76"),
        ("llm-enterprise", 1, "24048.00"),
    ]
    assert await compared(database, ids["product"]) == ranked
    assert await quoted(database, pro) == "3001.00"
    reads = database.catalog.versions.reads
    with StatementCounter(database) as run:
        assert await compared(database, ids["product"]) == ranked
        assert await quoted(database, pro) == "3001.00"
    assert (run.count, database.catalog.versions.reads - reads) == (0, 2), run.statements

    # A plan's default discounts: 10% off once, then none again.
    ten = {"key": "ten", "kind": "PERCENT", "value": "10", "duration": "ONCE"}
    done = await execute(database, SET_PLAN_DISCOUNTS, input={"planId": pro, "discounts": [ten]})
    assert done["setPlanDiscounts"]["errors"] == []
    assert await quoted(database, pro) == "2700.90"  # 3,001.00 - 300.10
    await execute(database, SET_PLAN_DISCOUNTS, input={"planId": pro, "discounts": []})
    assert await quoted(database, pro) == "3001.00"

    # A new version published: the comparison ranks it, the old one is archived.
    draft = await execute(database, plan_action("createPlanVersion"), id=ids["llm-developer"])
    v2 = draft["createPlanVersion"]["plan"]["id"]
    assert await compared(database, ids["product"]) == ranked  # a draft is not compared
    published = await execute(database, plan_action("publishPlan"), id=v2)
    assert published["publishPlan"]["plan"]["status"] == "PUBLISHED"
    assert await compared(database, ids["product"]) == [
        ("llm-pro", 1, "60.00"),
        ("llm-developer", 2, "119.76"),
        ("llm-enterprise", 1, "24048.00"),
    ]
    # The public quotes published public plans only: v1 is no longer one.
    assert await quoted(database, ids["llm-developer"]) == [
        {"field": "input.planId", "code": "NOT_FOUND", "message": f"no plan {ids['llm-developer']}"}
    ]

    # Archived: no longer quoted or compared.
    archived = await execute(database, plan_action("archivePlan"), id=pro)
    assert archived["archivePlan"]["plan"]["status"] == "ARCHIVED"
    assert (await quoted(database, pro))[0]["code"] == "NOT_FOUND"
    assert await compared(database, ids["product"]) == [
        ("llm-developer", 2, "119.76"),
        ("llm-enterprise", 1, "24048.00"),
    ]


async def test_compare_plans_leaves_out_drafts_and_prices_only_their_metrics(
    database: Any,
) -> None:
    await seed_database(database)
    ids = await plan_ids(database)
    draft = await execute(database, plan_action("createPlanVersion"), id=ids["llm-pro"])
    assert draft["createPlanVersion"]["plan"]["status"] == "DRAFT"
    data = await execute(
        database,
        COMPARE,
        productId=ids["product"],
        # fine-tuning is not on Developer: ignored for it. 3 months of 100 hours.
        usage=[{"metricKey": "fine_tuning_hours", "quantity": "100"}],
        periods=3,
        startDate="2026-01-01",
    )
    assert [
        (p["rank"], p["planKey"], p["planVersion"], p["total"], p["monthlyEquivalent"])
        for p in data["comparePlans"]["plans"]
    ] == [
        (1, "llm-developer", 1, "0.00", "0.00"),
        # 100 h x $3.00 = $300 a month
        (2, "llm-pro", 1, "900.00", "300.00"),
        # $2,000 fee + $300
        (3, "llm-enterprise", 1, "6900.00", "2300.00"),
    ]


async def draft_of_pro(database: Any) -> str:
    ids = await plan_ids(database)
    draft = await execute(database, plan_action("createPlanVersion"), id=ids["llm-pro"])
    assert draft["createPlanVersion"]["errors"] == []
    plan = draft["createPlanVersion"]["plan"]
    assert (plan["key"], plan["version"], plan["status"]) == ("llm-pro", 2, "DRAFT")
    draft_id: str = plan["id"]
    return draft_id


DRAFT_QUOTE = {
    "startDate": "2026-01-01",
    "periods": 2,
    "usage": [{"metricKey": "output_tokens", "quantity": "2000000"}],
}


async def test_a_draft_plan_is_quoted_for_sales_only(database: Any) -> None:
    await seed_database(database)
    draft_id = await draft_of_pro(database)
    given = {"planId": draft_id, **DRAFT_QUOTE}
    # Outside the public price book a draft answers exactly as a missing plan (issue 9).
    anonymous = await run_quote(database, given)
    assert anonymous["quote"] is None
    assert [(e["field"], e["code"]) for e in anonymous["errors"]] == [("input.planId", "NOT_FOUND")]
    partner = await run_quote(database, given, scopes={"partner"})
    assert [(e["field"], e["code"]) for e in partner["errors"]] == [("input.planId", "NOT_FOUND")]
    # An admin key of PRICING_GRAPH_API_KEYS without the sales scope sees drafts but may
    # not price them.
    admin = await run_quote(database, given, scopes={"admin"})
    assert [(e["field"], e["code"]) for e in admin["errors"]] == [("input.planId", "FORBIDDEN")]
    sales = await run_quote(database, given, scopes={"sales"})
    assert sales["errors"] == []
    # 2,000 K output tokens x $0.003 = $6.00 a month, on version 2.
    assert (sales["quote"]["planKey"], sales["quote"]["planVersion"]) == ("llm-pro", 2)
    assert [i["total"] for i in sales["quote"]["invoices"]] == ["6.00", "6.00"]
    assert sales["quote"]["total"] == "12.00"


async def test_the_sales_scope_comes_from_the_api_key(database_url: str) -> None:
    """PRICING_GRAPH_API_KEYS=sales-key:sales: a bearer key maps to its scopes over HTTP."""
    from pricing_graph.store.engine import make_engine, make_session_factory

    engine = make_engine(database_url)
    settings = Settings(api_keys={"sales-key": frozenset({"sales"}), "other": frozenset()})
    database = Database(engine=engine, sessions=make_session_factory(engine), settings=settings)
    try:
        await seed_database(database)
        draft_id = await draft_of_pro(database)
        transport = httpx.ASGITransport(app=PricingGraphQL(database))
        body = {"query": QUOTE, "variables": {"input": {"planId": draft_id, **DRAFT_QUOTE}}}
        answers: dict[str | None, Any] = {}
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for key in ("sales-key", "other", "unknown", None):
                headers = {"authorization": f"Bearer {key}"} if key else {}
                response = await client.post("/graphql", json=body, headers=headers)
                if key == "unknown":  # a key that names no key is refused whole (issue 9)
                    assert response.status_code == 401
                    answers[key] = response.json()["errors"][0]["extensions"]["code"]
                    continue
                assert response.status_code == 200
                payload = response.json()["data"]["quote"]
                answers[key] = (
                    payload["quote"]["total"] if payload["quote"] else None,
                    [(e["field"], e["code"]) for e in payload["errors"]],
                )
    finally:
        await engine.dispose()
    hidden = (None, [("input.planId", "NOT_FOUND")])  # a draft is not in the public book
    assert answers == {
        "sales-key": ("12.00", []),
        "other": hidden,
        "unknown": "UNAUTHENTICATED",
        None: hidden,
    }


@pytest.mark.parametrize("periods", [1, 120])
async def test_the_period_bounds_are_accepted(database: Any, periods: int) -> None:
    await seed_database(database)
    ids = await plan_ids(database)
    payload = await run_quote(
        database,
        {
            "planId": ids["llm-pro"],
            "startDate": "2026-01-01",
            "periods": periods,
            "usage": [{"metricKey": "fine_tuning_hours", "quantity": "1"}],
        },
    )
    assert payload["errors"] == []
    assert len(payload["quote"]["invoices"]) == periods
    assert D(payload["quote"]["total"]) == 3 * periods


def test_terms_equal_to_the_last_digit_are_priced_as_one_object() -> None:
    """`known_terms`: a deal re-quoted reuses the terms object priced before (so the rating
    core's compiled contract, cached by identity, is reused); terms that differ in any digit,
    even only in a Decimal's exponent, never share."""

    def terms(value: str, day: int = 2) -> ContractTerms:
        return ContractTerms(
            start=date(1999, 1, day),
            adjustments=(PriceAdjustment("input_tokens", AdjustmentKind.PERCENT, D(value)),),
        )

    first = known_terms(terms("-50"))
    assert known_terms(terms("-50")) is first
    other_exponent = terms("-50.0")
    assert known_terms(other_exponent) is other_exponent
    other_day = terms("-50", day=3)
    assert known_terms(other_day) is other_day
    # Bounded: after MAX_KNOWN_TERMS other terms, the first is forgotten.
    for n in range(MAX_KNOWN_TERMS):
        known_terms(ContractTerms(start=date(1998, 1, 1) + timedelta(days=n)))
    again = terms("-50")
    assert known_terms(again) is again


@pytest.mark.parametrize(
    ("document", "operation", "reads"),
    [
        ("{ comparePlans(productId: 1, usage: []) { errors { code } } }", None, True),
        ("query Q { quote(input: $i) { errors { code } } }", "Q", True),
        ('{ product(key: "llm") { id } }', None, True),
        ('{ product(id: "UHJvZHVjdDox") { id } }', None, False),
        ("{ plans { nodes { id } } }", None, False),
        ("mutation { quote { id } }", None, False),  # not a query (and no such mutation)
        ("query A { plans { nodes { id } } } query B { quote { id } }", "A", False),
        ("query A { plans { nodes { id } } } query B { quote { id } }", "B", True),
        ("{ ...F } fragment F on Query { quote { id } }", None, False),  # not at the root
    ],
)
def test_the_operations_that_start_the_catalog_version_read_early(
    document: str, operation: str | None, reads: bool
) -> None:
    assert reads_catalog_version(parse(document), operation) is reads


async def test_a_comparison_refused_before_execution_reads_the_version_once(
    database: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The version read starts once the document is parsed; a request refused after that
    (a variable of the wrong type) leaves it to finish alone: one read, no error logged."""
    await seed_database(database)
    ids = await plan_ids(database)
    reads = database.catalog.versions.reads
    result = await execute_raw(
        database, COMPARE, productId=ids["product"], usage=[], periods="twelve"
    )
    await asyncio.sleep(0.05)  # the read, if still running, completes
    assert result.data is None
    assert [error.message for error in result.errors] == [
        "Variable '$periods' has invalid value: Int cannot represent non-integer value: 'twelve'"
    ]
    assert database.catalog.versions.reads - reads == 1
    assert "never retrieved" not in caplog.text
