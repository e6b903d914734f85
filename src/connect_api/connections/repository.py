"""SQL about connections. A connection is two rows, one per direction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import Connection, Member


async def are_connected(session: AsyncSession, a: int, b: int) -> bool:
    stmt = select(exists().where(Connection.member_id == a, Connection.other_id == b))
    return bool(await session.scalar(stmt))


async def connected_since(session: AsyncSession, a: int, b: int) -> datetime | None:
    return await session.scalar(
        select(Connection.created_at).where(Connection.member_id == a, Connection.other_id == b)
    )


async def insert_pair(session: AsyncSession, a: int, b: int, now: datetime) -> bool:
    """Connect ``a`` and ``b``; ``False`` when they already were."""
    result = await session.execute(
        insert(Connection)
        .values(
            [
                {"member_id": a, "other_id": b, "created_at": now},
                {"member_id": b, "other_id": a, "created_at": now},
            ]
        )
        .on_conflict_do_nothing()
        .returning(Connection.member_id)
    )
    return len(result.all()) == 2


async def delete_pair(session: AsyncSession, a: int, b: int) -> bool:
    result = await session.execute(
        delete(Connection)
        .where(
            or_(
                and_(Connection.member_id == a, Connection.other_id == b),
                and_(Connection.member_id == b, Connection.other_id == a),
            )
        )
        .returning(Connection.member_id)
    )
    return len(result.all()) == 2


def _name_key():  # type: ignore[no-untyped-def]
    return func.lower(Member.display_name)


async def list_page(
    session: AsyncSession,
    member_id: int,
    *,
    by_name: bool,
    limit: int,
    after: tuple[Any, int] | None,
    q: str | None,
) -> list[tuple[Member, datetime, tuple[Any, int]]]:
    """One page of a member's connections: (member, connected at, the row's keyset position).

    Newest first, or by name as PostgreSQL lowers it (the position carries that very value,
    so a page boundary never depends on Python and PostgreSQL agreeing on case).
    """
    key = (_name_key(), Member.id) if by_name else (Connection.created_at, Connection.other_id)
    stmt = (
        select(Member, Connection.created_at, key[0])
        .join(Member, Member.id == Connection.other_id)
        .where(Connection.member_id == member_id)
        .order_by(*(key if by_name else (k.desc() for k in key)))
        .limit(limit)
    )
    if after is not None:
        position = tuple_(*key)
        stmt = stmt.where(position > tuple_(*after) if by_name else position < tuple_(*after))
    if q:
        stmt = stmt.where(_matches(q))
    return [(m, at, (k, m.id)) for m, at, k in (await session.execute(stmt)).all()]


def _matches(q: str):  # type: ignore[no-untyped-def]
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        Member.display_name.ilike(pattern, escape="\\"), Member.handle.ilike(pattern, escape="\\")
    )
