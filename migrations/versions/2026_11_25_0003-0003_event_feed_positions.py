"""Feed positions for events, handed out in commit order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("event_positions")))
    op.add_column("events", sa.Column("position", sa.BigInteger(), nullable=True))
    op.create_index("uq_events_position", "events", ["position"], unique=True)
    op.create_index(
        "ix_events_unpublished",
        "events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("position IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_unpublished", table_name="events")
    op.drop_index("uq_events_position", table_name="events")
    op.drop_column("events", "position")
    op.execute(sa.schema.DropSequence(sa.Sequence("event_positions")))
