"""Live streams: the outbox announces its commits, tickets open a stream from a browser, and a
member's inbox remembers when it was last seen.

- ``NOTIFY connect_api_events`` from a statement-level trigger on ``events``: every
  transaction that writes an event wakes each process's stream hub once it commits (never
  before, and never if it rolls back).
- ``stream_tickets``: single-use tickets for ``GET /v1/me/stream?ticket=`` (``EventSource``
  cannot send ``Authorization``), kept by their SHA-256 digest only.
- ``members.invitations_seen_at``: when the member last marked their received invitations
  seen; the badge counts the pending ones that arrived since.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION events_announce() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('connect_api_events', '');
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER events_announce AFTER INSERT ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_announce()
    """)
    op.create_table(
        "stream_tickets",
        sa.Column("digest", postgresql.BYTEA(), primary_key=True),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_stream_tickets_expires_at", "stream_tickets", ["expires_at"])
    op.add_column(
        "members", sa.Column("invitations_seen_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("members", "invitations_seen_at")
    op.drop_index("ix_stream_tickets_expires_at", table_name="stream_tickets")
    op.drop_table("stream_tickets")
    op.execute("DROP TRIGGER events_announce ON events")
    op.execute("DROP FUNCTION events_announce()")
