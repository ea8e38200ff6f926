"""Usage events: one row per event, deduplicated per customer by its event ID forever."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import utcnow
from pricing_graph.store.contracts import _fk
from pricing_graph.store.types import ExactDecimal, UtcDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class UsageEventRow(SQLModel, table=True):
    """`value` is the metric's event property as an exact decimal (SUM, MAX, LATEST, and the
    transaction amount or event cost of PERCENTAGE and DYNAMIC prices); `unique_value` is
    what UNIQUE_COUNT counts; `group_key` is the canonical dimension group ("" for none)."""

    __tablename__ = "usage_event"
    __table_args__ = (
        UniqueConstraint("customer_id", "event_id"),
        Index("ix_usage_event_customer_metric_time", "customer_id", "metric_id", "occurred_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(EventId, primary_key=True))
    customer_id: int = _fk("customer.id", index=False)
    metric_id: int = _fk("billable_metric.id", index=False)
    event_id: str = Field(max_length=200)
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    value: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    unique_value: str | None = Field(default=None, max_length=200)
    group_key: str = Field(default="", max_length=500)
    dimensions: dict[str, str] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    properties: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    ingested_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class UsageRollupRow(SQLModel, table=True):
    """Per (customer, metric, hour, dimension group): what SUM, COUNT and MAX need, kept in
    the transaction that stores the events (store/usage_rollup.py). `hour` is the UTC hour
    the events happened in; `value_sum` and `value_max` are over the events' non-null
    values (None when there are none); `event_count` counts every event."""

    __tablename__ = "usage_rollup"

    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    )
    metric_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("billable_metric.id", ondelete="CASCADE"), primary_key=True
        )
    )
    hour: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    group_key: str = Field(sa_column=Column(String(500), primary_key=True))
    event_count: int = Field(sa_column=Column(BigInteger, nullable=False))
    value_sum: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    value_max: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
