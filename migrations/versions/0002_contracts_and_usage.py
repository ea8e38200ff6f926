"""contracts and usage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:14:08.486792
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pricing_graph.store.types import ExactDecimal

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("partner_owner", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("external_id", name=op.f("uq_customer_external_id")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_partner_owner"), ["partner_owner"], unique=False
        )

    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("operation", "key", name=op.f("uq_idempotency_key_operation_key")),
    )
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("billing_interval", sa.String(length=20), nullable=False),
        sa.Column("billing_anchor", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_contract_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_contract_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contract_customer_product", ["customer_id", "product_id"], unique=False
        )

    op.create_table(
        "usage_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=True),
        sa.Column("unique_value", sa.String(length=200), nullable=True),
        sa.Column("group_key", sa.String(length=500), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_usage_event_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["billable_metric.id"],
            name=op.f("fk_usage_event_metric_id_billable_metric"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_event")),
        sa.UniqueConstraint(
            "customer_id", "event_id", name=op.f("uq_usage_event_customer_id_event_id")
        ),
    )
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_event_customer_metric_time",
            ["customer_id", "metric_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "contract_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("price_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=True),
        sa.Column("match", sa.JSON(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("created_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_adjustment_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_adjustment")),
    )
    with op.batch_alter_table("contract_adjustment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_adjustment_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "contract_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_amendment_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_amendment")),
        sa.UniqueConstraint(
            "contract_id", "revision", name=op.f("uq_contract_amendment_contract_id_revision")
        ),
    )
    with op.batch_alter_table("contract_amendment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_amendment_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "contract_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("credit_amount", ExactDecimal(), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("product_keys", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_commitment_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_commitment")),
        sa.UniqueConstraint(
            "contract_id", "key", name=op.f("uq_contract_commitment_contract_id_key")
        ),
    )
    with op.batch_alter_table("contract_commitment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_commitment_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "contract_credit_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("pricing_unit", sa.String(length=20), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("product_keys", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_credit_grant_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_credit_grant")),
        sa.UniqueConstraint(
            "contract_id", "key", name=op.f("uq_contract_credit_grant_contract_id_key")
        ),
    )
    with op.batch_alter_table("contract_credit_grant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_credit_grant_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "contract_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_plan_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
            name=op.f("fk_contract_plan_plan_id_plan"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_plan")),
        sa.UniqueConstraint(
            "contract_id",
            "effective_from",
            name=op.f("uq_contract_plan_contract_id_effective_from"),
        ),
    )
    with op.batch_alter_table("contract_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_plan_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contract_plan_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "contract_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("net_payment_days", sa.Integer(), nullable=True),
        sa.Column("auto_pay", sa.Boolean(), nullable=True),
        sa.Column("trial_days", sa.Integer(), nullable=True),
        sa.Column("trial_spending_cap", ExactDecimal(), nullable=True),
        sa.Column("invoice_minimum", ExactDecimal(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_settings_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_settings")),
        sa.UniqueConstraint(
            "contract_id",
            "effective_from",
            name=op.f("uq_contract_settings_contract_id_effective_from"),
        ),
    )
    with op.batch_alter_table("contract_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_settings_contract_id"), ["contract_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("contract_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_settings_contract_id"))

    op.drop_table("contract_settings")
    with op.batch_alter_table("contract_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_plan_plan_id"))
        batch_op.drop_index(batch_op.f("ix_contract_plan_contract_id"))

    op.drop_table("contract_plan")
    with op.batch_alter_table("contract_credit_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_credit_grant_contract_id"))

    op.drop_table("contract_credit_grant")
    with op.batch_alter_table("contract_commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_commitment_contract_id"))

    op.drop_table("contract_commitment")
    with op.batch_alter_table("contract_amendment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_amendment_contract_id"))

    op.drop_table("contract_amendment")
    with op.batch_alter_table("contract_adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_adjustment_contract_id"))

    op.drop_table("contract_adjustment")
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_event_customer_metric_time")

    op.drop_table("usage_event")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_customer_product")

    op.drop_table("contract")
    op.drop_table("idempotency_key")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_partner_owner"))

    op.drop_table("customer")
