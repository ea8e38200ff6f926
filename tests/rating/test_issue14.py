"""Issue 14, in the rating core: DYNAMIC prices with per-event bounds and from a count and an
average cost, transaction counts refused on quantity prices, plans ranked while the ones
that cannot be rated are reported, one set of plan checks, one currency table, credit
amounts in the unit's minor units, and the plan's invoice display name on previews.

Every figure is worked out by hand in the comment next to it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pricing_graph.rating import (
    ContractTerms,
    CreditGrant,
    InvalidPlan,
    InvalidUsage,
    MetricUsage,
    UsageProjection,
    UsageSnapshot,
    compare_plans,
    preview_invoice,
    quote,
)
from pricing_graph.rating.models import (
    BillingAnchor,
    BillingInterval,
    PricingModel,
    PricingUnit,
    Rate,
)
from pricing_graph.rating.plan_checks import check_plan

from .factories import START, D, flat, plan, usage_price


def dynamic(markup: str = "20", low: str | None = None, high: str | None = None) -> Rate:
    return Rate(
        PricingModel.DYNAMIC,
        markup_percent=D(markup),
        min_per_event=None if low is None else D(low),
        max_per_event=None if high is None else D(high),
    )


def costs(*values: str) -> UsageSnapshot:
    return UsageSnapshot((MetricUsage("llm_cost", event_costs=tuple(D(v) for v in values)),))


def counted(metric: str, count: int, average: str) -> UsageSnapshot:
    return UsageSnapshot((MetricUsage(metric, transaction_count=count, average_amount=D(average)),))


# --- item 3: DYNAMIC ---------------------------------------------------------------------


def test_dynamic_per_event_bounds_clamp_each_events_charge() -> None:
    # Costs 0.10, 1, 5 at a 20% markup: 0.12, 1.20, 6.00, clamped to [0.50, 2]:
    # 0.50 + 1.20 + 2.00 = 3.70 (unclamped: 6.10 x 1.2 = 7.32).
    p = plan(usage_price("llm_cost", dynamic("20", "0.5", "2")))
    inv = preview_invoice(p, ContractTerms(START), costs("0.10", "1", "5"), 0)
    [line] = inv.lines
    assert (line.quantity, line.amount, line.unit_price) == (D("6.10"), D("3.70"), None)
    assert inv.total == D("3.70")
    # Without bounds the line still shows cost x multiplier.
    free = plan(usage_price("llm_cost", dynamic("20")))
    [line] = preview_invoice(free, ContractTerms(START), costs("0.10", "1", "5"), 0).lines
    assert (line.quantity, line.unit_price, line.amount) == (D("6.10"), D("1.2"), D("7.32"))


def test_dynamic_is_quoted_from_a_count_and_an_average_cost() -> None:
    # 1,000 events of $0.10 at 20%: 1,000 x 0.12 = $120.00 a month.
    p = plan(usage_price("llm_cost", dynamic("20")))
    q = quote(
        p, ContractTerms(START), UsageProjection.constant(counted("llm_cost", 1000, "0.10")), 3
    )
    assert [i.total for i in q.invoices] == [D("120.00")] * 3
    assert q.invoices[0].lines[0].quantity == D("100.00")  # the cost: 1,000 x $0.10
    # The per-event bounds apply to the average: 0.12 -> the $0.50 minimum, x 1,000 = $500.00;
    # an average of $5 -> 6.00 -> the $2 maximum, x 10 = $20.00.
    bounded = plan(usage_price("llm_cost", dynamic("20", "0.5", "2")))
    low = quote(
        bounded,
        ContractTerms(START),
        UsageProjection.constant(counted("llm_cost", 1000, "0.10")),
        1,
    )
    assert low.total == D("500.00")
    high = quote(
        bounded, ContractTerms(START), UsageProjection.constant(counted("llm_cost", 10, "5")), 1
    )
    assert high.total == D("20.00")
    none = quote(
        bounded, ContractTerms(START), UsageProjection.constant(counted("llm_cost", 0, "5")), 1
    )
    assert none.total == D("0.00")


def test_a_transaction_count_on_a_quantity_price_is_refused_by_field() -> None:
    p = plan(usage_price("api_calls", flat("0.01")))
    with pytest.raises(InvalidUsage) as refused:
        preview_invoice(p, ContractTerms(START), counted("api_calls", 100, "5"), 0)
    assert refused.value.field == "usage.transaction_count"
    assert "FLAT" in refused.value.message


def test_dynamic_bounds_are_checked_like_percentage_ones() -> None:
    bad = plan(usage_price("llm_cost", dynamic("20", "3", "2")))
    assert [(p.path, p.code) for p in check_plan(bad)] == [
        (("ramps", 0, "prices", 0, "usage", "rate", "max_per_event"), "INVALID_RANGE")
    ]
    with pytest.raises(InvalidPlan):
        preview_invoice(bad, ContractTerms(START), costs("1"), 0)


def test_a_percent_adjustment_scales_the_dynamic_bounds() -> None:
    from pricing_graph.rating import AdjustmentKind, PriceAdjustment

    # -50% on markup 20% (x1.2 -> x0.6), min 0.5 -> 0.25, max 2 -> 1: costs 0.10, 1, 5 ->
    # 0.06 -> 0.25, 0.60, 3.00 -> 1.00: $1.85.
    p = plan(usage_price("llm_cost", dynamic("20", "0.5", "2")))
    terms = ContractTerms(
        START, adjustments=(PriceAdjustment("llm_cost", AdjustmentKind.PERCENT, D(-50)),)
    )
    assert preview_invoice(p, terms, costs("0.10", "1", "5"), 0).total == D("1.85")


# --- item 3: ranking what can be ranked ----------------------------------------------------


def test_rank_plans_ranks_every_plan_it_can_and_reports_the_others() -> None:
    from pricing_graph.rating import rank_plans

    cheap = plan(usage_price("api_calls", flat("0.01")), key="cheap")
    dear = plan(usage_price("api_calls", flat("0.02")), key="dear")
    biweekly = plan(
        usage_price("api_calls", flat("0.001")),
        key="biweekly",
        interval=BillingInterval.BIWEEKLY,
        anchor=BillingAnchor.FIRST_OF_MONTH,
    )
    euro = plan(usage_price("api_calls", flat("0.005")), key="euro", unit=PricingUnit("EUR", 2))
    usage = UsageProjection.constant(UsageSnapshot((MetricUsage("api_calls", D(1000)),)))
    ranked = rank_plans([dear, biweekly, cheap, euro], usage, 12, START)
    # 1,000 calls a month for 12 months: $120.00 and $240.00.
    assert [(r.rank, r.plan_key, r.total) for r in ranked.ranked] == [
        (1, "cheap", D("120.00")),
        (2, "dear", D("240.00")),
    ]
    assert [(u.index, u.plan_key, u.error.code, u.error.field) for u in ranked.unrated] == [
        (1, "biweekly", "INVALID_PLAN", "billing_anchor"),
        (3, "euro", "CURRENCY_MISMATCH", "pricing_unit"),
    ]
    # compare_plans keeps raising the first problem.
    with pytest.raises(InvalidPlan):
        compare_plans([dear, biweekly, cheap], usage, 12, START)
    # A transaction count is usage the FLAT plans cannot price; the DYNAMIC one ranks.
    cost_plan = plan(usage_price("api_calls", dynamic("0")), key="cost-plus")
    counts = UsageProjection.constant(counted("api_calls", 100, "0.05"))
    ranked = rank_plans([cheap, cost_plan], counts, 2, START)
    assert [(r.plan_key, r.total) for r in ranked.ranked] == [("cost-plus", D("10.00"))]
    assert [(u.plan_key, u.error.code) for u in ranked.unrated] == [("cheap", "INVALID_USAGE")]


# --- item 4: one set of plan checks --------------------------------------------------------


def test_biweekly_on_the_first_of_the_month_is_a_plan_problem() -> None:
    p = plan(
        usage_price("api_calls", flat("0.01")),
        interval=BillingInterval.BIWEEKLY,
        anchor=BillingAnchor.FIRST_OF_MONTH,
    )
    assert [(x.path, x.code) for x in check_plan(p)] == [(("billing_anchor",), "INVALID_VALUE")]
    with pytest.raises(InvalidPlan) as refused:
        preview_invoice(p, ContractTerms(START), UsageSnapshot(), 0)
    assert refused.value.field == "billing_anchor"


def test_event_rates_with_conversion_or_free_units_are_a_plan_problem() -> None:
    p = plan(usage_price("llm_cost", dynamic("20"), free_units=D(10)))
    assert [(x.path, x.code) for x in check_plan(p)] == [
        (("ramps", 0, "prices", 0, "usage", "free_units"), "INVALID_VALUE")
    ]


# --- item 5: one currency table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "decimals", "total"),
    [("HUF", 2, "1234.57"), ("IDR", 2, "1234.57"), ("COP", 2, "1234.57"), ("IQD", 3, "1234.568")],
)
def test_codes_cldr_disagrees_on_are_priced_with_iso_minor_units(
    code: str, decimals: int, total: str
) -> None:
    p = plan(usage_price("x", flat("1234.5678")), unit=PricingUnit(code, decimals))
    assert check_plan(p) == ()
    assert preview_invoice(
        p, ContractTerms(START), UsageSnapshot((MetricUsage("x", D(1)),)), 0
    ).total == Decimal(total)
    wrong = plan(usage_price("x", flat("1")), unit=PricingUnit(code, 0))
    assert [(x.path, x.code) for x in check_plan(wrong)] == [
        (("pricing_unit", "decimals"), "INVALID_VALUE")
    ]


def test_withdrawn_and_unknown_codes_are_not_currencies() -> None:
    for code in ("ITL", "HRK", "XAU", "ABC"):
        p = plan(usage_price("x", flat("1")), unit=PricingUnit(code, 2))
        assert [(x.path, x.code) for x in check_plan(p)] == [
            (("pricing_unit", "code"), "UNKNOWN_CURRENCY")
        ], code


# --- item 5: credit amounts in minor units, no zero breakage rows --------------------------


def test_credit_amounts_have_the_units_minor_units_and_no_zero_breakage() -> None:
    p = plan(usage_price("api_calls", flat("1")))
    grant = CreditGrant("welcome", D("30"), "USD", START, date(2024, 3, 1))
    terms = ContractTerms(START, credit_grants=(grant,))
    usage = UsageProjection.constant(UsageSnapshot((MetricUsage("api_calls", D("12.5")),)))
    q = quote(p, terms, usage, 3)
    # $12.50 a month against $30: 12.50 (left 17.50), 12.50 (left 5.00), nothing in March
    # (expired Mar 1 with $5.00 left).
    applied = [[(str(a.amount), str(a.remaining)) for a in i.credits_applied] for i in q.invoices]
    assert applied == [[("12.50", "17.50")], [("12.50", "5.00")], []]
    assert [[(b.grant_key, str(b.amount)) for b in i.breakage] for i in q.invoices] == [
        [],
        [("welcome", "5.00")],
        [],
    ]
    [summary] = q.credits
    assert [str(x) for x in (summary.granted, summary.used, summary.expired)] == [
        "30.00",
        "25.00",
        "5.00",
    ]
    # Used up before it expires: the grant closes without a "0.00" breakage row.
    heavy = UsageProjection.constant(UsageSnapshot((MetricUsage("api_calls", D("20")),)))
    q = quote(p, terms, heavy, 3)
    assert [i.breakage for i in q.invoices] == [(), (), ()]
    assert str(q.breakage) == "0.00"


# --- item 6: the plan's invoice display name -----------------------------------------------


def test_previews_carry_the_plans_invoice_display_name() -> None:
    p = plan(usage_price("api_calls", flat("1")))
    inv = preview_invoice(p, ContractTerms(START), UsageSnapshot(), 0)
    assert inv.plan_display_name == p.display_name
