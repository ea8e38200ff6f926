"""api keys and audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 07:38:34.157721

API keys (hashed, with a visible prefix), the audit log, and idempotency keys scoped by
caller (issue 9). Existing idempotency keys become the anonymous caller's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("partner", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role <> 'partner' OR partner IS NOT NULL",
            name=op.f("ck_api_key_partner_has_partner"),
        ),
        sa.CheckConstraint("role IN ('admin', 'sales', 'partner')", name=op.f("ck_api_key_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("caller", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("operation", sa.String(length=50), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("object_ids", sa.JSON(), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_key", ["key_id", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_event_object", ["object_type", "object_id", "id"], unique=False
        )

    # The column is filled for existing rows by its server default, which is then dropped:
    # the application always names the caller.
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("caller", sa.String(length=100), nullable=False, server_default="anonymous")
        )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.alter_column("caller", server_default=None)
        batch_op.drop_constraint("uq_idempotency_key_operation_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_idempotency_key_caller_operation_key", ["caller", "operation", "key"]
        )


def downgrade() -> None:
    # Two callers may hold the same key: keep the first claim of each (operation, key).
    op.execute(
        "DELETE FROM idempotency_key WHERE id NOT IN ("
        "SELECT MIN(id) FROM idempotency_key GROUP BY operation, key)"
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_constraint("uq_idempotency_key_caller_operation_key", type_="unique")
        batch_op.create_unique_constraint("uq_idempotency_key_operation_key", ["operation", "key"])
        batch_op.drop_column("caller")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_object")
        batch_op.drop_index("ix_audit_event_key")

    op.drop_table("audit_event")
    op.drop_table("api_key")
