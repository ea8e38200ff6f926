"""Customers, contracts and their per-customer terms.

A contract's current terms live in typed tables (adjustments, credit grants, commitments,
dated settings, dated plan versions); every change also appends a `contract_amendment` row,
so history is never overwritten. `contract.revision` counts amendments and guards
concurrent edits (`expectedRevision`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import utcnow
from pricing_graph.store.types import ExactDecimal, UtcDateTime


def _fk(target: str, *, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=False, index=index
        )
    )


def _decimal(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=ExactDecimal, nullable=nullable)


def _date(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Date, nullable=nullable))


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=200, unique=True)
    name: str = Field(max_length=200)
    partner_owner: str | None = Field(default=None, max_length=100, index=True)
    created_at: datetime = _created_at()


class ContractRow(SQLModel, table=True):
    __tablename__ = "contract"
    __table_args__ = (Index("ix_contract_customer_product", "customer_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", index=False)
    product_id: int = _fk("product.id", ondelete="RESTRICT", index=False)
    start_date: date = _date()
    end_date: date | None = _date(nullable=True)
    billing_interval: str = Field(max_length=20)
    billing_anchor: str = Field(max_length=20)
    revision: int = 1
    created_at: datetime = _created_at()


class ContractPlanRow(SQLModel, table=True):
    """Which pinned plan version applies from which date (a move starts a new row)."""

    __tablename__ = "contract_plan"
    __table_args__ = (UniqueConstraint("contract_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    plan_id: int = _fk("plan.id", ondelete="RESTRICT")
    effective_from: date = _date()


class ContractSettingsRow(SQLModel, table=True):
    """Plan-setting overrides in force from `effective_from`; null keeps the plan's value."""

    __tablename__ = "contract_settings"
    __table_args__ = (UniqueConstraint("contract_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    effective_from: date = _date()
    net_payment_days: int | None = None
    auto_pay: bool | None = None
    trial_days: int | None = None
    trial_spending_cap: Decimal | None = _decimal()
    invoice_minimum: Decimal | None = _decimal()


class ContractAdjustmentRow(SQLModel, table=True):
    __tablename__ = "contract_adjustment"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    price_key: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    value: Decimal | None = _decimal()
    tiers: list[dict[str, str | None]] | None = Field(default=None, sa_type=JSON)
    match: list[list[str]] | None = Field(default=None, sa_type=JSON)
    effective_from: date | None = _date(nullable=True)
    effective_until: date | None = _date(nullable=True)
    created_revision: int


class CreditGrantRow(SQLModel, table=True):
    __tablename__ = "contract_credit_grant"
    __table_args__ = (UniqueConstraint("contract_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    key: str = Field(max_length=100)
    amount: Decimal = _decimal(nullable=False)
    pricing_unit: str = Field(max_length=20)
    effective: date = _date()
    expires: date | None = _date(nullable=True)
    product_keys: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    priority: int = 0
    created_revision: int


class CommitmentRow(SQLModel, table=True):
    __tablename__ = "contract_commitment"
    __table_args__ = (UniqueConstraint("contract_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    key: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    amount: Decimal = _decimal(nullable=False)
    credit_amount: Decimal | None = _decimal()
    start: date | None = _date(nullable=True)
    end: date | None = _date(nullable=True)
    product_keys: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    priority: int = 0
    created_revision: int


class AmendmentRow(SQLModel, table=True):
    """The append-only history of a contract: one row per revision."""

    __tablename__ = "contract_amendment"
    __table_args__ = (UniqueConstraint("contract_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    revision: int
    kind: str = Field(max_length=40)
    effective_date: date | None = _date(nullable=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_at: datetime = _created_at()


class IdempotencyKeyRow(SQLModel, table=True):
    """A create/amend request already carried out: same key + same input = same result."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("operation", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    operation: str = Field(max_length=50)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    result_id: int
    created_at: datetime = _created_at()
