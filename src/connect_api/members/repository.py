"""SQL about members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    any_,
    bindparam,
    exists,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import visibility
from connect_api.core.models import (
    Block,
    Connection,
    Follow,
    Group,
    GroupMember,
    IdempotencyKey,
    Member,
    NetworkVisibility,
)
from connect_api.kit.database import Database, Work, driver

# A member's (``m``) badge numbers at $2: the invitations waiting for their answer, and how many
# of them arrived since they last marked their inbox seen (one range of the partial index of
# pending invitations each).
_RECEIVED = """(SELECT count(*) FROM invitations i
        WHERE i.invitee_id = m.id AND i.status = 'pending' AND i.expires_at > $2)
           AS pending_received,
       (SELECT count(*) FROM invitations i
        WHERE i.invitee_id = m.id AND i.status = 'pending' AND i.expires_at > $2
          AND i.created_at > coalesce(m.invitations_seen_at, '-infinity'))
           AS unseen_received"""

# `GET /v1/me`: the member and their invitation standing, in one statement on the hot-read pool
# (each count is a range of its own partial index of pending invitations).
_ME = f"""
SELECT m.id, m.handle, m.display_name, m.headline, m.connection_count, m.follower_count,
       m.following_count, m.created_at, m.restricted_until, m.invite_policy, m.follow_first,
       m.network_visibility,
       {_RECEIVED},
       (SELECT count(*) FROM invitations i
        WHERE i.inviter_id = m.id AND i.status = 'pending' AND i.expires_at > $2)
           AS pending_sent,
       ARRAY(SELECT i.created_at FROM invitations i
             WHERE i.inviter_id = m.id AND i.created_at > $3
             ORDER BY i.created_at DESC LIMIT $4) AS recent_sends
FROM members m
WHERE m.id = $1
"""  # noqa: S608 - constants of this module

# The badge alone (the live streams' `counts` event), of many members at once.
_COUNTS_OF = f"SELECT m.id, {_RECEIVED} FROM members m WHERE m.id = ANY ($1::bigint[])"  # noqa: S608
# "I have looked at my inbox up to now": never moved back; the members' streams are told.
_SEEN = f"""
WITH seen AS (
    UPDATE members m
    SET invitations_seen_at = greatest(coalesce(m.invitations_seen_at, '-infinity'), $2)
    WHERE m.id = $1
    RETURNING m.id, m.invitations_seen_at
)
SELECT {_RECEIVED}, pg_notify('connect_api_events', 'counts:' || m.id)
FROM seen m
"""  # noqa: S608 - constants of this module

# Whether the viewer ($1) has a block either way at all: two probes of the blocks' indexes,
# and false for nearly everyone, who then pay nothing more for blocks below.
_SCREEN = """
    SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1)
           OR EXISTS (SELECT 1 FROM blocks WHERE blocked_id = $1) AS screen
"""

# The members a block stands between the viewer ($1) and, either way: few for anyone (the
# groups' counts ask it too).
BLOCK_PARTNERS = """
    SELECT b.blocked_id AS id FROM blocks b WHERE b.blocker_id = $1
    UNION
    SELECT b.blocker_id FROM blocks b WHERE b.blocked_id = $1
"""

# What decides what the viewer ($1) sees of a member ($2) (see `visibility.sight`), in one
# statement: the caller's existence, the member's, a block either way, whether the viewer is
# one of the member's connections, and the member's choice of who sees their network.
_FACTS = """
SELECT EXISTS (SELECT 1 FROM members c WHERE c.id = $1) AS caller_exists,
       v.screen AND EXISTS (SELECT 1 FROM blocks b
                            WHERE (b.blocker_id = $1 AND b.blocked_id = $2)
                               OR (b.blocker_id = $2 AND b.blocked_id = $1)) AS blocked,
       EXISTS (SELECT 1 FROM connections c WHERE c.member_id = $1 AND c.other_id = $2)
           AS connected,
"""
_VIEWING = f"""
WITH v AS MATERIALIZED ({_SCREEN})
{_FACTS}       m.id, m.network_visibility
FROM v
LEFT JOIN members m ON m.id = $2
"""


def _hidden(where: str) -> str:
    """How many of the viewer's block partners are in the list ``where`` names (one probe of
    its primary key each): computed only for a viewer with a block at all."""
    return f"""CASE WHEN v.screen THEN (
           SELECT count(*) FROM ({BLOCK_PARTNERS}) p WHERE EXISTS (SELECT 1 FROM {where})
       ) ELSE 0 END"""  # noqa: S608 - constants of this module


# `GET /v1/members/{id}`: the facts above, the profile, and for each of its three counts how
# many of the members it counts a block hides from the viewer (the correction that makes the
# count agree with the list: the stored counter is read as is, never recounted, so at the
# 30,000 cap the profile still costs one row and a few index probes).
_PROFILE_AS_SEEN_BY = f"""
WITH v AS MATERIALIZED ({_SCREEN})
{_FACTS}       m.id, m.handle, m.display_name, m.headline, m.connection_count, m.follower_count,
       m.following_count, m.created_at, m.network_visibility,
       {_hidden("connections c WHERE c.member_id = $2 AND c.other_id = p.id")}
           AS hidden_connections,
       {_hidden("follows f WHERE f.follower_id = p.id AND f.followee_id = $2")}
           AS hidden_followers,
       {_hidden("follows f WHERE f.follower_id = $2 AND f.followee_id = p.id")}
           AS hidden_following
FROM v
LEFT JOIN members m ON m.id = $2
"""

# The same facts, for a use case that reads through the ORM session.
_VIEWING_ORM = text(_VIEWING.replace("$1", ":viewer").replace("$2", ":member"))


# --- blocks, as every room asks of them -----------------------------------------------------


def hides(caller_id: int, member_id: Any) -> ColumnElement[bool]:
    """True where a block, either way, stands between the caller and ``member_id``
    (a value or a column): use ``~hides(...)`` to keep a list to what the caller may see."""
    return exists().where(
        or_(
            and_(Block.blocker_id == caller_id, Block.blocked_id == member_id),
            and_(Block.blocker_id == member_id, Block.blocked_id == caller_id),
        )
    )


async def between(session: AsyncSession, a: int, b: int) -> bool:
    return bool(await session.scalar(select(hides(a, b))))


# The demo page's members: a page by id, and one by id.
_DEMO_COLUMNS = "SELECT id, handle, display_name, headline, connection_count FROM members"
_DEMO_PAGE = _DEMO_COLUMNS + " WHERE id > $1 ORDER BY id LIMIT $2"
_DEMO_ONE = _DEMO_COLUMNS + " WHERE id = $1"


async def demo_page(db: Database, after: int, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(_DEMO_PAGE, after, limit)


async def demo_member(db: Database, member_id: int) -> asyncpg.Record | None:
    rows = await db.fetch(_DEMO_ONE, member_id)
    return rows[0] if rows else None


async def me_row(
    db: Database, member_id: int, *, now: datetime, sends_since: datetime, sends_limit: int
) -> asyncpg.Record | None:
    rows = await db.fetch(_ME, member_id, now, sends_since, sends_limit)
    return rows[0] if rows else None


@dataclass(frozen=True)
class Seen:
    """A viewing's facts (see ``visibility.Viewing``) and, for a profile, the profile's row."""

    caller_exists: bool
    viewing: visibility.Viewing
    row: Mapping[Any, Any] | None  # the member's columns; ``None`` when there is no such member


def _seen(row: Mapping[Any, Any], caller_id: int, member_id: int, *, admin: bool) -> Seen:
    viewing = visibility.Viewing(
        viewer_id=caller_id,
        member_id=member_id,
        exists=row["id"] is not None,
        blocked=row["blocked"],
        connected=row["connected"],
        network_visibility=NetworkVisibility(row["network_visibility"] or "connections"),
        admin=admin,
    )
    return Seen(row["caller_exists"], viewing, row if row["id"] is not None else None)


async def profile_as_seen_by(
    db: Database, caller_id: int, member_id: int, *, admin: bool = False
) -> Seen:
    """The member's profile with what decides how the caller sees it, and the counts'
    corrections (``hidden_connections``, ``hidden_followers``, ``hidden_following``)."""
    row = (await db.fetch(_PROFILE_AS_SEEN_BY, caller_id, member_id))[0]
    return _seen(row, caller_id, member_id, admin=admin)


async def viewing(
    session: AsyncSession, caller_id: int, member_id: int, *, admin: bool = False
) -> Seen:
    """What decides what the caller sees of the member, in the request's transaction."""
    row = (await session.execute(_VIEWING_ORM, {"viewer": caller_id, "member": member_id})).one()
    return _seen(row._mapping, caller_id, member_id, admin=admin)


async def get(session: Work, member_id: int) -> Member | None:
    """The member, in a session's identity map; from a plain transaction, detached."""
    if isinstance(session, AsyncSession):
        return await session.get(Member, member_id)
    rows = await session.conn.fetch(_GET_ROW, member_id)
    return detached_members(rows).get(member_id)


# Built once: constructing the statement cost more than running it (a profile of the send).
_LOCK = (
    select(Member)
    # One array parameter, however many ids (a bulk decline may lock thousands).
    .where(Member.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    .order_by(Member.id)
    .with_for_update()
    # A row read earlier in this transaction must show its state as locked, not as cached.
    .execution_options(populate_existing=True)
)


async def lock(session: AsyncSession, *member_ids: int) -> dict[int, Member]:
    """Lock members' rows in id order (one order everywhere, so no deadlock) and return them."""
    rows = await session.scalars(_LOCK, {"ids": sorted(set(member_ids))})
    return {m.id: m for m in rows}


# A member row as the hot writes read it (the columns of core.models.Member).
MEMBER_COLUMNS = (
    "id, handle, display_name, headline, created_at, connection_count, follower_count, "
    "following_count, restricted_until, invite_policy, follow_first, network_visibility"
)
_GET_ROW = f"SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1"  # noqa: S608
_LOCK_ROWS = (
    f"SELECT {MEMBER_COLUMNS} FROM members WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE"  # noqa: S608
)


async def lock_rows(session: Work, *member_ids: int) -> dict[int, Member]:
    """:func:`lock` as one prepared statement on the session's connection, for the hot writes:
    the members come back detached (nothing the caller changes on them is written; the hot
    writes say what they write in their own statements)."""
    conn = await driver(session)
    rows = await conn.fetch(_LOCK_ROWS, sorted(set(member_ids)))
    return detached_members(rows)


def detached_members(rows: Sequence[asyncpg.Record]) -> dict[int, Member]:
    """Rows of :data:`MEMBER_COLUMNS` as members by id, detached from any session."""
    return {r[0]: Member(**dict(r.items())) for r in rows}


async def restrict(session: Work, member_id: int, until: datetime) -> None:
    """Restrict a (locked) member from sending invitations until ``until``."""
    await (await driver(session)).execute(
        "UPDATE members SET restricted_until = $2 WHERE id = $1", member_id, until
    )


async def update_settings(
    session: AsyncSession, member_id: int, values: dict[str, object]
) -> tuple[str, bool, str] | None:
    """Set the member's controls (``invite_policy``, ``follow_first``, ``network_visibility``;
    none: just read them)
    and return them; ``None`` when there is no such member.

    The update takes the member's row lock, the lock every send to them takes first, so a send
    sees the setting from wholly before or wholly after the change (spec 2.13 under 2's
    concurrency rule). Only one row is locked: no lock order to keep with anything."""
    stmt = (
        update(Member)
        .where(Member.id == member_id)
        .values(values if values else {Member.invite_policy: Member.invite_policy})
        .returning(Member.invite_policy, Member.follow_first, Member.network_visibility)
    )
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1], row[2]) if row is not None else None


async def create(
    session: AsyncSession,
    *,
    handle: str,
    display_name: str,
    headline: str | None,
    now: datetime,
) -> Member | None:
    """Insert a member; ``None`` when the handle is taken (case-insensitively)."""
    stmt = (
        insert(Member)
        .values(handle=handle, display_name=display_name, headline=headline, created_at=now)
        .on_conflict_do_nothing()
        .returning(Member)
    )
    return (await session.scalars(stmt)).one_or_none()


async def get_many(session: AsyncSession, member_ids: Sequence[int]) -> dict[int, Member]:
    if not member_ids:
        return {}
    rows = await session.scalars(select(Member).where(Member.id.in_(set(member_ids))))
    return {m.id: m for m in rows}


async def neighbours(session: AsyncSession, member_id: int) -> set[int]:
    """Every member whose counters a member's erasure changes: connections, followers and
    members they follow."""
    rows = await session.scalars(
        union(
            select(Connection.other_id).where(Connection.member_id == member_id),
            select(Follow.followee_id).where(Follow.follower_id == member_id),
            select(Follow.follower_id).where(Follow.followee_id == member_id),
        )
    )
    return set(rows)


async def connection_ids(session: AsyncSession, member_id: int) -> list[int]:
    return list(
        await session.scalars(select(Connection.other_id).where(Connection.member_id == member_id))
    )


async def uncount(session: AsyncSession, member_id: int) -> None:
    """Take a member about to be erased out of everyone's counters (rows locked by the caller)."""
    for column, ids in (
        (
            Member.connection_count,
            select(Connection.other_id).where(Connection.member_id == member_id),
        ),
        (Member.follower_count, select(Follow.followee_id).where(Follow.follower_id == member_id)),
        (Member.following_count, select(Follow.follower_id).where(Follow.followee_id == member_id)),
    ):
        await session.execute(
            update(Member)
            .where(Member.id.in_(ids))
            .values({column: column - 1})
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(Group)
        .where(Group.id.in_(select(GroupMember.group_id).where(GroupMember.member_id == member_id)))
        .values(member_count=Group.member_count - 1)
        .execution_options(synchronize_session=False)
    )


async def delete(session: AsyncSession, member_id: int) -> None:
    """Delete the member row: connections, invitations, follows, blocks, notes and tags by or
    about them, and group memberships go with it (ON DELETE CASCADE)."""
    await session.execute(sa_delete(Member).where(Member.id == member_id))
    await session.execute(sa_delete(IdempotencyKey).where(IdempotencyKey.member_id == member_id))


async def received_counts_of(
    db: Database, member_ids: list[int], now: datetime
) -> dict[int, dict[str, int]]:
    """The badge's numbers (``pending_received``, ``unseen_received``) of each member, in one
    statement on the primary, by member id (an erased member is not in it)."""
    rows = await db.fetch_primary(_COUNTS_OF, member_ids, now)
    return {
        row["id"]: {
            "pending_received": row["pending_received"],
            "unseen_received": row["unseen_received"],
        }
        for row in rows
    }


async def mark_received_seen(session: Work, member_id: int, now: datetime) -> asyncpg.Record | None:
    """Mark the member's received invitations seen up to ``now`` and tell their streams; the
    badge numbers after it, ``None``: no such member."""
    conn = await driver(session)
    row: asyncpg.Record | None = await conn.fetchrow(_SEEN, member_id, now)
    return row
