"""Property tests (hypothesis). Each property names what it checks; each can fail."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing_graph.rating import (
    AdjustmentKind,
    ContractTerms,
    CreditGrant,
    MetricUsage,
    PriceAdjustment,
    UsageProjection,
    UsageSnapshot,
    preview_invoice,
    quote,
)
from pricing_graph.rating.models import (
    BillingAnchor,
    BillingInterval,
    CompositeKind,
    CompositePrice,
    FixedPrice,
    Plan,
    PricingModel,
    PricingUnit,
    Rate,
    RoundingMode,
    Tier,
    UsagePrice,
)
from pricing_graph.rating.pricing import price_quantity

from .factories import metric, plan

FAST = settings(max_examples=80, deadline=None)

money = st.decimals(min_value=0, max_value=500, places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(
    min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False
)
UNITS = [PricingUnit("USD", 2), PricingUnit("JPY", 0), PricingUnit("KWD", 3)]
START = date(2024, 1, 31)


@st.composite
def tier_tables(draw: st.DrawFn, max_tiers: int = 4) -> tuple[Tier, ...]:
    n = draw(st.integers(1, max_tiers))
    bounds = sorted(draw(st.sets(st.integers(1, 10_000), min_size=n - 1, max_size=n - 1)))
    ups: list[Decimal | None] = [Decimal(b) for b in bounds] + [None]
    return tuple(Tier(up, draw(money), draw(money)) for up in ups)


@st.composite
def rates(draw: st.DrawFn) -> Rate:
    model = draw(st.sampled_from(list(PricingModel)))
    if model is PricingModel.FLAT:
        return Rate(model, unit_price=draw(money))
    if model in (PricingModel.TIERED, PricingModel.VOLUME):
        return Rate(model, tiers=draw(tier_tables()))
    if model is PricingModel.PACKAGE:
        return Rate(
            model, package_size=Decimal(draw(st.integers(1, 100))), package_price=draw(money)
        )
    if model is PricingModel.PERCENTAGE:
        low = draw(st.none() | money)
        high = None if low is None else low + draw(money)
        return Rate(
            model,
            rate_percent=draw(money) / 10,
            fixed_fee_per_event=draw(money) / 100,
            min_per_event=low,
            max_per_event=high,
            free_amount=draw(money),
        )
    return Rate(model, markup_percent=draw(money) / 5)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    n = draw(st.integers(1, 3))
    prices: list[UsagePrice | FixedPrice | CompositePrice] = [
        UsagePrice(f"p{i}", f"p{i}", f"Price {i}", metric(f"m{i}"), draw(rates())) for i in range(n)
    ]
    if draw(st.booleans()):
        prices.append(FixedPrice("base", "base", "Base", draw(money)))
    if draw(st.booleans()):
        prices.append(FixedPrice("promo", "promo", "Promo", -draw(money), is_discount=True))
    if draw(st.booleans()):
        prices.append(
            CompositePrice(
                "pct",
                "pct",
                "Uplift",
                CompositeKind.PERCENTAGE,
                draw(st.decimals(-100, 50, places=2)),
                ("p0",),
            )
        )
    if draw(st.booleans()):
        prices.append(
            CompositePrice("min", "min", "Minimum", CompositeKind.MINIMUM, draw(money), ("p0",))
        )
    return plan(
        *prices,
        unit=draw(st.sampled_from(UNITS)),
        rounding=draw(st.sampled_from(list(RoundingMode))),
        minimum=draw(st.none() | money),
        interval=draw(st.sampled_from([BillingInterval.MONTHLY, BillingInterval.BIWEEKLY])),
    )


@st.composite
def usage_for(draw: st.DrawFn, p: Plan) -> UsageSnapshot:
    out = []
    for price in p.ramps[0].prices:
        if not isinstance(price, UsagePrice):
            continue
        assert price.rate is not None
        key = price.metric.key
        if price.rate.model is PricingModel.PERCENTAGE:
            txs = tuple(draw(st.lists(money, max_size=5)))
            out.append(MetricUsage(key, sum(txs, Decimal(0)), transactions=txs))
        elif price.rate.model is PricingModel.DYNAMIC:
            costs = tuple(draw(st.lists(money, max_size=5)))
            out.append(MetricUsage(key, Decimal(len(costs)), event_costs=costs))
        else:
            out.append(MetricUsage(key, draw(quantities)))
    return UsageSnapshot(tuple(out))


def minor_ok(amount: Decimal, decimals: int) -> bool:
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent >= -decimals


@FAST
@given(p=plans(), data=st.data())
def test_total_is_the_sum_of_lines_and_amounts_have_minor_digits(p, data):  # type: ignore[no-untyped-def]
    inv = preview_invoice(p, ContractTerms(START), data.draw(usage_for(p)), 0)
    assert inv.subtotal == sum((line.amount for line in inv.lines), Decimal(0))
    assert inv.total == (
        inv.subtotal
        + sum((t.amount for t in inv.minimum_true_ups), Decimal(0))
        - inv.credits_total
        + sum((line.amount for line in inv.currency_lines), Decimal(0))
    )
    decimals = p.pricing_unit.decimals
    for line in (*inv.lines, *inv.minimum_true_ups):
        assert minor_ok(line.amount, decimals), line
    assert minor_ok(inv.total, decimals)


@FAST
@given(p=plans(), data=st.data(), grant=money)
def test_no_total_below_zero(p, data, grant):  # type: ignore[no-untyped-def]
    terms = ContractTerms(
        START, credit_grants=(CreditGrant("g", grant, p.pricing_unit.code, START),)
    )
    inv = preview_invoice(p, terms, data.draw(usage_for(p)), 0)
    assert inv.total >= 0
    assert inv.amount_due_in_unit >= 0
    assert inv.subtotal >= 0


@FAST
@given(q=quantities, price=money, fee=money)
def test_graduated_and_volume_agree_with_one_tier(q, price, fee):  # type: ignore[no-untyped-def]
    table = (Tier(None, price, fee),)
    graduated = price_quantity(Rate(PricingModel.TIERED, tiers=table), q)
    volume = price_quantity(Rate(PricingModel.VOLUME, tiers=table), q)
    assert graduated.amount == volume.amount == q * price + fee


@FAST
@given(table=tier_tables(5), a=quantities, b=quantities)
def test_graduated_is_monotone_for_non_negative_prices(table, a, b):  # type: ignore[no-untyped-def]
    rate = Rate(PricingModel.TIERED, tiers=table)
    lo, hi = sorted((a, b))
    assert price_quantity(rate, lo).amount <= price_quantity(rate, hi).amount
    breakdown = price_quantity(rate, hi)
    assert sum((t.quantity for t in breakdown.tiers), Decimal(0)) == hi
    assert sum((t.amount for t in breakdown.tiers), Decimal(0)) == breakdown.amount


@FAST
@given(p=plans(), data=st.data())
def test_percent_adjustment_of_zero_changes_nothing(p, data):  # type: ignore[no-untyped-def]
    usage = data.draw(usage_for(p))
    keys = [price.key for price in p.ramps[0].prices]
    zero = ContractTerms(
        START,
        adjustments=tuple(PriceAdjustment(k, AdjustmentKind.PERCENT, Decimal(0)) for k in keys),
    )
    plain = preview_invoice(p, ContractTerms(START), usage, 0)
    adjusted = preview_invoice(p, zero, usage, 0)
    assert adjusted.lines == plain.lines
    assert adjusted.total == plain.total


@FAST
@given(
    p=plans(),
    data=st.data(),
    grants=st.lists(
        st.tuples(money, st.integers(0, 2), st.none() | st.integers(1, 120)), max_size=4
    ),
    periods=st.integers(1, 6),
)
def test_credits_used_remaining_expired_add_up_to_granted(p, data, grants, periods):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    specs = tuple(
        CreditGrant(
            f"g{i}",
            amount,
            p.pricing_unit.code,
            START,
            None if days is None else START + timedelta(days=days),
            priority=prio,
        )
        for i, (amount, prio, days) in enumerate(grants)
    )
    q = quote(
        p,
        ContractTerms(START, credit_grants=specs),
        UsageProjection.constant(data.draw(usage_for(p))),
        periods,
    )
    for s in q.credits:
        assert s.used + s.remaining + s.expired == s.granted
        assert min(s.used, s.remaining, s.expired) >= 0
    applied = sum(
        (a.amount for inv in q.invoices for a in inv.credits_applied if a.grant_key != "trial"),
        Decimal(0),
    )
    assert applied == q.credits_used
    assert all(inv.total >= 0 for inv in q.invoices)


@FAST
@given(
    amount=money,
    qty=st.integers(0, 20),
    start=st.dates(date(2023, 1, 1), date(2026, 12, 31)),
    interval=st.sampled_from(list(BillingInterval)),
)
def test_prorating_a_full_period_changes_nothing(amount, qty, start, interval):  # type: ignore[no-untyped-def]
    def fee(prorate: bool) -> Decimal:
        p = plan(
            FixedPrice("base", "base", "Base", amount, Decimal(qty), prorate=prorate),
            interval=interval,
            anchor=BillingAnchor.CONTRACT_START,
        )
        return preview_invoice(p, ContractTerms(start), UsageSnapshot(), 1).total

    assert fee(True) == fee(False)
    expected = (amount * qty).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert fee(True) == expected


@settings(max_examples=40, deadline=None)
@given(p=plans(), data=st.data(), grant=money, periods=st.integers(1, 6))
def test_splitting_a_quote_into_periods_sums_to_the_quote_total(p, data, grant, periods):  # type: ignore[no-untyped-def]
    terms = ContractTerms(
        START, credit_grants=(CreditGrant("g", grant, p.pricing_unit.code, START),)
    )
    snapshots = tuple(data.draw(usage_for(p)) for _ in range(periods))
    q = quote(p, terms, UsageProjection(per_period=snapshots), periods)
    state = None
    totals = []
    for i, snapshot in enumerate(snapshots):
        inv = preview_invoice(p, terms, snapshot, i, state)
        state = inv.closing_state
        totals.append(inv.total)
    assert totals == [inv.total for inv in q.invoices]
    assert sum(totals, Decimal(0)) == q.total
