"""Tables. No ORM relationships: every read is a query you can see in a repository."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import CHAR, UserDefinedType

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class InvitationStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"
    expired = "expired"


class DeclineReason(enum.StrEnum):
    ignore = "ignore"
    dont_know = "dont_know"
    spam = "spam"


class InvitePolicy(enum.StrEnum):
    """Who may invite a member (spec 2.13)."""

    everyone = "everyone"
    network = "network"  # 2nd and 3rd degree (and those of `nobody`)
    nobody = "nobody"  # only members they follow or share a group with


class NetworkVisibility(enum.StrEnum):
    """Who may see a member's connections, followers and following (spec 2.11, 2.13)."""

    connections = "connections"  # the member and their 1st degree
    only_me = "only_me"  # the member alone


TZ = DateTime(timezone=True)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    handle: Mapped[str] = mapped_column(String(30))
    display_name: Mapped[str] = mapped_column(String(100))
    headline: Mapped[str | None] = mapped_column(String(220))
    created_at: Mapped[datetime] = mapped_column(TZ)
    connection_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    follower_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    following_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    restricted_until: Mapped[datetime | None] = mapped_column(TZ)
    # Member controls (spec 2.13): plain text with a CHECK, so a new choice is one constraint.
    invite_policy: Mapped[str] = mapped_column(Text, server_default=text("'everyone'"))
    follow_first: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    network_visibility: Mapped[str] = mapped_column(Text, server_default=text("'connections'"))
    # When the member last marked their received invitations seen (the badge counts the rest).
    invitations_seen_at: Mapped[datetime | None] = mapped_column(TZ)

    __table_args__ = (
        Index("uq_members_handle_lower", func.lower(handle), unique=True),
        Index("ix_members_name_sort", func.lower(display_name), "id"),
        CheckConstraint("connection_count >= 0", name="connection_count_nonnegative"),
        CheckConstraint("follower_count >= 0", name="follower_count_nonnegative"),
        CheckConstraint("following_count >= 0", name="following_count_nonnegative"),
        CheckConstraint(
            "invite_policy IN ('everyone', 'network', 'nobody')", name="invite_policy_known"
        ),
        CheckConstraint(
            "network_visibility IN ('connections', 'only_me')", name="network_visibility_known"
        ),
    )


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InvitationStatus] = mapped_column(
        Enum(
            InvitationStatus,
            name="invitation_status",
            values_callable=lambda e: [m.value for m in e],
        )
    )
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        Enum(DeclineReason, name="decline_reason", values_callable=lambda e: [m.value for m in e])
    )
    created_at: Mapped[datetime] = mapped_column(TZ)
    expires_at: Mapped[datetime] = mapped_column(TZ)
    responded_at: Mapped[datetime | None] = mapped_column(TZ)

    __table_args__ = (
        CheckConstraint("inviter_id <> invitee_id", name="not_self"),
        # One pending invitation per unordered pair, whichever way it points.
        Index(
            "uq_invitations_pending_pair",
            func.least(inviter_id, invitee_id),
            func.greatest(inviter_id, invitee_id),
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_invitations_inviter_created", inviter_id, created_at.desc(), id.desc()),
        Index("ix_invitations_invitee_created", invitee_id, created_at.desc(), id.desc()),
        Index("ix_invitations_inviter_responded", inviter_id, responded_at),
        Index("ix_invitations_pair", inviter_id, invitee_id, created_at.desc()),
        Index(
            "ix_invitations_pending_expiry",
            expires_at,
            postgresql_where=text("status = 'pending'"),
        ),
        # A member's own pending invitations: counted on every send and look-up.
        Index(
            "ix_invitations_pending_inviter",
            inviter_id,
            expires_at,
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_invitations_pending_invitee",
            invitee_id,
            expires_at,
            postgresql_where=text("status = 'pending'"),
        ),
    )


class Connection(Base):
    """One row per direction: "my connections" is a range scan on the primary key prefix."""

    __tablename__ = "connections"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(TZ)
    # The other member's lower(display_name): one member's connections in name order are an
    # index range (display names do not change; whatever changes one must update this too).
    other_name_key: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("member_id <> other_id", name="not_self"),
        Index("ix_connections_member_recent", member_id, created_at.desc(), other_id.desc()),
        Index("ix_connections_member_name", member_id, other_name_key, other_id),
        # For deletes that cascade from the other side's member row.
        Index("ix_connections_other_id", other_id),
    )


class Follow(Base):
    """``follower_id`` follows ``followee_id``: one-way, no consent needed."""

    __tablename__ = "follows"

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    followee_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        CheckConstraint("follower_id <> followee_id", name="not_self"),
        Index("ix_follows_follower_recent", follower_id, created_at.desc(), followee_id.desc()),
        Index("ix_follows_followee_recent", followee_id, created_at.desc(), follower_id.desc()),
    )


class Block(Base):
    """``blocker_id`` hides themselves from ``blocked_id`` (and ``blocked_id`` from them)."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        CheckConstraint("blocker_id <> blocked_id", name="not_self"),
        Index("ix_blocks_blocker_recent", blocker_id, created_at.desc(), blocked_id.desc()),
        Index("ix_blocks_blocked_id", blocked_id),
    )


# Notes and tags hang off the author's row of a connection: removing the connection (by
# removal, block or erasure) removes them in the same statement.
_ON_CONNECTION = ("connections.member_id", "connections.other_id")


class Note(Base):
    """The private note ``author_id`` keeps on their connection ``member_id``."""

    __tablename__ = "notes"

    author_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    how_we_met: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        ForeignKeyConstraint(["author_id", "member_id"], _ON_CONNECTION, ondelete="CASCADE"),
    )


class ConnectionTag(Base):
    """One of ``author_id``'s tags on their connection ``member_id``.

    ``key`` is the normalised tag (what makes two tags the same); ``name`` is how the author
    wrote it first.
    """

    __tablename__ = "connection_tags"

    author_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        ForeignKeyConstraint(["author_id", "member_id"], _ON_CONNECTION, ondelete="CASCADE"),
        Index("ix_connection_tags_author_key", author_id, key, member_id),
    )


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(TZ)
    member_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (
        Index("uq_groups_name_lower", func.lower(name), unique=True),
        CheckConstraint("member_count >= 0", name="member_count_nonnegative"),
    )


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        Index("ix_group_members_group_recent", group_id, joined_at.desc(), member_id.desc()),
        Index("ix_group_members_member_id", member_id, group_id),
    )


class IdempotencyKey(Base):
    """A POST's first response, replayed for retries that carry the same key (24 h by default)."""

    __tablename__ = "idempotency_keys"

    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (Index("ix_idempotency_keys_created_at", created_at),)


class StreamTicket(Base):
    """A single-use ticket that opens the member's live stream (``?ticket=``): only its digest
    is kept, for a minute."""

    __tablename__ = "stream_tickets"

    digest: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger)
    # The stream it opens closes when the token that asked for it expires.
    token_expires_at: Mapped[datetime] = mapped_column(TZ)
    expires_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (Index("ix_stream_tickets_expires_at", expires_at),)


class Webhook(Base):
    """An endpoint that receives every event (or the listed types), signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)))
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TZ)
    # Since when every attempt has failed (null after a success); disabled past a limit.
    failing_since: Mapped[datetime | None] = mapped_column(TZ)
    disabled_at: Mapped[datetime | None] = mapped_column(TZ)
    # `gone` (answered 410), `failing` (failed too long) or `manual` (an admin's PATCH).
    disabled_reason: Mapped[str | None] = mapped_column(String(16))

    @property
    def status(self) -> str:
        return "enabled" if self.disabled_at is None else "disabled"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(Base):
    """One event to one webhook: retried with backoff until delivered or out of attempts."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus,
            name="delivery_status",
            values_callable=lambda e: [m.value for m in e],
        )
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # When the next attempt is due; while an attempt runs, when its lease ends.
    next_attempt_at: Mapped[datetime] = mapped_column(TZ)
    last_attempt_at: Mapped[datetime | None] = mapped_column(TZ)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(TZ)

    __table_args__ = (
        Index("uq_webhook_deliveries_webhook_event", webhook_id, event_id, unique=True),
        Index(
            "ix_webhook_deliveries_due",
            next_attempt_at,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_event_id", event_id),
    )


EVENT_POSITIONS = Sequence("event_positions", metadata=Base.metadata)


class Event(Base):
    """The outbox: written in the transaction of the change it records."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(TZ)
    audience: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    # The event's place in the feed, given once it is committed (see events.repository.publish).
    position: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_events_audience", audience, postgresql_using="gin"),
        Index("uq_events_position", position, unique=True),
        Index("ix_events_unpublished", id, postgresql_where=text("position IS NULL")),
    )


class NetworkSnapshot(Base):
    """When a member's network (second degree and suggestion ranking) was last computed.

    ``version`` names the current rows of :class:`NetworkCandidate`; the ones of
    ``previous_version`` are kept until the next computation, so a cursor handed out just
    before one still reads the list it started on."""

    __tablename__ = "network_snapshots"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger)
    previous_version: Mapped[int | None] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(TZ)
    reached: Mapped[int] = mapped_column(Integer)  # members at degree 2 when computed
    connections: Mapped[int] = mapped_column(Integer)  # the member's connections then


class NetworkCandidate(Base):
    """One member of a member's network as computed at ``version``: how many mutual
    connections and shared groups they had, and the suggestion score made of them."""

    __tablename__ = "network_candidates"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    mutuals: Mapped[int] = mapped_column(Integer)
    shared_groups: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    # Among the top by mutual connections: listed in the second degree (the others were kept
    # for their suggestion score only).
    listed: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index(
            "ix_network_candidates_by_mutuals",
            member_id,
            version,
            mutuals.desc(),
            candidate_id,
        ),
        Index(
            "ix_network_candidates_by_score",
            member_id,
            version,
            score.desc(),
            mutuals.desc(),
            candidate_id,
        ),
        Index("ix_network_candidates_candidate_id", candidate_id),
    )


class SuggestionDismissal(Base):
    """``member_id`` asked not to be suggested ``dismissed_id`` until ``until``."""

    __tablename__ = "suggestion_dismissals"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    dismissed_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (Index("ix_suggestion_dismissals_dismissed_id", dismissed_id),)


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


class GraphChange(Base):
    """The graph's outbox (migration 0013): written by triggers on ``connections``, ``blocks``
    and ``group_members``, read by each process's in-memory graph (``connect_api.graph``).
    ``kind``: ``c`` connection (``a`` < ``b``), ``b`` block (blocker, blocked), ``g`` group
    membership (group, member), ``r`` read everything again."""

    __tablename__ = "graph_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    xid: Mapped[int] = mapped_column(Xid8, server_default=text("pg_current_xact_id()"))
    noted_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    kind: Mapped[str] = mapped_column(CHAR(1))
    a: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    b: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (
        Index("ix_graph_changes_xid", xid),
        Index("ix_graph_changes_noted_at", noted_at),
    )
