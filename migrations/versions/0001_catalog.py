"""catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:54:54.947002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pricing_graph.store.types import ExactDecimal

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "billable_metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_label", sa.String(length=50), nullable=False),
        sa.Column("aggregation", sa.String(length=20), nullable=False),
        sa.Column("event_property", sa.String(length=100), nullable=True),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billable_metric")),
        sa.UniqueConstraint("key", name=op.f("uq_billable_metric_key")),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("key", name=op.f("uq_product_key")),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("invoice_display_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("tier_rank", sa.Integer(), nullable=False),
        sa.Column("billing_interval", sa.String(length=20), nullable=False),
        sa.Column("billing_anchor", sa.String(length=20), nullable=False),
        sa.Column("pricing_unit_code", sa.String(length=20), nullable=False),
        sa.Column("pricing_unit_decimals", sa.Integer(), nullable=False),
        sa.Column("invoice_currency", sa.String(length=3), nullable=True),
        sa.Column("overage_rate", ExactDecimal(), nullable=True),
        sa.Column("rounding_mode", sa.String(length=20), nullable=False),
        sa.Column("trial_days", sa.Integer(), nullable=False),
        sa.Column("trial_spending_cap", ExactDecimal(), nullable=True),
        sa.Column("net_payment_days", sa.Integer(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_plan_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_plan_key_version")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_status"), ["status"], unique=False)

    op.create_table(
        "plan_usage_limit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("limit_quantity", ExactDecimal(), nullable=True),
        sa.Column("enforcement", sa.String(length=10), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("rate_limit_window", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["billable_metric.id"],
            name=op.f("fk_plan_usage_limit_metric_id_billable_metric"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
            name=op.f("fk_plan_usage_limit_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_usage_limit")),
        sa.UniqueConstraint(
            "plan_id", "metric_id", name=op.f("uq_plan_usage_limit_plan_id_metric_id")
        ),
    )
    with op.batch_alter_table("plan_usage_limit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_usage_limit_metric_id"), ["metric_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_usage_limit_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "pricing_ramp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("duration_periods", sa.Integer(), nullable=True),
        sa.Column("invoice_minimum", ExactDecimal(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_pricing_ramp_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_ramp")),
        sa.UniqueConstraint("plan_id", "position", name=op.f("uq_pricing_ramp_plan_id_position")),
    )
    with op.batch_alter_table("pricing_ramp", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pricing_ramp_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ramp_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("invoice_display_name", sa.String(length=200), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=True),
        sa.Column("conversion_factor", ExactDecimal(), nullable=True),
        sa.Column("conversion_rounding", sa.String(length=10), nullable=True),
        sa.Column("free_units", ExactDecimal(), nullable=True),
        sa.Column("amount", ExactDecimal(), nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("cadence", sa.String(length=20), nullable=True),
        sa.Column("every_periods", sa.Integer(), nullable=True),
        sa.Column("timing", sa.String(length=20), nullable=True),
        sa.Column("prorate", sa.Boolean(), nullable=True),
        sa.Column("is_discount", sa.Boolean(), nullable=True),
        sa.Column("composite_kind", sa.String(length=20), nullable=True),
        sa.Column("composite_value", ExactDecimal(), nullable=True),
        sa.Column("composite_price_keys", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["billable_metric.id"],
            name=op.f("fk_price_metric_id_billable_metric"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ramp_id"],
            ["pricing_ramp.id"],
            name=op.f("fk_price_ramp_id_pricing_ramp"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price")),
        sa.UniqueConstraint("ramp_id", "key", name=op.f("uq_price_ramp_id_key")),
    )
    with op.batch_alter_table("price", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_metric_id"), ["metric_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_price_ramp_id"), ["ramp_id"], unique=False)

    op.create_table(
        "price_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=20), nullable=False),
        sa.Column("unit_price", ExactDecimal(), nullable=True),
        sa.Column("package_size", ExactDecimal(), nullable=True),
        sa.Column("package_price", ExactDecimal(), nullable=True),
        sa.Column("package_rounding", sa.String(length=10), nullable=True),
        sa.Column("rate_percent", ExactDecimal(), nullable=True),
        sa.Column("fixed_fee_per_event", ExactDecimal(), nullable=True),
        sa.Column("min_per_event", ExactDecimal(), nullable=True),
        sa.Column("max_per_event", ExactDecimal(), nullable=True),
        sa.Column("free_amount", ExactDecimal(), nullable=True),
        sa.Column("markup_percent", ExactDecimal(), nullable=True),
        sa.ForeignKeyConstraint(
            ["price_id"],
            ["price.id"],
            name=op.f("fk_price_rate_price_id_price"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_rate")),
        sa.UniqueConstraint("price_id", "position", name=op.f("uq_price_rate_price_id_position")),
    )
    with op.batch_alter_table("price_rate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_rate_price_id"), ["price_id"], unique=False)

    op.create_table(
        "price_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rate_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("up_to", ExactDecimal(), nullable=True),
        sa.Column("unit_price", ExactDecimal(), nullable=False),
        sa.Column("flat_fee", ExactDecimal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rate_id"],
            ["price_rate.id"],
            name=op.f("fk_price_tier_rate_id_price_rate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_tier")),
        sa.UniqueConstraint("rate_id", "position", name=op.f("uq_price_tier_rate_id_position")),
    )
    with op.batch_alter_table("price_tier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_tier_rate_id"), ["rate_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("price_tier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_tier_rate_id"))

    op.drop_table("price_tier")
    with op.batch_alter_table("price_rate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_rate_price_id"))

    op.drop_table("price_rate")
    with op.batch_alter_table("price", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_ramp_id"))
        batch_op.drop_index(batch_op.f("ix_price_metric_id"))

    op.drop_table("price")
    with op.batch_alter_table("pricing_ramp", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pricing_ramp_plan_id"))

    op.drop_table("pricing_ramp")
    with op.batch_alter_table("plan_usage_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_usage_limit_plan_id"))
        batch_op.drop_index(batch_op.f("ix_plan_usage_limit_metric_id"))

    op.drop_table("plan_usage_limit")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_status"))
        batch_op.drop_index(batch_op.f("ix_plan_product_id"))

    op.drop_table("plan")
    op.drop_table("product")
    op.drop_table("billable_metric")
