"""SQL about blocks. A block hides each member from the other, whoever placed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as insert_
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import Block, Member


async def insert(
    session: AsyncSession, blocker_id: int, blocked_id: int, now: datetime
) -> datetime | None:
    """Place the block; ``None`` when it was already there."""
    return await session.scalar(
        insert_(Block)
        .values(blocker_id=blocker_id, blocked_id=blocked_id, created_at=now)
        .on_conflict_do_nothing()
        .returning(Block.created_at)
    )


async def placed_at(session: AsyncSession, blocker_id: int, blocked_id: int) -> datetime | None:
    return await session.scalar(
        select(Block.created_at).where(
            Block.blocker_id == blocker_id, Block.blocked_id == blocked_id
        )
    )


async def delete_one(session: AsyncSession, blocker_id: int, blocked_id: int) -> bool:
    result = await session.execute(
        delete(Block)
        .where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
        .returning(Block.blocked_id)
    )
    return result.first() is not None


async def list_page(
    session: AsyncSession, blocker_id: int, *, limit: int, after: tuple[datetime, int] | None
) -> list[tuple[Member, datetime]]:
    """The blocker's blocks, newest first."""
    stmt = (
        select(Member, Block.created_at)
        .join(Member, Member.id == Block.blocked_id)
        .where(Block.blocker_id == blocker_id)
        .order_by(Block.created_at.desc(), Block.blocked_id.desc())
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Block.created_at, Block.blocked_id) < tuple_(*after))
    return [(m, at) for m, at in (await session.execute(stmt)).all()]
