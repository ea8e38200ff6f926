"""Entitlements: what a customer's contracts let it use, read in a few small statements.

A plan's entitlements are its boolean features (`plan.feature_entitlements`, JSON: key and
display name) and its metered limits (`plan_usage_limit`: metric, quantity per billing
period, HARD or SOFT). A contract may override either (`contract_entitlement`, one row per
contract and key, replaced by each override; `contract_amendment` keeps the history).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import UniqueConstraint, and_, or_, select
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.models import Aggregation, Metric
from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import MetricRow, PlanRow, ProductRow, UsageLimitRow
from pricing_graph.store.contracts import ContractPlanRow, ContractRow, CustomerRow, _fk
from pricing_graph.store.types import ExactDecimal

FEATURE = "FEATURE"
LIMIT = "LIMIT"


class ContractEntitlementRow(SQLModel, table=True):
    """A contract's override of one entitlement: a feature (`kind` FEATURE, `key` the
    feature key, `enabled`) or a metered limit (`kind` LIMIT, `key` the metric key,
    `limit_quantity` null = unlimited, `enforcement`)."""

    __tablename__ = "contract_entitlement"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    kind: str = Field(max_length=10)
    key: str = Field(max_length=100)
    enabled: bool | None = None
    limit_quantity: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    enforcement: str | None = Field(default=None, max_length=10)
    created_revision: int


CONTRACTS = ContractRow.__table__  # type: ignore[attr-defined]
CONTRACT_PLANS = ContractPlanRow.__table__  # type: ignore[attr-defined]
CUSTOMERS = CustomerRow.__table__  # type: ignore[attr-defined]
PLANS = PlanRow.__table__  # type: ignore[attr-defined]
PRODUCTS = ProductRow.__table__  # type: ignore[attr-defined]
LIMITS = UsageLimitRow.__table__  # type: ignore[attr-defined]
METRICS = MetricRow.__table__  # type: ignore[attr-defined]
OVERRIDES = ContractEntitlementRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ActiveContract:
    """A contract in force on a day, with the plan version it is on that day."""

    contract_id: int
    customer_id: int
    product_id: int
    start_date: date
    end_date: date | None
    billing_interval: str
    billing_anchor: str
    plan_id: int


@dataclass(frozen=True, slots=True)
class PlanLimit:
    metric_id: int
    metric: Metric
    limit: Decimal | None
    enforcement: str


@dataclass(frozen=True, slots=True)
class PlanEntitlements:
    """A plan version's features and metered limits, with what an upgrade prompt needs."""

    plan_id: int
    key: str
    name: str
    product_id: int
    product_key: str
    tier_rank: int
    features: tuple[tuple[str, str], ...]  # (key, display name)
    limits: tuple[PlanLimit, ...]


@dataclass(frozen=True, slots=True)
class Override:
    kind: str
    key: str
    enabled: bool | None
    limit: Decimal | None
    enforcement: str | None


async def customer_by_external_id(session: AsyncSession, external_id: str) -> CustomerRow | None:
    found = (
        await (await session.connection()).execute(
            select(CUSTOMERS.c.id, CUSTOMERS.c.partner_owner).where(
                CUSTOMERS.c.external_id == external_id
            )
        )
    ).first()
    if found is None:
        return None
    return CustomerRow(id=found.id, external_id=external_id, name="", partner_owner=found[1])


async def active_contracts(
    session: AsyncSession, customer_ids: Collection[int], on: date
) -> list[ActiveContract]:
    """The customers' contracts covering `on`, each with its plan version on that day; one
    statement (every plan row up to `on`, the latest kept)."""
    if not customer_ids:
        return []
    statement = (
        select(
            CONTRACTS.c.id,
            CONTRACTS.c.customer_id,
            CONTRACTS.c.product_id,
            CONTRACTS.c.start_date,
            CONTRACTS.c.end_date,
            CONTRACTS.c.billing_interval,
            CONTRACTS.c.billing_anchor,
            CONTRACT_PLANS.c.plan_id,
            CONTRACT_PLANS.c.effective_from,
        )
        .join(CONTRACT_PLANS, CONTRACT_PLANS.c.contract_id == CONTRACTS.c.id)
        .where(
            CONTRACTS.c.customer_id.in_(sorted(customer_ids)),
            CONTRACTS.c.start_date <= on,
            or_(CONTRACTS.c.end_date.is_(None), CONTRACTS.c.end_date > on),
            CONTRACT_PLANS.c.effective_from <= on,
        )
        .order_by(CONTRACTS.c.id, CONTRACT_PLANS.c.effective_from)
    )
    latest: dict[int, ActiveContract] = {}
    for row in await (await session.connection()).execute(statement):
        latest[row.id] = ActiveContract(
            row.id,
            row.customer_id,
            row.product_id,
            row.start_date,
            row.end_date,
            row.billing_interval,
            row.billing_anchor,
            row.plan_id,
        )
    return list(latest.values())


async def plan_entitlements(
    session: AsyncSession,
    *,
    plan_ids: Collection[int] = (),
    upgrades_of: tuple[int, int] | None = None,
) -> list[PlanEntitlements]:
    """Plans with their features and limits, in one statement: the given plan versions, or
    (`upgrades_of` = (product id, tier rank)) the product's PUBLISHED PUBLIC plans of a
    higher tier rank, lowest rank first."""
    statement = (
        select(
            PLANS.c.id,
            PLANS.c.key,
            PLANS.c.name,
            PLANS.c.product_id,
            PRODUCTS.c.key.label("product_key"),
            PLANS.c.tier_rank,
            PLANS.c.feature_entitlements,
            METRICS.c.id.label("metric_id"),
            METRICS.c.key.label("metric_key"),
            METRICS.c.name.label("metric_name"),
            METRICS.c.unit_label,
            METRICS.c.aggregation,
            LIMITS.c.limit_quantity,
            LIMITS.c.enforcement,
        )
        .join(PRODUCTS, PRODUCTS.c.id == PLANS.c.product_id)
        .outerjoin(LIMITS, LIMITS.c.plan_id == PLANS.c.id)
        .outerjoin(METRICS, METRICS.c.id == LIMITS.c.metric_id)
        .order_by(PLANS.c.tier_rank, PLANS.c.key, PLANS.c.version, LIMITS.c.position)
    )
    if upgrades_of is not None:
        product_id, tier_rank = upgrades_of
        statement = statement.where(
            and_(
                PLANS.c.product_id == product_id,
                PLANS.c.status == "PUBLISHED",
                PLANS.c.visibility == "PUBLIC",
                PLANS.c.tier_rank > tier_rank,
            )
        )
    elif plan_ids:
        statement = statement.where(PLANS.c.id.in_(sorted(plan_ids)))
    else:
        return []
    plans: dict[int, dict[str, Any]] = {}
    limits: dict[int, list[PlanLimit]] = defaultdict(list)
    for row in await (await session.connection()).execute(statement):
        plans.setdefault(row.id, dict(row._mapping))
        if row.metric_id is not None:
            metric = Metric(
                row.metric_key, row.metric_name, row.unit_label, Aggregation(row.aggregation)
            )
            limits[row.id].append(
                PlanLimit(row.metric_id, metric, row.limit_quantity, row.enforcement)
            )
    return [
        PlanEntitlements(
            plan_id=plan_id,
            key=row["key"],
            name=row["name"],
            product_id=row["product_id"],
            product_key=row["product_key"],
            tier_rank=row["tier_rank"],
            features=tuple(
                (str(item["key"]), str(item["displayName"]))
                for item in row["feature_entitlements"] or ()
            ),
            limits=tuple(limits[plan_id]),
        )
        for plan_id, row in plans.items()
    ]


async def contract_overrides(
    session: AsyncSession, contract_ids: Collection[int]
) -> dict[int, list[Override]]:
    if not contract_ids:
        return {}
    statement = (
        select(OVERRIDES)
        .where(OVERRIDES.c.contract_id.in_(sorted(contract_ids)))
        .order_by(OVERRIDES.c.contract_id, OVERRIDES.c.kind, OVERRIDES.c.key)
    )
    found: dict[int, list[Override]] = defaultdict(list)
    for row in await (await session.connection()).execute(statement):
        found[row.contract_id].append(
            Override(row.kind, row.key, row.enabled, row.limit_quantity, row.enforcement)
        )
    return found


async def metric_by_key(session: AsyncSession, key: str) -> tuple[int, Metric] | None:
    row = (
        await (await session.connection()).execute(
            select(METRICS.c.id, METRICS.c.name, METRICS.c.unit_label, METRICS.c.aggregation).where(
                METRICS.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    return row.id, Metric(key, row.name, row.unit_label, Aggregation(row.aggregation))


async def save_override(
    session: AsyncSession, contract_id: int, override: Override, revision: int
) -> None:
    """Replace the contract's override of this entitlement (the amendment log keeps the
    earlier ones)."""
    existing = (
        await (await session.connection()).execute(
            select(OVERRIDES.c.id).where(
                OVERRIDES.c.contract_id == contract_id,
                OVERRIDES.c.kind == override.kind,
                OVERRIDES.c.key == override.key,
            )
        )
    ).first()
    values = {
        "enabled": override.enabled,
        "limit_quantity": override.limit,
        "enforcement": override.enforcement,
        "created_revision": revision,
    }
    if existing is None:
        await (await session.connection()).execute(
            OVERRIDES.insert().values(
                contract_id=contract_id, kind=override.kind, key=override.key, **values
            )
        )
    else:
        await (await session.connection()).execute(
            OVERRIDES.update().where(OVERRIDES.c.id == existing.id).values(**values)
        )
