"""SQL about members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import Member


async def get(session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def lock(session: AsyncSession, *member_ids: int) -> dict[int, Member]:
    """Lock members' rows in id order (one order everywhere, so no deadlock) and return them."""
    ids = sorted(set(member_ids))
    rows = await session.scalars(
        select(Member)
        .where(Member.id.in_(ids))
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
