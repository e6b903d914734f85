"""SQL about members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, any_, literal, select, union, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import (
    Connection,
    Follow,
    Group,
    GroupMember,
    IdempotencyKey,
    Member,
)


async def get(session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def lock(session: AsyncSession, *member_ids: int) -> dict[int, Member]:
    """Lock members' rows in id order (one order everywhere, so no deadlock) and return them."""
    ids = sorted(set(member_ids))
    rows = await session.scalars(
        select(Member)
        # One array parameter, however many ids (a bulk decline may lock thousands).
        .where(Member.id == any_(literal(ids, type_=ARRAY(BigInteger))))
        .order_by(Member.id)
        .with_for_update()
        # A row read earlier in this transaction must show its state as locked, not as cached.
        .execution_options(populate_existing=True)
    )
    return {m.id: m for m in rows}


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
