"""usage rollups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:30:00.000000

Per (customer, metric, hour, dimension group) the event count, the sum and the largest of
the values, kept at ingestion (issue 11, docs/usage.md "Rollups"). The events already
stored are rolled up here, so previews of existing databases read the same numbers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pricing_graph.store.types import ExactDecimal, UtcDateTime
from pricing_graph.store.usage_repo import register_sqlite_aggregates

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_POSTGRESQL = """
INSERT INTO usage_rollup (customer_id, metric_id, hour, group_key, event_count,
                          value_sum, value_max)
SELECT customer_id, metric_id,
       date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       group_key, count(*), sum(value), max(value)
FROM usage_event
GROUP BY 1, 2, 3, 4
"""

# SQLite keeps timestamps as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's
# format), and values as decimal text: the exact aggregates the engine registers sum them.
_BACKFILL_SQLITE = """
INSERT INTO usage_rollup (customer_id, metric_id, hour, group_key, event_count,
                          value_sum, value_max)
SELECT customer_id, metric_id, strftime('%Y-%m-%d %H:00:00.000000', occurred_at),
       group_key, count(*), decimal_sum(value), decimal_max(value)
FROM usage_event
GROUP BY 1, 2, 3, 4
"""


def upgrade() -> None:
    op.create_table(
        "usage_rollup",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("hour", UtcDateTime(), nullable=False),
        sa.Column("group_key", sa.String(length=500), nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("value_sum", ExactDecimal(), nullable=True),
        sa.Column("value_max", ExactDecimal(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_usage_rollup_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["billable_metric.id"],
            name=op.f("fk_usage_rollup_metric_id_billable_metric"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "metric_id", "hour", "group_key", name=op.f("pk_usage_rollup")
        ),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_BACKFILL_POSTGRESQL)
    else:
        register_sqlite_aggregates(bind.connection.dbapi_connection)
        op.execute(sa.text(_BACKFILL_SQLITE))


def downgrade() -> None:
    op.drop_table("usage_rollup")
