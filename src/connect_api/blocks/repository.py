"""SQL about blocks. A block hides each member from the other, whoever placed it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import Block


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


async def hidden_among(session: AsyncSession, caller_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` a block, either way, hides from the caller."""
    if not ids:
        return set()
    rows = await session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(
                and_(Block.blocker_id == caller_id, Block.blocked_id.in_(ids)),
                and_(Block.blocked_id == caller_id, Block.blocker_id.in_(ids)),
            )
        )
    )
    return {b if a == caller_id else a for a, b in rows.all()}
