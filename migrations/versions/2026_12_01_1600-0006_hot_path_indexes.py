"""Indexes and a sort key for the hot paths at network scale.

- A member's own pending invitations, sent and received, by expiry: counting them no longer
  reads every pending invitation in the system.
- ``connections.other_name_key``, the other member's ``lower(display_name)``, with an index
  ordering one member's connections by it: the first page by name reads ``limit`` index
  entries, as newest-first does, instead of sorting every connection of the member. The
  database keeps it: a trigger fills it on insert (whatever inserts the row), another follows
  a change of display name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")

TRIGGERS = [
    """
CREATE FUNCTION connections_fill_other_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.other_name_key IS NULL THEN
        SELECT lower(m.display_name) INTO NEW.other_name_key
        FROM members m WHERE m.id = NEW.other_id;
    END IF;
    RETURN NEW;
END $$
""",
    """
CREATE TRIGGER connections_fill_other_name_key BEFORE INSERT ON connections
    FOR EACH ROW EXECUTE FUNCTION connections_fill_other_name_key()
""",
    """
CREATE FUNCTION members_follow_display_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE connections SET other_name_key = lower(NEW.display_name) WHERE other_id = NEW.id;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER members_follow_display_name AFTER UPDATE OF display_name ON members
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION members_follow_display_name()
""",
]


def upgrade() -> None:
    op.create_index(
        "ix_invitations_pending_inviter",
        "invitations",
        ["inviter_id", "expires_at"],
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_invitations_pending_invitee",
        "invitations",
        ["invitee_id", "expires_at"],
        postgresql_where=PENDING,
    )
    op.add_column("connections", sa.Column("other_name_key", sa.Text(), nullable=True))
    op.execute(
        "UPDATE connections c SET other_name_key = lower(m.display_name)"
        " FROM members m WHERE m.id = c.other_id"
    )
    op.alter_column("connections", "other_name_key", nullable=False)
    for statement in TRIGGERS:
        op.execute(statement)
    op.create_index(
        "ix_connections_member_name",
        "connections",
        ["member_id", "other_name_key", "other_id"],
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER members_follow_display_name ON members")
    op.execute("DROP FUNCTION members_follow_display_name()")
    op.execute("DROP TRIGGER connections_fill_other_name_key ON connections")
    op.execute("DROP FUNCTION connections_fill_other_name_key()")
    op.drop_index("ix_connections_member_name", table_name="connections")
    op.drop_column("connections", "other_name_key")
    op.drop_index("ix_invitations_pending_invitee", table_name="invitations")
    op.drop_index("ix_invitations_pending_inviter", table_name="invitations")
