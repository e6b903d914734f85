"""SQL about connections. A connection is two rows, one per direction."""

from __future__ import annotations

from datetime import datetime

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


async def name_key(session: AsyncSession, member_id: int) -> str:
    """A member's sort key by name as the database computes it (Python's ``lower`` differs)."""
    return str(await session.scalar(select(_name_key()).where(Member.id == member_id)))


async def list_recent(
    session: AsyncSession,
    member_id: int,
    *,
    limit: int,
    after: tuple[datetime, int] | None,
    q: str | None,
) -> list[tuple[Member, datetime]]:
    stmt = (
        select(Member, Connection.created_at)
        .join(Member, Member.id == Connection.other_id)
        .where(Connection.member_id == member_id)
        .order_by(Connection.created_at.desc(), Connection.other_id.desc())
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Connection.created_at, Connection.other_id) < tuple_(*after))
    if q:
        stmt = stmt.where(_matches(q))
    return [(m, at) for m, at in (await session.execute(stmt)).all()]


async def list_by_name(
    session: AsyncSession,
    member_id: int,
    *,
    limit: int,
    after: tuple[str, int] | None,
    q: str | None,
) -> list[tuple[Member, datetime]]:
    stmt = (
        select(Member, Connection.created_at)
        .join(Member, Member.id == Connection.other_id)
        .where(Connection.member_id == member_id)
        .order_by(_name_key(), Member.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(tuple_(_name_key(), Member.id) > tuple_(*after))
    if q:
        stmt = stmt.where(_matches(q))
    return [(m, at) for m, at in (await session.execute(stmt)).all()]


def _matches(q: str):  # type: ignore[no-untyped-def]
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        Member.display_name.ilike(pattern, escape="\\"), Member.handle.ilike(pattern, escape="\\")
    )
