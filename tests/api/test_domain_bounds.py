"""The domain's own bounds (issue 9), checked before any list is built or any period walked,
each a typed error naming its argument: quote and comparePlans periods, dates outside
1970-01-01..2199-12-31, growth, an invoice preview's period index (0 to 1,200, and within
the contract), upcomingInvoices' count, amounts too large to compute exactly, and NUL
characters in text the services store or look up.
"""

from __future__ import annotations

import dataclasses
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from tests.api.test_access_usage import contract_ids, run
from tests.api.test_contracts import seed
from tests.api.test_saved_quotes import CREATE_QUOTE, VOID_QUOTE, for_acme, for_prospect
from tests.support.graphql import execute

from pricing_graph.api.context import Database
from pricing_graph.demo.seed import seed_database
from pricing_graph.services import billing, quotes, usage
from pricing_graph.services.actor import SYSTEM
from pricing_graph.services.errors import DomainError
from pricing_graph.services.ids import decode_id
from pricing_graph.services.quotes import ProjectedUsage, Prospect
from pricing_graph.services.unit_of_work import UnitOfWork
from pricing_graph.settings import Settings

QUOTE = """
query($input: QuoteInput!) {
  quote(input: $input) { quote { total } errors { field code message } }
}
"""
COMPARE = """
query($productId: ID!, $periods: Int!, $startDate: Date, $usage: [ProjectedUsageInput!]!) {
  comparePlans(productId: $productId, usage: $usage, periods: $periods, startDate: $startDate) {
    plans { planKey } errors { field code message }
  }
}
"""
IDS = '{ product(key: "llm-platform") { id plans { nodes { id key } } } }'
MIB = 1024 * 1024


@pytest.fixture
async def database(database: Database) -> AsyncIterator[Database]:
    """The database without the query-cost limit (api/limits.py refuses most of these
    requests first): what is tested here is that the services bound them themselves."""
    yield dataclasses.replace(database, settings=Settings(max_query_cost=10**15))


async def demo(database: Database) -> dict[str, str]:
    await seed_database(database)
    data = await execute(database, IDS)
    plans = {node["key"]: node["id"] for node in data["product"]["plans"]["nodes"]}
    return {"product": data["product"]["id"], **plans, **await contract_ids(database)}


async def cheaply(call: Callable[[], Awaitable[Any]]) -> Any:
    """Run `call`, asserting it neither took long nor allocated much (the refusal comes
    before anything is built)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = await call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 5 * MIB, f"{peak / MIB:.1f} MiB"
    return result


def quote_input(plan_id: str, **changes: Any) -> dict[str, Any]:
    given = {
        "planId": plan_id,
        "startDate": "2026-01-01",
        "periods": 12,
        "usage": [{"metricKey": "input_tokens", "quantity": "1000"}],
    }
    return {**given, **changes}


async def quote_errors(database: Database, given: dict[str, Any]) -> list[tuple[str, str]]:
    result = await cheaply(lambda: run(database, SYSTEM, QUOTE, input=given))
    assert result.errors is None, result.errors
    payload = result.data["quote"]
    assert payload["quote"] is None, payload
    return [(e["field"], e["code"]) for e in payload["errors"]]


# -- quote and comparePlans ------------------------------------------------------------------


async def test_quote_bounds(database: Database) -> None:
    ids = await demo(database)
    pro = ids["llm-pro"]
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"periods": 2147483647}, [("input.periods", "INVALID_VALUE")]),
        ({"periods": -2147483648}, [("input.periods", "INVALID_VALUE")]),
        ({"startDate": "9999-12-01"}, [("input.startDate", "INVALID_DATES")]),
        ({"startDate": "1969-12-31"}, [("input.startDate", "INVALID_DATES")]),
        ({"endDate": "9999-12-31"}, [("input.endDate", "INVALID_DATES")]),
        (
            {"creditGrants": [{"key": "g", "amount": "5", "expires": "9999-12-31"}]},
            [("input.creditGrants.0.expires", "INVALID_DATES")],
        ),
        (
            {
                "adjustments": [
                    {
                        "priceKey": "input_tokens",
                        "kind": "PERCENT",
                        "value": "-5",
                        "effectiveUntil": "2200-01-01",
                    }
                ]
            },
            [("input.adjustments.0.effectiveUntil", "INVALID_DATES")],
        ),
        (
            {
                "usage": [
                    {"metricKey": "input_tokens", "quantity": "1000", "growthPercent": "1000000"}
                ]
            },
            [("input.usage.0.growthPercent", "INVALID_VALUE")],
        ),
        (
            {
                "periods": 120,
                "usage": [
                    {"metricKey": "input_tokens", "quantity": "1000", "growthPercent": "1000"}
                ],
            },
            [("input.usage.0.growthPercent", "INVALID_VALUE")],  # past 10^21 units by period 19
        ),
        (
            {"usage": [{"metricKey": "input_tokens", "quantity": "1", "growthPercent": "-100"}]},
            [("input.usage.0.growthPercent", "INVALID_VALUE")],
        ),
    ]
    for changes, expected in cases:
        assert await quote_errors(database, quote_input(pro, **changes)) == expected, changes


async def test_extreme_quotes_within_the_bounds_are_priced_or_refused_by_name(
    database: Database,
) -> None:
    ids = await demo(database)
    pro = ids["llm-pro"]
    answers = []
    for changes in (
        # 1000 % a period is allowed: 1,000 units grow to 2.85 x 10^14 in 12 periods
        {"usage": [{"metricKey": "input_tokens", "quantity": "1000", "growthPercent": "1000"}]},
        # 10^20 units growing 1 % a period (exact: never rounded to 28 digits, never raising)
        {
            "usage": [
                {
                    "metricKey": "input_tokens",
                    "quantity": "100000000000000000000",
                    "growthPercent": "1",
                }
            ]
        },
        # a 21-digit price override of 21-digit quantities
        {
            "usage": [{"metricKey": "input_tokens", "quantity": "999999999999999999999"}],
            "adjustments": [
                {
                    "priceKey": "input_tokens",
                    "kind": "OVERRIDE",
                    "value": "999999999999999999999.999999999999",
                }
            ],
        },
        {
            "usage": [
                {
                    "metricKey": "input_tokens",
                    "transactionCount": 2147483647,
                    "averageAmount": "999999999999999999999",
                }
            ]
        },
    ):
        result = await run(database, SYSTEM, QUOTE, input=quote_input(pro, **changes))
        assert result.errors is None, result.errors
        payload = result.data["quote"]
        answers.append(
            payload["quote"]["total"] is not None
            if payload["quote"]
            else [(e["field"], e["code"]) for e in payload["errors"]]
        )
    assert answers[0] is True and answers[1] is True
    assert answers[2] == [("input.usage", "INVALID_VALUE")]  # too large to price exactly
    # input_tokens is a FLAT price: a transaction count is refused on its field (issue 14)
    assert answers[3] == [("input.usage.0.transactionCount", "INVALID_USAGE")]


async def test_compare_plans_bounds(database: Database) -> None:
    ids = await demo(database)
    usage_given = [{"metricKey": "input_tokens", "quantity": "1000"}]
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"periods": 2147483647}, [("periods", "INVALID_VALUE")]),
        ({"periods": 0}, [("periods", "INVALID_VALUE")]),
        ({"periods": 12, "startDate": "9999-12-01"}, [("startDate", "INVALID_DATES")]),
        ({"periods": 12, "startDate": "0001-01-01"}, [("startDate", "INVALID_DATES")]),
    ]
    for arguments, expected in cases:
        result = await cheaply(
            lambda arguments=arguments: run(
                database,
                SYSTEM,
                COMPARE,
                productId=ids["product"],
                usage=usage_given,
                **arguments,
            )
        )
        assert result.errors is None, result.errors
        payload = result.data["comparePlans"]
        assert payload["plans"] == []
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, arguments


async def test_the_services_refuse_huge_periods_before_allocating(database: Database) -> None:
    """Straight to the services, past every GraphQL limit: still refused at once."""
    ids = await demo(database)
    uow = UnitOfWork(database)
    try:
        with pytest.raises(DomainError) as refused:
            await cheaply(
                lambda: quotes.compare_plans(
                    uow,
                    SYSTEM,
                    quotes.ComparisonRequest(
                        product_id=decode_id(ids["product"])[1],
                        usage=(ProjectedUsage("input_tokens", quantity=Decimal(1)),),
                        periods=2147483647,
                    ),
                )
            )
        assert [(p.field, p.code.value) for p in refused.value.problems] == [
            ("periods", "INVALID_VALUE")
        ]
        with pytest.raises(DomainError) as refused:
            await cheaply(
                lambda: quotes.price_quote(
                    uow,
                    SYSTEM,
                    quotes.QuoteRequest(
                        plan_id=ids["llm-pro"],
                        start_date=date(2026, 1, 1),
                        periods=2147483647,
                        usage=(ProjectedUsage("input_tokens", quantity=Decimal(1)),),
                    ),
                )
            )
        assert [(p.field, p.code.value) for p in refused.value.problems] == [
            ("input.periods", "INVALID_VALUE")
        ]
    finally:
        await uow.close()


# -- invoice previews ------------------------------------------------------------------------

PREVIEW = """
query($id: ID!, $i: Int, $d: Date) {
  contract(id: $id) { invoicePreview(periodIndex: $i, date: $d) { periodIndex total } }
}
"""


async def preview(
    database: Database, contract: str, *, cheap: bool = True, **arguments: Any
) -> Any:
    call = lambda: run(database, SYSTEM, PREVIEW, id=contract, **arguments)  # noqa: E731
    result = await (cheaply(call) if cheap else call())
    if result.errors:
        [error] = result.errors
        assert result.data == {"contract": None}
        return error.extensions["code"], error.extensions["field"]
    return result.data["contract"]["invoicePreview"]["periodIndex"]


async def test_invoice_preview_bounds(database: Database) -> None:
    ids = await seed(database)
    open_ended = (
        await execute(
            database,
            """mutation($input: CreateContractInput!) {
                 createContract(input: $input) { contract { id } errors { code } } }""",
            input={
                "customerId": ids["customer_id"],
                "planId": ids["plan_id"],
                "startDate": "2025-01-01",
            },
        )
    )["createContract"]["contract"]["id"]
    out = ("PERIOD_OUT_OF_RANGE", "periodIndex")
    assert await preview(database, open_ended, i=-1) == out
    assert await preview(database, open_ended, i=-2147483648) == out
    assert await preview(database, open_ended, i=1201) == out  # the cap of an open end
    assert await preview(database, open_ended, i=95000) == out
    assert await preview(database, open_ended, i=2147483647) == out
    assert await preview(database, open_ended, i=0) == 0
    # The last period allowed walks 1,201 periods (and so is not cheap).
    assert await preview(database, open_ended, i=1200, cheap=False) == 1200
    assert await preview(database, open_ended, d="9999-12-31") == ("INVALID_DATES", "date")
    assert await preview(database, open_ended, d="0001-01-01") == ("INVALID_DATES", "date")
    assert await preview(database, open_ended, d="2199-12-31") == ("PERIOD_OUT_OF_RANGE", "date")
    assert await preview(database, open_ended, d="2024-12-31") == ("PERIOD_OUT_OF_RANGE", "date")
    assert await preview(database, open_ended, d="2025-03-15") == 2


async def test_a_fixed_term_contract_ends_its_periods(database: Database) -> None:
    ids = await seed(database)
    fixed = (
        await execute(
            database,
            """mutation($input: CreateContractInput!) {
                 createContract(input: $input) { contract { id } errors { code } } }""",
            input={
                "customerId": ids["customer_id"],
                "planId": ids["plan_id"],
                "startDate": "2025-01-01",
                "endDate": "2026-01-01",
            },
        )
    )["createContract"]["contract"]["id"]
    out = ("PERIOD_OUT_OF_RANGE", "periodIndex")
    assert await preview(database, fixed, i=11) == 11
    assert await preview(database, fixed, i=12) == out
    assert await preview(database, fixed, i=1000) == out
    assert await preview(database, fixed, d="2026-01-01") == ("PERIOD_OUT_OF_RANGE", "date")


async def test_upcoming_invoices_count(database: Database) -> None:
    ids = await demo(database)
    query = """
    query($id: ID!, $n: Int!) { contract(id: $id) { upcomingInvoices(count: $n) { periodIndex } } }
    """
    for count in (0, -1, 25, 2147483647, -2147483648):
        result = await cheaply(
            lambda count=count: run(database, SYSTEM, query, id=ids["acme-corp"], n=count)
        )
        assert result.data == {"contract": None}
        assert [(e.extensions["code"], e.extensions["field"]) for e in result.errors or []] == [
            ("INVALID_VALUE", "count")
        ], count


async def test_preview_upcoming_and_status_together_with_a_bad_count(database: Database) -> None:
    """The query the issue found answering 500: the bad count is a typed error, the
    contract null, and the request's reads (still running for the sibling fields when the
    error cancels them) leave the database usable."""
    ids = await demo(database)
    query = """
    query($id: ID!) {
      contract(id: $id) {
        invoicePreview { total } upcomingInvoices(count: 0) { total } usageStatus { metricKey }
      }
    }
    """
    for contract in (ids["acme-corp"], ids["startup-inc"]):
        for _ in range(3):
            result = await run(database, SYSTEM, query, id=contract)
            assert result.data == {"contract": None}
            assert [(e.extensions["code"], e.path) for e in result.errors or []] == [
                ("INVALID_VALUE", ["contract", "upcomingInvoices"])
            ]
    # A sibling refused after the reads began (period 14 is past a fixed-term contract's
    # end): the others are cancelled in flight, and the session is none the worse.
    late = """
    { contracts { nodes {
        usageStatus { metricKey } upcomingInvoices(count: 3) { total }
        invoicePreview(periodIndex: 14) { total }
    } } }
    """
    for _ in range(3):
        result = await run(database, SYSTEM, late)
        assert result.data is None
        assert {e.extensions["code"] for e in result.errors or []} == {"PERIOD_OUT_OF_RANGE"}
    good = await run(
        database,
        SYSTEM,
        """query($id: ID!) {
             contract(id: $id) { invoicePreview { total } usageStatus { metricKey } }
           }""",
        id=ids["acme-corp"],
    )
    assert good.errors is None and good.data["contract"]["invoicePreview"]["total"]


async def test_billing_services_check_their_arguments_first(database: Database) -> None:
    ids = await demo(database)
    contract_id = decode_id(ids["acme-corp"], "Contract")[1]
    uow = UnitOfWork(database)
    try:
        for arguments, expected in (
            ({"period_index": -1}, ("periodIndex", "PERIOD_OUT_OF_RANGE")),
            ({"period_index": 10**12}, ("periodIndex", "PERIOD_OUT_OF_RANGE")),
            ({"on": date(9999, 12, 31)}, ("date", "INVALID_DATES")),
            ({"on": date.min}, ("date", "INVALID_DATES")),
        ):
            with pytest.raises(DomainError) as refused:
                await cheaply(
                    lambda arguments=arguments: billing.invoice_preview(
                        uow, SYSTEM, contract_id, **arguments
                    )
                )
            [found] = refused.value.problems
            assert (found.field, found.code.value) == expected, arguments
        # A contract that does not exist: NOT_FOUND, after the arguments.
        with pytest.raises(DomainError) as refused:
            await billing.invoice_preview(uow, SYSTEM, 999_999, period_index=0)
        assert [(p.field, p.code.value) for p in refused.value.problems] == [
            ("contractId", "NOT_FOUND")
        ]
    finally:
        await uow.close()


async def test_estimate_cost_of_a_huge_quantity_is_a_typed_answer(database: Database) -> None:
    ids = await demo(database)
    query = """
    query($id: ID!, $q: Decimal!) {
      estimateCost(contractId: $id, metricKey: "model_units", quantity: $q,
                   dimensions: [{name: "model", value: "gpt-4"}]) { amount }
    }
    """
    result = await run(
        database, SYSTEM, query, id=ids["acme-corp"], q="999999999999999999999.999999999999"
    )
    if result.errors:
        assert [(e.extensions["code"], e.extensions["field"]) for e in result.errors] == [
            ("INVALID_VALUE", "quantity")
        ]
    else:
        assert result.data["estimateCost"]["amount"]


# -- NUL characters ----------------------------------------------------------------------------


async def test_nul_characters_are_refused_by_the_services(database: Database) -> None:
    """GraphQL and the bulk endpoint refuse NUL before the services; the services refuse
    them too (PostgreSQL text cannot hold them), for the CLI and any future edge."""
    ids = await seed(database)
    uow = UnitOfWork(database)
    try:
        created = await run(database, SYSTEM, CREATE_QUOTE, input=for_acme(ids))
        quote_id = created.data["createQuote"]["savedQuote"]["id"]
        with pytest.raises(DomainError) as refused:
            await quotes.void_quote(uow, SYSTEM, quotes.VoidQuote(id=quote_id, reason="a\x00b"))
        assert [(p.field, p.code.value) for p in refused.value.problems] == [
            ("input.reason", "INVALID_VALUE")
        ]
        prospect = for_prospect(ids)
        given = quotes.NewSavedQuote(
            prospect=Prospect(name="Globex\x00", external_id="glo\x00bex"),
            quote=quotes.QuoteRequest(
                plan_id=prospect["quote"]["planId"],
                start_date=date(2025, 1, 1),
                periods=1,
                usage=(),
            ),
            valid_until=date(2025, 1, 31),
        )
        with pytest.raises(DomainError) as refused:
            await quotes.create_quote(uow, SYSTEM, given)
        assert sorted((p.field or "", p.code.value) for p in refused.value.problems) == [
            ("input.prospect.externalId", "INVALID_VALUE"),
            ("input.prospect.name", "INVALID_VALUE"),
        ]
        now = datetime.now(UTC)
        result = await usage.ingest_events(
            uow,
            SYSTEM,
            [
                usage.UsageEvent("e\x00", "acme", "model_units", now, Decimal(1)),
                usage.UsageEvent("e1", "ac\x00me", "model_units", now, Decimal(1)),
                usage.UsageEvent("e2", "acme", "model\x00units", now, Decimal(1)),
            ],
        )
        assert (result.accepted, result.rejected) == (0, 3)
        assert [(p.field, p.code.value) for p in result.problems] == [
            ("events.0.eventId", "INVALID_VALUE"),
            ("events.1.customerId", "INVALID_VALUE"),
            ("events.2.metricKey", "INVALID_VALUE"),
        ]
        # ... and a refused void left the quote as it was.
        read = await run(database, SYSTEM, VOID_QUOTE, id=quote_id, reason="fine")
        assert read.data["voidQuote"]["errors"] == []
    finally:
        await uow.close()


async def test_event_properties_are_bounded(database: Database) -> None:
    await seed(database)
    uow = UnitOfWork(database)
    now = datetime.now(UTC)
    limit = usage.MAX_PROPERTIES_BYTES
    fits = {"blob": "x" * (limit - len('{"blob":""}'))}
    too_big = {"blob": "x" * (limit - len('{"blob":""}') + 1)}
    try:
        result = await usage.ingest_events(
            uow,
            SYSTEM,
            [
                usage.UsageEvent("fits", "acme", "model_units", now, Decimal(1), properties=fits),
                usage.UsageEvent("big", "acme", "model_units", now, Decimal(1), properties=too_big),
            ],
        )
    finally:
        await uow.close()
    assert (result.accepted, result.rejected) == (1, 1)
    assert [(p.index, p.field, p.code.value) for p in result.problems] == [
        (1, "events.1.properties", "INVALID_VALUE")
    ]
