"""free events and entitlements

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-27 10:30:00.000000

PERCENTAGE rates' free transactions per period (`price_rate.free_events`, issue 14 item 6).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("price_rate") as batch:
        batch.add_column(sa.Column("free_events", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("price_rate") as batch:
        batch.drop_column("free_events")
