"""Follow use cases. Both members' rows are locked (in id order) before any follow changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import policy, visibility
from connect_api.core.models import Member
from connect_api.events import repository as events
from connect_api.follows import repository as follows
from connect_api.kit.context import AppContext
from connect_api.kit.errors import member_gone
from connect_api.members import repository as members
from connect_api.members.access import caller_from

Pair = follows.Pair
Cursor = tuple[datetime, int]


async def add(
    session: AsyncSession, locked: Mapping[int, Member], pairs: Sequence[Pair], now: datetime
) -> list[Pair]:
    """Create these follows and count them on the (locked) members; returns the new ones."""
    made = await follows.insert_many(session, pairs, now)
    for follower, followee in made:
        locked[follower].following_count += 1
        locked[followee].follower_count += 1
    await session.flush()
    return made


async def drop(
    session: AsyncSession, locked: Mapping[int, Member], pairs: Sequence[Pair]
) -> list[Pair]:
    """Remove these follows and uncount them on the (locked) members; returns those removed."""
    gone = await follows.delete_many(session, pairs)
    for follower, followee in gone:
        locked[follower].following_count -= 1
        locked[followee].follower_count -= 1
    await session.flush()
    return gone


async def unfollow_each_other(
    session: AsyncSession, locked: Mapping[int, Member], a: int, b: int
) -> list[Pair]:
    """Both follows between two (locked) members, removed and uncounted: a removed connection
    (spec 2.8) or a block (2.7). Returns those that were there."""
    return await drop(session, locked, follows.either_way(a, b))


@dataclass
class FollowView:
    member: Member  # the member followed
    followed_at: datetime
    created: bool  # False when the caller already followed them


async def _lock_pair(
    session: AsyncSession, caller_id: int, member_id: int
) -> tuple[dict[int, Member], Member]:
    """Lock the caller and the other member; 404 when the other is gone or a block stands
    between them (checked under the locks, so no block can slip in before the write)."""
    locked = await members.lock(session, caller_id, member_id)
    caller_from(locked, caller_id)
    other = locked.get(member_id)
    if other is None or (
        member_id != caller_id and await members.between(session, caller_id, member_id)
    ):
        raise visibility.hidden()
    return locked, other


async def follow(
    session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int
) -> FollowView:
    """The caller follows ``member_id``; following again changes nothing."""
    now = ctx.clock.now()
    locked, other = await _lock_pair(session, caller_id, member_id)
    policy.check_follow(follower_id=caller_id, followee_id=member_id)
    made = await add(session, locked, [(caller_id, member_id)], now)
    if made:
        await events.record(
            session,
            "follow.created",
            audience=(caller_id, member_id),
            data={"follower_id": caller_id, "followee_id": member_id},
            now=now,
        )
        return FollowView(other, now, True)
    since = await follows.since(session, caller_id, member_id)
    assert since is not None  # the insert found it, under both locks
    return FollowView(other, since, False)


async def unfollow(session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int) -> None:
    """The caller stops following ``member_id`` (a connection between them stays)."""
    await _drop_one(
        session, ctx, caller_id, member_id, follower_id=caller_id, followee_id=member_id
    )


async def remove_follower(
    session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int
) -> None:
    """``member_id`` stops following the caller; nothing else changes between them."""
    await _drop_one(
        session, ctx, caller_id, member_id, follower_id=member_id, followee_id=caller_id
    )


async def _drop_one(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    member_id: int,
    *,
    follower_id: int,
    followee_id: int,
) -> None:
    locked, _ = await _lock_pair(session, caller_id, member_id)
    if await drop(session, locked, [(follower_id, followee_id)]):
        await events.record(
            session,
            "follow.removed",
            audience=(caller_id,),
            data={"follower_id": follower_id, "followee_id": followee_id},
            now=ctx.clock.now(),
        )


async def list_follows(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    member_id: int,
    *,
    followers: bool,
    limit: int,
    after: Cursor | None,
    admin: bool = False,
) -> tuple[list[tuple[Member, datetime]], Cursor | None]:
    """A member's followers (or those they follow), newest first, without anyone a block
    hides from the caller. Seen where ``visibility.sight`` shows the member's network (the rule of
    their connection list, so no pair of follow lists spells out a hidden connection list);
    otherwise 404, as for a member who doesn't exist."""
    seen = await members.viewing(session, caller_id, member_id, admin=admin)
    if not seen.caller_exists and not admin:
        raise member_gone()
    if not visibility.sight(seen.viewing).network:
        raise visibility.network_hidden()
    rows = await follows.list_page(
        session, member_id, followers=followers, viewer_id=caller_id, limit=limit + 1, after=after
    )
    page = rows[:limit]
    nxt = (page[-1][1], page[-1][0].id) if len(rows) > limit else None
    return page, nxt
