"""SQL about follows. Counters live on the member rows; services adjust them under lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import Follow, Member
from connect_api.members import repository as members

Pair = tuple[int, int]  # (follower, followee)


async def insert_many(session: AsyncSession, pairs: Sequence[Pair], now: datetime) -> list[Pair]:
    """Make each follower follow its followee; returns the follows that are new."""
    if not pairs:
        return []
    rows = await session.execute(
        insert(Follow)
        .values([{"follower_id": f, "followee_id": e, "created_at": now} for f, e in pairs])
        .on_conflict_do_nothing()
        .returning(Follow.follower_id, Follow.followee_id)
    )
    return [(f, e) for f, e in rows.all()]


async def delete_many(session: AsyncSession, pairs: Sequence[Pair]) -> list[Pair]:
    """Remove these follows; returns those that existed."""
    if not pairs:
        return []
    rows = await session.execute(
        delete(Follow)
        .where(tuple_(Follow.follower_id, Follow.followee_id).in_(list(pairs)))
        .returning(Follow.follower_id, Follow.followee_id)
    )
    return [(f, e) for f, e in rows.all()]


def either_way(a: int, b: int) -> list[Pair]:
    return [(a, b), (b, a)]


async def since(session: AsyncSession, follower_id: int, followee_id: int) -> datetime | None:
    """When ``follower_id`` started following ``followee_id``; ``None`` if they don't."""
    return await session.scalar(
        select(Follow.created_at).where(
            Follow.follower_id == follower_id, Follow.followee_id == followee_id
        )
    )


async def list_page(
    session: AsyncSession,
    member_id: int,
    *,
    followers: bool,
    viewer_id: int,
    limit: int,
    after: tuple[datetime, int] | None,
) -> list[tuple[Member, datetime]]:
    """One page of a member's followers (or of those they follow), newest follow first,
    leaving out members a block hides from ``viewer_id``.

    Reads ``ix_follows_followee_recent`` (followers) or ``ix_follows_follower_recent``
    (following) in order; the keyset is (followed at, the other member's id)."""
    mine, theirs = (
        (Follow.followee_id, Follow.follower_id)
        if followers
        else (Follow.follower_id, Follow.followee_id)
    )
    stmt = (
        select(Member, Follow.created_at)
        .join(Member, Member.id == theirs)
        .where(mine == member_id, ~members.hides(viewer_id, theirs))
        .order_by(Follow.created_at.desc(), theirs.desc())
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Follow.created_at, theirs) < tuple_(*after))
    return [(m, at) for m, at in (await session.execute(stmt)).all()]
