"""Bad quotes get exact (field, code) errors, terms the same ones createContract gives, and a
quote (good or bad) writes nothing.

Every case starts from one valid input, Acme's enterprise setup of seed 001 on the demo's
`llm-enterprise` plan over 12 months (4 quarters), breaks one thing and asserts the exact
errors. Terms cases also send the same terms to createContract (for Startup Inc, which has
no contract on the LLM platform) and require the same codes on the same fields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support.graphql import execute
from tests.support.shared import database_at, seed_once

from pricing_graph.api.context import Context
from pricing_graph.api.ids import encode_id
from pricing_graph.api.schema import schema
from pricing_graph.demo.seed import seed_database
from pricing_graph.services.actor import SYSTEM
from pricing_graph.store.schema import metadata

ERRORS = "errors { field code message }"
QUOTE = f"""
query($input: QuoteInput!) {{ quote(input: $input) {{ quote {{ total }} {ERRORS} }} }}
"""
COMPARE = f"""
query($productId: ID!, $usage: [ProjectedUsageInput!]!, $periods: Int!) {{
  comparePlans(productId: $productId, usage: $usage, periods: $periods) {{
    plans {{ planKey total }} {ERRORS}
  }}
}}
"""
CREATE_CONTRACT = f"""
mutation($input: CreateContractInput!) {{
  createContract(input: $input) {{ contract {{ id }} {ERRORS} }}
}}
"""
IDS = """
{
  product(key: "llm-platform") { id plans { nodes { id key version } } }
  customer(externalId: "startup-inc") { id }
}
"""

Input = dict[str, Any]
Ids = dict[str, str]


def valid_input(plan_id: str) -> Input:
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
        "usage": [
            {"metricKey": "input_tokens", "quantity": "20000000000"},
            {"metricKey": "output_tokens", "quantity": "5000000000"},
            {"metricKey": "fine_tuning_hours", "quantity": "2000"},
        ],
    }


async def row_counts(database: Any) -> dict[str, int]:
    async with database.engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).one()[0]
            for table in metadata.sorted_tables
        }


async def seeded(database: Any) -> dict[str, str]:
    await seed_database(database)
    data = await execute(database, IDS)
    ids = {node["key"]: node["id"] for node in data["product"]["plans"]["nodes"]}
    return {**ids, "product": data["product"]["id"], "startup": data["customer"]["id"]}


@pytest.fixture(scope="module")
def seeded_once(module_database_url: str) -> tuple[str, dict[str, str]]:
    """The demo data, seeded once for the cases that only read or are refused (each asserts
    that no row count changed), which then share the database (tests/support/shared.py)."""
    return module_database_url, seed_once(module_database_url, seeded)


@pytest.fixture
async def shared(seeded_once: tuple[str, dict[str, str]]) -> AsyncIterator[tuple[Any, Ids]]:
    url, ids = seeded_once
    async with database_at(url) as database:
        yield database, dict(ids)


async def quote_errors(database: Any, given: Input) -> list[tuple[str | None, str]]:
    result = await schema.execute(
        QUOTE, variable_values={"input": given}, context_value=Context(database, actor=SYSTEM)
    )
    assert result.errors is None, [e.formatted for e in result.errors]
    assert result.data is not None
    payload = result.data["quote"]
    assert payload["quote"] is None
    return [(error["field"], error["code"]) for error in payload["errors"]]


def edit(path: str, value: Any) -> Callable[[Input], None]:
    """Set a dotted path (list indexes as numbers) of the input."""

    def apply(given: Input) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = given
        for part in parents:
            target = target[part]
        target[last] = value

    return apply


# (case id, change, expected errors)
USAGE_CASES: list[tuple[str, Callable[[Input], None], list[tuple[str, str]]]] = [
    ("zero-periods", edit("periods", 0), [("input.periods", "INVALID_VALUE")]),
    ("121-periods", edit("periods", 121), [("input.periods", "INVALID_VALUE")]),
    (
        "more-periods-than-the-term",
        edit("periods", 5),
        [("input.periods", "PERIOD_OUT_OF_RANGE")],
    ),
    (
        "negative-quantity",
        edit("usage.1.quantity", "-1"),
        [("input.usage.1.quantity", "NEGATIVE_VALUE")],
    ),
    (
        "negative-per-period",
        edit("usage.0", {"metricKey": "input_tokens", "perPeriod": ["1", "2", "-3", "4"]}),
        [("input.usage.0.perPeriod.2", "NEGATIVE_VALUE")],
    ),
    (
        "negative-average-amount",
        edit(
            "usage.0",
            {"metricKey": "input_tokens", "transactionCount": 1, "averageAmount": "-1"},
        ),
        [("input.usage.0.averageAmount", "NEGATIVE_VALUE")],
    ),
    (
        "negative-transaction-count",
        edit(
            "usage.0",
            {"metricKey": "input_tokens", "transactionCount": -1, "averageAmount": "1"},
        ),
        [("input.usage.0.transactionCount", "NEGATIVE_VALUE")],
    ),
    (
        "transaction-count-without-average",
        edit("usage.0", {"metricKey": "input_tokens", "transactionCount": 10}),
        [("input.usage.0.averageAmount", "REQUIRED")],
    ),
    (
        # api_calls is a demo metric of the product, but the Enterprise plan prices none
        "metric-not-in-the-plan",
        edit("usage.2.metricKey", "api_calls"),
        [("input.usage.2.metricKey", "UNKNOWN_METRIC")],
    ),
    (
        "no-such-metric",
        edit("usage.0.metricKey", "nope"),
        [("input.usage.0.metricKey", "UNKNOWN_METRIC")],
    ),
    (
        "per-period-of-the-wrong-length",
        edit("usage.0", {"metricKey": "input_tokens", "perPeriod": ["1", "2", "3"]}),
        [("input.usage.0.perPeriod", "INVALID_VALUE")],
    ),
    (
        "quantity-and-per-period",
        edit("usage.0.perPeriod", ["1", "2", "3", "4"]),
        [("input.usage.0", "INVALID_VALUE")],
    ),
    (
        "quantity-and-transaction-count",
        edit("usage.0.transactionCount", 5),
        [("input.usage.0", "INVALID_VALUE")],
    ),
    (
        "none-of-the-three",
        edit("usage.0", {"metricKey": "input_tokens"}),
        [("input.usage.0", "INVALID_VALUE")],
    ),
    (
        "growth-of-a-per-period-list",
        edit(
            "usage.0",
            {"metricKey": "input_tokens", "perPeriod": ["1", "2", "3", "4"], "growthPercent": "5"},
        ),
        [("input.usage.0.growthPercent", "INVALID_VALUE")],
    ),
    (
        "growth-of-minus-100-percent",
        edit("usage.0.growthPercent", "-100"),
        [("input.usage.0.growthPercent", "INVALID_VALUE")],
    ),
    (
        "two-usage-problems-at-once",
        lambda given: (
            edit("usage.0.quantity", "-5")(given),
            edit("usage.2.metricKey", "nope")(given),
        ),
        [
            ("input.usage.0.quantity", "NEGATIVE_VALUE"),
            ("input.usage.2.metricKey", "UNKNOWN_METRIC"),
        ],
    ),
]

# Terms createContract refuses: the quote must refuse them on the same fields, same codes.
TERMS_CASES: list[tuple[str, Callable[[Input], None], list[tuple[str, str]]]] = [
    (
        "unknown-price",
        edit("adjustments.0.priceKey", "nope"),
        [("input.adjustments.0.priceKey", "UNKNOWN_PRICE")],
    ),
    (
        "grant-in-another-currency",
        edit("creditGrants", [{"key": "eur", "amount": "100", "pricingUnit": "EUR"}]),
        [("input.creditGrants.0.pricingUnit", "CURRENCY_MISMATCH")],
    ),
    (
        "zero-commitment",
        edit("commitments.0.amount", "0"),
        [("input.commitments.0.amount", "NOT_POSITIVE")],
    ),
    (
        "negative-commitment",
        edit("commitments.0.amount", "-100000.00"),
        [("input.commitments.0.amount", "NOT_POSITIVE")],
    ),
    (
        "negative-grant",
        edit("creditGrants", [{"key": "g", "amount": "-1"}]),
        [("input.creditGrants.0.amount", "NOT_POSITIVE")],
    ),
    (
        "end-before-start",
        edit("endDate", "2025-12-01"),
        [("input.endDate", "INVALID_DATES")],
    ),
    (
        "quantity-adjustment-of-a-usage-price",
        edit("adjustments.0", {"priceKey": "input_tokens", "kind": "QUANTITY", "value": "2"}),
        [("input.adjustments.0.kind", "INVALID_TERMS")],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES]
)
async def test_bad_usage_or_periods(
    shared: tuple[Any, Ids], change: Callable[[Input], None], expected: list[tuple[str, str]]
) -> None:
    database, ids = shared
    given = valid_input(ids["llm-enterprise"])
    change(given)
    before = await row_counts(database)
    assert await quote_errors(database, given) == expected
    assert await row_counts(database) == before


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in TERMS_CASES], ids=[c[0] for c in TERMS_CASES]
)
async def test_terms_are_refused_as_create_contract_refuses_them(
    shared: tuple[Any, Ids], change: Callable[[Input], None], expected: list[tuple[str, str]]
) -> None:
    database, ids = shared
    given = valid_input(ids["llm-enterprise"])
    change(given)
    before = await row_counts(database)
    assert await quote_errors(database, given) == expected
    assert await row_counts(database) == before

    contract = {key: value for key, value in given.items() if key not in {"periods", "usage"}}
    signed = await execute(
        database, CREATE_CONTRACT, input={**contract, "customerId": ids["startup"]}
    )
    assert signed["createContract"]["contract"] is None
    assert [(e["field"], e["code"]) for e in signed["createContract"]["errors"]] == expected
    assert await row_counts(database) == before


@pytest.mark.parametrize(
    ("plan_id", "expected"),
    [
        ("nope", "INVALID_ID"),
        (encode_id("Product", 1), "INVALID_ID"),
        (encode_id("Plan", 999), "NOT_FOUND"),
    ],
    ids=["malformed", "a-product-id", "no-such-plan"],
)
async def test_a_bad_plan_id(shared: tuple[Any, Ids], plan_id: str, expected: str) -> None:
    database, ids = shared
    given = valid_input(ids["llm-enterprise"])
    given["planId"] = plan_id
    assert await quote_errors(database, given) == [("input.planId", expected)]


async def test_an_archived_plan_version_is_not_quoted(database: Any) -> None:
    ids = await seeded(database)
    action = (
        "mutation($id: ID!) {{ {name}(input: {{id: $id}}) "
        "{{ plan {{ id version status }} errors {{ code }} }} }}"
    )
    draft = await execute(database, action.format(name="createPlanVersion"), id=ids["llm-pro"])
    draft_id = draft["createPlanVersion"]["plan"]["id"]
    published = await execute(database, action.format(name="publishPlan"), id=draft_id)
    assert published["publishPlan"]["plan"]["status"] == "PUBLISHED"
    given = {
        "planId": ids["llm-pro"],  # version 1, archived by publishing version 2
        "startDate": "2026-01-01",
        "periods": 12,
        "usage": [{"metricKey": "input_tokens", "quantity": "5000000"}],
    }
    before = await row_counts(database)
    assert await quote_errors(database, given) == [("input.planId", "PLAN_ARCHIVED")]
    # Version 2 quotes.
    result = await execute(database, QUOTE, input={**given, "planId": draft_id})
    assert result["quote"] == {"quote": {"total": "60.00"}, "errors": []}
    assert await row_counts(database) == before


async def test_a_good_quote_and_a_comparison_write_nothing(database: Any) -> None:
    ids = await seeded(database)
    before = await row_counts(database)
    assert sum(before.values()) > 0
    result = await execute(database, QUOTE, input=valid_input(ids["llm-enterprise"]))
    assert result["quote"]["errors"] == []
    compared = await execute(
        database,
        COMPARE,
        productId=ids["product"],
        usage=[{"metricKey": "input_tokens", "quantity": "1"}],
        periods=12,
    )
    assert compared["comparePlans"]["errors"] == []
    assert await row_counts(database) == before


@pytest.mark.parametrize(
    ("periods", "usage", "expected"),
    [
        (0, [{"metricKey": "input_tokens", "quantity": "1"}], [("periods", "INVALID_VALUE")]),
        (121, [{"metricKey": "input_tokens", "quantity": "1"}], [("periods", "INVALID_VALUE")]),
        (
            12,
            [{"metricKey": "storage_gb", "quantity": "1"}],
            [("usage.0.metricKey", "UNKNOWN_METRIC")],
        ),
        (
            12,
            [{"metricKey": "input_tokens", "quantity": "-1"}],
            [("usage.0.quantity", "NEGATIVE_VALUE")],
        ),
        (
            12,
            [{"metricKey": "input_tokens", "perPeriod": ["1"]}],
            [("usage.0.perPeriod", "INVALID_VALUE")],
        ),
    ],
    ids=["zero-periods", "121-periods", "metric-of-another-product", "negative", "short-list"],
)
async def test_compare_plans_errors(
    shared: tuple[Any, Ids], periods: int, usage: list[Input], expected: list[tuple[str, str]]
) -> None:
    database, ids = shared
    data = await execute(database, COMPARE, productId=ids["product"], usage=usage, periods=periods)
    assert data["comparePlans"]["plans"] == []
    assert [(e["field"], e["code"]) for e in data["comparePlans"]["errors"]] == expected


async def test_compare_plans_with_a_malformed_product_id(database: Any) -> None:
    await seeded(database)
    result = await schema.execute(
        COMPARE,
        variable_values={"productId": "nope", "usage": [], "periods": 12},
        context_value=Context(database, actor=SYSTEM),
    )
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["INVALID_ID"]
    assert [(e.extensions or {}).get("field") for e in result.errors] == ["productId"]


async def test_compare_plans_of_an_unknown_product_is_not_found(database: Any) -> None:
    from pricing_graph.api.ids import encode_id

    data = await execute(
        database,
        """query($p: ID!) { comparePlans(productId: $p, usage: []) {
             plans { planKey } errors { field code } } }""",
        p=encode_id("Product", 999),
    )
    assert data["comparePlans"] == {
        "plans": [],
        "errors": [{"field": "productId", "code": "NOT_FOUND"}],
    }
