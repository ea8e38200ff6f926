"""Table tests: every worked example of pricing-semantics.md, Orb's published examples,
and one hand-checkable case per rule of docs/pricing.md. Exact Decimal equality."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pricing_graph.rating import (
    AdjustmentKind,
    Commitment,
    CommitmentKind,
    ContractTerms,
    CreditGrant,
    LineKind,
    MetricUsage,
    PriceAdjustment,
    SettingOverrides,
    UsageProjection,
    UsageSnapshot,
    compare_plans,
    preview_invoice,
    quote,
    round_money,
)
from pricing_graph.rating.calendar import BillingCalendar, add_months
from pricing_graph.rating.models import (
    BillingAnchor,
    BillingInterval,
    ChargeTiming,
    CompositeKind,
    CompositePrice,
    ConversionRounding,
    DimensionRate,
    FixedCadence,
    FixedPrice,
    PackageRounding,
    PricingModel,
    PricingUnit,
    Ramp,
    Rate,
    RoundingMode,
    Trial,
)

from .factories import START, D, flat, metric, plan, tiers, usage_price

GPT4 = (("model", "gpt-4"),)
GPT35 = (("model", "gpt-3.5"),)
LLM = metric("tokens", "model")
PRO = plan(
    usage_price(
        "tokens",
        None,
        m=LLM,
        dims=(DimensionRate(GPT4, flat("0.03")), DimensionRate(GPT35, flat("0.002"))),
    ),
    key="pro",
)
LLM_USAGE = UsageSnapshot(
    (MetricUsage("tokens", D(1_000_000), GPT4), MetricUsage("tokens", D(5_000_000), GPT35))
)


def one(p, usage=None, terms=None, index=0, **q):  # type: ignore[no-untyped-def]
    if usage is None:
        usage = UsageSnapshot(tuple(MetricUsage(k, D(v)) for k, v in q.items()))
    return preview_invoice(p, terms or ContractTerms(START), usage, index)


def override(price_key: str, value: str, match=None) -> PriceAdjustment:  # type: ignore[no-untyped-def]
    return PriceAdjustment(price_key, AdjustmentKind.OVERRIDE, D(value), match=match)


# --- seed 001: dimensional pricing and contract overrides -------------------------------


@pytest.mark.parametrize(
    ("customer", "adjustments", "total"),
    [
        ("Startup Inc", (), "40000.00"),
        ("Acme", (override("tokens", "0.02", GPT4),), "30000.00"),
        (
            "Mega Enterprise",
            (override("tokens", "0.015", GPT4), override("tokens", "0.001", GPT35)),
            "20000.00",
        ),
    ],
)
def test_seed_001_rate_card_overrides(customer, adjustments, total):  # type: ignore[no-untyped-def]
    inv = one(PRO, LLM_USAGE, ContractTerms(START, adjustments=adjustments))
    assert inv.total == Decimal(total), customer
    assert inv.total == sum(line.amount for line in inv.lines)
    assert {line.group for line in inv.lines} == {GPT4, GPT35}


def test_seed_001_invoice_shows_adjusted_unit_price_only():
    inv = one(PRO, LLM_USAGE, ContractTerms(START, adjustments=(override("tokens", "0.02", GPT4),)))
    by_group = {line.group: line for line in inv.lines}
    assert by_group[GPT4].unit_price == D("0.02")
    assert by_group[GPT4].amount == D("20000.00")
    assert by_group[GPT35].unit_price == D("0.002")


def test_seed_001_prepaid_commitment_credits_and_breakage():
    terms = ContractTerms(
        START,
        date(2025, 1, 1),
        commitments=(Commitment("annual", CommitmentKind.PREPAID, D(100_000), D(125_000)),),
    )
    monthly = UsageSnapshot((MetricUsage("tokens", D(250_000), GPT4),))  # $7,500.00 a month
    q = quote(PRO, terms, UsageProjection.constant(monthly), 12)
    first = q.invoices[0]
    prepaid = [line for line in first.currency_lines if line.kind is LineKind.PREPAID_COMMITMENT]
    assert [line.amount for line in prepaid] == [D("100000.00")]
    assert first.credits_applied[0].amount == D("7500.00")
    assert first.total == D("100000.00")  # usage fully paid by the credits
    assert all(inv.total == 0 for inv in q.invoices[1:])
    (summary,) = q.credits
    assert summary.granted == D("125000")
    assert summary.used == D("90000.00")
    assert summary.expired == D("35000.00")
    assert summary.remaining == 0
    assert q.breakage == D("35000.00")
    assert q.invoices[11].breakage[0].amount == D("35000.00")
    assert q.invoices[11].breakage[0].expired_on == date(2025, 1, 1)
    assert q.total == D("100000.00")
    assert q.list_price_total == D("90000.00")
    assert q.saving == D("-10000.00")


def test_prepaid_overage_is_billed_once_credits_run_out():
    terms = ContractTerms(
        START,
        date(2025, 1, 1),
        commitments=(Commitment("annual", CommitmentKind.PREPAID, D(100_000), D(125_000)),),
    )
    q = quote(PRO, terms, UsageProjection.constant(LLM_USAGE), 12)  # $40,000 a month
    totals = [inv.total for inv in q.invoices[:5]]
    assert totals == [D("100000.00"), D(0), D(0), D("35000.00"), D("40000.00")]
    assert q.breakage == 0
    assert q.credits[0].used == D("125000.00")


# --- seed 003: tiers and percent adjustment ---------------------------------------------

GB_TIERS = tiers(("1000", "0.10"), (None, "0.09"))


@pytest.mark.parametrize(
    ("model", "gb", "total"),
    [
        (PricingModel.TIERED, "1500", "145.00"),
        (PricingModel.VOLUME, "1500", "135.00"),
        (PricingModel.TIERED, "1000", "100.00"),
        (PricingModel.VOLUME, "1000", "100.00"),
        (PricingModel.TIERED, "0", "0.00"),
    ],
)
def test_seed_003_tiers(model, gb, total):  # type: ignore[no-untyped-def]
    p = plan(usage_price("storage", Rate(model, tiers=GB_TIERS)))
    inv = one(p, storage=gb)
    assert inv.total == Decimal(total)


def test_tiered_breakdown():
    p = plan(usage_price("storage", Rate(PricingModel.TIERED, tiers=GB_TIERS)))
    (line,) = one(p, storage="1500").lines
    assert [(t.tier, t.quantity, t.amount) for t in line.tiers] == [
        (1, D(1000), D("100.00")),
        (2, D(500), D("45.00")),
    ]


def test_seed_003_percent_adjustment_shows_085():
    p = plan(usage_price("storage", flat("1.00")))
    terms = ContractTerms(
        START, adjustments=(PriceAdjustment("storage", AdjustmentKind.PERCENT, D(-15)),)
    )
    (line,) = one(p, terms=terms, storage="10").lines
    assert line.unit_price == D("0.85")
    assert line.amount == D("8.50")


def test_first_tier_flat_fee_is_charged_at_zero():
    rate = Rate(PricingModel.TIERED, tiers=tiers(("100", "0", "20"), (None, "0.50", "5")))
    p = plan(usage_price("seats", rate))
    assert one(p, seats="0").total == D("20.00")
    assert one(p, seats="100").total == D("20.00")
    assert one(p, seats="101").total == D("25.50")


# --- Orb's published examples -----------------------------------------------------------


def test_orb_bulk_example():
    rate = Rate(PricingModel.VOLUME, tiers=tiers(("10", "0.50"), ("1000", "0.40"), (None, "0.30")))
    p = plan(usage_price("calls", rate))
    assert one(p, calls="101").total == D("40.40")
    assert one(p, calls="10").total == D("5.00")


@pytest.mark.parametrize(("units", "total"), [("4", "0.80"), ("11", "1.60"), ("0", "0.00")])
def test_orb_package_example(units, total):  # type: ignore[no-untyped-def]
    rate = Rate(PricingModel.PACKAGE, package_size=D(10), package_price=D("0.80"))
    assert one(plan(usage_price("calls", rate)), calls=units).total == Decimal(total)


def test_package_rounding_down():
    rate = Rate(
        PricingModel.PACKAGE,
        package_size=D(10),
        package_price=D("0.80"),
        package_rounding=PackageRounding.DOWN,
    )
    assert one(plan(usage_price("calls", rate)), calls="19").total == D("0.80")


# --- percentage and dynamic -------------------------------------------------------------

CARD = Rate(
    PricingModel.PERCENTAGE, rate_percent=D("2.9"), min_per_event=D("0.30"), max_per_event=D(100)
)


@pytest.mark.parametrize(
    ("amount", "fee"), [("10", "0.30"), ("1000", "29.00"), ("10000", "100.00")]
)
def test_percentage_clamps(amount, fee):  # type: ignore[no-untyped-def]
    p = plan(usage_price("payments", CARD))
    usage = UsageSnapshot((MetricUsage("payments", D(amount), transactions=(D(amount),)),))
    assert one(p, usage).total == Decimal(fee)


def test_percentage_all_three_together_and_count_average():
    p = plan(usage_price("payments", CARD))
    txs = (D(10), D(1000), D(10000))
    usage = UsageSnapshot((MetricUsage("payments", D(11010), transactions=txs),))
    assert one(p, usage).total == D("129.30")
    projected = UsageSnapshot(
        (MetricUsage("payments", transaction_count=100, average_amount=D(1000)),)
    )
    assert one(p, projected).total == D("2900.00")


def test_percentage_fixed_fee_and_free_amount():
    rate = Rate(
        PricingModel.PERCENTAGE,
        rate_percent=D(2),
        fixed_fee_per_event=D("0.25"),
        free_amount=D(150),
    )
    p = plan(usage_price("payments", rate))
    # 100 free; 100 -> 50 free, pays 50*2% + 0.25 = 1.25; 100 pays 2.25
    usage = UsageSnapshot((MetricUsage("payments", D(300), transactions=(D(100), D(100), D(100))),))
    assert one(p, usage).total == D("3.50")
    # the same with count + average
    projected = UsageSnapshot(
        (MetricUsage("payments", transaction_count=3, average_amount=D(100)),)
    )
    assert one(p, projected).total == D("3.50")


def test_dynamic_cost_plus():
    rate = Rate(PricingModel.DYNAMIC, markup_percent=D(20))
    p = plan(usage_price("gpu", rate))
    usage = UsageSnapshot((MetricUsage("gpu", D(3), event_costs=(D("1.10"), D("2.15"))),))
    (line,) = one(p, usage).lines
    assert (line.quantity, line.unit_price, line.amount) == (D("3.25"), D("1.2"), D("3.90"))


# --- quantity pipeline ------------------------------------------------------------------


def test_unit_conversion_and_free_units():
    gb = usage_price(
        "egress",
        flat("0.09"),
        conversion_factor=D(1024**3),
        conversion_rounding=ConversionRounding.UP,
    )
    assert one(plan(gb), egress=str(5 * 1024**3 + 1)).total == D("0.54")  # 6 GB
    tokens = usage_price("input", flat("0.002"), conversion_factor=D(1000), free_units=D(10))
    assert one(plan(tokens), input="25000").total == D("0.03")  # 25K - 10K free = 15K


@pytest.mark.parametrize(
    ("mode", "q", "billable"),
    [
        (ConversionRounding.NONE, "1500", "1.5"),
        (ConversionRounding.UP, "1001", "2"),
        (ConversionRounding.DOWN, "1999", "1"),
        (ConversionRounding.NEAREST, "1500", "2"),
        (ConversionRounding.NEAREST, "1499", "1"),
    ],
)
def test_conversion_rounding(mode, q, billable):  # type: ignore[no-untyped-def]
    price = usage_price("x", flat("1"), conversion_factor=D(1000), conversion_rounding=mode)
    (line,) = one(plan(price), x=q).lines
    assert line.quantity == Decimal(billable)


# --- dimension rates --------------------------------------------------------------------


def test_most_specific_dimension_rate_wins_and_unpriced_is_reported():
    m = metric("calls", "model", "region")
    price = usage_price(
        "calls",
        None,
        m=m,
        dims=(
            DimensionRate((("model", "gpt-4"),), flat("0.03")),
            DimensionRate((("model", "gpt-4"), ("region", "eu")), flat("0.04")),
        ),
    )
    usage = UsageSnapshot(
        (
            MetricUsage("calls", D(100), (("model", "gpt-4"), ("region", "eu"))),
            MetricUsage("calls", D(100), (("model", "gpt-4"), ("region", "us"))),
            MetricUsage("calls", D(7), (("model", "llama"), ("region", "us"))),
        )
    )
    inv = one(plan(price), usage)
    assert [line.amount for line in inv.lines] == [D("4.00"), D("3.00")]
    assert len(inv.unpriced) == 1
    assert inv.unpriced[0].quantity == D(7)
    assert inv.unpriced[0].group == (("model", "llama"), ("region", "us"))


def test_default_rate_prices_unmatched_groups():
    price = usage_price("tokens", flat("0.01"), m=LLM, dims=(DimensionRate(GPT4, flat("0.03")),))
    usage = UsageSnapshot(
        (MetricUsage("tokens", D(100), GPT4), MetricUsage("tokens", D(100), GPT35))
    )
    inv = one(plan(price), usage)
    assert [line.amount for line in inv.lines] == [D("3.00"), D("1.00")]
    assert inv.unpriced == ()


# --- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.HALF_UP, "0.13"),
        (RoundingMode.HALF_EVEN, "0.12"),
        (RoundingMode.UP, "0.13"),
        (RoundingMode.DOWN, "0.12"),
    ],
)
def test_rounding_modes_once_per_line(mode, expected):  # type: ignore[no-untyped-def]
    assert round_money(D("0.125"), "USD", mode) == Decimal(expected)
    p = plan(usage_price("x", flat("0.0125")), rounding=mode)
    assert one(p, x="10").total == Decimal(expected)


def test_totals_are_sums_of_rounded_lines():
    p = plan(usage_price("a", flat("0.005")), usage_price("b", flat("0.005")))
    inv = one(p, a="1", b="1")
    assert [line.amount for line in inv.lines] == [D("0.01"), D("0.01")]
    assert inv.total == D("0.02")  # not round(0.010) = 0.01


@pytest.mark.parametrize(
    ("code", "decimals", "total"),
    [("JPY", 0, "1235"), ("KWD", 3, "1234.568"), ("USD", 2, "1234.57")],
)
def test_minor_units(code, decimals, total):  # type: ignore[no-untyped-def]
    p = plan(usage_price("x", flat("1234.5678")), unit=PricingUnit(code, decimals))
    assert one(p, x="1").total == Decimal(total)


# --- calendar ---------------------------------------------------------------------------


def test_month_end_anchor_comes_back_to_the_31st():
    cal = BillingCalendar(
        date(2024, 1, 31), None, BillingInterval.MONTHLY, BillingAnchor.CONTRACT_START
    )
    starts = [cal.period(i).start for i in range(4)]
    assert starts == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("interval", "end"),
    [
        (BillingInterval.BIWEEKLY, date(2024, 1, 15)),
        (BillingInterval.QUARTERLY, date(2024, 4, 1)),
        (BillingInterval.SEMIANNUAL, date(2024, 7, 1)),
        (BillingInterval.ANNUAL, date(2025, 1, 1)),
    ],
)
def test_intervals(interval, end):  # type: ignore[no-untyped-def]
    cal = BillingCalendar(START, None, interval, BillingAnchor.CONTRACT_START)
    assert cal.period(0).end == end


def test_first_of_month_partial_first_period_prorates_fixed_fees():
    fee = FixedPrice("base", "base", "Base", D(31))
    p = plan(fee, anchor=BillingAnchor.FIRST_OF_MONTH)
    terms = ContractTerms(date(2024, 1, 15))
    first = preview_invoice(p, terms, UsageSnapshot(), 0)
    assert (first.period.start, first.period.end) == (date(2024, 1, 15), date(2024, 2, 1))
    assert first.total == D("17.00")  # 17 of 31 days
    second = preview_invoice(p, terms, UsageSnapshot(), 1)
    assert second.total == D("31.00")
    assert (second.issue_date, second.due_date) == (date(2024, 3, 1), date(2024, 3, 31))


def test_contract_end_truncates_the_last_period_and_bounds_the_index():
    fee = FixedPrice("base", "base", "Base", D(30))
    terms = ContractTerms(date(2024, 4, 1), date(2024, 5, 16))
    last = preview_invoice(plan(fee), terms, UsageSnapshot(), 1)
    assert (last.period.start, last.period.end) == (date(2024, 5, 1), date(2024, 5, 16))
    assert last.total == D("14.52")  # 30 * 15 / 31 = 14.516...
    from pricing_graph.rating import PeriodOutOfRange

    with pytest.raises(PeriodOutOfRange, match="period_index"):
        preview_invoice(plan(fee), terms, UsageSnapshot(), 2)


def test_issue_and_due_dates_follow_timing_and_payment_terms():
    advance = FixedPrice("base", "base", "Base", D(100), timing=ChargeTiming.IN_ADVANCE)
    inv = preview_invoice(
        plan(advance),
        ContractTerms(START, overrides=SettingOverrides(net_payment_days=45)),
        UsageSnapshot(),
        0,
    )
    assert inv.lines[0].in_advance
    assert (inv.issue_date, inv.due_date) == (date(2024, 1, 1), date(2024, 2, 15))
    arrears = one(plan(usage_price("x", flat("1"))), x="1")
    assert (arrears.issue_date, arrears.due_date) == (date(2024, 2, 1), date(2024, 3, 2))


def test_interval_override():
    fee = FixedPrice("base", "base", "Base", D(100))
    terms = ContractTerms(
        START, overrides=SettingOverrides(billing_interval=BillingInterval.QUARTERLY)
    )
    inv = preview_invoice(plan(fee), terms, UsageSnapshot(), 1)
    assert inv.period.start == date(2024, 4, 1)


# --- fixed charges ----------------------------------------------------------------------


def test_fixed_every_three_periods_in_advance_and_one_time():
    support = FixedPrice(
        "support",
        "support",
        "Premium support",
        D(1000),
        every_periods=3,
        timing=ChargeTiming.IN_ADVANCE,
    )
    setup = FixedPrice("setup", "setup", "Setup", D(250), cadence=FixedCadence.ONE_TIME)
    p = plan(support, setup)
    totals = [preview_invoice(p, ContractTerms(START), UsageSnapshot(), i).total for i in range(4)]
    assert totals == [D("1250.00"), D(0), D(0), D("1000.00")]


def test_fixed_quantity_adjustment_and_discount_fee():
    seats = FixedPrice("seats", "seats", "Developer licence", D(20))
    promo = FixedPrice("promo", "promo", "Launch discount", D(-50), is_discount=True)
    p = plan(seats, promo)
    terms = ContractTerms(
        START, adjustments=(PriceAdjustment("seats", AdjustmentKind.QUANTITY, D(10)),)
    )
    inv = preview_invoice(p, terms, UsageSnapshot(), 0)
    assert [line.amount for line in inv.lines] == [D("200.00"), D("-50.00")]
    assert inv.total == D("150.00")
    # a discount never takes the invoice below zero
    assert preview_invoice(p, ContractTerms(START), UsageSnapshot(), 0).total == D(0)


# --- composites and minimums ------------------------------------------------------------


def test_composite_percentage_and_minimum():
    api = usage_price("api", flat("0.01"))
    base = FixedPrice("base", "base", "Base", D(100))
    uplift = CompositePrice(
        "uplift", "uplift", "Support uplift", CompositeKind.PERCENTAGE, D(10), ("api", "base")
    )
    floor = CompositePrice("floor", "floor", "API minimum", CompositeKind.MINIMUM, D(50), ("api",))
    p = plan(api, base, uplift, floor)
    inv = one(p, api="1000")  # api $10, base $100, uplift $11, minimum on api -> +$40
    assert [line.amount for line in inv.lines] == [D("10.00"), D("100.00"), D("11.00")]
    assert [(t.kind, t.amount) for t in inv.minimum_true_ups] == [(LineKind.MINIMUM, D("40.00"))]
    assert inv.total == D("161.00")


def test_composite_quantity_zero_disables_until_a_contract_enables_it():
    api = usage_price("api", flat("0.01"))
    floor = CompositePrice(
        "floor", "floor", "Minimum", CompositeKind.MINIMUM, D(50), ("api",), quantity=D(0)
    )
    p = plan(api, floor)
    assert one(p, api="1000").total == D("10.00")
    terms = ContractTerms(
        START, adjustments=(PriceAdjustment("floor", AdjustmentKind.QUANTITY, D(1)),)
    )
    assert one(p, terms=terms, api="1000").total == D("50.00")


def test_invoice_minimum_per_ramp_and_override():
    api = usage_price("api", flat("0.01"))
    p = plan(
        ramps=(
            Ramp((api,), 2, D(100)),
            Ramp((usage_price("api", flat("0.02")),), None, D(500)),
        )
    )
    terms = ContractTerms(START)
    usage = UsageSnapshot((MetricUsage("api", D(1000)),))
    invs = [preview_invoice(p, terms, usage, i) for i in range(3)]
    assert [inv.ramp_index for inv in invs] == [0, 0, 1]
    assert [inv.total for inv in invs] == [D("100.00"), D("100.00"), D("500.00")]
    assert invs[2].lines[0].unit_price == D("0.02")
    assert invs[2].minimum_true_ups[0].amount == D("480.00")
    cheaper = ContractTerms(START, overrides=SettingOverrides(invoice_minimum=D(15)))
    assert preview_invoice(p, cheaper, usage, 2).total == D("20.00")


# --- trials -------------------------------------------------------------------------------


def test_trial_credit_and_fixed_charges_prorated_out_of_trial_days():
    api = usage_price("api", flat("1"))
    base = FixedPrice("base", "base", "Base", D(31))
    p = plan(api, base, trial=Trial(14))
    inv = one(p, api="310")  # January: 14 of 31 days in trial
    assert [line.amount for line in inv.lines] == [D("310.00"), D("17.00")]
    (trial,) = inv.credits_applied
    assert (trial.grant_key, trial.amount) == ("trial", D("140.00"))
    assert inv.total == D("187.00")


def test_trial_spending_cap_and_contract_override():
    api = usage_price("api", flat("1"))
    p = plan(api, trial=Trial(31, spending_cap=D(100)))
    assert one(p, api="310").total == D("210.00")
    no_trial = ContractTerms(START, overrides=SettingOverrides(trial=Trial(0)))
    assert one(p, terms=no_trial, api="310").total == D("310.00")


def test_trial_uses_ramp_zero_prices():
    p = plan(
        ramps=(
            Ramp((usage_price("api", flat("1")),), 1),
            Ramp((usage_price("api", flat("2")),), None),
        ),
        interval=BillingInterval.BIWEEKLY,
        trial=Trial(20),
    )
    inv = preview_invoice(p, ContractTerms(START), UsageSnapshot((MetricUsage("api", D(14)),)), 1)
    assert inv.ramp_index == 0
    assert inv.lines[0].unit_price == D(1)
    assert inv.credits_applied[0].amount == D("6.00")  # 6 of 14 days in trial


# --- credit grants ------------------------------------------------------------------------


def test_credit_burn_order_priority_then_expiry_and_never_negative():
    p = plan(usage_price("api", flat("1")))
    terms = ContractTerms(
        START,
        credit_grants=(
            CreditGrant("late", D(100), "USD", START, date(2024, 12, 1), priority=1),
            CreditGrant("soon", D(100), "USD", START, date(2024, 3, 1), priority=1),
            CreditGrant("first", D(30), "USD", START, None, priority=0),
        ),
    )
    inv = one(p, terms=terms, api="150")
    assert [(a.grant_key, a.amount) for a in inv.credits_applied] == [
        ("first", D(30)),
        ("soon", D(100)),
        ("late", D(20)),
    ]
    assert inv.total == 0


def test_credits_carry_across_periods_and_expire_as_breakage():
    p = plan(usage_price("api", flat("1")))
    terms = ContractTerms(
        START, credit_grants=(CreditGrant("promo", D(100), "USD", START, date(2024, 3, 1)),)
    )
    q = quote(p, terms, UsageProjection.constant(UsageSnapshot((MetricUsage("api", D(30)),))), 3)
    assert [inv.total for inv in q.invoices] == [D(0), D(0), D("30.00")]
    assert q.credits[0].used == D(60)
    assert q.breakage == D(40)
    assert q.saving == D(60)


def test_preview_needs_the_previous_state_when_credits_carry_over():
    from pricing_graph.rating import MissingBillingState

    p = plan(usage_price("api", flat("1")))
    terms = ContractTerms(START, credit_grants=(CreditGrant("promo", D(100), "USD", START),))
    usage = UsageSnapshot((MetricUsage("api", D(30)),))
    with pytest.raises(MissingBillingState, match="state"):
        preview_invoice(p, terms, usage, 1)
    first = preview_invoice(p, terms, usage, 0)
    second = preview_invoice(p, terms, usage, 1, first.closing_state)
    assert second.credits_applied[0].remaining == D(40)


# --- commitments and custom units -------------------------------------------------------


def test_postpaid_true_up_at_the_end_of_the_commitment():
    p = plan(usage_price("api", flat("1")))
    terms = ContractTerms(
        START,
        date(2024, 4, 1),
        commitments=(Commitment("commit", CommitmentKind.POSTPAID, D(1000)),),
    )
    q = quote(p, terms, UsageProjection.constant(UsageSnapshot((MetricUsage("api", D(200)),))), 3)
    assert [inv.total for inv in q.invoices] == [D(200), D(200), D(600)]
    (true_up,) = q.invoices[2].minimum_true_ups
    assert (true_up.kind, true_up.amount) == (LineKind.COMMITMENT_TRUE_UP, D("400.00"))


def test_custom_pricing_unit_overage_converts_to_usd():
    ccu = PricingUnit("CCU", 2, "USD", D("0.10"))
    p = plan(usage_price("cpu", flat("1")), unit=ccu)
    terms = ContractTerms(START, credit_grants=(CreditGrant("ccu", D(1000), "CCU", START),))
    inv = one(p, terms=terms, cpu="1500")
    assert inv.pricing_unit == "CCU" and inv.currency == "USD"
    assert inv.amount_due_in_unit == D(500)
    (overage,) = inv.currency_lines
    assert (overage.kind, overage.amount, overage.pricing_unit) == (
        LineKind.OVERAGE,
        D("50.00"),
        "USD",
    )
    assert inv.total == D("50.00")


# --- adjustments --------------------------------------------------------------------------


def test_fixed_adjustment_never_below_zero_and_tier_override():
    p = plan(usage_price("api", flat("0.30")))
    minus = ContractTerms(
        START, adjustments=(PriceAdjustment("api", AdjustmentKind.FIXED, D("-0.50")),)
    )
    assert one(p, terms=minus, api="10").total == D(0)
    table = tiers(("10", "1"), (None, "0.5"))
    tiered = ContractTerms(
        START, adjustments=(PriceAdjustment("api", AdjustmentKind.OVERRIDE, tiers=table),)
    )
    assert one(p, terms=tiered, api="20").total == D("15.00")


def test_dated_adjustment_applies_from_its_start():
    p = plan(usage_price("api", flat("1")))
    adj = PriceAdjustment("api", AdjustmentKind.PERCENT, D(-50), effective_from=date(2024, 2, 1))
    terms = ContractTerms(START, adjustments=(adj,))
    q = quote(p, terms, UsageProjection.constant(UsageSnapshot((MetricUsage("api", D(100)),))), 2)
    assert [inv.total for inv in q.invoices] == [D("100.00"), D("50.00")]
    assert q.list_price_total == D("200.00")
    assert q.saving == D("50.00")


# --- plan comparison ----------------------------------------------------------------------


def test_compare_plans_ranks_cheapest_first():
    payg = plan(usage_price("api", flat("0.01")), key="payg")
    pro = plan(
        usage_price("api", flat("0.005")), FixedPrice("base", "base", "Base", D(50)), key="pro"
    )
    light = UsageProjection.constant(UsageSnapshot((MetricUsage("api", D(5000)),)))
    heavy = UsageProjection.constant(UsageSnapshot((MetricUsage("api", D(50000)),)))
    assert [r.plan_key for r in compare_plans([payg, pro], light, 12, START)] == ["payg", "pro"]
    ranked = compare_plans([payg, pro], heavy, 12, START)
    assert [(r.rank, r.plan_key, r.total) for r in ranked] == [
        (1, "pro", D("3600.00")),
        (2, "payg", D("6000.00")),
    ]
