"""Invoice timing: when each part of a period's charges is invoiced.

A period's `InvoicePreview` holds everything the period costs. It is invoiced in parts,
as Stripe, Orb and Lago issue invoices:

- in-advance lines (IN_ADVANCE fixed fees, prepaid commitment purchases) on the period's
  first day: the contract's first invoice, issued on its start date, carries the first
  period's in-advance fees and the prepaid commitments' invoice amounts;
- everything else (usage, in-arrears fees, composites, minimum and commitment true-ups) on
  the period's last day (its exclusive end);
- a line with `issued_on` (a seat added mid-period, the proration lines of a plan change)
  on that day.

An invoice issued at a period boundary therefore carries the ending period's in-arrears
charges and the starting period's in-advance charges (`issued_invoices`). Credits burn in
the order the parts are issued (the in-advance part first); the trial credit offsets the
usage it is computed from, on the in-arrears part. Due = issued + the payment terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .invoice import TRIAL_KEY, InvoiceLine, InvoicePreview
from .models import ZERO


@dataclass(frozen=True, slots=True)
class InvoicePart:
    """The lines of one period invoiced on one day, and what they come to in `currency`
    after the credits they burn."""

    period_index: int
    period_start: date
    period_end: date
    issue_date: date
    due_date: date  # issue date + the payment terms
    in_advance: bool  # issued before the period's end
    lines: tuple[InvoiceLine, ...]  # charges in the pricing unit, then currency lines
    credits: Decimal  # in the pricing unit
    total: Decimal  # in the currency
    discounts: Decimal = ZERO  # the period's discounts this part takes, in the pricing unit


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    """One invoice document: every part issued on `issue_date`, oldest period first."""

    issue_date: date
    due_date: date
    currency: str
    parts: tuple[InvoicePart, ...]
    total: Decimal


def line_date(invoice: InvoicePreview, line: InvoiceLine) -> date:
    if line.issued_on is not None:
        return line.issued_on
    return invoice.period.start if line.in_advance else invoice.period.end


def split(invoice: InvoicePreview) -> tuple[InvoicePart, ...]:
    """The parts of one period's invoice, by issue date; their totals sum to its total.
    The period's discounts come off its parts in date order, each part's charges at most
    (so an in-advance fee's document carries the discount and none goes below zero), then
    the credits."""
    period = invoice.period
    end = period.end
    charges: dict[date, list[InvoiceLine]] = {}
    for line in invoice.lines:
        charges.setdefault(line_date(invoice, line), []).append(line)
    for line in invoice.minimum_true_ups:
        charges.setdefault(end, []).append(line)
    currency: dict[date, list[InvoiceLine]] = {}
    for line in invoice.currency_lines:
        if line.price_key is None:  # the custom unit's overage: split below
            continue
        currency.setdefault(line_date(invoice, line), []).append(line)
    days = sorted(set(charges) | set(currency) | {end})
    trial = sum((a.amount for a in invoice.credits_applied if a.grant_key == TRIAL_KEY), ZERO)
    credits_left = invoice.credits_total - trial
    is_custom = invoice.pricing_unit != invoice.currency
    overage = next((x for x in invoice.currency_lines if x.price_key is None), None)
    discounts_left = invoice.discounts_total
    parts: list[InvoicePart] = []
    issued = ZERO
    for day in days:
        lines = charges.get(day, [])
        amount = sum((line.amount for line in lines), ZERO)
        off = discounts_left if day == end else min(discounts_left, max(amount, ZERO))
        discounts_left -= off
        amount -= off
        if day == end:
            credit = credits_left + trial
        else:
            credit = min(credits_left, amount) if amount > ZERO else ZERO
            credits_left -= credit
        due = amount - credit
        extra = currency.get(day, [])
        if is_custom:
            if day == end:
                total = invoice.total - issued
            else:
                rate = overage.unit_price if overage is not None else None
                converted = ZERO if rate is None or due == ZERO else due * rate
                if overage is not None:
                    converted = converted.quantize(overage.amount)
                total = converted + sum((x.amount for x in extra), ZERO)
        elif day == end:
            total = invoice.total - issued
        else:
            total = due + sum((x.amount for x in extra), ZERO)
        issued += total
        if not lines and not extra and day == end and total == ZERO and len(days) > 1:
            continue  # nothing is invoiced at the end of an all-in-advance period
        parts.append(
            InvoicePart(
                period_index=period.index,
                period_start=period.start,
                period_end=period.end,
                issue_date=day,
                due_date=day + (invoice.due_date - invoice.issue_date),
                in_advance=day < end,
                lines=tuple(lines)
                + tuple(extra)
                + ((overage,) if overage is not None and day == end else ()),
                credits=credit,
                total=total,
                discounts=off,
            )
        )
    return tuple(parts)


def issued_invoices(invoices: Sequence[InvoicePreview]) -> tuple[IssuedInvoice, ...]:
    """The invoice documents of consecutive periods' invoices, by issue date. The last
    period's in-advance parts of the period after it are not included (it was not asked
    for), so the documents sum to the periods' totals."""
    by_day: dict[date, list[InvoicePart]] = {}
    terms: dict[date, tuple[int, str]] = {}
    for invoice in invoices:
        net = (invoice.due_date - invoice.issue_date).days
        for part in split(invoice):
            by_day.setdefault(part.issue_date, []).append(part)
            terms.setdefault(part.issue_date, (net, invoice.currency))
    out = []
    for day in sorted(by_day):
        parts = by_day[day]
        net, currency = terms[day]
        out.append(
            IssuedInvoice(
                issue_date=day,
                due_date=day + timedelta(days=net),
                currency=currency,
                parts=tuple(parts),
                total=sum((p.total for p in parts), ZERO),
            )
        )
    return tuple(out)
