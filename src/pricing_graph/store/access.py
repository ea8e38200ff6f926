"""Who may call, and what they did: API keys and the audit log.

An `api_key` row keeps only a short visible `prefix` (the lookup key, shown in listings) and
the SHA-256 of the whole secret: secrets are 32 random bytes, so a fast hash is enough and
a leaked table reveals no usable key. Keys are revoked (`revoked_at`), never deleted, so an
audit event's `key_id` always names a key that can still be listed.

An `audit_event` row is appended in the transaction of the write it describes: it lands
with the write or not at all. `input` is the request's input as JSON (decimals and dates as
strings). `caller` says who acted when there is no key (`env:<digest>`, `system`,
`anonymous`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from pricing_graph.store import driver
from pricing_graph.store import metadata as _metadata  # noqa: F401  (naming convention first)
from pricing_graph.store.catalog import utcnow
from pricing_graph.store.catalog_repo import Reader
from pricing_graph.store.types import UtcDateTime, json_text

KEY_ROLES = ("admin", "sales", "partner")
PREFIX_LENGTH = 12  # the api_key.prefix column: 8-12 characters
PARTNER_LENGTH = 100  # as customer.partner_owner
KEY_NAME_LENGTH = 200
OPERATION_LENGTH = 50
OBJECT_TYPE_LENGTH = 50
CALLER_LENGTH = 100


def _timestamp(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    return Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'sales', 'partner')", name="role"),
        CheckConstraint("role <> 'partner' OR partner IS NOT NULL", name="partner_has_partner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=PREFIX_LENGTH, unique=True)
    secret_hash: str = Field(max_length=64)
    role: str = Field(max_length=20)
    partner: str | None = Field(default=None, max_length=PARTNER_LENGTH)
    name: str | None = Field(default=None, max_length=KEY_NAME_LENGTH)
    created_at: datetime = _timestamp()
    revoked_at: datetime | None = _timestamp(nullable=True)


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        # Newest first within one object, or one key: both read backwards along `id`.
        Index("ix_audit_event_object", "object_type", "object_id", "id"),
        Index("ix_audit_event_key", "key_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = _timestamp()
    key_id: int | None = None
    caller: str = Field(max_length=CALLER_LENGTH)
    role: str = Field(max_length=20)
    operation: str = Field(max_length=OPERATION_LENGTH)
    object_type: str = Field(max_length=OBJECT_TYPE_LENGTH)
    object_id: int | None = None
    object_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    input: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- api keys -------------------------------------------------------------------------------


async def key_by_prefix(read: Reader, prefix: str) -> ApiKeyRow | None:
    rows = await read(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
    return rows[0] if rows else None


async def key_by_id(session: AsyncSession, key_id: int) -> ApiKeyRow | None:
    return await session.get(ApiKeyRow, key_id)


async def all_keys(read: Reader) -> Sequence[ApiKeyRow]:
    return await read(select(ApiKeyRow).order_by(col(ApiKeyRow.id)))


async def add_key(session: AsyncSession, row: ApiKeyRow) -> ApiKeyRow:
    session.add(row)
    await session.flush()
    return row


async def revoke(session: AsyncSession, row: ApiKeyRow, when: datetime) -> ApiKeyRow:
    """Set `revoked_at` once; revoking a revoked key keeps the first time."""
    if row.revoked_at is None:
        row.revoked_at = when
        session.add(row)
        await session.flush()
    return row


# --- audit log ------------------------------------------------------------------------------


def add_audit_event(session: AsyncSession, row: AuditEventRow) -> AuditEventRow:
    """Append the event to the session's transaction (written at its next flush)."""
    session.add(row)
    return row


_INSERT_AUDIT_POSTGRESQL = (
    "INSERT INTO audit_event (occurred_at, key_id, caller, role, operation, object_type, "
    "object_id, object_ids, input) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::json, "
    "$9::text::json)"
)


async def write_audit_event(session: AsyncSession, row: AuditEventRow) -> None:
    """Write the event in the session's transaction now (PostgreSQL: on the driver's
    connection, store/driver.py), or at its next flush (SQLite: `add_audit_event`)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        add_audit_event(session, row)
        return
    await driver.execute(
        connection,
        _INSERT_AUDIT_POSTGRESQL,
        row.occurred_at,
        row.key_id,
        row.caller,
        row.role,
        row.operation,
        row.object_type,
        row.object_id,
        json_text(row.object_ids),
        json_text(row.input),
    )


def _audit_filters(object_type: str | None, object_id: int | None, key_id: int | None) -> list[Any]:
    filters: list[Any] = []
    if object_type is not None:
        filters.append(AuditEventRow.object_type == object_type)
    if object_id is not None:
        filters.append(AuditEventRow.object_id == object_id)
    if key_id is not None:
        filters.append(AuditEventRow.key_id == key_id)
    return filters


async def audit_event_count(
    read: Reader,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    key_id: int | None = None,
) -> int:
    """How many events the same filters as `audit_event_page` select in all."""
    statement = select(func.count()).select_from(AuditEventRow)
    rows = await read(statement.where(*_audit_filters(object_type, object_id, key_id)))
    return int(rows[0])


async def audit_event_page(
    read: Reader,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    key_id: int | None = None,
    before_id: int | None = None,
    limit: int,
) -> Sequence[AuditEventRow]:
    """Up to `limit` events, newest first, with an id below `before_id` when given."""
    statement = select(AuditEventRow).where(*_audit_filters(object_type, object_id, key_id))
    if before_id is not None:
        statement = statement.where(col(AuditEventRow.id) < before_id)
    return await read(statement.order_by(col(AuditEventRow.id).desc()).limit(limit))
