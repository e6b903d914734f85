"""SQL about follows. Counters live on the member rows; services adjust them under lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import Follow

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


async def follows(session: AsyncSession, follower_id: int, followee_id: int) -> bool:
    stmt = select(
        exists().where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
    )
    return bool(await session.scalar(stmt))


def either_way(a: int, b: int) -> list[Pair]:
    return [(a, b), (b, a)]
