"""Discounts and promotion codes through the API, on both backends (issue 14, item 1).

The catalog: product `shop` with plan `starter` v1: a $100.00 monthly platform fee and API
calls at $0.05 each (1,000 calls = $50.00). Every figure is worked out by hand beside it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from tests.api.test_contracts import (
    CREATE_CONTRACT,
    CREATE_CUSTOMER,
    CREATE_METRIC,
    CREATE_PLAN,
    CREATE_PRODUCT,
    ERRORS,
    plan_action,
)
from tests.api.test_saved_quotes import accept, approve, create_quote
from tests.support.graphql import execute

from pricing_graph.api.context import Context
from pricing_graph.api.schema import schema
from pricing_graph.services.actor import ROLE_SCOPES, SYSTEM, Actor, Role

QUOTE = f"""
query($input: QuoteInput!) {{
  quote(input: $input) {{
    quote {{
      total discountsTotal listPriceTotal
      invoices {{
        periodIndex subtotal discountsTotal creditsTotal total
        discounts {{ discountKey description amount remaining }}
      }}
    }}
    {ERRORS}
  }}
}}
"""
CONTRACT = """
  id discounts { key kind value duration periods priceKeys starts expires description source }
  invoicePreview(periodIndex: 0) {
    subtotal discountsTotal total discounts { discountKey description amount remaining }
  }
"""
CREATE = f"""
mutation($input: CreateContractInput!) {{
  createContract(input: $input) {{ contract {{ {CONTRACT} }} {ERRORS} }}
}}
"""
CREATE_CODE = f"""
mutation($input: CreatePromotionCodeInput!) {{
  createPromotionCode(input: $input) {{
    promotionCode {{
      code kind value duration periods priceKeys description maxRedemptions timesRedeemed
      expiresOn
    }}
    {ERRORS}
  }}
}}
"""
CODES = "{ promotionCodes { totalCount nodes { code timesRedeemed maxRedemptions } } }"
SET_PLAN_DISCOUNTS = f"""
mutation($input: SetPlanDiscountsInput!) {{
  setPlanDiscounts(input: $input) {{
    planId discounts {{ key kind value duration periods priceKeys description }} {ERRORS}
  }}
}}
"""
START = "2026-01-01"
USAGE = [{"metricKey": "api_calls", "quantity": "1000"}]  # 1,000 x $0.05 = $50.00


async def seed(database: Any) -> dict[str, str]:
    """The `shop` catalog and two customers; returns their IDs."""
    product = await execute(database, CREATE_PRODUCT, input={"key": "shop", "name": "Shop API"})
    product_id = product["createProduct"]["product"]["id"]
    metric = await execute(
        database,
        CREATE_METRIC,
        input={
            "key": "api_calls",
            "name": "API calls",
            "unitLabel": "call",
            "aggregation": "COUNT",
        },
    )
    assert metric["createMetric"]["errors"] == [], metric
    created = await execute(
        database,
        CREATE_PLAN,
        input={
            "productId": product_id,
            "key": "starter",
            "name": "Starter",
            "pricingUnit": {"code": "USD"},
            "ramps": [
                {
                    "prices": [
                        {"key": "platform", "name": "Platform fee", "fixed": {"amount": "100"}},
                        {
                            "key": "api_calls",
                            "name": "API calls",
                            "usage": {
                                "metricKey": "api_calls",
                                "rate": {"model": "FLAT", "unitPrice": "0.05"},
                            },
                        },
                    ]
                }
            ],
        },
    )
    assert created["createPlan"]["errors"] == [], created
    plan_id = created["createPlan"]["plan"]["id"]
    await plan_action(database, "publishPlan", plan_id)
    ids = {"plan_id": plan_id}
    for external_id in ("acme", "globex"):
        made = await execute(
            database, CREATE_CUSTOMER, input={"externalId": external_id, "name": external_id}
        )
        ids[external_id] = made["createCustomer"]["customer"]["id"]
    return ids


def quote_input(ids: dict[str, str], periods: int = 5, **extra: Any) -> dict[str, Any]:
    return {"planId": ids["plan_id"], "startDate": START, "periods": periods, "usage": USAGE,
            **extra}  # fmt: skip


async def priced(database: Any, given: dict[str, Any], actor: Actor = SYSTEM) -> dict[str, Any]:
    result = await schema.execute(
        QUOTE, variable_values={"input": given}, context_value=Context(database, actor=actor)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    payload: dict[str, Any] = result.data["quote"]
    return payload


def totals(quote: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i["discountsTotal"], i["creditsTotal"], i["total"]) for i in quote["invoices"]]


TWENTY_FOR_THREE = {
    "key": "intro",
    "kind": "PERCENT",
    "value": "20",
    "duration": "PERIODS",
    "periods": 3,
    "description": "Intro offer: 20% off",
}


async def test_the_issues_example_as_a_quote(database: Any) -> None:
    ids = await seed(database)
    given = quote_input(
        ids, discounts=[TWENTY_FOR_THREE], creditGrants=[{"key": "welcome", "amount": "30"}]
    )
    quote = (await priced(database, given))["quote"]
    # Period 1: 150.00 - 20% (30.00) = 120.00, then the $30.00 credit: 90.00.
    # Periods 2-3: 150.00 - 30.00 = 120.00. Periods 4-5: 150.00.
    assert totals(quote) == [
        ("30.00", "30.00", "90.00"),
        ("30.00", "0.00", "120.00"),
        ("30.00", "0.00", "120.00"),
        ("0.00", "0.00", "150.00"),
        ("0.00", "0.00", "150.00"),
    ]
    assert quote["invoices"][0]["discounts"] == [
        {
            "discountKey": "intro",
            "description": "Intro offer: 20% off",
            "amount": "30.00",
            "remaining": None,
        }
    ]
    # 90 + 120 + 120 + 150 + 150 = 630.00; at list price 5 x 150.00 = 750.00.
    assert (quote["total"], quote["discountsTotal"], quote["listPriceTotal"]) == (
        "630.00",
        "90.00",
        "750.00",
    )


async def test_amount_capped_once_carried_and_listed_prices(database: Any) -> None:
    ids = await seed(database)
    capped = {"key": "big", "kind": "AMOUNT", "value": "500", "duration": "FOREVER"}
    # 500 off a 150.00 invoice: 150.00, total 0.00 (never negative), every period.
    assert (
        totals((await priced(database, quote_input(ids, 2, discounts=[capped])))["quote"])
        == [("150.00", "0.00", "0.00")] * 2
    )
    once = {"key": "allowance", "kind": "AMOUNT", "value": "200", "duration": "ONCE"}
    # ONCE 200: 150.00 in period 1 (50.00 left), the 50.00 in period 2, nothing after.
    quote = (await priced(database, quote_input(ids, 3, discounts=[once])))["quote"]
    assert totals(quote) == [
        ("150.00", "0.00", "0.00"),
        ("50.00", "0.00", "100.00"),
        ("0.00", "0.00", "150.00"),
    ]
    assert [i["discounts"][0]["remaining"] for i in quote["invoices"][:2]] == ["50.00", "0.00"]
    listed = {
        "key": "calls",
        "kind": "PERCENT",
        "value": "50",
        "duration": "FOREVER",
        "priceKeys": ["api_calls"],
    }
    # 50% of the $50.00 of calls only: 25.00; the fee is untouched.
    assert totals((await priced(database, quote_input(ids, 1, discounts=[listed])))["quote"]) == [
        ("25.00", "0.00", "125.00")
    ]


async def test_once_forever_and_expiry(database: Any) -> None:
    ids = await seed(database)
    discounts = [
        {"key": "once", "kind": "PERCENT", "value": "10", "duration": "ONCE"},
        {"key": "spring", "kind": "AMOUNT", "value": "5", "duration": "FOREVER",
         "starts": "2026-02-01", "expires": "2026-04-01"},
    ]  # fmt: skip
    # Jan: 10% of 150.00 = 15.00. Feb, Mar: 5.00. Apr: none.
    quote = (await priced(database, quote_input(ids, 4, discounts=discounts)))["quote"]
    assert totals(quote) == [
        ("15.00", "0.00", "135.00"),
        ("5.00", "0.00", "145.00"),
        ("5.00", "0.00", "145.00"),
        ("0.00", "0.00", "150.00"),
    ]


async def test_contract_discounts_are_stored_and_invoiced(database: Any) -> None:
    ids = await seed(database)
    payload = (
        await execute(
            database,
            CREATE,
            input={
                "customerId": ids["acme"],
                "planId": ids["plan_id"],
                "startDate": START,
                "discounts": [TWENTY_FOR_THREE],
            },
        )
    )["createContract"]
    assert payload["errors"] == []
    contract = payload["contract"]
    assert contract["discounts"] == [
        {
            "key": "intro",
            "kind": "PERCENT",
            "value": "20",
            "duration": "PERIODS",
            "periods": 3,
            "priceKeys": [],
            "starts": None,
            "expires": None,
            "description": "Intro offer: 20% off",
            "source": "CONTRACT",
        }
    ]
    # No usage yet: the $100.00 fee, 20% off = 80.00.
    assert contract["invoicePreview"] == {
        "subtotal": "100.00",
        "discountsTotal": "20.00",
        "total": "80.00",
        "discounts": [
            {
                "discountKey": "intro",
                "description": "Intro offer: 20% off",
                "amount": "20.00",
                "remaining": None,
            }
        ],
    }


async def test_plan_default_discounts_apply_unless_the_contract_opts_out(database: Any) -> None:
    ids = await seed(database)
    offer = {"key": "launch", "kind": "PERCENT", "value": "50", "duration": "ONCE"}
    result = (
        await execute(
            database, SET_PLAN_DISCOUNTS, input={"planId": ids["plan_id"], "discounts": [offer]}
        )
    )["setPlanDiscounts"]
    assert result == {
        "planId": ids["plan_id"],
        "discounts": [
            {"key": "launch", "kind": "PERCENT", "value": "50", "duration": "ONCE",
             "periods": None, "priceKeys": [], "description": ""}
        ],
        "errors": [],
    }  # fmt: skip
    base = {"planId": ids["plan_id"], "startDate": START}
    on = await execute(database, CREATE, input={**base, "customerId": ids["acme"]})
    contract = on["createContract"]["contract"]
    assert [(d["key"], d["source"]) for d in contract["discounts"]] == [("launch", "PLAN")]
    # 50% of the $100.00 fee = 50.00.
    assert contract["invoicePreview"]["discounts"] == [
        {
            "discountKey": "launch",
            "description": "Discount launch (50% off)",
            "amount": "50.00",
            "remaining": None,
        }
    ]
    read = "query($p: ID!) { planDiscounts(planId: $p) { key value duration } }"
    for actor in (SYSTEM, Actor()):  # a published public plan: anyone reads its offers
        shown = await schema.execute(
            read,
            variable_values={"p": ids["plan_id"]},
            context_value=Context(database, actor=actor),
        )
        assert shown.data == {
            "planDiscounts": [{"key": "launch", "value": "50", "duration": "ONCE"}]
        }
    off = await execute(
        database,
        CREATE,
        input={**base, "customerId": ids["globex"], "applyPlanDiscounts": False},
    )
    assert off["createContract"]["contract"]["discounts"] == []
    # Quotes get the plan's defaults too: 150.00 - 75.00 in period 1.
    quote = (await priced(database, quote_input(ids, 2)))["quote"]
    assert totals(quote) == [("75.00", "0.00", "75.00"), ("0.00", "0.00", "150.00")]
    refused = await execute(
        database,
        SET_PLAN_DISCOUNTS,
        input={"planId": ids["plan_id"], "discounts": [{**offer, "starts": "2026-01-01"}]},
    )
    assert refused["setPlanDiscounts"]["errors"] == [
        {
            "field": "input.discounts.0.starts",
            "code": "INVALID_VALUE",
            "message": "counts from each contract's start: give a duration, not dates",
        }
    ]


def code_input(code: str = "launch20", **extra: Any) -> dict[str, Any]:
    return {"code": code, "kind": "PERCENT", "value": "20", "duration": "PERIODS",
            "periods": 3, "description": "LAUNCH20: 20% off for 3 months", **extra}  # fmt: skip


async def catalog_version(database: Any) -> int:
    async with database.engine.connect() as connection:
        version: int = (
            await connection.execute(text("SELECT version FROM catalog_version"))
        ).scalar_one()
    return version


async def test_promotion_code_on_a_quote_and_on_create_contract(database: Any) -> None:
    ids = await seed(database)
    version = await catalog_version(database)
    created = await execute(database, CREATE_CODE, input=code_input(maxRedemptions=1))
    # Anonymous quote answers are kept per catalog version: a new code is a new version.
    assert await catalog_version(database) == version + 1
    assert created["createPromotionCode"] == {
        "promotionCode": {
            "code": "LAUNCH20",
            "kind": "PERCENT",
            "value": "20",
            "duration": "PERIODS",
            "periods": 3,
            "priceKeys": [],
            "description": "LAUNCH20: 20% off for 3 months",
            "maxRedemptions": 1,
            "timesRedeemed": 0,
            "expiresOn": None,
        },
        "errors": [],
    }
    # An anonymous checkout prices with the code (any case): 120.00 x 3, then 150.00.
    anonymous = await priced(database, quote_input(ids, 4, promotionCode=" Launch20 "), Actor())
    assert [t[2] for t in totals(anonymous["quote"])] == ["120.00", "120.00", "120.00", "150.00"]
    assert anonymous["quote"]["invoices"][0]["discounts"][0]["discountKey"] == "LAUNCH20"
    codes = (await execute(database, CODES))["promotionCodes"]
    assert codes == {
        "totalCount": 1,
        "nodes": [{"code": "LAUNCH20", "timesRedeemed": 0, "maxRedemptions": 1}],
    }  # a quote does not redeem
    signed = await execute(
        database,
        CREATE,
        input={"customerId": ids["acme"], "planId": ids["plan_id"], "startDate": START,
               "promotionCode": "launch20"},
    )  # fmt: skip
    contract = signed["createContract"]["contract"]
    assert [(d["key"], d["source"]) for d in contract["discounts"]] == [
        ("LAUNCH20", "PROMOTION_CODE")
    ]
    assert contract["invoicePreview"]["total"] == "80.00"  # $100.00 fee - 20%
    codes = (await execute(database, CODES))["promotionCodes"]
    assert codes["nodes"] == [{"code": "LAUNCH20", "timesRedeemed": 1, "maxRedemptions": 1}]
    assert await catalog_version(database) == version + 2  # its last redemption was used
    # Its one redemption is used: the next checkout is refused, on the field.
    again = await execute(
        database,
        CREATE,
        input={"customerId": ids["globex"], "planId": ids["plan_id"], "startDate": START,
               "promotionCode": "LAUNCH20"},
    )  # fmt: skip
    assert again["createContract"]["errors"] == [
        {
            "field": "input.promotionCode",
            "code": "PROMOTION_CODE_EXHAUSTED",
            "message": "promotion code LAUNCH20 has been redeemed 1 times, its maximum",
        }
    ]
    quote = await priced(database, quote_input(ids, 1, promotionCode="LAUNCH20"))
    assert quote["quote"] is None
    assert [e["code"] for e in quote["errors"]] == ["PROMOTION_CODE_EXHAUSTED"]


async def test_unknown_and_expired_codes(database: Any) -> None:
    ids = await seed(database)
    await execute(database, CREATE_CODE, input=code_input("OLD", expiresOn="2099-01-01"))
    async with database.engine.begin() as connection:  # a code past its expiry date
        await connection.execute(
            text("UPDATE promotion_code SET expires_on = '2020-01-01' WHERE code = 'OLD'")
        )
    contract = {"customerId": ids["acme"], "planId": ids["plan_id"], "startDate": START}
    for code, expected in (
        ("NOPE", ("NOT_FOUND", "no promotion code 'NOPE'")),
        ("OLD", ("PROMOTION_CODE_EXPIRED", "promotion code OLD expired on 2020-01-01")),
    ):
        signed = await execute(database, CREATE, input={**contract, "promotionCode": code})
        errors = signed["createContract"]["errors"]
        assert [(e["field"], e["code"], e["message"]) for e in errors] == [
            ("input.promotionCode", *expected)
        ]
        quote = await priced(database, quote_input(ids, 1, promotionCode=code))
        assert [(e["field"], e["code"]) for e in quote["errors"]] == [
            ("input.promotionCode", expected[0])
        ]
    counts = await execute(database, "{ contracts { totalCount } }")
    assert counts["contracts"]["totalCount"] == 0


async def test_invalid_discounts_and_codes_name_the_field(database: Any) -> None:
    ids = await seed(database)
    bad = [
        {"key": "a", "kind": "PERCENT", "value": "0"},
        {"key": "b", "kind": "PERCENT", "value": "120"},
        {"key": "c", "kind": "AMOUNT", "value": "5", "duration": "PERIODS"},
        {"key": "d", "kind": "AMOUNT", "value": "5", "priceKeys": ["nope"]},
        {"key": "e", "kind": "AMOUNT", "value": "5", "starts": "2026-03-01",
         "expires": "2026-02-01"},
        {"key": "a", "kind": "AMOUNT", "value": "5"},
    ]  # fmt: skip
    signed = await execute(
        database,
        CREATE,
        input={"customerId": ids["acme"], "planId": ids["plan_id"], "startDate": START,
               "discounts": bad},
    )  # fmt: skip
    assert [(e["field"], e["code"]) for e in signed["createContract"]["errors"]] == [
        ("input.discounts.0.value", "NOT_POSITIVE"),
        ("input.discounts.1.value", "INVALID_VALUE"),
        ("input.discounts.2.periods", "REQUIRED"),
        ("input.discounts.3.priceKeys.0", "UNKNOWN_PRICE"),
        ("input.discounts.4.expires", "INVALID_DATES"),
        ("input.discounts.5.key", "DUPLICATE_KEY"),
    ]
    await execute(database, CREATE_CODE, input=code_input())
    for given, expected in (
        (code_input("bad code!"), ("input.code", "INVALID_VALUE")),
        (code_input("LAUNCH20"), ("input.code", "DUPLICATE_KEY")),
        (code_input("x", maxRedemptions=0), ("input.maxRedemptions", "NOT_POSITIVE")),
        (code_input("y", expiresOn="2020-01-01"), ("input.expiresOn", "INVALID_DATES")),
        (code_input("z", periods=None), ("input.periods", "REQUIRED")),
    ):
        refused = (await execute(database, CREATE_CODE, input=given))["createPromotionCode"]
        assert refused["promotionCode"] is None
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [expected]
    codes = (await execute(database, CODES))["promotionCodes"]
    assert codes["totalCount"] == 1


async def test_who_may_create_and_use_codes(database: Any) -> None:
    """Sales and admin create codes; anyone may use one where they may quote."""
    ids = await seed(database)
    actors = {
        role: Actor(role=role, scopes=ROLE_SCOPES[role], partner="p", caller=role.value)
        for role in (Role.PARTNER, Role.SALES)
    }
    for role, allowed in ((Role.PARTNER, False), (Role.SALES, True)):
        result = await schema.execute(
            CREATE_CODE,
            variable_values={"input": code_input(f"code-{role.value}")},
            context_value=Context(database, actor=actors[role]),
        )
        assert result.data is not None
        errors = result.data["createPromotionCode"]["errors"]
        assert [e["code"] for e in errors] == ([] if allowed else ["FORBIDDEN"])
    for actor in (Actor(), actors[Role.PARTNER]):
        quote = await priced(database, quote_input(ids, 1, promotionCode="code-sales"), actor)
        assert quote["quote"]["invoices"][0]["discountsTotal"] == "30.00"


async def test_one_redemption_left_is_redeemed_once_under_concurrency(database: Any) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL: SQLite serialises all writers")
    ids = await seed(database)
    await execute(database, CREATE_CODE, input=code_input("ONCE-ONLY", maxRedemptions=1))
    customers = []
    for n in range(5):
        made = await execute(
            database, CREATE_CUSTOMER, input={"externalId": f"rush-{n}", "name": f"Rush {n}"}
        )
        customers.append(made["createCustomer"]["customer"]["id"])
    results = await asyncio.gather(
        *(
            schema.execute(
                CREATE_CONTRACT,
                variable_values={
                    "input": {
                        "customerId": customer,
                        "planId": ids["plan_id"],
                        "startDate": START,
                        "promotionCode": "ONCE-ONLY",
                    }
                },
                context_value=Context(database, actor=SYSTEM),
            )
            for customer in customers
        )
    )
    payloads = [r.data["createContract"] for r in results if r.data is not None]
    assert len(payloads) == 5
    signed = [p for p in payloads if p["errors"] == []]
    refused = [p["errors"] for p in payloads if p["errors"]]
    assert len(signed) == 1
    assert sorted(e[0]["code"] for e in refused) == ["PROMOTION_CODE_EXHAUSTED"] * 4
    assert {e[0]["field"] for e in refused} == {"input.promotionCode"}
    async with database.engine.connect() as connection:
        redeemed = (
            await connection.execute(
                text("SELECT times_redeemed FROM promotion_code WHERE code = 'ONCE-ONLY'")
            )
        ).scalar_one()
        rows = (
            await connection.execute(text("SELECT count(*) FROM promotion_code_redemption"))
        ).scalar_one()
        contracts = (await connection.execute(text("SELECT count(*) FROM contract"))).scalar_one()
    assert (redeemed, rows, contracts) == (1, 1, 1)


AMEND = f"""
mutation($input: AmendContractInput!) {{
  amendContract(input: $input) {{
    contract {{
      revision discounts {{ key starts expires source }}
      jan: invoicePreview(periodIndex: 0) {{ discountsTotal total }}
      feb: invoicePreview(periodIndex: 1) {{ discountsTotal total }}
      mar: invoicePreview(periodIndex: 2) {{ discountsTotal total }}
      apr: invoicePreview(periodIndex: 3) {{ discountsTotal total }}
    }}
    {ERRORS}
  }}
}}
"""


async def test_amend_contract_adds_and_ends_discounts(database: Any) -> None:
    ids = await seed(database)
    forever = {"key": "loyal", "kind": "PERCENT", "value": "10", "duration": "FOREVER"}
    signed = await execute(
        database,
        CREATE,
        input={"customerId": ids["acme"], "planId": ids["plan_id"], "startDate": START,
               "discounts": [forever]},
    )  # fmt: skip
    contract_id = signed["createContract"]["contract"]["id"]
    spring = {"key": "spring", "kind": "AMOUNT", "value": "15", "duration": "PERIODS",
              "periods": 1, "starts": "2026-02-01"}  # fmt: skip
    amended = await execute(
        database,
        AMEND,
        input={
            "contractId": contract_id,
            "expectedRevision": 1,
            "addDiscounts": [spring],
            "endDiscounts": [{"key": "loyal", "expires": "2026-03-01"}],
        },
    )
    payload = amended["amendContract"]
    assert payload["errors"] == []
    contract = payload["contract"]
    assert contract["revision"] == 2
    assert contract["discounts"] == [
        {"key": "loyal", "starts": None, "expires": "2026-03-01", "source": "CONTRACT"},
        {"key": "spring", "starts": "2026-02-01", "expires": None, "source": "CONTRACT"},
    ]
    # No usage: the $100.00 fee. Jan: 10% = 10.00. Feb: 10.00, then 15.00 off the 90.00
    # left = 75.00. Mar: "loyal" ended, "spring" was for one period: 100.00. Apr: 100.00.
    assert [contract[m] for m in ("jan", "feb", "mar", "apr")] == [
        {"discountsTotal": "10.00", "total": "90.00"},
        {"discountsTotal": "25.00", "total": "75.00"},
        {"discountsTotal": "0.00", "total": "100.00"},
        {"discountsTotal": "0.00", "total": "100.00"},
    ]
    refused = await execute(
        database,
        AMEND,
        input={
            "contractId": contract_id,
            "expectedRevision": 2,
            "addDiscounts": [{**spring, "starts": None}, forever],
            "endDiscounts": [{"key": "nope", "expires": "2026-05-01"}],
        },
    )
    assert [(e["field"], e["code"]) for e in refused["amendContract"]["errors"]] == [
        ("input.addDiscounts.0.starts", "REQUIRED"),
        ("input.addDiscounts.0.key", "DUPLICATE_KEY"),
        ("input.addDiscounts.1.starts", "REQUIRED"),
        ("input.addDiscounts.1.key", "DUPLICATE_KEY"),
        ("input.endDiscounts.0.key", "NOT_FOUND"),
    ]
    too_many = [{"key": f"k{n}", "expires": "2026-05-01"} for n in range(21)]
    refused = await execute(
        database,
        AMEND,
        input={"contractId": contract_id, "expectedRevision": 2, "endDiscounts": too_many},
    )
    assert [(e["field"], e["code"]) for e in refused["amendContract"]["errors"]] == [
        ("input.endDiscounts", "INVALID_VALUE")  # at most 20, before any is looked up
    ]


async def test_an_accepted_saved_quote_redeems_its_code_and_keeps_its_discounts(
    database: Any,
) -> None:
    """A saved quote keeps `discounts` and `promotionCode` in its input; accepting it signs
    a contract with both and redeems the code once."""
    ids = await seed(database)
    await execute(database, CREATE_CODE, input=code_input(maxRedemptions=5))
    five_off = {"key": "five", "kind": "AMOUNT", "value": "5", "duration": "FOREVER"}
    quote = quote_input(ids, 2, discounts=[five_off], promotionCode="LAUNCH20")
    saved = await create_quote(
        database, {"customerId": ids["acme"], "quote": quote, "validUntil": "2026-12-31"}
    )
    await approve(database, saved["id"])
    accepted = await accept(database, saved["id"], "2026-01-01")
    read = await execute(
        database,
        f"query($id: ID!) {{ node(id: $id) {{ ... on Contract {{ {CONTRACT} }} }} }}",
        id=accepted["contract"]["id"],
    )
    contract = read["node"]
    assert [(d["key"], d["source"]) for d in contract["discounts"]] == [
        ("five", "CONTRACT"),
        ("LAUNCH20", "PROMOTION_CODE"),
    ]
    # No usage yet: $100.00 - 5.00 = 95.00, then 20% of 95.00 = 19.00: 76.00.
    assert (contract["invoicePreview"]["discountsTotal"], contract["invoicePreview"]["total"]) == (
        "24.00",
        "76.00",
    )
    codes = (await execute(database, CODES))["promotionCodes"]
    assert codes["nodes"] == [{"code": "LAUNCH20", "timesRedeemed": 1, "maxRedemptions": 5}]
