"""Multi-period quotes and plan comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from .compiled import CompiledContract, compile_contract, list_contract
from .credits import INITIAL_STATE
from .errors import CurrencyMismatch, InvalidUsage, PeriodOutOfRange, RatingError
from .invoice import TRIAL_KEY, InvoicePreview, LineKind, rate_period
from .models import ZERO, Plan
from .money import RATING_CONTEXT, quantum
from .terms import ContractTerms
from .usage import MetricUsage, UsageProjection, UsageSnapshot
from .validate import index_usage


@dataclass(frozen=True, slots=True)
class CreditSummary:
    """One grant over the quote: `granted = used + expired + remaining`."""

    grant_key: str
    granted: Decimal
    used: Decimal
    expired: Decimal
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """Period invoices over a term. Amounts in `currency` except the credit figures, which
    are in `pricing_unit`. `list_price_total` rates the same usage and calendar without the
    contract's adjustments, credits, commitments and trial/minimum overrides;
    `saving = list_price_total - total` (negative when the contract costs more)."""

    plan_key: str
    plan_version: int
    currency: str
    pricing_unit: str
    invoices: tuple[InvoicePreview, ...]
    total: Decimal
    credits: tuple[CreditSummary, ...]
    credits_used: Decimal
    trial_credit: Decimal
    breakage: Decimal
    list_price_total: Decimal
    saving: Decimal
    discounts_total: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PlanRanking:
    rank: int
    plan_key: str
    plan_version: int
    total: Decimal
    quote: Quote


@dataclass(frozen=True, slots=True)
class UnratedPlan:
    """A plan `rank_plans` could not rate for the usage profile, and why: `error.code`,
    `error.field` (a path in the plan, or in the usage projection) and `error.message`.
    `index` is the plan's position in the plans given."""

    index: int
    plan_key: str
    plan_version: int
    error: RatingError


@dataclass(frozen=True, slots=True)
class PlanRankings:
    """Every plan that could be rated, cheapest first, and every plan that could not."""

    ranked: tuple[PlanRanking, ...]
    unrated: tuple[UnratedPlan, ...]


def _run(c: CompiledContract, usage: UsageProjection, periods: int) -> tuple[InvoicePreview, ...]:
    if periods < 1:
        raise PeriodOutOfRange("periods", f"a quote covers at least one period, got {periods}")
    count = c.calendar.period_count()
    if count is not None and periods > count:
        raise PeriodOutOfRange(
            "periods", f"the contract has {count} billing periods, {periods} were asked for"
        )
    state = INITIAL_STATE
    out: list[InvoicePreview] = []
    indexed: dict[int, tuple[UsageSnapshot, dict[str, list[MetricUsage]]]] = {}
    for i in range(periods):
        snapshot = usage.for_period(i)
        if snapshot is None:
            raise InvalidUsage(
                f"usage_projection.per_period[{i}]", "no usage for this period and no base"
            )
        hit = indexed.get(id(snapshot))
        if hit is None or hit[0] is not snapshot:
            by_metric = index_usage(snapshot, c.metrics, f"usage_projection.per_period[{i}]")
            indexed[id(snapshot)] = (snapshot, by_metric)
        else:
            by_metric = hit[1]
        inv = rate_period(c, snapshot, i, state, by_metric=by_metric)
        state = inv.closing_state
        out.append(inv)
    return tuple(out)


def _total(invoices: Sequence[InvoicePreview]) -> Decimal:
    total = ZERO
    for inv in invoices:
        total += inv.total
    return total


def _quote(
    c: CompiledContract,
    usage: UsageProjection,
    periods: int,
    list_total: Decimal | None,
    rated: tuple[InvoicePreview, ...] | None = None,
) -> Quote:
    """`rated`: the invoices when rated elsewhere (a plan change: `rating.proration`)."""
    invoices = rated if rated is not None else _run(c, usage, periods)
    total = _total(invoices)
    if list_total is None:
        lc = list_contract(c)
        o = c.terms.overrides
        if lc is c:
            list_total = total
        elif (
            not c.terms.adjustments
            and not c.terms.discounts
            and o.trial is None
            and o.invoice_minimum is None
        ):
            # Same prices, calendar, minimums and trial: the list-price invoices have the
            # same lines; only credits and commitments differ. Settle the lines again.
            list_total = ZERO
            for inv in invoices:
                list_total += _list_price_total(c, inv)
        else:
            list_total = _total(_run(lc, usage, periods))
    # Sums start at the unit's zero ("0.00" in USD), so an empty or exhausted one reads
    # like an amount.
    zero = ZERO.quantize(c.quantum)
    used: dict[str, Decimal] = {}
    trial = zero
    for inv in invoices:
        for app in inv.credits_applied:
            if app.grant_key == TRIAL_KEY:
                trial += app.amount
            else:
                used[app.grant_key] = used.get(app.grant_key, ZERO) + app.amount
    last_end = invoices[-1].period.end
    final = invoices[-1].closing_state
    expired = dict(final.expired)
    summaries: list[CreditSummary] = []
    for g in c.grants:
        if g.effective >= last_end:
            continue
        u = zero + used.get(g.key, ZERO)
        x = zero + expired.get(g.key, ZERO)
        left = final.remaining_of(g.key)
        remaining = zero + (g.amount if left is None else left)
        summaries.append(CreditSummary(g.key, g.amount, u, x, remaining))
    credits_used = sum((s.used for s in summaries), zero)
    breakage = sum((s.expired for s in summaries), zero)
    return Quote(
        plan_key=c.plan.key,
        plan_version=c.plan.version,
        currency=c.currency,
        pricing_unit=c.unit_code,
        invoices=invoices,
        total=total,
        credits=tuple(summaries),
        credits_used=credits_used,
        trial_credit=trial,
        breakage=breakage,
        list_price_total=list_total,
        saving=list_total - total,
        discounts_total=sum((inv.discounts_total for inv in invoices), zero),
    )


def _list_price_total(c: CompiledContract, inv: InvoicePreview) -> Decimal:
    """What `inv` would total without credit grants and commitments."""
    due = inv.subtotal
    for t in inv.minimum_true_ups:
        if t.kind is LineKind.MINIMUM or t.kind is LineKind.INVOICE_MINIMUM:
            due += t.amount
    for app in inv.credits_applied:
        if app.grant_key == TRIAL_KEY:
            due -= app.amount
    if not c.is_custom:
        return due
    if due == ZERO:
        return ZERO
    assert c.overage_rate is not None
    return (due * c.overage_rate).quantize(quantum(c.currency_decimals), rounding=c.rounding)


def quote(
    plan: Plan, terms: ContractTerms, usage_projection: UsageProjection, periods: int
) -> Quote:
    """Rate `periods` consecutive periods from the contract's first, carrying credit
    balances, commitment spend and trial cap from one period to the next."""
    with localcontext(RATING_CONTEXT):
        return _quote(compile_contract(plan, terms), usage_projection, periods, None)


#: One list-price ContractTerms per start date, so compiled plans are reused across calls.
_LIST_TERMS: dict[date, ContractTerms] = {}


def compare_plans(
    plans: Sequence[Plan],
    usage_projection: UsageProjection,
    periods: int,
    start: date,
) -> tuple[PlanRanking, ...]:
    """Rank plans (at list price, from `start`) by their quote total for one usage
    profile: cheapest first; ties keep the order given. All plans must invoice in the
    same currency. Metrics a plan does not price are ignored for that plan. The first plan
    that cannot be rated raises its error (`rank_plans` reports it and ranks the rest)."""
    rankings = rank_plans(plans, usage_projection, periods, start)
    if rankings.unrated:
        first = rankings.unrated[0]
        if isinstance(first.error, CurrencyMismatch):
            raise CurrencyMismatch(f"plans[{first.index}].{first.error.field}", first.error.message)
        raise first.error
    return rankings.ranked


TOO_LARGE = "the amounts are too large to price exactly"


def rank_plans(
    plans: Sequence[Plan],
    usage_projection: UsageProjection,
    periods: int,
    start: date,
) -> PlanRankings:
    """`compare_plans` that ranks every plan it can and reports each plan it cannot, with
    its error: an invalid plan (say BIWEEKLY periods on the first of the month), usage the
    plan cannot price (a transaction count for a FLAT price), a period count beyond its
    term, or a plan invoicing in another currency than the first plan that could be rated
    (`CurrencyMismatch` on `pricing_unit`)."""
    if not plans:
        return PlanRankings((), ())
    with localcontext(RATING_CONTEXT):
        terms = _LIST_TERMS.get(start)
        if terms is None:
            if len(_LIST_TERMS) > 64:
                _LIST_TERMS.clear()
            terms = _LIST_TERMS[start] = ContractTerms(start=start)
        quotes: list[Quote] = []
        unrated: list[UnratedPlan] = []
        currency: str | None = None
        for i, plan in enumerate(plans):
            try:
                c = compile_contract(plan, terms)
                if currency is not None and c.currency != currency:
                    raise CurrencyMismatch(
                        "pricing_unit",
                        f"plan {plan.key!r} invoices in {c.currency}, the plans ranked "
                        f"before it in {currency}",
                    )
                projection = _restrict(usage_projection, c.metrics)
                quotes.append(_quote(c, projection, periods, None))
            except RatingError as error:
                unrated.append(UnratedPlan(i, plan.key, plan.version, error))
                continue
            except ArithmeticError:
                unrated.append(
                    UnratedPlan(i, plan.key, plan.version, InvalidUsage("usage", TOO_LARGE))
                )
                continue
            currency = c.currency
        order = sorted(range(len(quotes)), key=lambda i: quotes[i].total)
        ranked = tuple(
            PlanRanking(
                rank + 1, quotes[i].plan_key, quotes[i].plan_version, quotes[i].total, quotes[i]
            )
            for rank, i in enumerate(order)
        )
        return PlanRankings(ranked, tuple(unrated))


def _restrict(usage: UsageProjection, metrics: frozenset[str]) -> UsageProjection:
    def keep(s: UsageSnapshot | None) -> UsageSnapshot | None:
        if s is None:
            return None
        if all(u.metric_key in metrics for u in s.usage):
            return s
        return UsageSnapshot(tuple(u for u in s.usage if u.metric_key in metrics))

    return UsageProjection(keep(usage.base), tuple(keep(s) for s in usage.per_period))
