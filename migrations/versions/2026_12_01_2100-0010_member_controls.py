"""Member controls: who may invite a member, and whether Follow is their primary button.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both with a constant default: PostgreSQL adds them without rewriting the table.
    op.add_column(
        "members",
        sa.Column("invite_policy", sa.Text(), server_default=sa.text("'everyone'"), nullable=False),
    )
    op.add_column(
        "members",
        sa.Column("follow_first", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_check_constraint(
        "invite_policy_known", "members", "invite_policy IN ('everyone', 'network', 'nobody')"
    )


def downgrade() -> None:
    op.drop_constraint("invite_policy_known", "members", type_="check")
    op.drop_column("members", "follow_first")
    op.drop_column("members", "invite_policy")
