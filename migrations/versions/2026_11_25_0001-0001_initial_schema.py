"""Members, invitations, connections and the event outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 19:35:06.165067
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(
        "ix_events_audience", "events", ["audience"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("handle", sa.String(length=30), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("headline", sa.String(length=220), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connection_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("restricted_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "connection_count >= 0", name=op.f("ck_members_connection_count_nonnegative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_index(
        "ix_members_name_sort",
        "members",
        [sa.literal_column("lower(display_name)"), "id"],
        unique=False,
    )
    op.create_index(
        "uq_members_handle_lower", "members", [sa.literal_column("lower(handle)")], unique=True
    )
    op.create_table(
        "connections",
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("other_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("member_id <> other_id", name=op.f("ck_connections_not_self")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_connections_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["members.id"],
            name=op.f("fk_connections_other_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "other_id", name=op.f("pk_connections")),
    )
    op.create_index(
        "ix_connections_member_recent",
        "connections",
        ["member_id", sa.literal_column("created_at DESC"), sa.literal_column("other_id DESC")],
        unique=False,
    )
    op.create_index("ix_connections_other_id", "connections", ["other_id"], unique=False)
    op.create_table(
        "invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("inviter_id", sa.BigInteger(), nullable=False),
        sa.Column("invitee_id", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "accepted", "declined", "withdrawn", "expired", name="invitation_status"
            ),
            nullable=False,
        ),
        sa.Column(
            "decline_reason",
            sa.Enum("ignore", "dont_know", "spam", name="decline_reason"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("inviter_id <> invitee_id", name=op.f("ck_invitations_not_self")),
        sa.ForeignKeyConstraint(
            ["invitee_id"],
            ["members.id"],
            name=op.f("fk_invitations_invitee_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"],
            ["members.id"],
            name=op.f("fk_invitations_inviter_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    op.create_index(
        "ix_invitations_invitee_created",
        "invitations",
        ["invitee_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_invitations_inviter_created",
        "invitations",
        ["inviter_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_invitations_inviter_responded",
        "invitations",
        ["inviter_id", "responded_at"],
        unique=False,
    )
    op.create_index(
        "ix_invitations_pair",
        "invitations",
        ["inviter_id", "invitee_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index(
        "ix_invitations_pending_expiry",
        "invitations",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_invitations_pending_pair",
        "invitations",
        [
            sa.literal_column("least(inviter_id, invitee_id)"),
            sa.literal_column("greatest(inviter_id, invitee_id)"),
        ],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_invitations_pending_pair",
        table_name="invitations",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_invitations_pending_expiry",
        table_name="invitations",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_invitations_pair", table_name="invitations")
    op.drop_index("ix_invitations_inviter_responded", table_name="invitations")
    op.drop_index("ix_invitations_inviter_created", table_name="invitations")
    op.drop_index("ix_invitations_invitee_created", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_connections_other_id", table_name="connections")
    op.drop_index("ix_connections_member_recent", table_name="connections")
    op.drop_table("connections")
    op.drop_index("uq_members_handle_lower", table_name="members")
    op.drop_index("ix_members_name_sort", table_name="members")
    op.drop_table("members")
    op.drop_index("ix_events_audience", table_name="events", postgresql_using="gin")
    op.drop_table("events")
    sa.Enum(name="decline_reason").drop(op.get_bind())
    sa.Enum(name="invitation_status").drop(op.get_bind())
