"""Discounts in the rating core (issue 14, item 1): PERCENT or AMOUNT off the invoice or off
listed prices, ONCE / PERIODS / FOREVER, start and expiry dates; after minimums, before
credits; never below zero; one discount line each.

The issue's example: a $100 monthly fee, $50 of usage a month (1,000 units at $0.05) and a
$30 credit grant, with 20% off for 3 months. Every figure is worked out by hand beside it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pricing_graph.rating import (
    ContractTerms,
    CreditGrant,
    InvalidTerms,
    MetricUsage,
    UsageProjection,
    UsageSnapshot,
    preview_invoice,
    quote,
)
from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind
from pricing_graph.rating.models import FixedPrice, Plan

from .factories import START, D, flat, plan, usage_price

PERCENT, AMOUNT = DiscountKind.PERCENT, DiscountKind.AMOUNT
ONCE, PERIODS, FOREVER = DiscountDuration.ONCE, DiscountDuration.PERIODS, DiscountDuration.FOREVER


def base_plan(minimum: Decimal | None = None) -> Plan:
    return plan(
        FixedPrice("platform", "Platform", "Platform fee", D("100")),
        usage_price("api_calls", flat("0.05")),
        minimum=minimum,
    )


USAGE = UsageSnapshot((MetricUsage("api_calls", D(1000)),))  # 1,000 x $0.05 = $50.00


def run(
    *discounts: Discount,
    grants: tuple[CreditGrant, ...] = (),
    periods: int = 5,
    usage: UsageSnapshot = USAGE,
    p: Plan | None = None,
) -> list[tuple[str, str, str]]:
    """(discounts total, credits total, total) of each period."""
    terms = ContractTerms(start=START, discounts=discounts, credit_grants=grants)
    rated = quote(p or base_plan(), terms, UsageProjection.constant(usage), periods)
    return [(str(i.discounts_total), str(i.credits_total), str(i.total)) for i in rated.invoices]


def test_the_issues_example_20_percent_for_3_months_with_30_of_credits() -> None:
    twenty = Discount("intro", PERCENT, D(20), PERIODS, periods=3)
    credit = CreditGrant("welcome", D(30), "USD", START)
    # Period 1: 100 + 50 = 150.00; 20% = 30.00 off -> 120.00; the $30 credit -> 90.00.
    # Periods 2, 3: 150.00 - 30.00 = 120.00 (the credit is used up).
    # Periods 4, 5: no discount: 150.00.
    assert run(twenty, grants=(credit,)) == [
        ("30.00", "30.00", "90.00"),
        ("30.00", "0.00", "120.00"),
        ("30.00", "0.00", "120.00"),
        ("0.00", "0.00", "150.00"),
        ("0.00", "0.00", "150.00"),
    ]


def test_one_discount_line_per_discount_in_order() -> None:
    ten = Discount("ten", PERCENT, D(10), FOREVER, description="10% partner discount")
    five = Discount("five", AMOUNT, D(5), FOREVER)
    terms = ContractTerms(start=START, discounts=(ten, five))
    invoice = preview_invoice(base_plan(), terms, USAGE, 0)
    # 10% of 150.00 = 15.00; then 5.00 off what is left (135.00): 130.00.
    assert [(d.discount_key, d.description, str(d.amount)) for d in invoice.discounts] == [
        ("ten", "10% partner discount", "15.00"),
        ("five", "Discount five (5 off)", "5.00"),
    ]
    assert (str(invoice.subtotal), str(invoice.discounts_total), str(invoice.total)) == (
        "150.00",
        "20.00",
        "130.00",
    )


def test_discount_comes_after_the_invoice_minimum() -> None:
    # Usage $50 + fee $100 = 150.00, minimum 200.00: true-up 50.00; 20% of 200.00 = 40.00.
    p = base_plan(minimum=D(200))
    terms = ContractTerms(start=START, discounts=(Discount("d", PERCENT, D(20)),))
    invoice = preview_invoice(p, terms, USAGE, 0)
    assert [str(t.amount) for t in invoice.minimum_true_ups] == ["50.00"]
    assert (str(invoice.discounts_total), str(invoice.total)) == ("40.00", "160.00")


def test_amount_discount_is_capped_at_the_invoice() -> None:
    # 500 off a 150.00 invoice: 150.00 off, total 0.00, never negative; a FOREVER amount
    # is per period, so the 350.00 it could not use is lost.
    big = Discount("big", AMOUNT, D(500), FOREVER)
    assert run(big, periods=2) == [("150.00", "0.00", "0.00"), ("150.00", "0.00", "0.00")]


def test_once_amount_discount_carries_its_remainder_until_used() -> None:
    # 400 once: period 1 uses 150.00 (250.00 left), period 2 150.00 (100.00 left),
    # period 3 100.00 -> 50.00, period 4 nothing.
    allowance = Discount("allowance", AMOUNT, D(400), ONCE)
    assert run(allowance, periods=4) == [
        ("150.00", "0.00", "0.00"),
        ("150.00", "0.00", "0.00"),
        ("100.00", "0.00", "50.00"),
        ("0.00", "0.00", "150.00"),
    ]
    terms = ContractTerms(start=START, discounts=(allowance,))
    rated = quote(base_plan(), terms, UsageProjection.constant(USAGE), 3)
    assert [str(i.discounts[0].remaining) for i in rated.invoices] == ["250.00", "100.00", "0.00"]


def test_once_percent_applies_to_the_first_period_only() -> None:
    once = Discount("first", PERCENT, D(50), ONCE)
    # 50% of 150.00 = 75.00 in period 1 only.
    assert run(once, periods=3) == [
        ("75.00", "0.00", "75.00"),
        ("0.00", "0.00", "150.00"),
        ("0.00", "0.00", "150.00"),
    ]


def test_forever_applies_to_every_period() -> None:
    forever = Discount("always", PERCENT, D(15), FOREVER)
    # 15% of 150.00 = 22.50 every period.
    assert run(forever, periods=3) == [("22.50", "0.00", "127.50")] * 3


def test_discount_limited_to_listed_prices() -> None:
    # 50% off the usage price only: 50% of 50.00 = 25.00; the $100 fee is untouched.
    usage_only = Discount("usage", PERCENT, D(50), FOREVER, price_keys=("api_calls",))
    assert run(usage_only, periods=1) == [("25.00", "0.00", "125.00")]
    # 80 off the usage price: capped at that price's 50.00, never into the fee.
    capped = Discount("usage80", AMOUNT, D(80), FOREVER, price_keys=("api_calls",))
    assert run(capped, periods=1) == [("50.00", "0.00", "100.00")]


def test_start_and_expiry_dates() -> None:
    # Starts Feb 1 (period 2), expires Apr 1: periods starting Feb 1 and Mar 1 get 10%.
    dated = Discount(
        "spring", PERCENT, D(10), FOREVER, starts=date(2024, 2, 1), expires=date(2024, 4, 1)
    )
    assert run(dated, periods=4) == [
        ("0.00", "0.00", "150.00"),
        ("15.00", "0.00", "135.00"),
        ("15.00", "0.00", "135.00"),
        ("0.00", "0.00", "150.00"),
    ]
    # A start inside a period counts from the next period: Jan 15 -> Feb 1, 2 periods.
    mid = Discount("mid", PERCENT, D(10), PERIODS, periods=2, starts=date(2024, 1, 15))
    assert [r[0] for r in run(mid, periods=4)] == ["0.00", "15.00", "15.00", "0.00"]


def test_discounts_are_excluded_from_the_list_price() -> None:
    terms = ContractTerms(start=START, discounts=(Discount("d", PERCENT, D(20), FOREVER),))
    rated = quote(base_plan(), terms, UsageProjection.constant(USAGE), 2)
    assert (str(rated.total), str(rated.list_price_total), str(rated.saving)) == (
        "240.00",
        "300.00",
        "60.00",
    )
    assert str(rated.discounts_total) == "60.00"


@pytest.mark.parametrize(
    ("discount", "field"),
    [
        (Discount("d", PERCENT, D(0)), "discounts[0].value"),
        (Discount("d", PERCENT, D(101)), "discounts[0].value"),
        (Discount("d", PERCENT, D(10), PERIODS), "discounts[0].periods"),
        (Discount("d", PERCENT, D(10), ONCE, periods=2), "discounts[0].periods"),
        (Discount("d", PERCENT, D(10), price_keys=("nope",)), "discounts[0].price_keys[0]"),
        (
            Discount("d", PERCENT, D(10), starts=date(2024, 3, 1), expires=date(2024, 2, 1)),
            "discounts[0].expires",
        ),
    ],
)
def test_invalid_discounts_name_the_field(discount: Discount, field: str) -> None:
    with pytest.raises(InvalidTerms) as refused:
        preview_invoice(base_plan(), ContractTerms(start=START, discounts=(discount,)), USAGE, 0)
    assert refused.value.field == field


def test_an_amount_with_more_digits_than_the_unit_never_takes_more_than_it_has() -> None:
    # 10.005 once: 10.00 in period 1 (0.005 left: less than a cent), 0.00 in period 2.
    odd = Discount("odd", AMOUNT, D("10.005"), ONCE)
    terms = ContractTerms(start=START, discounts=(odd,))
    rated = quote(base_plan(), terms, UsageProjection.constant(USAGE), 2)
    assert [(str(i.discounts_total), str(i.total)) for i in rated.invoices] == [
        ("10.00", "140.00"),
        ("0.00", "150.00"),
    ]
