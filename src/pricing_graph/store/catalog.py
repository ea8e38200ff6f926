"""Catalog tables: product -> plan -> pricing_ramp -> price -> price_rate -> price_tier.

Enum-valued columns hold the enum's name as a short string; the enums live in
`rating.models`, which is the vocabulary every layer shares.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.types import ExactDecimal, UtcDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
        )
    )


def _decimal(*, nullable: bool = True, default: Decimal | None = None) -> Any:
    return Field(default=default, sa_type=ExactDecimal, nullable=nullable)


def _json() -> Any:
    return Field(default_factory=list, sa_type=JSON, nullable=False)


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


def _optional_created_at() -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class ProductRow(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    archived: bool = False
    created_at: datetime = _created_at()


class MetricRow(SQLModel, table=True):
    __tablename__ = "billable_metric"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    unit_label: str = Field(max_length=50)
    aggregation: str = Field(max_length=20)
    event_property: str | None = Field(default=None, max_length=100)
    dimensions: list[str] = _json()
    created_at: datetime = _created_at()


class PlanRow(SQLModel, table=True):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = _fk("product.id")
    key: str = Field(max_length=100)
    version: int = 1
    name: str = Field(max_length=200)
    invoice_display_name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    status: str = Field(default="DRAFT", max_length=20, index=True)
    visibility: str = Field(default="PUBLIC", max_length=20)
    tier_rank: int = 0
    billing_interval: str = Field(max_length=20)
    billing_anchor: str = Field(max_length=20)
    pricing_unit_code: str = Field(max_length=20)
    pricing_unit_decimals: int
    invoice_currency: str | None = Field(default=None, max_length=3)
    overage_rate: Decimal | None = _decimal()
    rounding_mode: str = Field(default="HALF_UP", max_length=20)
    trial_days: int = 0
    trial_spending_cap: Decimal | None = _decimal()
    net_payment_days: int = 30
    features: list[str] = _json()
    created_at: datetime = _created_at()
    # Boolean features a contract on this plan is entitled to: [{"key", "displayName"}]
    feature_entitlements: list[dict[str, str]] = _json()
    published_at: datetime | None = _optional_created_at()


class UsageLimitRow(SQLModel, table=True):
    __tablename__ = "plan_usage_limit"
    __table_args__ = (UniqueConstraint("plan_id", "metric_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = _fk("plan.id")
    metric_id: int = _fk("billable_metric.id")
    position: int
    limit_quantity: Decimal | None = _decimal()
    enforcement: str = Field(default="HARD", max_length=10)
    rate_limit: int | None = None
    rate_limit_window: str | None = Field(default=None, max_length=10)


class RampRow(SQLModel, table=True):
    __tablename__ = "pricing_ramp"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = _fk("plan.id")
    position: int
    duration_periods: int | None = None
    invoice_minimum: Decimal | None = _decimal()


class PriceRow(SQLModel, table=True):
    """One row per price; which columns are set depends on `kind` (USAGE, FIXED, COMPOSITE)."""

    __tablename__ = "price"
    __table_args__ = (UniqueConstraint("ramp_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    ramp_id: int = _fk("pricing_ramp.id")
    position: int
    key: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    name: str = Field(max_length=200)
    invoice_display_name: str = Field(max_length=200)
    # USAGE
    metric_id: int | None = _fk("billable_metric.id", nullable=True)
    conversion_factor: Decimal | None = _decimal()
    conversion_rounding: str | None = Field(default=None, max_length=10)
    free_units: Decimal | None = _decimal()
    # FIXED
    amount: Decimal | None = _decimal()
    quantity: Decimal | None = _decimal()
    cadence: str | None = Field(default=None, max_length=20)
    every_periods: int | None = None
    timing: str | None = Field(default=None, max_length=20)
    prorate: bool | None = None
    is_discount: bool | None = None
    # COMPOSITE (quantity is shared with FIXED)
    composite_kind: str | None = Field(default=None, max_length=20)
    composite_value: Decimal | None = _decimal()
    composite_price_keys: list[str] = _json()


class RateRow(SQLModel, table=True):
    """A usage price's rate: the default (`match` empty) or a rate-card entry."""

    __tablename__ = "price_rate"
    __table_args__ = (UniqueConstraint("price_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    price_id: int = _fk("price.id")
    position: int
    match: list[list[str]] = _json()
    model: str = Field(max_length=20)
    unit_price: Decimal | None = _decimal()
    package_size: Decimal | None = _decimal()
    package_price: Decimal | None = _decimal()
    package_rounding: str | None = Field(default=None, max_length=10)
    rate_percent: Decimal | None = _decimal()
    fixed_fee_per_event: Decimal | None = _decimal()
    min_per_event: Decimal | None = _decimal()
    max_per_event: Decimal | None = _decimal()
    free_amount: Decimal | None = _decimal()
    markup_percent: Decimal | None = _decimal()
    free_events: int | None = None


class TierRow(SQLModel, table=True):
    __tablename__ = "price_tier"
    __table_args__ = (UniqueConstraint("rate_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    rate_id: int = _fk("price_rate.id")
    position: int
    up_to: Decimal | None = _decimal()
    unit_price: Decimal = _decimal(nullable=False)
    flat_fee: Decimal = _decimal(nullable=False, default=Decimal(0))
