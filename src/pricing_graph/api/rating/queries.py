"""Rating queries: invoice previews, upcoming invoices, usage against limits, cost estimates.

Each resolver gathers values through `service` and lets the rating core do the pricing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

import strawberry

from pricing_graph.api.catalog.inputs import DimensionValueInput
from pricing_graph.api.catalog.queries import argument_id
from pricing_graph.api.catalog.types import ContextInfo
from pricing_graph.api.errors import ErrorCode, PublicError
from pricing_graph.api.rating.service import (
    ContractRating,
    invoices,
    invoices_through,
    load_rating,
    period_usage,
    with_extra_usage,
)
from pricing_graph.api.rating.types import CostEstimate, InvoicePreview, UsageStatus
from pricing_graph.rating import BillingState, RatingError, models, preview_invoice
from pricing_graph.rating import InvoicePreview as RatedInvoice
from pricing_graph.rating.usage import Group, UsageSnapshot, group_of
from pricing_graph.store.contracts import ContractRow

MAX_UPCOMING = 24
HUNDRED = Decimal(100)


class HasContractRow(Protocol):
    row: ContractRow


def _refusal(error: RatingError, field: str) -> PublicError:
    try:
        code = ErrorCode(error.code)
    except ValueError:
        code = ErrorCode.INVALID_VALUE
    return PublicError(code, field, error.message)


async def _rating(info: ContextInfo, contract_id: int) -> ContractRating:
    record = await info.context.loaders.contract_record_by_id.load(contract_id)
    if record is None:
        raise PublicError(ErrorCode.NOT_FOUND, "contractId", "no such contract")
    return await load_rating(info.context, record)


def _index(rating: ContractRating, period_index: int | None, on: date | None) -> int:
    if period_index is not None:
        return period_index
    if on is not None:
        return rating.calendar.index_of(on)
    return rating.current_index()


async def invoice_preview(
    root: HasContractRow,
    info: ContextInfo,
    period_index: int | None = None,
    date: date | None = None,
) -> InvoicePreview:
    """The invoice for one period from the usage ingested so far."""
    rating = await _rating(info, root.row.id or 0)
    try:
        last = _index(rating, period_index, date)
        return InvoicePreview.of((await invoices_through(info.context, rating, last))[-1])
    except RatingError as refused:
        raise _refusal(refused, "periodIndex" if date is None else "date") from None


async def upcoming_invoices(
    root: HasContractRow, info: ContextInfo, count: int = 3
) -> list[InvoicePreview]:
    """The current period's invoice and the ones after it (fewer if the contract ends)."""
    if not 1 <= count <= MAX_UPCOMING:
        raise PublicError(ErrorCode.INVALID_VALUE, "count", f"must be 1 to {MAX_UPCOMING}")
    rating = await _rating(info, root.row.id or 0)
    first = rating.current_index()
    total = rating.calendar.period_count()
    last = first + count - 1 if total is None else min(first + count, total) - 1
    try:
        rated = await invoices_through(info.context, rating, last)
    except RatingError as refused:
        raise _refusal(refused, "count") from None
    return [InvoicePreview.of(invoice) for invoice in rated[first:]]


async def usage_status(root: HasContractRow, info: ContextInfo) -> list[UsageStatus]:
    """Each limited metric's use this period, and the plan to upgrade to when at a limit."""
    loaders = info.context.loaders
    rating = await _rating(info, root.row.id or 0)
    period = rating.calendar.period(rating.current_index())
    plan_id = rating.record.plan_id_on(period.start)
    [snapshot] = await period_usage(info.context, rating, [period])
    used = _used_by_metric(snapshot, rating)
    limits = await loaders.usage_limits_by_plan_id.load(plan_id)
    metric_rows = await loaders.metric_by_id.load_many([limit.metric_id for limit in limits])
    plan_row = rating.plans[plan_id].row
    upgrade = await _next_plan_up(info, plan_row.product_id, plan_row.tier_rank, used)
    statuses = []
    for limit, metric in zip(limits, metric_rows, strict=True):
        assert metric is not None
        amount = used.get(metric.key, Decimal(0))
        cap = limit.limit_quantity
        at_limit = cap is not None and amount >= cap
        statuses.append(
            UsageStatus(
                metric_key=metric.key,
                used=amount,
                limit=cap,
                percent_of_limit=(amount * HUNDRED / cap).quantize(Decimal("0.01"))
                if cap
                else None,
                next_plan_key=upgrade if at_limit else None,
            )
        )
    return statuses


def _used_by_metric(snapshot: UsageSnapshot, rating: ContractRating) -> dict[str, Decimal]:
    metrics = {m.key: m for m in rating.metrics()[0].values()}
    used: dict[str, Decimal] = {}
    for entry in snapshot.usage:
        metric = metrics.get(entry.metric_key)
        previous = used.get(entry.metric_key)
        if previous is None:
            used[entry.metric_key] = entry.quantity
        elif metric is not None and metric.aggregation is models.Aggregation.MAX:
            used[entry.metric_key] = max(previous, entry.quantity)
        else:
            used[entry.metric_key] = previous + entry.quantity
    return used


async def _next_plan_up(
    info: ContextInfo, product_id: int, tier_rank: int, used: dict[str, Decimal]
) -> str | None:
    loaders = info.context.loaders
    candidates = [
        plan
        for plan in await loaders.plans_by_product_id.load(product_id)
        if plan.status == "PUBLISHED" and plan.visibility == "PUBLIC" and plan.tier_rank > tier_rank
    ]
    for plan in sorted(candidates, key=lambda p: p.tier_rank):
        limits = await loaders.usage_limits_by_plan_id.load(plan.id or 0)
        metrics = await loaders.metric_by_id.load_many([limit.metric_id for limit in limits])
        fits = all(
            limit.limit_quantity is None or used.get(metric.key, Decimal(0)) <= limit.limit_quantity
            for limit, metric in zip(limits, metrics, strict=True)
            if metric is not None
        )
        if fits:
            key: str = plan.key
            return key
    return None


def _unpriced(invoice: RatedInvoice, metric_key: str, group: Group) -> Decimal:
    return sum(
        (u.quantity for u in invoice.unpriced if u.metric_key == metric_key and u.group == group),
        Decimal(0),
    )


@strawberry.type
class RatingQuery:
    @strawberry.field(
        description="The marginal cost of the next usage given this period's usage so far: "
        "what this request will cost."
    )
    async def estimate_cost(
        self,
        info: ContextInfo,
        contract_id: strawberry.ID,
        metric_key: str,
        quantity: Decimal,
        dimensions: list[DimensionValueInput] | None = None,
    ) -> CostEstimate:
        if quantity < 0:
            raise PublicError(ErrorCode.NEGATIVE_VALUE, "quantity", "must be 0 or more")
        rating = await _rating(info, argument_id(contract_id, "Contract", "contractId")[1])
        metric = next((m for m in rating.metrics()[0].values() if m.key == metric_key), None)
        if metric is None:
            raise PublicError(
                ErrorCode.UNKNOWN_METRIC, "metricKey", f"the plan prices no metric {metric_key!r}"
            )
        index = rating.current_index()
        periods = [rating.calendar.period(i) for i in range(index + 1)]
        try:
            usage = await period_usage(info.context, rating, periods)
            before = invoices(rating, periods, usage)
            state = before[-2].closing_state if len(before) > 1 else BillingState()
            group = group_of({d.name: d.value for d in dimensions or ()})
            period = periods[-1]
            after = preview_invoice(
                rating.plan_for(period),
                rating.terms_for(period),
                with_extra_usage(usage[-1], metric, group, quantity),
                index,
                state,
            )
        except RatingError as refused:
            raise _refusal(refused, "dimensions") from None
        if _unpriced(after, metric_key, group) > _unpriced(before[-1], metric_key, group):
            shown = ", ".join(f"{k}: {v}" for k, v in group) or "no dimensions"
            raise PublicError(
                ErrorCode.INVALID_USAGE,
                "dimensions",
                f"no rate prices {metric_key} usage with {shown}: the plan's rate card has no "
                "entry for it and no default rate",
            )
        return CostEstimate(
            period_index=index,
            pricing_unit=after.pricing_unit,
            amount=after.subtotal - before[-1].subtotal,
            total_before=before[-1].total,
            total_after=after.total,
        )
