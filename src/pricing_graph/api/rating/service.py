"""Rate a stored contract: fetch its plans, terms and aggregated usage, then compute.

All pricing happens in `rating/`; this module only gathers the values it needs. Billing
state (credit balances, commitment spend, a capped trial) carries from one period to the
next, so period N is computed by walking periods 0..N with `preview_invoice`, each with the
plan version and settings in force on the period's first day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from pricing_graph.api.context import Context
from pricing_graph.rating import (
    BillingState,
    ContractTerms,
    InvoicePreview,
    MetricUsage,
    UsageSnapshot,
    models,
    preview_invoice,
)
from pricing_graph.rating.calendar import BillingCalendar, Period
from pricing_graph.rating.models import ZERO
from pricing_graph.rating.usage import Group
from pricing_graph.store.catalog_repo import LoadedPlan
from pricing_graph.store.contracts_repo import ContractRecord, to_terms
from pricing_graph.store.usage_repo import UsageRequest

DETAIL_MODELS = (models.PricingModel.PERCENTAGE, models.PricingModel.DYNAMIC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ContractRating:
    """A contract with everything the rating core needs, loaded once per request."""

    record: ContractRecord
    plans: dict[int, LoadedPlan]
    calendar: BillingCalendar
    terms_by_settings: dict[int | None, ContractTerms]

    def plan_for(self, period: Period) -> models.Plan:
        return self.plans[self.record.plan_id_on(period.start)].plan

    def terms_for(self, period: Period) -> ContractTerms:
        return self.terms_by_settings[self.record.settings_on(period.start).id]

    def current_index(self, today: date | None = None) -> int:
        """The period containing `today`, clipped to the contract's first and last."""
        day = today or datetime.now(UTC).date()
        if day < self.record.contract.start_date:
            return 0
        end = self.record.contract.end_date
        if end is not None and day >= end:
            count = self.calendar.period_count()
            return max(0, (count or 1) - 1)
        return self.calendar.index_of(day)

    def metrics(self) -> tuple[dict[int, models.Metric], set[int]]:
        """Every metric a used plan version prices, and those needing per-event values."""
        metrics: dict[int, models.Metric] = {}
        detail: set[int] = set()
        for loaded in self.plans.values():
            for ramp in loaded.plan.ramps:
                for price in ramp.prices:
                    if not isinstance(price, models.UsagePrice):
                        continue
                    metric_id = loaded.metric_ids[price.metric.key]
                    metrics[metric_id] = price.metric
                    rates = [price.rate] if price.rate else []
                    rates += [entry.rate for entry in price.dimension_rates]
                    if any(rate.model in DETAIL_MODELS for rate in rates):
                        detail.add(metric_id)
        return metrics, detail


async def load_rating(context: Context, record: ContractRecord) -> ContractRating:
    plan_ids = sorted({p.plan_id for p in record.plans})
    loaded = await context.loaders.domain_plan_by_id.load_many(plan_ids)
    plans = {plan_id: plan for plan_id, plan in zip(plan_ids, loaded, strict=True) if plan}
    contract = record.contract
    calendar = BillingCalendar(
        contract.start_date,
        contract.end_date,
        models.BillingInterval(contract.billing_interval),
        models.BillingAnchor(contract.billing_anchor),
    )
    # One terms object per settings version: the rating core caches its compiled form.
    terms = {s.id: to_terms(contract, s, record) for s in record.settings}
    return ContractRating(record, plans, calendar, terms)


async def period_usage(
    context: Context, rating: ContractRating, periods: Sequence[Period]
) -> list[UsageSnapshot]:
    metrics, detail = rating.metrics()
    request = UsageRequest(
        customer_id=rating.record.contract.customer_id,
        metrics=tuple(sorted(metrics.items())),
        periods=tuple((_midnight(p.start), _midnight(p.end)) for p in periods),
        detail_metric_ids=frozenset(detail),
    )
    return await context.loaders.usage_by_request.load(request)


def invoices(
    rating: ContractRating, periods: Sequence[Period], usage: Sequence[UsageSnapshot]
) -> list[InvoicePreview]:
    """Periods 0..N in order, each handed the closing state of the one before."""
    state = BillingState()
    result = []
    for period, snapshot in zip(periods, usage, strict=True):
        preview = preview_invoice(
            rating.plan_for(period), rating.terms_for(period), snapshot, period.index, state
        )
        state = preview.closing_state
        result.append(preview)
    return result


async def invoices_through(
    context: Context, rating: ContractRating, last: int
) -> list[InvoicePreview]:
    periods = [rating.calendar.period(i) for i in range(last + 1)]
    return invoices(rating, periods, await period_usage(context, rating, periods))


def with_extra_usage(
    snapshot: UsageSnapshot, metric: models.Metric, group: Group, quantity: Decimal
) -> UsageSnapshot:
    """`snapshot` as if one more event of `quantity` arrived in `group`: added for SUM,
    COUNT and UNIQUE_COUNT (a new value), the new maximum for MAX, the new value for
    LATEST; per-event prices (PERCENTAGE, DYNAMIC) also see it as one more transaction."""
    usage = list(snapshot.usage)
    found = next(
        (i for i, e in enumerate(usage) if e.metric_key == metric.key and e.group == group), None
    )
    old = usage[found] if found is not None else MetricUsage(metric.key, ZERO, group)
    if metric.aggregation is models.Aggregation.MAX:
        total = max(old.quantity, quantity)
    elif metric.aggregation is models.Aggregation.LATEST:
        total = quantity
    else:
        total = old.quantity + quantity
    new = replace(
        old,
        quantity=total,
        transactions=(*old.transactions, quantity),
        event_costs=(*old.event_costs, quantity),
    )
    if found is None:
        usage.append(new)
    else:
        usage[found] = new
    return UsageSnapshot(tuple(usage))
