"""Discounts and promotion codes: a contract's discounts, a plan version's default discounts
(introductory offers copied onto each new contract), promotion codes and their redemptions.

A redemption is counted by one conditional UPDATE (`times_redeemed < max_redemptions`) in
the transaction that writes the contract: on PostgreSQL a concurrent redemption of the same
code waits for the row, then re-checks the condition, so a code with one redemption left is
redeemed exactly once. Callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, UniqueConstraint, func, update
from sqlmodel import Field, SQLModel, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.rating.discounts import Discount, DiscountDuration, DiscountKind
from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import utcnow
from pricing_graph.store.catalog_repo import Reader
from pricing_graph.store.types import ExactDecimal, UtcDateTime


def _fk(target: str, *, ondelete: str = "CASCADE", nullable: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True
        ),
    )


def _date() -> Any:
    return Field(default=None, sa_column=Column(Date, nullable=True))


class _DiscountFields(SQLModel):
    """The columns of a discount, shared by the three tables that hold one."""

    kind: str = Field(max_length=20)
    value: Decimal = Field(sa_type=ExactDecimal, nullable=False)
    duration: str = Field(max_length=20)
    periods: int | None = None
    price_keys: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    description: str = Field(default="", max_length=200)


class ContractDiscountRow(_DiscountFields, table=True):
    """A discount of a contract. `source`: CONTRACT (sent with it), PLAN (a default of its
    plan version) or PROMOTION_CODE (`promotion_code_id`)."""

    __tablename__ = "contract_discount"
    __table_args__ = (UniqueConstraint("contract_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = _fk("contract.id")
    key: str = Field(max_length=100)
    starts: date | None = _date()
    expires: date | None = _date()
    source: str = Field(max_length=20)
    promotion_code_id: int | None = _fk("promotion_code.id", ondelete="RESTRICT", nullable=True)
    created_revision: int


class PlanDiscountRow(_DiscountFields, table=True):
    """A default discount of a plan version, copied onto every new contract on it (unless
    the contract opts out); its duration counts from the contract's start."""

    __tablename__ = "plan_discount"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = _fk("plan.id")
    key: str = Field(max_length=100)
    position: int = 0


class PromotionCodeRow(_DiscountFields, table=True):
    """A code a checkout sends: the discount it grants, how often it may be redeemed
    (null = no limit), the first day it no longer works (null = never)."""

    __tablename__ = "promotion_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=50, unique=True)
    max_redemptions: int | None = None
    times_redeemed: int = 0
    expires_on: date | None = _date()
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class PromotionRedemptionRow(SQLModel, table=True):
    """One contract signed with a promotion code."""

    __tablename__ = "promotion_code_redemption"
    __table_args__ = (UniqueConstraint("promotion_code_id", "contract_id"),)

    id: int | None = Field(default=None, primary_key=True)
    promotion_code_id: int = _fk("promotion_code.id")
    contract_id: int = _fk("contract.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


# Row <-> rating core


def to_discount(
    row: _DiscountFields, key: str, starts: date | None = None, expires: date | None = None
) -> Discount:
    return Discount(
        key=key,
        kind=DiscountKind(row.kind),
        value=row.value,
        duration=DiscountDuration(row.duration),
        periods=row.periods,
        price_keys=tuple(row.price_keys),
        starts=starts,
        expires=expires,
        description=row.description,
    )


def contract_discount_to_domain(row: ContractDiscountRow) -> Discount:
    return to_discount(row, row.key, row.starts, row.expires)


def _fields(d: Discount) -> dict[str, Any]:
    return {
        "kind": d.kind.value,
        "value": d.value,
        "duration": d.duration.value,
        "periods": d.periods,
        "price_keys": list(d.price_keys),
        "description": d.description,
    }


def contract_discount_row(
    contract_id: int,
    d: Discount,
    revision: int,
    source: str,
    promotion_code_id: int | None = None,
) -> ContractDiscountRow:
    return ContractDiscountRow(
        contract_id=contract_id,
        key=d.key,
        starts=d.starts,
        expires=d.expires,
        source=source,
        promotion_code_id=promotion_code_id,
        created_revision=revision,
        **_fields(d),
    )


# Queries


async def contract_discounts(
    read: Reader, contract_ids: Sequence[int]
) -> dict[int, list[ContractDiscountRow]]:
    """The discounts of each contract, in the order they apply (by id); one statement."""
    grouped: dict[int, list[ContractDiscountRow]] = {i: [] for i in contract_ids}
    if not contract_ids:
        return grouped
    rows = await read(
        select(ContractDiscountRow)
        .where(col(ContractDiscountRow.contract_id).in_(list(contract_ids)))
        .order_by(col(ContractDiscountRow.id))
    )
    for row in rows:
        grouped[row.contract_id].append(row)
    return grouped


async def add_contract_discounts(
    session: AsyncSession,
    contract_id: int,
    discounts: Sequence[tuple[Discount, str, int | None]],
    revision: int,
) -> None:
    """Write (discount, source, promotion code id) rows for a contract."""
    session.add_all(
        contract_discount_row(contract_id, d, revision, source, code_id)
        for d, source, code_id in discounts
    )
    await session.flush()


async def end_contract_discount(
    session: AsyncSession, contract_id: int, key: str, expires: date
) -> ContractDiscountRow | None:
    """Set the expiry of the contract's discount `key` (None: it has no such discount)."""
    row = (
        await session.exec(
            select(ContractDiscountRow).where(
                ContractDiscountRow.contract_id == contract_id, ContractDiscountRow.key == key
            )
        )
    ).first()
    if row is not None:
        row.expires = expires
        session.add(row)
        await session.flush()
    return row


async def plan_discounts(read: Reader, plan_id: int) -> list[PlanDiscountRow]:
    rows = await read(
        select(PlanDiscountRow)
        .where(PlanDiscountRow.plan_id == plan_id)
        .order_by(col(PlanDiscountRow.position), col(PlanDiscountRow.id))
    )
    return list(rows)


async def replace_plan_discounts(
    session: AsyncSession, plan_id: int, discounts: Sequence[Discount]
) -> None:
    """Make `discounts` the plan version's defaults, in this order."""
    for row in (
        await session.exec(select(PlanDiscountRow).where(PlanDiscountRow.plan_id == plan_id))
    ).all():
        await session.delete(row)
    await session.flush()
    session.add_all(
        PlanDiscountRow(plan_id=plan_id, key=d.key, position=i, **_fields(d))
        for i, d in enumerate(discounts)
    )
    await session.flush()


async def insert_promotion_code(
    session: AsyncSession,
    code: str,
    discount: Discount,
    max_redemptions: int | None,
    expires_on: date | None,
) -> PromotionCodeRow:
    row = PromotionCodeRow(
        code=code, max_redemptions=max_redemptions, expires_on=expires_on, **_fields(discount)
    )
    session.add(row)
    await session.flush()
    return row


async def promotion_code_by_code(read: Reader, code: str) -> PromotionCodeRow | None:
    rows = await read(select(PromotionCodeRow).where(PromotionCodeRow.code == code))
    return rows[0] if rows else None


async def promotion_codes_page(
    read: Reader, offset: int, limit: int
) -> tuple[list[PromotionCodeRow], int]:
    """Promotion codes by code, and how many there are."""
    total: int = (await read(select(func.count()).select_from(PromotionCodeRow)))[0]
    rows = await read(
        select(PromotionCodeRow).order_by(col(PromotionCodeRow.code)).offset(offset).limit(limit)
    )
    return list(rows), total


async def claim_redemption(session: AsyncSession, code_id: int) -> bool | None:
    """Count one redemption if the code has one left: one compare-and-set UPDATE, so two
    concurrent redemptions of the last one cannot both succeed. Returns None when none was
    left, else whether this one used the last."""
    result = await session.exec(
        update(PromotionCodeRow)
        .where(
            col(PromotionCodeRow.id) == code_id,
            or_(
                col(PromotionCodeRow.max_redemptions).is_(None),
                col(PromotionCodeRow.times_redeemed) < col(PromotionCodeRow.max_redemptions),
            ),
        )
        .values(times_redeemed=col(PromotionCodeRow.times_redeemed) + 1)
        .returning(col(PromotionCodeRow.times_redeemed), col(PromotionCodeRow.max_redemptions))
    )
    claimed = result.first()
    if claimed is None:
        return None
    redeemed, maximum = claimed
    return maximum is not None and redeemed >= maximum


async def record_redemption(session: AsyncSession, code_id: int, contract_id: int) -> None:
    session.add(PromotionRedemptionRow(promotion_code_id=code_id, contract_id=contract_id))
    await session.flush()
