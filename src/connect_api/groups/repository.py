"""SQL about groups. ``member_count`` changes in SQL (``member_count ± 1``), never from a value
read earlier, so concurrent joins and leaves can't lose an update."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, bindparam, delete, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import Group, GroupMember, Member
from connect_api.members import repository as members


async def create(
    session: AsyncSession, *, name: str, description: str | None, now: datetime
) -> Group | None:
    """Insert a group; ``None`` when the name is taken (case-insensitively,
    ``uq_groups_name_lower``)."""
    stmt = (
        insert(Group)
        .values(name=name, description=description, created_at=now)
        .on_conflict_do_nothing(index_elements=[func.lower(Group.name)])
        .returning(Group)
    )
    return (await session.scalars(stmt)).one_or_none()


async def get(session: AsyncSession, group_id: int) -> Group | None:
    return await session.get(Group, group_id, populate_existing=True)


async def list_page(session: AsyncSession, *, limit: int, after: int | None) -> list[Group]:
    """Newest first: ids are handed out in creation order, and the primary key orders them."""
    stmt = select(Group).order_by(Group.id.desc()).limit(limit)
    if after is not None:
        stmt = stmt.where(Group.id < after)
    return list(await session.scalars(stmt))


async def add_member(
    session: AsyncSession, group_id: int, member_id: int, now: datetime
) -> datetime | None:
    """Add the member to the group; returns ``joined_at``, or ``None`` if they already were."""
    return await session.scalar(
        insert(GroupMember)
        .values(group_id=group_id, member_id=member_id, joined_at=now)
        .on_conflict_do_nothing()
        .returning(GroupMember.joined_at)
    )


async def remove_member(session: AsyncSession, group_id: int, member_id: int) -> bool:
    """Take the member out of the group; ``False`` if they weren't in it."""
    gone = await session.scalar(
        delete(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.member_id == member_id)
        .returning(GroupMember.member_id)
    )
    return gone is not None


async def joined_at(session: AsyncSession, group_id: int, member_id: int) -> datetime | None:
    return await session.scalar(
        select(GroupMember.joined_at).where(
            GroupMember.group_id == group_id, GroupMember.member_id == member_id
        )
    )


async def count_change(session: AsyncSession, group_id: int, delta: int) -> Group:
    """Add ``delta`` to the group's member count; returns the group as it now is."""
    stmt = (
        update(Group)
        .where(Group.id == group_id)
        .values(member_count=Group.member_count + delta)
        .returning(Group)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).one()


async def members_page(
    session: AsyncSession,
    group_id: int,
    *,
    viewer_id: int | None,
    limit: int,
    after: tuple[datetime, int] | None,
) -> list[tuple[Member, datetime]]:
    """One page of a group's members, newest first (``ix_group_members_group_recent``),
    leaving out members a block hides from ``viewer_id`` (``None``: an admin, who sees all)."""
    stmt = (
        select(Member, GroupMember.joined_at)
        .join(Member, Member.id == GroupMember.member_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.joined_at.desc(), GroupMember.member_id.desc())
        .limit(limit)
    )
    if viewer_id is not None:
        stmt = stmt.where(~members.hides(viewer_id, GroupMember.member_id))
    if after is not None:
        stmt = stmt.where(tuple_(GroupMember.joined_at, GroupMember.member_id) < tuple_(*after))
    return [(m, at) for m, at in (await session.execute(stmt)).all()]


# For each of the groups, how many of its members a block (either way) hides from the viewer:
# the viewer's few block partners, each probed in the groups' primary key.
_HIDDEN = text(f"""
WITH p AS ({members.BLOCK_PARTNERS.replace("$1", ":viewer")})
SELECT gm.group_id, count(*) FROM p
JOIN group_members gm ON gm.member_id = p.id AND gm.group_id = ANY (:ids)
GROUP BY gm.group_id
""").bindparams(bindparam("ids", type_=ARRAY(BigInteger)))  # noqa: S608 - constants


async def hidden_members(
    session: AsyncSession, viewer_id: int, group_ids: list[int]
) -> dict[int, int]:
    """Per group, the members a block hides from ``viewer_id`` (groups with none left out)."""
    if not group_ids:
        return {}
    rows = await session.execute(_HIDDEN, {"viewer": viewer_id, "ids": group_ids})
    return {group_id: n for group_id, n in rows.all()}
