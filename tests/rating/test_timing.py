"""Invoice timing (issue 12): in-advance parts on the period's first day, the rest on its
end; the WEEKLY interval. Hand-computed figures, exact Decimal equality."""

from __future__ import annotations

from datetime import date

from pricing_graph.rating import (
    Commitment,
    CommitmentKind,
    ContractTerms,
    MetricUsage,
    SettingOverrides,
    UsageProjection,
    UsageSnapshot,
    preview_invoice,
    quote,
)
from pricing_graph.rating.calendar import BillingCalendar
from pricing_graph.rating.models import (
    BillingAnchor,
    BillingInterval,
    ChargeTiming,
    FixedPrice,
)
from pricing_graph.rating.timing import issued_invoices, split

from .factories import D, flat, plan, usage_price

SIGNED = date(2026, 1, 1)
PLATFORM = FixedPrice(
    "platform_fee", "platform_fee", "Platform fee", D(2000), timing=ChargeTiming.IN_ADVANCE
)
ENTERPRISE = plan(
    PLATFORM, usage_price("tokens", flat("0.0004")), interval=BillingInterval.QUARTERLY
)
ENTERPRISE_TERMS = ContractTerms(
    SIGNED,
    date(2027, 1, 1),
    overrides=SettingOverrides(net_payment_days=45),
    commitments=(
        Commitment("annual-prepaid", CommitmentKind.PREPAID, D(100000), credit_amount=D(125000)),
    ),
)
Q1_USAGE = UsageSnapshot((MetricUsage("tokens", D(42_500_000)),))  # $17,000.00


def test_seed_001_enterprise_invoices_the_prepaid_commitment_on_the_signing_date():
    q = quote(ENTERPRISE, ENTERPRISE_TERMS, UsageProjection(Q1_USAGE), 2)
    docs = issued_invoices(q.invoices)
    assert [(d.issue_date, d.due_date, d.total) for d in docs] == [
        (date(2026, 1, 1), date(2026, 2, 15), D("100000.00")),  # fee 2,000 - credit + 100,000
        (date(2026, 4, 1), date(2026, 5, 16), D("0.00")),  # Q1 usage 17,000 + Q2 fee, credited
        (date(2026, 7, 1), date(2026, 8, 15), D("0.00")),  # Q2 usage 17,000, credited
    ]
    first = docs[0].parts[0]
    assert first.in_advance and first.period_index == 0
    assert [(line.price_key, line.amount) for line in first.lines] == [
        ("platform_fee", D("2000.00")),
        ("annual-prepaid", D("100000.00")),
    ]
    assert first.credits == D("2000.00")
    q1_end = docs[1]
    assert [(p.period_index, p.in_advance, p.credits) for p in q1_end.parts] == [
        (0, False, D("17000.00")),  # Q1's usage at the end of Q1
        (1, True, D("2000.00")),  # Q2's platform fee, in advance
    ]
    assert [(line.price_key, line.amount) for line in q1_end.parts[0].lines] == [
        ("tokens", D("17000.00"))
    ]
    assert sum(d.total for d in docs) == q.total == D("100000.00")


def test_without_credits_the_boundary_invoice_carries_arrears_and_the_next_fee():
    fee = FixedPrice("base", "base", "Base", D(100), timing=ChargeTiming.IN_ADVANCE)
    p = plan(fee, usage_price("calls", flat("0.01")))
    usage = UsageSnapshot((MetricUsage("calls", D(1000)),))  # $10.00 a month
    q = quote(p, ContractTerms(date(2026, 5, 14)), UsageProjection(usage), 2)
    docs = issued_invoices(q.invoices)
    assert [(d.issue_date, d.total) for d in docs] == [
        (date(2026, 5, 14), D("100.00")),  # the May 14 - June 14 fee, on May 14
        (date(2026, 6, 14), D("110.00")),  # May's usage 10 + June's fee 100
        (date(2026, 7, 14), D("10.00")),  # June's usage
    ]
    assert [split(inv)[0].issue_date for inv in q.invoices] == [
        date(2026, 5, 14),
        date(2026, 6, 14),
    ]


def test_an_in_arrears_only_period_is_one_invoice_at_its_end():
    p = plan(usage_price("calls", flat("0.01")))
    inv = preview_invoice(
        p, ContractTerms(SIGNED), UsageSnapshot((MetricUsage("calls", D(500)),)), 0
    )
    [part] = split(inv)
    assert (part.issue_date, part.in_advance, part.total) == (date(2026, 2, 1), False, D("5.00"))


def test_weekly_plan_over_five_weeks():
    fee = FixedPrice("seat", "seat", "Weekly seat", D(10), timing=ChargeTiming.IN_ADVANCE)
    p = plan(fee, usage_price("jobs", flat("1")), interval=BillingInterval.WEEKLY)
    cal = BillingCalendar(
        date(2026, 1, 5), None, BillingInterval.WEEKLY, BillingAnchor.CONTRACT_START
    )
    assert [(cal.period(i).start, cal.period(i).end) for i in (0, 4)] == [
        (date(2026, 1, 5), date(2026, 1, 12)),
        (date(2026, 2, 2), date(2026, 2, 9)),
    ]
    assert cal.index_of(date(2026, 1, 25)) == 2
    weeks = tuple(UsageSnapshot((MetricUsage("jobs", D(n)),)) for n in (1, 2, 3, 4, 5))
    terms = ContractTerms(date(2026, 1, 5), date(2026, 2, 9))
    q = quote(p, terms, UsageProjection(None, weeks), 5)
    assert [inv.total for inv in q.invoices] == [D(11), D(12), D(13), D(14), D(15)]
    assert q.total == D("65.00")
    docs = issued_invoices(q.invoices)
    assert [(d.issue_date, d.total) for d in docs] == [
        (date(2026, 1, 5), D("10.00")),
        (date(2026, 1, 12), D("11.00")),
        (date(2026, 1, 19), D("12.00")),
        (date(2026, 1, 26), D("13.00")),
        (date(2026, 2, 2), D("14.00")),
        (date(2026, 2, 9), D("5.00")),
    ]


def test_weekly_refuses_first_of_month():
    import pytest

    from pricing_graph.rating import InvalidPlan

    with pytest.raises(InvalidPlan, match="WEEKLY periods run 7 days"):
        BillingCalendar(SIGNED, None, BillingInterval.WEEKLY, BillingAnchor.FIRST_OF_MONTH)


def test_a_discount_comes_off_the_first_document_of_its_period_never_below_zero():
    # $100 in advance, $50 of usage in arrears, 20% off: the period's discount is $30.00. It
    # comes off the period's first document (the in-advance fee: 100 - 30 = 70.00) and the
    # end-of-period document carries the usage (50.00); no document goes below zero.
    from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind

    fee = FixedPrice("base", "base", "Base", D(100), timing=ChargeTiming.IN_ADVANCE)
    twenty = Discount("intro", DiscountKind.PERCENT, D(20), DiscountDuration.FOREVER)
    usage = UsageSnapshot((MetricUsage("calls", D(5000)),))  # 5,000 x $0.01 = $50.00
    p = plan(fee, usage_price("calls", flat("0.01")))
    invoice = preview_invoice(p, ContractTerms(date(2026, 5, 1), discounts=(twenty,)), usage, 0)
    assert invoice.total == D("120.00")
    parts = split(invoice)
    assert [(x.issue_date, x.total) for x in parts] == [
        (date(2026, 5, 1), D("70.00")),
        (date(2026, 6, 1), D("50.00")),
    ]
    # All in advance, nothing in arrears: one document of 80.00, not 100.00 then -20.00.
    only_fee = preview_invoice(
        plan(fee), ContractTerms(date(2026, 5, 1), discounts=(twenty,)), UsageSnapshot(()), 0
    )
    assert [(x.issue_date, x.total) for x in split(only_fee)] == [(date(2026, 5, 1), D("80.00"))]
