"""Who may see a member's connections, followers and following (spec 2.11 and 2.13).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.add_column(
        "members",
        sa.Column(
            "network_visibility",
            sa.Text(),
            server_default=sa.text("'connections'"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        "network_visibility_known", "members", "network_visibility IN ('connections', 'only_me')"
    )


def downgrade() -> None:
    op.drop_constraint("network_visibility_known", "members", type_="check")
    op.drop_column("members", "network_visibility")
