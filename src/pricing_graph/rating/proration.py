"""Changes inside a billing period: seat (quantity) changes and plan changes.

Quantity changes (Metronome's rule). A QUANTITY adjustment of a RECURRING fixed price whose
`effective_from` (or `effective_until`) falls inside a period changes the quantity from that
day. Units added are charged `amount * added * days left / period days` on their own line:
issued on the day of the change when the fee is IN_ADVANCE (an immediate adjustment), on
the period's invoice when IN_ARREARS. Units removed are not credited in that period; the
next period bills the new quantity. The period's high-water mark is what was paid for:
removing a seat and adding it back in the same period costs nothing more.

Plan changes (Orb's and Lago's rule). A change on a period's first day needs no proration:
the period is rated by the new plan. A change on any other day `d` splits the period at
`d`: `[start, d)` is rated by the old plan and `[d, end)` by the new one, each with the
usage of its own days. Tiers and free units are NOT prorated: each side is priced as its
own partial period, so the new plan's tiers and free units start again at the change (as
Lago's upgrade, which ends the old subscription and starts a new one). Fixed fees prorate
by days on both sides: the old in-advance fee, invoiced in full on the period's first day,
is credited for the unused days (a negative line issued on `d`) and the new in-advance fee
is charged for the days left (issued on `d`); in-arrears fees are simply prorated. Credits
and commitments are the contract's, so they carry over: balances flow from the old side to
the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, localcontext

from .calendar import Period
from .charges import fixed_charge
from .compiled import CompiledContract, compile_contract, list_contract
from .credits import BillingState
from .errors import InvalidUsage, PeriodOutOfRange
from .invoice import InvoiceLine, InvoicePreview, LineKind, rate_period
from .models import ZERO, Plan
from .money import RATING_CONTEXT, quantum
from .quote import Quote, _quote
from .terms import ContractTerms
from .usage import UsageProjection, UsageSnapshot


@dataclass(frozen=True, slots=True)
class Segment:
    """Days `[start, end)` of one period rated by `plan` with `terms`, and their usage."""

    plan: Plan
    terms: ContractTerms
    start: date
    end: date
    usage: UsageSnapshot


def rate_split_period(
    segments: Sequence[Segment], index: int, state: BillingState | None
) -> InvoicePreview:
    """Period `index` rated in segments (a plan change inside it), as one period invoice
    with the new plan's key. With one segment it is `preview_invoice`."""
    with localcontext(RATING_CONTEXT):
        compiled = [(compile_contract(s.plan, s.terms), s) for s in segments]
        if len(segments) == 1:
            return rate_period(compiled[0][0], segments[0].usage, index, state)
        return _rate_segments(compiled, index, state)


def _rate_segments(
    compiled: Sequence[tuple[CompiledContract, Segment]], index: int, state: BillingState | None
) -> InvoicePreview:
    rated: list[InvoicePreview] = []
    for n, (c, seg) in enumerate(compiled):
        if state is not None and n > 0:
            state = replace(state, next_period=index)
        inv = rate_period(c, seg.usage, index, state, within=(seg.start, seg.end))
        state = inv.closing_state
        rated.append(_reissued(c, seg, inv, n, index))
    last = compiled[-1][0]
    return _merged(rated, last.calendar.period(index), last)


def _reissued(
    c: CompiledContract, seg: Segment, inv: InvoicePreview, n: int, index: int
) -> InvoicePreview:
    """In-advance fees as they are invoiced: the first segment's in full on the period's
    first day plus a credit for the unused days on the change day; a later segment's for
    its days on the day it starts."""
    full = c.calendar.period(index)
    lines: list[InvoiceLine] = []
    for line in inv.lines:
        if not line.in_advance or line.kind is not LineKind.FIXED or line.issued_on:
            lines.append(line)
            continue
        if n > 0:
            lines.append(line._replace(issued_on=seg.start))
            continue
        ramp = c.ramp(inv.ramp_index, full.start)
        fp = next(f for f in ramp.fixed if f.key == line.price_key)
        is_last = c.terms.end is not None and full.end == c.terms.end
        charged = fixed_charge(c, fp, full, is_last)
        if charged is None or not fp.prorate:
            lines.append(line)
            continue
        whole = charged.quantize(c.quantum, rounding=c.rounding)
        lines.append(line._replace(amount=whole))
        lines.append(
            InvoiceLine(
                LineKind.FIXED,
                f"Unused {line.description} {seg.end.isoformat()} - "
                f"{(full.end - timedelta(days=1)).isoformat()}",
                line.price_key,
                line.quantity,
                line.unit_price,
                line.amount - whole,
                line.pricing_unit,
                in_advance=True,
                issued_on=seg.end,
            )
        )
    return replace(inv, lines=tuple(lines))


def _merged(parts: list[InvoicePreview], period: Period, last: CompiledContract) -> InvoicePreview:
    head = parts[-1]
    zero = ZERO.quantize(last.quantum)

    def total(name: str) -> Decimal:
        return sum((getattr(p, name) for p in parts), zero)

    issue = period.end
    return replace(
        head,
        period=period,
        trial_days=sum(p.trial_days for p in parts),
        issue_date=issue,
        due_date=issue + timedelta(days=last.net_payment_days),
        lines=tuple(line for p in parts for line in p.lines),
        subtotal=total("subtotal"),
        minimum_true_ups=tuple(t for p in parts for t in p.minimum_true_ups),
        discounts=tuple(d for p in parts for d in p.discounts),
        discounts_total=total("discounts_total"),
        credits_applied=tuple(a for p in parts for a in p.credits_applied),
        credits_total=total("credits_total"),
        amount_due_in_unit=total("amount_due_in_unit"),
        currency_lines=tuple(x for p in parts for x in p.currency_lines),
        total=sum((p.total for p in parts), ZERO.quantize(quantum(last.currency_decimals))),
        unpriced=tuple(u for p in parts for u in p.unpriced),
        breakage=tuple(b for p in parts for b in p.breakage),
    )


def _spread(snapshot: UsageSnapshot, days: int, of: int) -> UsageSnapshot:
    """`days` of `of` of a projected period's usage: quantities and transaction counts
    spread evenly over the period's days (single transactions and event costs stay whole,
    on the segment that has the most days)."""
    share = Decimal(days) / Decimal(of)
    keep = days * 2 >= of
    return UsageSnapshot(
        tuple(
            replace(
                u,
                quantity=u.quantity * share,
                transaction_count=None
                if u.transaction_count is None
                else int((u.transaction_count * share).to_integral_value()),
                transactions=u.transactions if keep else (),
                event_costs=u.event_costs if keep else (),
            )
            for u in snapshot.usage
        )
    )


def quote_with_change(
    plan: Plan,
    new_plan: Plan,
    terms: ContractTerms,
    usage: UsageProjection,
    periods: int,
    effective: date,
) -> Quote:
    """`quote` for a deal that moves from `plan` to `new_plan` on `effective` (a prospect's
    upgrade path): periods before by `plan`, after by `new_plan`, the period containing the
    day split (`rate_split_period`), its projected usage spread evenly over its days. The
    list-price total rates the same path without the contract's pricing terms."""
    with localcontext(RATING_CONTEXT):
        return _changed_quote(plan, new_plan, terms, usage, periods, effective)


def _changed_quote(
    plan: Plan,
    new_plan: Plan,
    terms: ContractTerms,
    usage: UsageProjection,
    periods: int,
    effective: date,
) -> Quote:
    old = compile_contract(plan, terms)
    new = compile_contract(new_plan, terms)

    def run(a: CompiledContract, b: CompiledContract) -> tuple[InvoicePreview, ...]:
        if periods < 1:
            raise PeriodOutOfRange("periods", f"a quote covers at least one period, got {periods}")
        state: BillingState | None = None
        out: list[InvoicePreview] = []
        for i in range(periods):
            period = a.calendar.period(i)
            snapshot = usage.for_period(i)
            if snapshot is None:
                raise InvalidUsage(
                    f"usage_projection.per_period[{i}]", "no usage for this period and no base"
                )
            if effective <= period.start:
                inv = rate_period(b, snapshot, i, state)
            elif effective >= period.end:
                inv = rate_period(a, snapshot, i, state)
            else:
                before = (effective - period.start).days
                segments = [
                    (
                        a,
                        Segment(
                            a.plan,
                            a.terms,
                            period.start,
                            effective,
                            _spread(snapshot, before, period.days),
                        ),
                    ),
                    (
                        b,
                        Segment(
                            b.plan,
                            b.terms,
                            effective,
                            period.end,
                            _spread(snapshot, period.days - before, period.days),
                        ),
                    ),
                ]
                inv = _rate_segments(segments, i, state)
            state = inv.closing_state
            out.append(inv)
        return tuple(out)

    invoices = run(old, new)
    listed = run(list_contract(old), list_contract(new))
    list_total = sum((inv.total for inv in listed), ZERO)
    quoted = _quote(new, usage, periods, list_total, invoices)
    return quoted
