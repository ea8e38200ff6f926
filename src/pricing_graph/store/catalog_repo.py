"""Catalog repository: write a whole plan tree, read it back as a domain `Plan`.

Callers own the transaction; these functions only add, flush and select.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.models import (
    CompositePrice,
    FixedPrice,
    Plan,
    Price,
    Ramp,
    Rate,
    UsagePrice,
)
from pricing_graph.store.catalog import (
    MetricRow,
    PlanRow,
    PriceRow,
    ProductRow,
    RampRow,
    RateRow,
    TierRow,
    UsageLimitRow,
)
from pricing_graph.store.mappers import plan_to_domain, price_to_domain


@dataclass(frozen=True, slots=True)
class UsageLimitSpec:
    metric_key: str
    limit_quantity: Decimal | None
    enforcement: str = "HARD"
    rate_limit: int | None = None
    rate_limit_window: str | None = None


@dataclass(frozen=True, slots=True)
class PlanListing:
    """What the pricing page shows about a plan beyond its prices."""

    description: str = ""
    visibility: str = "PUBLIC"
    tier_rank: int = 0
    features: tuple[str, ...] = ()
    usage_limits: tuple[UsageLimitSpec, ...] = field(default=())
    # boolean entitlements: (key, display name)
    feature_entitlements: tuple[tuple[str, str], ...] = ()


async def insert_plan(
    session: AsyncSession,
    *,
    product_id: int,
    plan: Plan,
    listing: PlanListing,
    metric_ids: Mapping[str, int],
    status: str = "DRAFT",
) -> PlanRow:
    row = PlanRow(
        product_id=product_id,
        key=plan.key,
        version=plan.version,
        status=status,
        **plan_settings(plan, listing),
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    await insert_ramps(session, row.id, plan.ramps, metric_ids)
    await replace_usage_limits(session, row.id, listing.usage_limits, metric_ids)
    return row


def plan_settings(plan: Plan, listing: PlanListing) -> dict[str, Any]:
    """The plan row's columns that a plan definition and its listing decide."""
    return {
        "name": plan.name,
        "invoice_display_name": plan.display_name,
        "description": listing.description,
        "visibility": listing.visibility,
        "tier_rank": listing.tier_rank,
        "features": list(listing.features),
        "feature_entitlements": [
            {"key": key, "displayName": name} for key, name in listing.feature_entitlements
        ],
        "billing_interval": plan.billing_interval.value,
        "billing_anchor": plan.billing_anchor.value,
        "pricing_unit_code": plan.pricing_unit.code,
        "pricing_unit_decimals": plan.pricing_unit.decimals,
        "invoice_currency": plan.pricing_unit.invoice_currency,
        "overage_rate": plan.pricing_unit.overage_rate,
        "rounding_mode": plan.rounding_mode.value,
        "trial_days": plan.trial.days if plan.trial else 0,
        "trial_spending_cap": plan.trial.spending_cap if plan.trial else None,
        "net_payment_days": plan.net_payment_days,
    }


async def replace_ramps(
    session: AsyncSession, plan_id: int, ramps: Sequence[Ramp], metric_ids: Mapping[str, int]
) -> None:
    await session.exec(delete(RampRow).where(col(RampRow.plan_id) == plan_id))
    await insert_ramps(session, plan_id, ramps, metric_ids)


async def replace_usage_limits(
    session: AsyncSession,
    plan_id: int,
    limits: Sequence[UsageLimitSpec],
    metric_ids: Mapping[str, int],
) -> None:
    await session.exec(delete(UsageLimitRow).where(col(UsageLimitRow.plan_id) == plan_id))
    session.add_all(
        UsageLimitRow(
            plan_id=plan_id,
            metric_id=metric_ids[limit.metric_key],
            position=position,
            limit_quantity=limit.limit_quantity,
            enforcement=limit.enforcement,
            rate_limit=limit.rate_limit,
            rate_limit_window=limit.rate_limit_window,
        )
        for position, limit in enumerate(limits)
    )
    await session.flush()


async def insert_ramps(
    session: AsyncSession, plan_id: int, ramps: Sequence[Ramp], metric_ids: Mapping[str, int]
) -> None:
    """Insert ramps, prices, rates and tiers with one flush per level."""
    ramp_rows = [
        RampRow(
            plan_id=plan_id,
            position=position,
            duration_periods=ramp.duration_periods,
            invoice_minimum=ramp.invoice_minimum,
        )
        for position, ramp in enumerate(ramps)
    ]
    session.add_all(ramp_rows)
    await session.flush()

    priced: list[tuple[PriceRow, Price]] = []
    for ramp_row, ramp in zip(ramp_rows, ramps, strict=True):
        assert ramp_row.id is not None
        for position, price in enumerate(ramp.prices):
            priced.append((_price_row(ramp_row.id, position, price, metric_ids), price))
    session.add_all(row for row, _ in priced)
    await session.flush()

    rated: list[tuple[RateRow, Rate]] = []
    for price_row, price in priced:
        if not isinstance(price, UsagePrice):
            continue
        assert price_row.id is not None
        entries: list[tuple[tuple[tuple[str, str], ...], Rate]] = []
        if price.rate is not None:
            entries.append(((), price.rate))
        entries.extend((entry.match, entry.rate) for entry in price.dimension_rates)
        for position, (match, rate) in enumerate(entries):
            rated.append((_rate_row(price_row.id, position, match, rate), rate))
    session.add_all(row for row, _ in rated)
    await session.flush()

    tier_rows: list[TierRow] = []
    for rate_row, rate in rated:
        assert rate_row.id is not None
        tier_rows.extend(
            TierRow(
                rate_id=rate_row.id,
                position=position,
                up_to=tier.up_to,
                unit_price=tier.unit_price,
                flat_fee=tier.flat_fee,
            )
            for position, tier in enumerate(rate.tiers)
        )
    session.add_all(tier_rows)
    await session.flush()


def _price_row(
    ramp_id: int, position: int, price: Price, metric_ids: Mapping[str, int]
) -> PriceRow:
    row = PriceRow(
        ramp_id=ramp_id,
        position=position,
        key=price.key,
        kind=price.kind.value,
        name=price.name,
        invoice_display_name=price.display_name,
    )
    if isinstance(price, UsagePrice):
        row.metric_id = metric_ids[price.metric.key]
        row.conversion_factor = price.conversion_factor
        row.conversion_rounding = price.conversion_rounding.value
        row.free_units = price.free_units
    elif isinstance(price, FixedPrice):
        row.amount = price.amount
        row.quantity = price.quantity
        row.cadence = price.cadence.value
        row.every_periods = price.every_periods
        row.timing = price.timing.value
        row.prorate = price.prorate
        row.is_discount = price.is_discount
    elif isinstance(price, CompositePrice):
        row.composite_kind = price.composite.value
        row.composite_value = price.value
        row.composite_price_keys = list(price.price_keys)
        row.quantity = price.quantity
    return row


def _rate_row(
    price_id: int, position: int, match: tuple[tuple[str, str], ...], rate: Rate
) -> RateRow:
    return RateRow(
        price_id=price_id,
        position=position,
        match=[[name, value] for name, value in match],
        model=rate.model.value,
        unit_price=rate.unit_price,
        package_size=rate.package_size,
        package_price=rate.package_price,
        package_rounding=rate.package_rounding.value,
        rate_percent=rate.rate_percent,
        fixed_fee_per_event=rate.fixed_fee_per_event,
        min_per_event=rate.min_per_event,
        max_per_event=rate.max_per_event,
        free_amount=rate.free_amount,
        markup_percent=rate.markup_percent,
        free_events=rate.free_events or None,
    )


@dataclass(frozen=True, slots=True)
class LoadedPlan:
    row: PlanRow
    plan: Plan
    metric_ids: dict[str, int]


async def load_plan(session: AsyncSession, plan_id: int) -> tuple[PlanRow, Plan] | None:
    """One plan as a domain value (see `load_plans`)."""
    loaded = (await load_plans(session_reader(session), [plan_id])).get(plan_id)
    return (loaded.row, loaded.plan) if loaded else None


async def load_plans(read: Reader, plan_ids: Sequence[int]) -> dict[int, LoadedPlan]:
    """Plans as domain values, in six statements however many plans and prices."""
    ids = list(plan_ids)
    if not ids:
        return {}
    found = await read(
        select(PlanRow, ProductRow)
        .join(ProductRow, col(ProductRow.id) == col(PlanRow.product_id))
        .where(col(PlanRow.id).in_(ids))
    )
    ramp_rows = await read(select(RampRow).where(col(RampRow.plan_id).in_(ids)))
    ramp_ids = [r.id for r in ramp_rows]
    price_rows = await read(select(PriceRow).where(col(PriceRow.ramp_id).in_(ramp_ids)))
    metric_ids = {p.metric_id for p in price_rows if p.metric_id is not None}
    metric_rows = await read(select(MetricRow).where(col(MetricRow.id).in_(metric_ids)))
    metrics = {m.id: m for m in metric_rows}
    rate_rows = await read(
        select(RateRow).where(col(RateRow.price_id).in_([p.id for p in price_rows]))
    )
    tier_rows = await read(
        select(TierRow).where(col(TierRow.rate_id).in_([r.id for r in rate_rows]))
    )
    tiers_by_rate = _group(tier_rows, "rate_id")
    rates_by_price: dict[int, list[tuple[RateRow, list[TierRow]]]] = defaultdict(list)
    for rate_row in sorted(rate_rows, key=lambda r: r.position):
        rates_by_price[rate_row.price_id].append((rate_row, tiers_by_rate[rate_row.id or 0]))
    prices_by_ramp = _group(price_rows, "ramp_id")
    ramps_by_plan = _group(ramp_rows, "plan_id")
    loaded: dict[int, LoadedPlan] = {}
    for plan_row, product_row in found:
        ramps = tuple(
            Ramp(
                prices=tuple(
                    price_to_domain(
                        p,
                        metrics.get(p.metric_id) if p.metric_id else None,
                        rates_by_price[p.id or 0],
                    )
                    for p in prices_by_ramp[ramp_row.id or 0]
                ),
                duration_periods=ramp_row.duration_periods,
                invoice_minimum=ramp_row.invoice_minimum,
            )
            for ramp_row in ramps_by_plan[plan_row.id]
        )
        used = {
            p.metric_id
            for ramp_row in ramps_by_plan[plan_row.id]
            for p in prices_by_ramp[ramp_row.id or 0]
            if p.metric_id is not None
        }
        loaded[plan_row.id] = LoadedPlan(
            row=plan_row,
            plan=plan_to_domain(plan_row, product_row.key, ramps),
            metric_ids={metrics[m].key: m for m in used},
        )
    return loaded


Reader = Callable[[Any], Awaitable[Sequence[Any]]]


def session_reader(session: AsyncSession) -> Reader:
    async def read(statement: Any) -> Sequence[Any]:
        rows: Sequence[Any] = (await session.exec(statement)).all()
        return rows

    return read


RowT = TypeVar("RowT")


def _group(rows: Iterable[RowT], attribute: str) -> defaultdict[int, list[RowT]]:
    grouped: defaultdict[int, list[RowT]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: getattr(r, "position", 0)):
        grouped[getattr(row, attribute)].append(row)
    return grouped
