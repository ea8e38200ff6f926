"""discounts and promotion codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:21:16.305371

Discounts (issue 14): a contract's discounts, a plan version's default discounts,
promotion codes and their redemptions (docs/contracts.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pricing_graph.store.types import ExactDecimal

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotion_code",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("duration", sa.String(length=20), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("price_keys", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("times_redeemed", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_code")),
        sa.UniqueConstraint("code", name=op.f("uq_promotion_code_code")),
    )
    op.create_table(
        "contract_discount",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("duration", sa.String(length=20), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("price_keys", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("starts", sa.Date(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("promotion_code_id", sa.Integer(), nullable=True),
        sa.Column("created_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_discount_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promotion_code_id"],
            ["promotion_code.id"],
            name=op.f("fk_contract_discount_promotion_code_id_promotion_code"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_discount")),
        sa.UniqueConstraint(
            "contract_id", "key", name=op.f("uq_contract_discount_contract_id_key")
        ),
    )
    with op.batch_alter_table("contract_discount", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_discount_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contract_discount_promotion_code_id"),
            ["promotion_code_id"],
            unique=False,
        )

    op.create_table(
        "plan_discount",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("duration", sa.String(length=20), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("price_keys", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_discount_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_discount")),
        sa.UniqueConstraint("plan_id", "key", name=op.f("uq_plan_discount_plan_id_key")),
    )
    with op.batch_alter_table("plan_discount", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_discount_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "promotion_code_redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_code_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_promotion_code_redemption_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promotion_code_id"],
            ["promotion_code.id"],
            name=op.f("fk_promotion_code_redemption_promotion_code_id_promotion_code"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_code_redemption")),
        sa.UniqueConstraint(
            "promotion_code_id",
            "contract_id",
            name=op.f("uq_promotion_code_redemption_promotion_code_id_contract_id"),
        ),
    )
    with op.batch_alter_table("promotion_code_redemption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promotion_code_redemption_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_promotion_code_redemption_promotion_code_id"),
            ["promotion_code_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("promotion_code_redemption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotion_code_redemption_promotion_code_id"))
        batch_op.drop_index(batch_op.f("ix_promotion_code_redemption_contract_id"))

    op.drop_table("promotion_code_redemption")
    with op.batch_alter_table("plan_discount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_discount_plan_id"))

    op.drop_table("plan_discount")
    with op.batch_alter_table("contract_discount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_discount_promotion_code_id"))
        batch_op.drop_index(batch_op.f("ix_contract_discount_contract_id"))

    op.drop_table("contract_discount")
    op.drop_table("promotion_code")
