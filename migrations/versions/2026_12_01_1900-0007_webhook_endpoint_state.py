"""Webhook endpoints can be disabled: by a 410 answer, by failing too long, or by an admin.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks", sa.Column("failing_since", sa.DateTime(timezone=True)))
    op.add_column("webhooks", sa.Column("disabled_at", sa.DateTime(timezone=True)))
    op.add_column("webhooks", sa.Column("disabled_reason", sa.String(length=16)))


def downgrade() -> None:
    op.drop_column("webhooks", "disabled_reason")
    op.drop_column("webhooks", "disabled_at")
    op.drop_column("webhooks", "failing_since")
