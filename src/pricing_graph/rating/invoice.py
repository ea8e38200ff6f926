"""`preview_invoice`: one billing period's invoice for a plan, contract terms and usage.

Order of operations on one invoice (all amounts in the plan's pricing unit):
 1. usage lines (one per price, or one per dimension group), fixed lines, composite
    PERCENTAGE lines; each line rounded once. Negative lines (discounts) are capped so the
    lines never sum below zero.
 2. minimum true-ups: composite MINIMUMs, then the ramp's invoice minimum.
 2b. discounts (coupons, `discounts.py`): in order, never below zero, one line each.
 3. the trial credit (usage and composite charges of the trial days, up to the cap).
 4. the POSTPAID commitment true-up, on the period that closes the commitment.
 5. credit grants, in burn order, never below zero; expired balances become breakage.
 6. custom pricing units: what is left converts to the invoice currency at the overage
    rate (one line, rounded once); PREPAID commitment purchases are added in the currency.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import NamedTuple

from .calendar import Period
from .charges import fixed_charge, prorated_minimum
from .compiled import CompiledContract, CompiledUsage, Slot, compile_contract
from .credits import (
    INITIAL_STATE,
    BillingState,
    Breakage,
    CreditApplication,
    Ledger,
)
from .discounts import Charge, DiscountApplication, apply_discounts, carries_into
from .errors import InvalidUsage, MissingBillingState
from .models import (
    ONE,
    ZERO,
    ChargeTiming,
    Plan,
    PricingModel,
)
from .money import RATING_CONTEXT, quantum
from .pricing import EVENT_MODELS, TierLine, convert_quantity
from .terms import ContractTerms
from .usage import Group, MetricUsage, UsageSnapshot
from .validate import index_usage

HUNDRED = Decimal(100)
TRIAL_KEY = "trial"


class LineKind(StrEnum):
    USAGE = "USAGE"
    FIXED = "FIXED"
    COMPOSITE = "COMPOSITE"
    MINIMUM = "MINIMUM"
    INVOICE_MINIMUM = "INVOICE_MINIMUM"
    COMMITMENT_TRUE_UP = "COMMITMENT_TRUE_UP"
    PREPAID_COMMITMENT = "PREPAID_COMMITMENT"
    OVERAGE = "OVERAGE"


class InvoiceLine(NamedTuple):
    """One rounded invoice line. `unit_price` is the adjusted unit price (None when no
    single unit price describes the line: graduated tiers, percentage fees). An immutable
    NamedTuple: a preview can hold hundreds of lines."""

    kind: LineKind
    description: str
    price_key: str | None
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    pricing_unit: str
    tiers: tuple[TierLine, ...] = ()
    group: Group = ()
    in_advance: bool = False
    #: When the line is invoiced, if not at the usual time (`rating.timing`): a mid-period
    #: seat or plan change, a prepaid commitment starting inside the period.
    issued_on: date | None = None


USAGE = LineKind.USAGE


@dataclass(frozen=True, slots=True)
class UnpricedUsage:
    """Usage that no rate of `price_key` prices (no rate-card match and no default)."""

    price_key: str
    metric_key: str
    group: Group
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class InvoicePreview:
    """One period's invoice. `plan_display_name` is the plan's invoice display name.

    `lines`, `subtotal`, `minimum_true_ups`, `discounts`, `credits_applied` and
    `amount_due_in_unit` are in `pricing_unit`; `currency_lines` and `total` in `currency`.
    For a currency plan (`pricing_unit == currency`): `total = subtotal +
    sum(minimum_true_ups) - discounts_total - credits_total + sum(currency_lines)`.
    For a custom unit, `currency_lines` holds the overage conversion of
    `amount_due_in_unit` and `total = sum(currency_lines)`.
    """

    plan_key: str
    plan_version: int
    plan_display_name: str
    period: Period
    ramp_index: int
    trial_days: int
    issue_date: date
    due_date: date
    currency: str
    pricing_unit: str
    auto_pay: bool
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    minimum_true_ups: tuple[InvoiceLine, ...]
    credits_applied: tuple[CreditApplication, ...]
    credits_total: Decimal
    amount_due_in_unit: Decimal
    currency_lines: tuple[InvoiceLine, ...]
    total: Decimal
    unpriced: tuple[UnpricedUsage, ...]
    breakage: tuple[Breakage, ...]
    closing_state: BillingState
    discounts: tuple[DiscountApplication, ...] = ()
    discounts_total: Decimal = ZERO


def preview_invoice(
    plan: Plan,
    terms: ContractTerms,
    usage: UsageSnapshot,
    period_index: int,
    state: BillingState | None = None,
) -> InvoicePreview:
    """Price period `period_index` (0 = the contract's first period).

    `state` is the previous period's `closing_state` (credit balances, postpaid spend,
    trial cap used). It may be omitted for period 0, and for later periods when nothing
    carries over; otherwise `MissingBillingState` is raised rather than guessing.
    """
    with localcontext(RATING_CONTEXT):
        return rate_period(compile_contract(plan, terms), usage, period_index, state)


def _needs_state(c: CompiledContract, period: Period) -> bool:
    start = c.terms.start
    for g in c.grants:
        if g.effective < period.start and (g.expires is None or g.expires > start):
            return True
    for pc in c.postpaid:
        s = pc.start or start
        e = pc.end or c.terms.end
        if s < period.start and (e is None or e > period.start):
            return True
    if c.terms.discounts and carries_into(c.terms.discounts, c.calendar, period):
        return True
    return (
        c.trial is not None
        and c.trial.spending_cap is not None
        and c.trial_end is not None
        and c.trial_end > period.start
    )


def _usage_line(
    c: CompiledContract, cu: CompiledUsage, slot: Slot, entry: MetricUsage | None, field: str
) -> InvoiceLine:
    calc = slot.calc
    if calc is not None:
        if entry is None:
            q = ZERO
        else:
            if entry.transaction_count is not None:
                raise _count_on_quantity_price(cu, slot, field)
            q = entry.quantity
            if cu.convert:
                q = convert_quantity(q, cu.factor, cu.conversion_rounding)
            free = cu.free_units
            if free:
                q = q - free if q > free else ZERO
        amount, unit_price, tiers = calc(q)
    else:
        rate = slot.rate
        model = rate.model
        if entry is not None and entry.quantity > ZERO:
            if model is PricingModel.PERCENTAGE and not (
                entry.transactions or entry.transaction_count is not None
            ):
                raise InvalidUsage(
                    f"{field}.transactions",
                    f"{cu.key!r} is a PERCENTAGE price: send each transaction's amount "
                    "(or transaction_count and average_amount), not only a quantity",
                )
            if model is PricingModel.DYNAMIC and not (
                entry.event_costs or entry.transaction_count is not None
            ):
                raise InvalidUsage(
                    f"{field}.event_costs",
                    f"{cu.key!r} is a DYNAMIC price: send each event's cost (or "
                    "transaction_count and average_amount), not only a quantity",
                )
        q, amount, unit_price, tiers = EVENT_MODELS[model](rate, entry)
    return InvoiceLine(
        LineKind.USAGE,
        slot.description,
        cu.key,
        q,
        unit_price,
        amount.quantize(c.quantum, rounding=c.rounding),
        c.unit_code,
        tiers,
        slot.group,
        False,
    )


def _count_on_quantity_price(cu: CompiledUsage, slot: Slot, field: str) -> InvalidUsage:
    """A transaction count and average size price PERCENTAGE and DYNAMIC rates only: on a
    quantity rate they would silently price nothing."""
    return InvalidUsage(
        f"{field}.transaction_count",
        f"{cu.key!r} is a {slot.rate.model.value} price of {cu.metric_key!r}: a transaction "
        "count and average amount price PERCENTAGE and DYNAMIC prices only; send a quantity",
    )


def _cap_negative(lines: list[InvoiceLine], total: Decimal) -> Decimal:
    """Raise negative lines (latest first) toward zero until the lines sum to zero."""
    for i in range(len(lines) - 1, -1, -1):
        if total >= ZERO:
            break
        line = lines[i]
        if line.amount < ZERO:
            lift = min(-line.amount, -total)
            lines[i] = line._replace(amount=line.amount + lift)
            total += lift
    return total


def rate_period(
    c: CompiledContract,
    usage: UsageSnapshot,
    index: int,
    state: BillingState | None,
    field: str = "usage",
    by_metric: dict[str, list[MetricUsage]] | None = None,
    within: tuple[date, date] | None = None,
) -> InvoicePreview:
    """The body of `preview_invoice` (the caller enters `RATING_CONTEXT`). `within`
    rates only those days of the period (a plan change inside it: `rating.proration`)."""
    period = c.calendar.period(index)
    if within is not None:
        period = replace(period, start=max(period.start, within[0]), end=min(period.end, within[1]))
    if state is None:
        if index > 0 and _needs_state(c, period):
            raise MissingBillingState(
                "state",
                f"period {index} follows periods with credits, a postpaid commitment or a "
                f"capped trial; pass the closing_state of period {index - 1} (or use quote)",
            )
        state = replace(INITIAL_STATE, next_period=index)
    elif state.next_period != index:
        raise MissingBillingState(
            "state.next_period",
            f"the state is for period {state.next_period}, not period {index}",
        )
    terms = c.terms
    is_last = terms.end is not None and period.end == terms.end
    trial_days = c.trial_days_in(period)
    ramp_index = c.ramp_index(period, trial_days > 0)
    ramp = c.ramp(ramp_index, period.start)
    if by_metric is None:
        by_metric = index_usage(usage, c.metrics, field)
    unit = c.unit_code
    q_unit = quantum(c.decimals)
    rounding = c.rounding

    lines: list[InvoiceLine] = []
    unpriced: list[UnpricedUsage] = []
    for cu in ramp.usage:
        entries = by_metric.get(cu.metric_key)
        mfield = field
        if not cu.dims:
            slot = cu.resolve(())
            assert slot is not None
            entry = cu.combine(entries, mfield) if entries else None
            lines.append(_usage_line(c, cu, slot, entry, mfield))
            continue
        if not entries:
            if cu.rate is not None:
                slot = cu.resolve(())
                assert slot is not None
                lines.append(_usage_line(c, cu, slot, None, mfield))
            continue
        convert = cu.convert
        free = cu.free_units
        key = cu.key
        for e in entries:
            slot = cu.resolve(e.group)
            if slot is None:
                unpriced.append(UnpricedUsage(key, cu.metric_key, e.group, e.quantity))
                continue
            calc = slot.calc
            if calc is None:
                lines.append(_usage_line(c, cu, slot, e, mfield))
                continue
            if e.transaction_count is not None:
                raise _count_on_quantity_price(cu, slot, mfield)
            q = e.quantity
            if convert:
                q = convert_quantity(q, cu.factor, cu.conversion_rounding)
            if free:
                q = q - free if q > free else ZERO
            amount, unit_price, tiers = calc(q)
            lines.append(
                InvoiceLine(
                    USAGE,
                    slot.description,
                    key,
                    q,
                    unit_price,
                    amount.quantize(q_unit, rounding=rounding),
                    unit,
                    tiers,
                    slot.group,
                    False,
                )
            )

    for fp in ramp.fixed:
        fixed = fixed_charge(c, fp, period, is_last)
        if fixed is None:
            continue
        lines.append(
            InvoiceLine(
                LineKind.FIXED,
                fp.display_name,
                fp.key,
                fp.quantity,
                fp.amount,
                fixed.quantize(q_unit, rounding=rounding),
                unit,
                in_advance=fp.timing is ChargeTiming.IN_ADVANCE,
            )
        )

    if c.terms.adjustments:
        from .seats import seat_lines  # seats builds InvoiceLines: imported late

        lines.extend(seat_lines(c, ramp_index, ramp, period))

    by_key: dict[str, Decimal] = {}
    if ramp.composites_pct or ramp.composites_min:
        for line in lines:
            k = line.price_key
            assert k is not None
            by_key[k] = by_key.get(k, ZERO) + line.amount
    for comp in ramp.composites_pct:
        base = ZERO
        for k in comp.price_keys:
            base += by_key.get(k, ZERO)
        multiplier = comp.value * comp.quantity / HUNDRED
        amount = (base * multiplier).quantize(q_unit, rounding=rounding)
        by_key[comp.key] = amount
        lines.append(
            InvoiceLine(
                LineKind.COMPOSITE, comp.display_name, comp.key, base, multiplier, amount, unit
            )
        )

    # Sums start at the unit's zero ("0.00" in USD), so an empty sum reads like an amount.
    zero_unit = ZERO.quantize(q_unit)
    subtotal = zero_unit
    for line in lines:
        subtotal += line.amount
    if subtotal < ZERO:
        subtotal = _cap_negative(lines, subtotal)
        by_key = {}
        for line in lines:
            k = line.price_key
            assert k is not None
            by_key[k] = by_key.get(k, ZERO) + line.amount

    true_ups: list[InvoiceLine] = []
    charges = subtotal
    for comp in ramp.composites_min:
        target = prorated_minimum(c, comp.value * comp.quantity, period).quantize(
            q_unit, rounding=rounding
        )
        base = ZERO
        for k in comp.price_keys:
            base += by_key.get(k, ZERO)
        if base < target:
            gap = target - base
            charges += gap
            true_ups.append(
                InvoiceLine(LineKind.MINIMUM, comp.display_name, comp.key, ONE, gap, gap, unit)
            )
    if ramp.invoice_minimum is not None:
        target = prorated_minimum(c, ramp.invoice_minimum, period).quantize(
            q_unit, rounding=rounding
        )
        if charges < target:
            gap = target - charges
            charges = target
            true_ups.append(
                InvoiceLine(LineKind.INVOICE_MINIMUM, "Invoice minimum", None, ONE, gap, gap, unit)
            )

    discounts: list[DiscountApplication] = []
    discounts_total = zero_unit
    discount_left = dict(state.discount_left)
    if terms.discounts:
        bases = [Charge(line.price_key, line.amount) for line in lines]
        bases += [Charge(t.price_key, t.amount) for t in true_ups]
        discounts = apply_discounts(
            terms.discounts, c.calendar, period, bases, discount_left, q_unit, rounding
        )
        for d in discounts:
            discounts_total += d.amount

    ledger = Ledger(state)
    applied: list[CreditApplication] = []
    net = charges - discounts_total
    if trial_days and net > ZERO:
        base = ZERO
        for line in lines:
            if line.kind is LineKind.USAGE or line.kind is LineKind.COMPOSITE:
                base += line.amount
        credit = (base * trial_days / period.days).quantize(q_unit, rounding=rounding)
        credit = min(credit, net)
        cap = c.trial.spending_cap if c.trial is not None else None
        if cap is not None:
            credit = min(credit, cap - ledger.trial_used)
        if credit > ZERO:
            ledger.trial_used += credit
            net -= credit
            left = None if cap is None else cap - ledger.trial_used
            applied.append(CreditApplication(TRIAL_KEY, "Trial", credit, left))

    product = c.plan.product_key
    for pc in c.postpaid:
        if pc.product_keys and product not in pc.product_keys:
            continue
        c_start = pc.start or terms.start
        c_end = pc.end or terms.end
        assert c_end is not None
        if terms.end is not None and terms.end < c_end:
            c_end = terms.end
        if not (period.start < c_end and period.end > c_start):
            continue
        spend = ledger.spend.get(pc.key, ZERO) + net
        ledger.spend[pc.key] = spend
        if period.start < c_end <= period.end:
            shortfall = (pc.amount - spend).quantize(q_unit, rounding=rounding)
            if shortfall > ZERO:
                net += shortfall
                true_ups.append(
                    InvoiceLine(
                        LineKind.COMMITMENT_TRUE_UP,
                        f"Commitment true-up {pc.key}",
                        pc.key,
                        ONE,
                        shortfall,
                        shortfall,
                        unit,
                    )
                )

    if c.grants:
        applied.extend(ledger.burn(c.grants, net, period.start, period.end, product))
    credits_total = zero_unit
    for app in applied:
        credits_total += app.amount
    due_in_unit = subtotal
    for t in true_ups:
        due_in_unit += t.amount
    due_in_unit -= discounts_total + credits_total
    breakage = ledger.expire(c.grants, period.end) if c.grants else []

    closing = ledger.state(index + 1)
    all_advance = all(line.in_advance for line in lines) and not true_ups
    currency_lines: list[InvoiceLine] = []
    q_cur = quantum(c.currency_decimals)
    if c.is_custom and due_in_unit != ZERO:
        overage_rate = c.overage_rate
        assert overage_rate is not None
        currency_lines.append(
            InvoiceLine(
                LineKind.OVERAGE,
                f"{unit} overage at {overage_rate} {c.currency}",
                None,
                due_in_unit,
                overage_rate,
                (due_in_unit * overage_rate).quantize(q_cur, rounding=rounding),
                c.currency,
                in_advance=all_advance and bool(lines),
            )
        )
    for pp in c.prepaid:
        pp_start = pp.start or terms.start
        if period.start <= pp_start < period.end:
            amount = pp.amount.quantize(q_cur, rounding=rounding)
            currency_lines.append(
                InvoiceLine(
                    LineKind.PREPAID_COMMITMENT,
                    f"Prepaid commitment {pp.key}",
                    pp.key,
                    ONE,
                    pp.amount,
                    amount,
                    c.currency,
                    in_advance=True,
                    issued_on=pp_start if pp_start != period.start else None,
                )
            )
    total = ZERO.quantize(q_cur) if c.is_custom else due_in_unit
    for line in currency_lines:
        total += line.amount
    in_advance = all_advance and all(line.in_advance for line in currency_lines)
    issue = period.start if in_advance and (lines or currency_lines) else period.end
    return InvoicePreview(
        plan_key=c.plan.key,
        plan_version=c.plan.version,
        plan_display_name=c.plan.display_name,
        period=period,
        ramp_index=ramp_index,
        trial_days=trial_days,
        issue_date=issue,
        due_date=issue + timedelta(days=c.net_payment_days),
        currency=c.currency,
        pricing_unit=unit,
        auto_pay=c.auto_pay,
        lines=tuple(lines),
        subtotal=subtotal,
        minimum_true_ups=tuple(true_ups),
        credits_applied=tuple(applied),
        credits_total=credits_total,
        amount_due_in_unit=due_in_unit,
        currency_lines=tuple(currency_lines),
        total=total,
        unpriced=tuple(unpriced),
        breakage=tuple(breakage),
        closing_state=replace(closing, discount_left=tuple(discount_left.items()))
        if discount_left
        else closing,
        discounts=tuple(discounts),
        discounts_total=discounts_total,
    )
