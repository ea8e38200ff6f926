"""Issue 14 through the API, on both backends: DYNAMIC prices quoted and previewed with
their per-event bounds, transaction counts refused on quantity prices, comparePlans ranking
what it can and reporting the rest, one set of plan checks at createPlan/updatePlan, one
currency table, credit amounts in minor units and the plan's invoice display name.

Hand-computed figures:
- "cost-plus" prices LLM cost at a 20% markup, each event clamped to [$0.50, $2.00]: costs
  $0.10, $1, $5 -> $0.12 -> $0.50, $1.20, $6.00 -> $2.00 = $3.70 (not 6.10 x 1.2 = $7.32);
  1,000 events of $0.10 a month -> 1,000 x $0.50 = $500.00.
- "unbounded" is the same markup with no bounds: 1,000 x $0.10 x 1.2 = $120.00.
- A $30 credit grant on "unbounded" with 100 events of $0.10 a month ($12.00): $12.00 then
  $12.00 then $6.00, left $18.00, $6.00, $0.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.graphql import execute

from pricing_graph.rating import ContractTerms, MetricUsage, UsageSnapshot, preview_invoice
from pricing_graph.services.catalog.inputs import PricingUnitSpec
from pricing_graph.services.catalog.plan_input import (
    ISO_CURRENCIES,
    plan_errors,
    pricing_unit_from_input,
)
from pricing_graph.services.errors import Problem

ERRORS = "errors { field code message }"
CREATE_PRODUCT = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ id }} {ERRORS} }}
}}
"""
CREATE_METRIC = f"""
mutation($input: CreateMetricInput!) {{
  createMetric(input: $input) {{ metric {{ id }} {ERRORS} }}
}}
"""
CREATE_PLAN = f"""
mutation($input: CreatePlanInput!) {{
  createPlan(input: $input) {{ plan {{ id pricingUnit {{ code decimals }} }} {ERRORS} }}
}}
"""
UPDATE_PLAN = f"""
mutation($input: UpdatePlanInput!) {{ updatePlan(input: $input) {{ plan {{ id }} {ERRORS} }} }}
"""
PUBLISH = f"""
mutation($id: ID!) {{ publishPlan(input: {{id: $id}}) {{ plan {{ id }} {ERRORS} }} }}
"""
QUOTE = f"""
query($input: QuoteInput!) {{
  quote(input: $input) {{
    quote {{
      total
      invoices {{
        invoiceDisplayName total
        lines {{ priceKey quantity unitPrice amount }}
        creditsApplied {{ grantKey amount remaining }}
        breakage {{ grantKey amount }}
      }}
      credits {{ grantKey granted used expired remaining }}
    }}
    {ERRORS}
  }}
}}
"""
COMPARE = f"""
query($productId: ID!, $usage: [ProjectedUsageInput!]!, $periods: Int!, $startDate: Date) {{
  comparePlans(productId: $productId, usage: $usage, periods: $periods, startDate: $startDate) {{
    plans {{ rank planKey total }}
    unrated {{ planKey planVersion planName code message }}
    {ERRORS}
  }}
}}
"""
CREATE_CUSTOMER = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ customer {{ id }} {ERRORS} }}
}}
"""
CREATE_CONTRACT = f"""
mutation($input: CreateContractInput!) {{
  createContract(input: $input) {{ contract {{ id }} {ERRORS} }}
}}
"""
INGEST = """
mutation($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) { accepted rejected errors { index code } }
}
"""
PREVIEW = """
query($id: ID!) {
  contract(id: $id) {
    invoicePreview(periodIndex: 0) {
      invoiceDisplayName total lines { priceKey quantity unitPrice amount }
    }
  }
}
"""


def D(text: str) -> Decimal:
    return Decimal(text)


def dynamic_rate(low: str | None = "0.50", high: str | None = "2.00") -> dict[str, Any]:
    rate: dict[str, Any] = {"model": "DYNAMIC", "markupPercent": "20"}
    if low is not None:
        rate["minPerEvent"] = low
    if high is not None:
        rate["maxPerEvent"] = high
    return rate


def plan_input(
    product_id: str, key: str, prices: list[dict[str, Any]], **settings: Any
) -> dict[str, Any]:
    return {
        "productId": product_id,
        "key": key,
        "name": key.replace("-", " ").title(),
        "pricingUnit": {"code": "USD"},
        "ramps": [{"prices": prices}],
        **settings,
    }


def usage_price(key: str, metric_key: str, rate: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "name": key, "usage": {"metricKey": metric_key, "rate": rate}}


async def product_with_metrics(database: Any) -> str:
    product = (await execute(database, CREATE_PRODUCT, input={"key": "llm", "name": "LLM"}))[
        "createProduct"
    ]
    assert product["errors"] == []
    for key in ("llm_cost", "api_calls"):
        metric = await execute(
            database,
            CREATE_METRIC,
            input={
                "key": key,
                "name": key,
                "unitLabel": "unit",
                "aggregation": "SUM",
                "eventProperty": "value",
            },
        )
        assert metric["createMetric"]["errors"] == []
    product_id: str = product["product"]["id"]
    return product_id


async def published_plan(database: Any, given: dict[str, Any]) -> str:
    created = (await execute(database, CREATE_PLAN, input=given))["createPlan"]
    assert created["errors"] == [], created["errors"]
    plan_id: str = created["plan"]["id"]
    published = (await execute(database, PUBLISH, id=plan_id))["publishPlan"]
    assert published["errors"] == [], published["errors"]
    return plan_id


async def quote(database: Any, given: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = (await execute(database, QUOTE, input=given))["quote"]
    return payload


def fields(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


# --- item 3 ---------------------------------------------------------------------------------


async def test_dynamic_prices_are_quoted_and_previewed_with_their_bounds(database: Any) -> None:
    product_id = await product_with_metrics(database)
    plan_id = await published_plan(
        database,
        plan_input(
            product_id,
            "cost-plus",
            [
                usage_price("llm", "llm_cost", dynamic_rate()),
                usage_price("calls", "api_calls", {"model": "FLAT", "unitPrice": "0.01"}),
            ],
            invoiceDisplayName="Cost-plus LLM (monthly)",
        ),
    )
    given = {
        "planId": plan_id,
        "startDate": "2026-01-01",
        "periods": 2,
        "usage": [{"metricKey": "llm_cost", "transactionCount": 1000, "averageAmount": "0.10"}],
    }
    priced = await quote(database, given)
    assert priced["errors"] == []
    assert [i["total"] for i in priced["quote"]["invoices"]] == ["500.00", "500.00"]
    assert priced["quote"]["total"] == "1000.00"
    assert [i["invoiceDisplayName"] for i in priced["quote"]["invoices"]] == [
        "Cost-plus LLM (monthly)"
    ] * 2

    # A count on the FLAT price is refused by field (it used to price 0.00); a plain
    # quantity on the DYNAMIC price too (it has no events to price).
    flat_count = await quote(
        database,
        {
            **given,
            "usage": [{"metricKey": "api_calls", "transactionCount": 10, "averageAmount": "5"}],
        },
    )
    assert (flat_count["quote"], fields(flat_count)) == (
        None,
        [("input.usage.0.transactionCount", "INVALID_USAGE")],
    )
    dynamic_quantity = await quote(
        database, {**given, "usage": [{"metricKey": "llm_cost", "quantity": "100"}]}
    )
    assert fields(dynamic_quantity) == [("input.usage.0.quantity", "INVALID_USAGE")]

    # The same plan on a contract, previewed from ingested costs.
    customer = (
        await execute(database, CREATE_CUSTOMER, input={"externalId": "acme", "name": "Acme"})
    )["createCustomer"]
    contract = (
        await execute(
            database,
            CREATE_CONTRACT,
            input={
                "customerId": customer["customer"]["id"],
                "planId": plan_id,
                "startDate": "2026-01-01",
            },
        )
    )["createContract"]
    assert contract["errors"] == []
    events = [
        {
            "eventId": f"cost-{n}",
            "customerId": "acme",
            "metricKey": "llm_cost",
            "timestamp": f"2026-01-1{n}T12:00:00Z",
            "value": cost,
        }
        for n, cost in enumerate(["0.10", "1", "5"])
    ]
    ingested = (await execute(database, INGEST, events=events))["ingestUsage"]
    assert (ingested["accepted"], ingested["rejected"]) == (3, 0)
    preview = (await execute(database, PREVIEW, id=contract["contract"]["id"]))["contract"][
        "invoicePreview"
    ]
    assert preview["invoiceDisplayName"] == "Cost-plus LLM (monthly)"
    assert [(x["priceKey"], D(x["quantity"]), x["amount"]) for x in preview["lines"]] == [
        ("llm", D("6.10"), "3.70"),
        ("calls", D("0"), "0.00"),
    ]
    assert preview["total"] == "3.70"


async def test_compare_plans_ranks_what_it_can_and_reports_the_rest(database: Any) -> None:
    product_id = await product_with_metrics(database)
    for rank, (key, rate, unit) in enumerate(
        [
            ("bounded", dynamic_rate(), "USD"),
            ("per-call", {"model": "FLAT", "unitPrice": "0.01"}, "USD"),
            ("unbounded", dynamic_rate(None, None), "USD"),
            ("euro", dynamic_rate(None, None), "EUR"),
        ]
    ):
        await published_plan(
            database,
            plan_input(
                product_id,
                key,
                [usage_price("llm", "llm_cost", rate)],
                pricingUnit={"code": unit},
                tierRank=rank,
            ),
        )
    compared = (
        await execute(
            database,
            COMPARE,
            productId=product_id,
            usage=[{"metricKey": "llm_cost", "transactionCount": 1000, "averageAmount": "0.10"}],
            periods=1,
            startDate="2026-01-01",
        )
    )["comparePlans"]
    assert compared["errors"] == []
    assert [(p["rank"], p["planKey"], p["total"]) for p in compared["plans"]] == [
        (1, "unbounded", "120.00"),
        (2, "bounded", "500.00"),
    ]
    assert [(u["planKey"], u["planVersion"], u["code"]) for u in compared["unrated"]] == [
        ("per-call", 1, "INVALID_USAGE"),
        ("euro", 1, "CURRENCY_MISMATCH"),
    ]
    assert "transaction_count" in compared["unrated"][0]["message"]
    # Usage wrong for every plan still refuses the request.
    refused = (
        await execute(
            database,
            COMPARE,
            productId=product_id,
            usage=[{"metricKey": "api_calls", "transactionCount": 1, "averageAmount": "1"}],
            periods=1,
        )
    )["comparePlans"]
    assert (refused["plans"], refused["unrated"], fields(refused)) == (
        [],
        [],
        [("usage.0.metricKey", "UNKNOWN_METRIC")],
    )


# --- item 4 ---------------------------------------------------------------------------------


async def test_biweekly_on_the_first_of_the_month_is_refused_on_the_anchor(database: Any) -> None:
    product_id = await product_with_metrics(database)
    prices = [usage_price("calls", "api_calls", {"model": "FLAT", "unitPrice": "0.01"})]
    created = (
        await execute(
            database,
            CREATE_PLAN,
            input=plan_input(
                product_id,
                "fortnightly",
                prices,
                billingInterval="BIWEEKLY",
                billingAnchor="FIRST_OF_MONTH",
            ),
        )
    )["createPlan"]
    assert (created["plan"], fields(created)) == (None, [("input.billingAnchor", "INVALID_VALUE")])
    # A monthly draft on the first of the month cannot become biweekly either.
    draft = (
        await execute(
            database,
            CREATE_PLAN,
            input=plan_input(product_id, "calendar", prices, billingAnchor="FIRST_OF_MONTH"),
        )
    )["createPlan"]
    assert draft["errors"] == []
    updated = (
        await execute(
            database, UPDATE_PLAN, input={"id": draft["plan"]["id"], "billingInterval": "BIWEEKLY"}
        )
    )["updatePlan"]
    assert fields(updated) == [("input.billingAnchor", "INVALID_VALUE")]


# --- item 5 ---------------------------------------------------------------------------------


def test_every_currency_create_plan_accepts_can_be_priced() -> None:
    """createPlan's unit builder and the rating core share one table: each code accepted
    is priced, rounded to its ISO minor units (1 x 1234.5678)."""
    from tests.rating.factories import START, flat, plan, usage_price

    from pricing_graph.rating.currencies import ISO_4217_MINOR_UNITS

    assert frozenset(ISO_4217_MINOR_UNITS) == ISO_CURRENCIES
    for code in sorted(ISO_CURRENCIES):
        errors: list[Problem] = []
        unit = pricing_unit_from_input(PricingUnitSpec(code=code), errors)
        assert errors == [], code
        p = plan(usage_price("x", flat("1234.5678")), unit=unit)
        assert plan_errors(p) == [], code
        usage = UsageSnapshot((MetricUsage("x", D("1")),))
        total = preview_invoice(p, ContractTerms(START), usage, 0).total
        assert total.as_tuple().exponent == -ISO_4217_MINOR_UNITS[code], (code, total)
    # Withdrawn codes CLDR still lists are not ISO 4217 currencies.
    for code in ("ITL", "ESP", "HRK", "XAU"):
        errors = []
        pricing_unit_from_input(PricingUnitSpec(code=code), errors)
        assert [(e.field, e.code.value) for e in errors] == [
            ("input.pricingUnit.code", "UNKNOWN_CURRENCY")
        ], code


async def test_plans_in_huf_and_iqd_publish_and_quote(database: Any) -> None:
    product_id = await product_with_metrics(database)
    for code, decimals, total in (("HUF", 2, "1234.57"), ("IQD", 3, "1234.568")):
        given = plan_input(
            product_id,
            f"plan-{code.lower()}",
            [usage_price("calls", "api_calls", {"model": "FLAT", "unitPrice": "1234.5678"})],
            pricingUnit={"code": code},
        )
        created = (await execute(database, CREATE_PLAN, input=given))["createPlan"]
        assert created["plan"]["pricingUnit"] == {"code": code, "decimals": decimals}
        plan_id = created["plan"]["id"]
        assert (await execute(database, PUBLISH, id=plan_id))["publishPlan"]["errors"] == []
        priced = await quote(
            database,
            {
                "planId": plan_id,
                "startDate": "2026-01-01",
                "periods": 1,
                "usage": [{"metricKey": "api_calls", "quantity": "1"}],
            },
        )
        assert (fields(priced), priced["quote"]["total"]) == ([], total)


async def test_credit_amounts_read_in_minor_units(database: Any) -> None:
    product_id = await product_with_metrics(database)
    plan_id = await published_plan(
        database,
        plan_input(
            product_id, "unbounded", [usage_price("llm", "llm_cost", dynamic_rate(None, None))]
        ),
    )
    priced = await quote(
        database,
        {
            "planId": plan_id,
            "startDate": "2026-01-01",
            "periods": 3,
            "usage": [{"metricKey": "llm_cost", "transactionCount": 100, "averageAmount": "0.10"}],
            "creditGrants": [{"key": "welcome", "amount": "30"}],
        },
    )
    assert priced["errors"] == []
    invoices = priced["quote"]["invoices"]
    assert [i["creditsApplied"] for i in invoices] == [
        [{"grantKey": "welcome", "amount": "12.00", "remaining": "18.00"}],
        [{"grantKey": "welcome", "amount": "12.00", "remaining": "6.00"}],
        [{"grantKey": "welcome", "amount": "6.00", "remaining": "0.00"}],
    ]
    assert [i["total"] for i in invoices] == ["0.00", "0.00", "6.00"]
    assert priced["quote"]["credits"] == [
        {
            "grantKey": "welcome",
            "granted": "30.00",
            "used": "30.00",
            "expired": "0.00",
            "remaining": "0.00",
        }
    ]
    assert [i["breakage"] for i in invoices] == [[], [], []]
