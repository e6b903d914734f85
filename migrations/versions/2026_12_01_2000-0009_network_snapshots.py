"""Second degree and suggestions: per-member network snapshots, and dismissed suggestions.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_snapshots",
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("previous_version", sa.BigInteger(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_network_snapshots_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_network_snapshots")),
    )
    op.create_table(
        "network_candidates",
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), nullable=False),
        sa.Column("mutuals", sa.Integer(), nullable=False),
        sa.Column("shared_groups", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["members.id"],
            name=op.f("fk_network_candidates_candidate_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_network_candidates_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "member_id", "version", "candidate_id", name=op.f("pk_network_candidates")
        ),
    )
    op.create_index(
        "ix_network_candidates_by_mutuals",
        "network_candidates",
        ["member_id", "version", sa.literal_column("mutuals DESC"), "candidate_id"],
    )
    op.create_index(
        "ix_network_candidates_by_score",
        "network_candidates",
        [
            "member_id",
            "version",
            sa.literal_column("score DESC"),
            sa.literal_column("mutuals DESC"),
            "candidate_id",
        ],
    )
    op.create_index("ix_network_candidates_candidate_id", "network_candidates", ["candidate_id"])
    op.create_table(
        "suggestion_dismissals",
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("dismissed_id", sa.BigInteger(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dismissed_id"],
            ["members.id"],
            name=op.f("fk_suggestion_dismissals_dismissed_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_suggestion_dismissals_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "dismissed_id", name=op.f("pk_suggestion_dismissals")),
    )
    op.create_index(
        "ix_suggestion_dismissals_dismissed_id", "suggestion_dismissals", ["dismissed_id"]
    )


def downgrade() -> None:
    op.drop_table("suggestion_dismissals")
    op.drop_table("network_candidates")
    op.drop_table("network_snapshots")
