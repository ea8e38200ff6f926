"""free events and entitlements

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:30:00.000000

PERCENTAGE rates' free transactions per period (`price_rate.free_events`, issue 14 item 6);
entitlements (item 2): a plan's boolean features (`plan.feature_entitlements`) and a
contract's overrides of features and metered limits (`contract_entitlement`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pricing_graph.store.types import ExactDecimal

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("price_rate") as batch:
        batch.add_column(sa.Column("free_events", sa.Integer(), nullable=True))
    with op.batch_alter_table("plan") as batch:
        batch.add_column(
            sa.Column("feature_entitlements", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("plan") as batch:
        batch.alter_column("feature_entitlements", server_default=None)
    op.create_table(
        "contract_entitlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("limit_quantity", ExactDecimal(), nullable=True),
        sa.Column("enforcement", sa.String(length=10), nullable=True),
        sa.Column("created_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_entitlement_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_entitlement")),
        sa.UniqueConstraint(
            "contract_id", "kind", "key", name=op.f("uq_contract_entitlement_contract_id_kind_key")
        ),
    )
    op.create_index(
        op.f("ix_contract_entitlement_contract_id"),
        "contract_entitlement",
        ["contract_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_contract_entitlement_contract_id"), table_name="contract_entitlement")
    op.drop_table("contract_entitlement")
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("feature_entitlements")
    with op.batch_alter_table("price_rate") as batch:
        batch.drop_column("free_events")
