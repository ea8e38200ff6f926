"""Bad catalog input gets a clear error with a code and field, and nothing is written.

Every case starts from one valid createPlan input, breaks one thing, and asserts the exact
errors and that no table's row count moved. Every price of a plan is in the plan's one
pricing unit (`CreatePlanInput.pricingUnit`; a price has no unit of its own), so "a
composite over a price in another pricing unit" cannot be expressed; the composite cases
cover what can: itself, another ramp's price, and a percentage over a composite.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.support.graphql import execute, execute_raw
from tests.support.shared import database_at, seed_once

from pricing_graph.api.context import Context
from pricing_graph.api.ids import encode_id
from pricing_graph.api.schema import schema
from pricing_graph.app import PricingGraphQL
from pricing_graph.services.actor import SYSTEM
from pricing_graph.store.schema import metadata

ERRORS = "errors { field code message }"
PLAN_PAYLOAD = f"plan {{ id status version }} {ERRORS}"
CREATE_PLAN = f"""
mutation($input: CreatePlanInput!) {{ createPlan(input: $input) {{ {PLAN_PAYLOAD} }} }}
"""
UPDATE_PLAN = f"""
mutation($input: UpdatePlanInput!) {{ updatePlan(input: $input) {{ {PLAN_PAYLOAD} }} }}
"""
PLAN_ACTION = """
mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{ {payload} }} }}
"""
CREATE_PRODUCT = f"""
mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ id key }} {ERRORS} }}
}}
"""
CREATE_METRIC = f"""
mutation($input: CreateMetricInput!) {{
  createMetric(input: $input) {{ metric {{ id key }} {ERRORS} }}
}}
"""
UPDATE_PRODUCT = f"""
mutation($input: UpdateProductInput!) {{
  updateProduct(input: $input) {{ product {{ id name }} {ERRORS} }}
}}
"""
ARCHIVE_PRODUCT = f"""
mutation($id: ID!) {{ archiveProduct(input: {{id: $id}}) {{ product {{ archived }} {ERRORS} }} }}
"""

TOKENS = "ramps.1.prices.0.usage"
TIERS = f"{TOKENS}.rate.tiers"
REQUESTS = "ramps.1.prices.2.usage"
SUPPORT = "ramps.1.prices.3.composite"
FLOOR = "ramps.1.prices.4.composite"
DELETE = object()


async def row_counts(database: Any) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).one()[0]
            for table in metadata.sorted_tables
        }


async def seed_catalog(database: Any) -> str:
    """A product, a SUM metric with a `model` dimension and a COUNT metric; the product ID."""
    product = await execute(database, CREATE_PRODUCT, input={"key": "llm", "name": "LLM API"})
    assert product["createProduct"]["errors"] == []
    for metric in (
        {
            "key": "tokens",
            "name": "Tokens",
            "unitLabel": "tokens",
            "aggregation": "SUM",
            "eventProperty": "tokens",
            "dimensions": ["model"],
        },
        {"key": "requests", "name": "Requests", "unitLabel": "requests", "aggregation": "COUNT"},
    ):
        created = await execute(database, CREATE_METRIC, input=metric)
        assert created["createMetric"]["errors"] == []
    return str(product["createProduct"]["product"]["id"])


def base_plan(product_id: str) -> dict[str, Any]:
    """A valid plan touching every rule: two ramps, tiers, dimension rates, a package,
    a discount, a percentage composite and a minimum over it, a usage limit."""
    tokens = {
        "key": "tokens",
        "name": "Tokens",
        "usage": {
            "metricKey": "tokens",
            "conversionFactor": "1000",
            "rate": {
                "model": "TIERED",
                "tiers": [
                    {"upTo": "1000", "unitPrice": "0.002", "flatFee": "0"},
                    {"from": "1000", "upTo": "5000", "unitPrice": "0.0015"},
                    {"from": "5000", "unitPrice": "0.001"},
                ],
            },
            "dimensionRates": [
                {
                    "match": [{"name": "model", "value": "large"}],
                    "rate": {"model": "FLAT", "unitPrice": "0.006"},
                }
            ],
        },
    }
    base = {"key": "base", "name": "Platform fee", "fixed": {"amount": "49.00"}}
    plan = {
        "productId": product_id,
        "key": "pro",
        "name": "Pro",
        "pricingUnit": {"code": "USD"},
        "ramps": [
            {
                "durationPeriods": 3,
                "prices": [
                    tokens,
                    base,
                    {
                        "key": "intro",
                        "name": "Intro discount",
                        "fixed": {"amount": "-20.00", "isDiscount": True},
                    },
                ],
            },
            {
                "prices": [
                    tokens,
                    base,
                    {
                        "key": "requests",
                        "name": "Requests",
                        "usage": {
                            "metricKey": "requests",
                            "rate": {
                                "model": "PACKAGE",
                                "packageSize": "1000",
                                "packagePrice": "1.00",
                            },
                        },
                    },
                    {
                        "key": "support",
                        "name": "Support",
                        "composite": {
                            "kind": "PERCENTAGE",
                            "value": "10",
                            "priceKeys": ["tokens", "base"],
                        },
                    },
                    {
                        "key": "floor",
                        "name": "Minimum spend",
                        "composite": {
                            "kind": "MINIMUM",
                            "value": "100",
                            "priceKeys": ["tokens", "support"],
                        },
                    },
                ],
            },
        ],
        "usageLimits": [{"metricKey": "tokens", "limit": "1000000"}],
    }
    return json.loads(json.dumps(plan))  # no shared sub-dicts: a change hits one place


def apply(target: Any, dotted: str, value: Any) -> None:
    *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(last, int) and last == len(target):
        target.append(value)
    else:
        target[last] = value


@dataclass(frozen=True)
class Case:
    id: str
    changes: dict[str, Any]
    code: str
    field: str
    extra: list[tuple[str, str]] = field(default_factory=list)


CASES = [
    # duplicate keys
    Case("duplicate price key", {"ramps.1.prices.2.key": "tokens"}, "DUPLICATE_KEY",
         "ramps.1.prices.2.key"),
    Case("duplicate usage limit", {"usageLimits.1": {"metricKey": "tokens"}}, "DUPLICATE_KEY",
         "usageLimits.1.metricKey"),
    Case("bad price key", {"ramps.1.prices.2.key": "Requests Fee"}, "INVALID_VALUE",
         "ramps.1.prices.2.key"),
    # unknown product or metric
    Case("unknown product", {"productId": encode_id("Product", 999)}, "NOT_FOUND", "productId"),
    Case("unknown metric", {f"{TOKENS}.metricKey": "tokenz"}, "UNKNOWN_METRIC",
         f"{TOKENS}.metricKey"),
    Case("unknown limit metric", {"usageLimits.0.metricKey": "gpus"}, "UNKNOWN_METRIC",
         "usageLimits.0.metricKey"),
    # tiers
    Case("tiers descending",
         {f"{TIERS}.1.upTo": "500", f"{TIERS}.1.from": DELETE, f"{TIERS}.2.from": DELETE},
         "TIERS_NOT_ASCENDING", f"{TIERS}.1.upTo"),
    Case("tiers equal", {f"{TIERS}.1.upTo": "1000", f"{TIERS}.2.from": "1000"},
         "TIERS_NOT_ASCENDING", f"{TIERS}.1.upTo"),
    Case("bounded last tier", {f"{TIERS}.2.upTo": "10000"}, "BOUNDED_LAST_TIER",
         f"{TIERS}.2.upTo"),
    Case("unbounded tier not last", {f"{TIERS}.1.upTo": None, f"{TIERS}.2.from": DELETE},
         "UNBOUNDED_TIER_NOT_LAST", f"{TIERS}.1.upTo"),
    Case("tier gap", {f"{TIERS}.1.from": "1500"}, "TIER_GAP", f"{TIERS}.1.from"),
    Case("first tier gap", {f"{TIERS}.0.from": "1"}, "TIER_GAP", f"{TIERS}.0.from"),
    Case("tier overlap", {f"{TIERS}.2.from": "4000"}, "TIER_OVERLAP", f"{TIERS}.2.from"),
    Case("no tiers", {f"{TOKENS}.rate.tiers": []}, "REQUIRED", f"{TOKENS}.rate.tiers"),
    # negative prices and quantities
    Case("negative tier price", {f"{TIERS}.0.unitPrice": "-0.002"}, "NEGATIVE_VALUE",
         f"{TIERS}.0.unitPrice"),
    Case("negative flat fee", {f"{TIERS}.2.flatFee": "-5"}, "NEGATIVE_VALUE",
         f"{TIERS}.2.flatFee"),
    Case("negative dimension price",
         {f"{TOKENS}.dimensionRates.0.rate.unitPrice": "-0.006"}, "NEGATIVE_VALUE",
         f"{TOKENS}.dimensionRates.0.rate.unitPrice"),
    Case("negative package price", {f"{REQUESTS}.rate.packagePrice": "-1"}, "NEGATIVE_VALUE",
         f"{REQUESTS}.rate.packagePrice"),
    Case("negative free units", {f"{TOKENS}.freeUnits": "-1"}, "NEGATIVE_VALUE",
         f"{TOKENS}.freeUnits"),
    Case("negative fixed amount", {"ramps.1.prices.1.fixed.amount": "-49.00"},
         "NEGATIVE_VALUE", "ramps.1.prices.1.fixed.amount"),
    Case("positive discount", {"ramps.0.prices.2.fixed.amount": "20.00"}, "INVALID_VALUE",
         "ramps.0.prices.2.fixed.amount"),
    Case("negative fixed quantity", {"ramps.1.prices.1.fixed.quantity": "-1"},
         "NEGATIVE_VALUE", "ramps.1.prices.1.fixed.quantity"),
    Case("negative minimum", {f"{FLOOR}.value": "-100"}, "NEGATIVE_VALUE", f"{FLOOR}.value"),
    Case("negative composite quantity", {f"{SUPPORT}.quantity": "-1"}, "NEGATIVE_VALUE",
         f"{SUPPORT}.quantity"),
    Case("negative invoice minimum", {"ramps.1.invoiceMinimum": "-1"}, "NEGATIVE_VALUE",
         "ramps.1.invoiceMinimum"),
    Case("negative usage limit", {"usageLimits.0.limit": "-1"}, "NEGATIVE_VALUE",
         "usageLimits.0.limit"),
    Case("negative trial cap", {"trial": {"days": 14, "spendingCap": "-5"}}, "NEGATIVE_VALUE",
         "trial.spendingCap"),
    Case("negative trial days", {"trial": {"days": -1}}, "NEGATIVE_VALUE", "trial.days"),
    Case("negative payment days", {"netPaymentDays": -1}, "NEGATIVE_VALUE", "netPaymentDays"),
    # package size and conversion factor
    Case("zero package size", {f"{REQUESTS}.rate.packageSize": "0"}, "NOT_POSITIVE",
         f"{REQUESTS}.rate.packageSize"),
    Case("negative package size", {f"{REQUESTS}.rate.packageSize": "-1000"}, "NOT_POSITIVE",
         f"{REQUESTS}.rate.packageSize"),
    Case("package without size", {f"{REQUESTS}.rate.packageSize": DELETE}, "REQUIRED",
         f"{REQUESTS}.rate.packageSize"),
    Case("zero conversion factor", {f"{TOKENS}.conversionFactor": "0"}, "NOT_POSITIVE",
         f"{TOKENS}.conversionFactor"),
    Case("negative conversion factor", {f"{TOKENS}.conversionFactor": "-1000"},
         "NOT_POSITIVE", f"{TOKENS}.conversionFactor"),
    # composites
    Case("composite lists itself", {f"{SUPPORT}.priceKeys": ["tokens", "support"]},
         "COMPOSITE_SELF_REFERENCE", f"{SUPPORT}.priceKeys"),
    Case("composite over another ramp's price", {f"{SUPPORT}.priceKeys": ["tokens", "intro"]},
         "COMPOSITE_UNKNOWN_PRICE", f"{SUPPORT}.priceKeys"),
    Case("percentage over a composite", {f"{SUPPORT}.priceKeys": ["tokens", "floor"]},
         "COMPOSITE_INVALID_TARGET", f"{SUPPORT}.priceKeys"),
    Case("composite over nothing", {f"{SUPPORT}.priceKeys": []}, "REQUIRED",
         f"{SUPPORT}.priceKeys"),
    # dimensions
    Case("unknown dimension",
         {f"{TOKENS}.dimensionRates.0.match": [{"name": "region", "value": "eu"}]},
         "UNKNOWN_DIMENSION", f"{TOKENS}.dimensionRates.0.match"),
    Case("duplicate dimension match",
         {f"{TOKENS}.dimensionRates.1": {
             "match": [{"name": "model", "value": "large"}],
             "rate": {"model": "FLAT", "unitPrice": "0.007"}}},
         "DUPLICATE_MATCH", f"{TOKENS}.dimensionRates.1.match"),
    # pricing units
    Case("unknown currency", {"pricingUnit": {"code": "ABC"}}, "UNKNOWN_CURRENCY",
         "pricingUnit.code"),
    Case("unknown invoice currency",
         {"pricingUnit": {"code": "credits", "decimals": 2, "invoiceCurrency": "ABC",
                          "overageRate": "0.01"}},
         "UNKNOWN_CURRENCY", "pricingUnit.invoiceCurrency"),
    Case("custom unit without overage rate",
         {"pricingUnit": {"code": "credits", "decimals": 2, "invoiceCurrency": "USD"}},
         "REQUIRED", "pricingUnit.overageRate"),
    Case("currency with wrong decimals", {"pricingUnit": {"code": "JPY", "decimals": 2}},
         "INVALID_VALUE", "pricingUnit.decimals"),
    # ramps
    Case("ramp without duration not last", {"ramps.0.durationPeriods": None},
         "RAMP_DURATION_REQUIRED", "ramps.0.durationPeriods"),
    Case("last ramp with duration", {"ramps.1.durationPeriods": 12}, "LAST_RAMP_HAS_DURATION",
         "ramps.1.durationPeriods"),
    Case("zero ramp duration", {"ramps.0.durationPeriods": 0}, "NOT_POSITIVE",
         "ramps.0.durationPeriods"),
    Case("no ramps", {"ramps": []}, "REQUIRED", "ramps"),
    # price shapes
    Case("usage without rates",
         {f"{TOKENS}.rate": DELETE, f"{TOKENS}.dimensionRates": DELETE}, "REQUIRED",
         f"{TOKENS}.rate"),
    Case("two kinds", {"ramps.1.prices.1.usage": {
        "metricKey": "requests", "rate": {"model": "FLAT", "unitPrice": "1"}}},
         "INVALID_VALUE", "ramps.1.prices.1"),
    Case("no kind", {"ramps.1.prices.1.fixed": DELETE}, "REQUIRED", "ramps.1.prices.1"),
    Case("flat without unit price", {f"{TOKENS}.dimensionRates.0.rate.unitPrice": DELETE},
         "REQUIRED", f"{TOKENS}.dimensionRates.0.rate.unitPrice"),
    # text longer than its column (PostgreSQL would refuse it with an unexpected error)
    Case("long description", {"description": "x" * 2001}, "INVALID_VALUE", "description"),
    Case("long invoice name", {"invoiceDisplayName": "x" * 201}, "INVALID_VALUE",
         "invoiceDisplayName"),
    Case("long price invoice name", {"ramps.1.prices.2.invoiceDisplayName": "x" * 201},
         "INVALID_VALUE", "ramps.1.prices.2.invoiceDisplayName"),
    Case("empty plan name", {"name": " "}, "REQUIRED", "name"),
    Case("bad plan key", {"key": "-pro"}, "INVALID_VALUE", "key"),
    # other rate rules
    Case("zero every periods", {"ramps.1.prices.1.fixed.everyPeriods": 0}, "NOT_POSITIVE",
         "ramps.1.prices.1.fixed.everyPeriods"),
    Case("percentage without rate",
         {f"{REQUESTS}.rate": {"model": "PERCENTAGE"}}, "REQUIRED",
         f"{REQUESTS}.rate.ratePercent"),
    Case("percentage min above max",
         {f"{REQUESTS}.rate": {"model": "PERCENTAGE", "ratePercent": "2.9",
                               "minPerEvent": "1", "maxPerEvent": "0.5"}},
         "INVALID_RANGE", f"{REQUESTS}.rate.maxPerEvent"),
    Case("markup below -100%", {f"{REQUESTS}.rate": {"model": "DYNAMIC",
                                                    "markupPercent": "-100.5"}},
         "INVALID_VALUE", f"{REQUESTS}.rate.markupPercent"),
    Case("rate limit without window", {"usageLimits.0.rateLimit": 10}, "REQUIRED",
         "usageLimits.0.rateLimit"),
    Case("zero rate limit", {"usageLimits.0.rateLimit": 0, "usageLimits.0.rateLimitWindow":
                             "MINUTE"}, "NOT_POSITIVE", "usageLimits.0.rateLimit"),
    Case("custom unit decimals above 12",
         {"pricingUnit": {"code": "credits", "decimals": 13, "invoiceCurrency": "USD",
                          "overageRate": "0.01"}},
         "INVALID_VALUE", "pricingUnit.decimals"),
    Case("negative overage rate",
         {"pricingUnit": {"code": "credits", "decimals": 2, "invoiceCurrency": "USD",
                          "overageRate": "-0.01"}},
         "NEGATIVE_VALUE", "pricingUnit.overageRate"),
    # malformed global ID in input
    Case("malformed product ID", {"productId": "not an id!"}, "INVALID_ID", "productId"),
    Case("product ID of another type", {"productId": encode_id("Plan", 1)}, "INVALID_ID",
         "productId"),
]  # fmt: skip


def _variables(product_id: str, case: Case) -> dict[str, Any]:
    given = base_plan(product_id)
    for dotted, value in case.changes.items():
        apply(given, dotted, value)
    return given


async def test_base_plan_is_valid(database: Any) -> None:
    """The cases below fail for their one change, not because the base plan is wrong."""
    product_id = await seed_catalog(database)
    data = await execute(database, CREATE_PLAN, input=base_plan(product_id))
    assert data["createPlan"]["errors"] == []
    assert data["createPlan"]["plan"]["status"] == "DRAFT"


@pytest.fixture(scope="module")
def catalog_once(module_database_url: str) -> tuple[str, str]:
    """`seed_catalog` once for the createPlan refusals, which share the database: each
    asserts that no row count changed (tests/support/shared.py)."""
    return module_database_url, seed_once(module_database_url, seed_catalog)


@pytest.fixture
async def catalog(catalog_once: tuple[str, str]) -> AsyncIterator[tuple[Any, str]]:
    url, product_id = catalog_once
    async with database_at(url) as database:
        yield database, product_id


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_create_plan_refuses(catalog: tuple[Any, str], case: Case) -> None:
    database, product_id = catalog
    before = await row_counts(database)

    data = await execute(database, CREATE_PLAN, input=_variables(product_id, case))

    payload = data["createPlan"]
    assert payload["plan"] is None
    got = sorted((error["code"], error["field"]) for error in payload["errors"])
    want = sorted([(case.code, case.field), *case.extra])
    assert got == [(code, f"input.{path}") for code, path in want]
    assert all(error["message"] for error in payload["errors"])
    assert await row_counts(database) == before


DECIMAL_CASES = [
    ("NaN", f"{TIERS}.0.unitPrice", "NaN"),
    ("Infinity", f"{TIERS}.1.flatFee", "Infinity"),
    ("-Infinity", "ramps.1.prices.1.fixed.amount", "-Infinity"),
    ("13 places", f"{TOKENS}.conversionFactor", "0.0000000000001"),
    ("exponent", f"{REQUESTS}.rate.packageSize", "1e3"),
    ("number, not string", f"{TIERS}.0.upTo", 1000),
]


@pytest.mark.parametrize(("dotted", "value"), [c[1:] for c in DECIMAL_CASES],
                         ids=[c[0] for c in DECIMAL_CASES])  # fmt: skip
async def test_bad_decimal_is_refused_before_any_write(
    catalog: tuple[Any, str], dotted: str, value: Any
) -> None:
    database, product_id = catalog
    given = base_plan(product_id)
    apply(given, dotted, value)
    before = await row_counts(database)

    result = await execute_raw(database, CREATE_PLAN, input=given)

    assert result.data is None
    assert result.errors is not None and len(result.errors) == 1
    assert result.errors[0].extensions == {"code": "INVALID_DECIMAL", "field": f"input.{dotted}"}
    assert await row_counts(database) == before


async def test_twelve_decimal_places_are_accepted(database: Any) -> None:
    product_id = await seed_catalog(database)
    given = base_plan(product_id)
    apply(given, f"{TIERS}.0.unitPrice", "0.000000000001")
    data = await execute(database, CREATE_PLAN, input=given)
    assert data["createPlan"]["errors"] == []


async def test_duplicate_plan_key(database: Any) -> None:
    product_id = await seed_catalog(database)
    first = await execute(database, CREATE_PLAN, input=base_plan(product_id))
    assert first["createPlan"]["errors"] == []
    before = await row_counts(database)

    data = await execute(database, CREATE_PLAN, input=base_plan(product_id))

    assert data["createPlan"]["plan"] is None
    assert [(e["code"], e["field"]) for e in data["createPlan"]["errors"]] == [
        ("DUPLICATE_KEY", "input.key")
    ]
    assert await row_counts(database) == before


async def test_archived_product(database: Any) -> None:
    product_id = await seed_catalog(database)
    archived = await execute(database, ARCHIVE_PRODUCT, id=product_id)
    assert archived["archiveProduct"] == {"product": {"archived": True}, "errors": []}
    before = await row_counts(database)

    data = await execute(database, CREATE_PLAN, input=base_plan(product_id))

    assert data["createPlan"]["plan"] is None
    assert [(e["code"], e["field"]) for e in data["createPlan"]["errors"]] == [
        ("PRODUCT_ARCHIVED", "input.productId")
    ]
    assert await row_counts(database) == before


PRODUCT_CASES = [
    ("duplicate key", CREATE_PRODUCT, {"key": "llm", "name": "Another"}, "DUPLICATE_KEY",
     "input.key"),
    ("bad key", CREATE_PRODUCT, {"key": "LLM 2", "name": "Another"}, "INVALID_VALUE",
     "input.key"),
    ("empty name", CREATE_PRODUCT, {"key": "llm2", "name": ""}, "REQUIRED", "input.name"),
    ("long name", CREATE_PRODUCT, {"key": "llm2", "name": "n" * 201}, "INVALID_VALUE",
     "input.name"),
    ("long description", CREATE_PRODUCT,
     {"key": "llm2", "name": "LLM", "description": "d" * 2001}, "INVALID_VALUE",
     "input.description"),
    ("update: long description", UPDATE_PRODUCT, {"description": "d" * 2001}, "INVALID_VALUE",
     "input.description"),
    ("update: empty name", UPDATE_PRODUCT, {"name": " "}, "REQUIRED", "input.name"),
    ("update: unknown product", UPDATE_PRODUCT, {"id": encode_id("Product", 999), "name": "X"},
     "NOT_FOUND", "input.id"),
    ("update: metric ID", UPDATE_PRODUCT, {"id": encode_id("Metric", 1), "name": "X"},
     "INVALID_ID", "input.id"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "given", "code", "field"), [c[1:] for c in PRODUCT_CASES],
                         ids=[c[0] for c in PRODUCT_CASES])  # fmt: skip
async def test_product_refused(
    database: Any, document: str, given: dict[str, Any], code: str, field: str
) -> None:
    product_id = await seed_catalog(database)
    before = await row_counts(database)

    if document is UPDATE_PRODUCT:
        given = {"id": product_id, **given}
    data = await execute(database, document, input=given)

    payload = next(iter(data.values()))
    assert payload["product"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await row_counts(database) == before
    names = await execute(database, "{ products { nodes { name description } } }")
    assert names["products"]["nodes"] == [{"name": "LLM API", "description": ""}]


async def test_duplicate_product_key(database: Any) -> None:
    await seed_catalog(database)
    before = await row_counts(database)

    data = await execute(database, CREATE_PRODUCT, input={"key": "llm", "name": "Another"})

    assert data["createProduct"]["product"] is None
    assert [(e["code"], e["field"]) for e in data["createProduct"]["errors"]] == [
        ("DUPLICATE_KEY", "input.key")
    ]
    assert await row_counts(database) == before


METRIC_CASES = [
    ("SUM without property", {"aggregation": "SUM"}, "REQUIRED", "input.eventProperty"),
    ("MAX without property", {"aggregation": "MAX", "eventProperty": ""}, "REQUIRED",
     "input.eventProperty"),
    ("duplicate key", {"key": "tokens", "aggregation": "COUNT"}, "DUPLICATE_KEY", "input.key"),
    ("duplicate dimension", {"aggregation": "COUNT", "dimensions": ["model", "model"]},
     "DUPLICATE_KEY", "input.dimensions"),
    ("bad dimension", {"aggregation": "COUNT", "dimensions": ["Model Name"]}, "INVALID_VALUE",
     "input.dimensions.0"),
    ("empty name", {"aggregation": "COUNT", "name": "  "}, "REQUIRED", "input.name"),
    ("long event property", {"eventProperty": "p" * 101}, "INVALID_VALUE",
     "input.eventProperty"),
    ("long unit label", {"aggregation": "COUNT", "unitLabel": "u" * 51}, "INVALID_VALUE",
     "input.unitLabel"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "code", "field"), [c[1:] for c in METRIC_CASES],
                         ids=[c[0] for c in METRIC_CASES])  # fmt: skip
async def test_create_metric_refuses(
    database: Any, changes: dict[str, Any], code: str, field: str
) -> None:
    await seed_catalog(database)
    before = await row_counts(database)

    given = {"key": "gpu_seconds", "name": "GPU time", "unitLabel": "s", **changes}
    data = await execute(database, CREATE_METRIC, input=given)

    assert data["createMetric"]["metric"] is None
    assert [(e["code"], e["field"]) for e in data["createMetric"]["errors"]] == [(code, field)]
    assert await row_counts(database) == before


async def _plan(database: Any, status: str) -> str:
    """A plan of the given status; ARCHIVED is reached by publishing then archiving."""
    product_id = await seed_catalog(database)
    created = await execute(database, CREATE_PLAN, input=base_plan(product_id))
    plan_id = str(created["createPlan"]["plan"]["id"])
    for action in {"DRAFT": [], "PUBLISHED": ["publishPlan"]}.get(
        status, ["publishPlan", "archivePlan"]
    ):
        done = await execute(database, PLAN_ACTION.format(name=action, payload=ERRORS), id=plan_id)
        assert done[action]["errors"] == []
    return plan_id


@pytest.mark.parametrize("status", ["PUBLISHED", "ARCHIVED"])
async def test_update_plan_only_edits_drafts(database: Any, status: str) -> None:
    plan_id = await _plan(database, status)
    before = await row_counts(database)

    data = await execute(
        database, UPDATE_PLAN, input={"id": plan_id, "name": "Pro (edited)", "ramps": []}
    )

    assert data["updatePlan"]["plan"] is None
    assert [(e["code"], e["field"]) for e in data["updatePlan"]["errors"]] == [
        ("PLAN_NOT_DRAFT", "input.id")
    ]
    assert await row_counts(database) == before
    read = await execute(database, "query($id: ID!) { node(id: $id) { ... on Plan { name } } }",
                         id=plan_id)  # fmt: skip
    assert read["node"] == {"name": "Pro"}


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("PUBLISHED", "publishPlan"),
        ("ARCHIVED", "publishPlan"),
        ("ARCHIVED", "archivePlan"),
        ("DRAFT", "createPlanVersion"),
    ],
)
async def test_status_transitions_refused(database: Any, status: str, action: str) -> None:
    plan_id = await _plan(database, status)
    before = await row_counts(database)

    data = await execute(
        database, PLAN_ACTION.format(name=action, payload=PLAN_PAYLOAD), id=plan_id
    )

    assert data[action]["plan"] is None
    assert [(e["code"], e["field"]) for e in data[action]["errors"]] == [
        ("INVALID_STATUS", "input.id")
    ]
    assert await row_counts(database) == before


UPDATE_CASES = [
    ("null name", {"name": None}, "REQUIRED", "input.name"),
    ("empty name", {"name": " "}, "REQUIRED", "input.name"),
    ("bounded last tier", {"ramps": [{"prices": [{"key": "t", "name": "T", "usage": {
        "metricKey": "tokens", "rate": {"model": "VOLUME", "tiers": [{"upTo": "10"}]}}}]}]},
     "BOUNDED_LAST_TIER", "input.ramps.0.prices.0.usage.rate.tiers.0.upTo"),
    ("unknown metric", {"usageLimits": [{"metricKey": "gpus"}]}, "UNKNOWN_METRIC",
     "input.usageLimits.0.metricKey"),
    ("unknown currency", {"pricingUnit": {"code": "ABC"}}, "UNKNOWN_CURRENCY",
     "input.pricingUnit.code"),
    ("null pricing unit", {"pricingUnit": None}, "REQUIRED", "input.pricingUnit"),
    ("long description", {"description": "x" * 2001}, "INVALID_VALUE", "input.description"),
    ("empty invoice name", {"invoiceDisplayName": ""}, "REQUIRED", "input.invoiceDisplayName"),
    ("long invoice name", {"invoiceDisplayName": "x" * 201}, "INVALID_VALUE",
     "input.invoiceDisplayName"),
    ("ramp without duration not last",
     {"ramps": [{"prices": [{"key": "a", "name": "A", "fixed": {"amount": "1"}}]},
                {"prices": [{"key": "a", "name": "A", "fixed": {"amount": "2"}}]}]},
     "RAMP_DURATION_REQUIRED", "input.ramps.0.durationPeriods"),
    ("tier overlap", {"ramps": [{"prices": [{"key": "t", "name": "T", "usage": {
        "metricKey": "tokens", "rate": {"model": "TIERED", "tiers": [
            {"upTo": "10"}, {"from": "5"}]}}}]}]},
     "TIER_OVERLAP", "input.ramps.0.prices.0.usage.rate.tiers.1.from"),
    ("malformed ID", {"id": "%%%"}, "INVALID_ID", "input.id"),
    ("ID of another type", {"id": encode_id("Product", 1)}, "INVALID_ID", "input.id"),
    ("unknown plan", {"id": encode_id("Plan", 999)}, "NOT_FOUND", "input.id"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "code", "field"), [c[1:] for c in UPDATE_CASES],
                         ids=[c[0] for c in UPDATE_CASES])  # fmt: skip
async def test_update_draft_refuses(
    database: Any, changes: dict[str, Any], code: str, field: str
) -> None:
    plan_id = await _plan(database, "DRAFT")
    before = await row_counts(database)

    data = await execute(database, UPDATE_PLAN, input={"id": plan_id, **changes})

    assert data["updatePlan"]["plan"] is None
    assert [(e["code"], e["field"]) for e in data["updatePlan"]["errors"]] == [(code, field)]
    assert await row_counts(database) == before


@pytest.mark.parametrize(
    "action", ["publishPlan", "archivePlan", "createPlanVersion", "archiveProduct"]
)
async def test_malformed_id_in_mutation_input(database: Any, action: str) -> None:
    await seed_catalog(database)
    before = await row_counts(database)

    data = await execute(database, PLAN_ACTION.format(name=action, payload=ERRORS), id="bm9wZQ")

    assert [(e["code"], e["field"]) for e in data[action]["errors"]] == [("INVALID_ID", "input.id")]
    assert await row_counts(database) == before


QUERY_CASES = [
    ("products page too large", "{ products(first: 101) { totalCount } }", "PAGE_SIZE_TOO_LARGE",
     "first"),
    ("plans page too large", "{ plans(first: 1000) { totalCount } }", "PAGE_SIZE_TOO_LARGE",
     "first"),
    ("nested page too large", "{ products { nodes { plans(first: 101) { totalCount } } } }",
     "PAGE_SIZE_TOO_LARGE", "first"),
    ("negative page size", "{ metrics(first: -1) { totalCount } }", "INVALID_VALUE", "first"),
    ("foreign cursor", '{ products(after: "xyz") { totalCount } }', "INVALID_CURSOR", "after"),
    ("node with malformed ID", '{ node(id: "not-an-id") { id } }', "INVALID_ID", "id"),
    ("node with overlong ID", '{ node(id: "UHJvZHVjdDoxMjM0NTY3ODkwMTIzNDU2Nzg5MA") { id } }',
     "INVALID_ID", "id"),
    ("product with malformed ID", '{ product(id: "!!") { id } }', "INVALID_ID", "id"),
    ("product with a plan ID", '{ product(id: "UGxhbjox") { id } }', "INVALID_ID", "id"),
    ("plans with malformed productId", '{ plans(productId: "@") { totalCount } }',
     "INVALID_ID", "productId"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "code", "field"), [c[1:] for c in QUERY_CASES],
                         ids=[c[0] for c in QUERY_CASES])  # fmt: skip
async def test_query_argument_refused(database: Any, query: str, code: str, field: str) -> None:
    await seed_catalog(database)
    before = await row_counts(database)

    result = await execute_raw(database, query)

    assert result.errors is not None and len(result.errors) == 1
    assert result.errors[0].extensions == {"code": code, "field": field}
    assert result.errors[0].message != "Unexpected error."
    assert await row_counts(database) == before


async def test_page_size_of_100_is_allowed(database: Any) -> None:
    await seed_catalog(database)
    data = await execute(database, "{ products(first: 100) { totalCount } }")
    assert data == {"products": {"totalCount": 1}}


@pytest.mark.parametrize(
    "document",
    [
        "mutation { createProduct(input: {key: 'x'}) { errors { code } }",
        "{ products { nodes { nope } } }",
        'mutation { createProduct(input: {key: "x"}) { errors { code } } }',
        'mutation { createProduct(input: {key: "x", name: "X", extra: 1}) { errors { code } } }',
    ],
    ids=["syntax", "unknown field", "missing input field", "unknown input field"],
)
async def test_malformed_document_is_an_error_not_an_exception(
    database: Any, document: str
) -> None:
    before = await row_counts(database)
    result = await schema.execute(document, context_value=Context(database, actor=SYSTEM))
    assert result.data is None
    assert result.errors and all(error.message for error in result.errors)
    assert await row_counts(database) == before


@pytest.mark.parametrize(
    "body",
    [b'{"query": "{ products { totalCount } }"', b"not json", b'["query"]'],
    ids=["truncated", "not json", "not an object"],
)
async def test_malformed_json_body_is_a_400(database: Any, body: bytes) -> None:
    before = await row_counts(database)
    transport = httpx.ASGITransport(app=PricingGraphQL(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert await row_counts(database) == before


# IDs that decode but can name nothing: a non-ASCII digit, a key past PostgreSQL's integer.
SUPERSCRIPT_ID = "UHJvZHVjdDrCsg"  # base64 of "Product:²": str.isdigit() is True, int() fails
INT4_OVERFLOW_ID = encode_id("Product", 2**31)  # past PostgreSQL's integer primary keys


@pytest.mark.parametrize("global_id", [SUPERSCRIPT_ID, INT4_OVERFLOW_ID], ids=["²", "2**31"])
async def test_odd_ids_are_refused_not_unexpected(database: Any, global_id: str) -> None:
    await seed_catalog(database)
    before = await row_counts(database)

    queried = await execute_raw(database, "query($id: ID!) { node(id: $id) { id } }", id=global_id)
    archived = await execute(database, ARCHIVE_PRODUCT, id=global_id)

    assert queried.errors is not None
    assert [e.extensions for e in queried.errors] == [{"code": "INVALID_ID", "field": "id"}]
    assert [e["code"] for e in archived["archiveProduct"]["errors"]] == ["INVALID_ID"]
    assert await row_counts(database) == before


async def test_cursor_past_any_offset_is_invalid(database: Any) -> None:
    after = base64.urlsafe_b64encode(b"offset:99999999999999999999").decode()
    result = await execute_raw(
        database, "query($a: String) { products(after: $a) { totalCount } }", a=after
    )
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "INVALID_CURSOR", "field": "after"}]
