"""Follow use cases. Both members' rows are locked (in id order) before any follow changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.follows import repository as follows
from connect_api.models import Member

Pair = follows.Pair


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
