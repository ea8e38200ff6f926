"""Customers, contracts and their per-customer terms.

A contract's current terms live in typed tables (adjustments, credit grants, commitments,
dated settings, dated plan versions); every change also appends a `contract_amendment` row,
so history is never overwritten. `contract.revision` counts amendments and guards
concurrent edits (`expectedRevision`).

The queries at the end are the ones the contract services need beside the repository's
(`contracts_repo`): pages, lookups, the overlap check and the revision compare-and-set.
Callers own the transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    func,
    or_,
    update,
)
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import PlanRow, utcnow
from pricing_graph.store.catalog_repo import Reader
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
    """A create/amend request already carried out: same caller + key + same input = same
    result. Keys are per caller (`key:<id>`, `env:<digest>`, `anonymous`): one caller's key
    never answers, or blocks, another's request."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("caller", "operation", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(default="anonymous", max_length=100)
    operation: str = Field(max_length=50)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    result_id: int
    created_at: datetime = _created_at()


async def _page(read: Reader, statement: Any, offset: int, limit: int) -> tuple[list[Any], int]:
    """One page of `statement`'s rows and the count of all of them."""
    total: int = (await read(select(func.count()).select_from(statement.subquery())))[0]
    rows = await read(statement.offset(offset).limit(limit))
    return list(rows), total


async def customers_page(
    read: Reader, offset: int, limit: int, *, partner_owner: str | None = None
) -> tuple[list[CustomerRow], int]:
    """Customers by external ID (those of one partner if given), and their count."""
    statement = select(CustomerRow).order_by(col(CustomerRow.external_id))
    if partner_owner is not None:
        statement = statement.where(CustomerRow.partner_owner == partner_owner)
    return await _page(read, statement, offset, limit)


async def contracts_page(
    read: Reader,
    offset: int,
    limit: int,
    *,
    customer_id: int | None = None,
    partner_owner: str | None = None,
) -> tuple[list[ContractRow], int]:
    """Contracts by id (those of one customer, and of the customers of one partner, if
    given), and their count."""
    statement = select(ContractRow).order_by(col(ContractRow.id))
    if customer_id is not None:
        statement = statement.where(ContractRow.customer_id == customer_id)
    if partner_owner is not None:
        owned = select(CustomerRow.id).where(CustomerRow.partner_owner == partner_owner)
        statement = statement.where(col(ContractRow.customer_id).in_(owned))
    return await _page(read, statement, offset, limit)


async def customer_by_external_id(read: Reader, external_id: str) -> CustomerRow | None:
    rows = await read(select(CustomerRow).where(CustomerRow.external_id == external_id))
    return rows[0] if rows else None


async def customer_by_id(read: Reader, customer_id: int) -> CustomerRow | None:
    rows = await read(select(CustomerRow).where(col(CustomerRow.id) == customer_id))
    return rows[0] if rows else None


async def insert_customer(
    session: AsyncSession, external_id: str, name: str, partner_owner: str | None
) -> int:
    row = CustomerRow(external_id=external_id, name=name, partner_owner=partner_owner)
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def lock_customer(session: AsyncSession, customer_id: int) -> CustomerRow | None:
    """The customer row, locked until the transaction ends (on PostgreSQL): contract writes
    of one customer take turns, so two of them cannot both miss an overlap."""
    return await session.get(CustomerRow, customer_id, with_for_update=True)


async def adjustment_by_id(
    session: AsyncSession, adjustment_id: int
) -> ContractAdjustmentRow | None:
    return await session.get(ContractAdjustmentRow, adjustment_id)


async def plan_row_by_id(session: AsyncSession, plan_id: int) -> PlanRow | None:
    return await session.get(PlanRow, plan_id)


async def claim_revision(
    session: AsyncSession, contract_id: int, expected: int
) -> tuple[ContractRow | None, bool]:
    """Move the contract from revision `expected` to the next, in one compare-and-set UPDATE
    (two concurrent amendments of the same revision cannot both succeed). Returns the row as
    it now is (None: no such contract) and whether this call claimed the revision."""
    result = await session.exec(
        update(ContractRow)
        .where(col(ContractRow.id) == contract_id, col(ContractRow.revision) == expected)
        .values(revision=expected + 1)
    )
    row = await session.get(ContractRow, contract_id, populate_existing=True)
    return row, result.rowcount == 1


async def overlapping_contract(
    session: AsyncSession,
    customer_id: int,
    product_id: int,
    start: date,
    end: date | None,
    *,
    besides: int | None = None,
) -> ContractRow | None:
    """A contract of the customer for the product that shares a day with [start, end).
    Callers lock the customer row first, so two writes cannot both miss each other."""
    statement = select(ContractRow).where(
        ContractRow.customer_id == customer_id,
        ContractRow.product_id == product_id,
        or_(col(ContractRow.end_date).is_(None), col(ContractRow.end_date) > start),
    )
    if end is not None:
        statement = statement.where(col(ContractRow.start_date) < end)
    if besides is not None:
        statement = statement.where(col(ContractRow.id) != besides)
    return (await session.exec(statement.order_by(col(ContractRow.start_date)))).first()
