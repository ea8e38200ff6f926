"""saved quotes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:58:34.006413

Saved quotes and their revisions (issue 5).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("prospect_name", sa.String(length=200), nullable=True),
        sa.Column("prospect_external_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("accepted_contract_id", sa.Integer(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("current_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_contract_id"],
            ["contract.id"],
            name=op.f("fk_saved_quote_accepted_contract_id_contract"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_saved_quote_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_quote")),
    )
    with op.batch_alter_table("saved_quote", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_quote_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_saved_quote_status"), ["status"], unique=False)

    op.create_table(
        "saved_quote_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["saved_quote.id"],
            name=op.f("fk_saved_quote_revision_quote_id_saved_quote"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_quote_revision")),
        sa.UniqueConstraint(
            "quote_id", "revision", name=op.f("uq_saved_quote_revision_quote_id_revision")
        ),
    )


def downgrade() -> None:
    op.drop_table("saved_quote_revision")
    with op.batch_alter_table("saved_quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_quote_status"))
        batch_op.drop_index(batch_op.f("ix_saved_quote_customer_id"))

    op.drop_table("saved_quote")
