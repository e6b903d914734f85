"""Group use cases: admins create groups; members join and leave them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import visibility
from connect_api.core.models import Group, Member
from connect_api.graph import feed as graph
from connect_api.groups import repository as groups
from connect_api.groups.schemas import GroupCreate
from connect_api.kit.context import AppContext
from connect_api.kit.errors import Conflict, NotFound
from connect_api.members import repository as members
from connect_api.members.access import caller_from, require_member

MemberCursor = tuple[datetime, int]


class GroupNameTaken(Conflict):
    """A group with this name exists (names are case-insensitive)."""

    code = "group_name_taken"


@dataclass(frozen=True)
class GroupView:
    """A group as the viewer sees it: ``member_count`` is the members they can page through
    (a block either way hides a member from the count as from the list, spec 2.11)."""

    id: int
    name: str
    description: str | None
    member_count: int
    created_at: datetime


@dataclass
class MembershipView:
    group: GroupView
    joined_at: datetime
    created: bool  # False when the caller already belonged to the group


async def _as_seen(
    session: AsyncSession, caller_id: int | None, found: list[Group]
) -> list[GroupView]:
    """The groups with their counts as ``caller_id`` sees them (``None``: an admin, all)."""
    hidden = (
        await groups.hidden_members(session, caller_id, [g.id for g in found])
        if caller_id is not None
        else {}
    )
    return [
        GroupView(
            g.id,
            g.name,
            g.description,
            visibility.shown_count(g.member_count, hidden.get(g.id, 0), True) or 0,
            g.created_at,
        )
        for g in found
    ]


def _no_group() -> NotFound:
    return NotFound("No such group.")


async def _viewer(session: AsyncSession, caller_id: int | None) -> None:
    """``None`` is an admin, who need not be a member; a member's token must name one."""
    if caller_id is not None:
        await require_member(session, caller_id)


async def create(session: AsyncSession, ctx: AppContext, body: GroupCreate) -> Group:
    group = await groups.create(
        session, name=body.name, description=body.description, now=ctx.clock.now()
    )
    if group is None:
        raise GroupNameTaken(f"A group named {body.name!r} exists.", name=body.name)
    return group


async def _existing(session: AsyncSession, caller_id: int | None, group_id: int) -> Group:
    await _viewer(session, caller_id)
    group = await groups.get(session, group_id)
    if group is None:
        raise _no_group()
    return group


async def get(
    session: AsyncSession, ctx: AppContext, caller_id: int | None, group_id: int
) -> GroupView:
    group = await _existing(session, caller_id, group_id)
    return (await _as_seen(session, caller_id, [group]))[0]


async def list_groups(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int | None,
    *,
    limit: int,
    after: int | None,
) -> tuple[list[GroupView], int | None]:
    await _viewer(session, caller_id)
    rows = await groups.list_page(session, limit=limit + 1, after=after)
    page = rows[:limit]
    return await _as_seen(session, caller_id, page), page[-1].id if len(rows) > limit else None


async def _lock_caller(session: AsyncSession, caller_id: int) -> Member:
    # The caller's row lock serialises their own joins and leaves with their erasure, which
    # fixes the same groups' counts.
    return caller_from(await members.lock(session, caller_id), caller_id)


async def join(
    session: AsyncSession, ctx: AppContext, caller_id: int, group_id: int
) -> MembershipView:
    """The caller joins the group; joining again changes nothing."""
    now = ctx.clock.now()
    await _lock_caller(session, caller_id)
    group = await groups.get(session, group_id)
    if group is None:
        raise _no_group()
    if await groups.add_member(session, group_id, caller_id, now) is not None:
        graph.changed(session, caller_id)
        group = await groups.count_change(session, group_id, +1)
        return MembershipView((await _as_seen(session, caller_id, [group]))[0], now, True)
    since = await groups.joined_at(session, group_id, caller_id)
    assert since is not None  # the insert found it, under the caller's lock
    return MembershipView((await _as_seen(session, caller_id, [group]))[0], since, False)


async def leave(session: AsyncSession, ctx: AppContext, caller_id: int, group_id: int) -> None:
    """The caller leaves the group; leaving when not in it changes nothing."""
    await _lock_caller(session, caller_id)
    if await groups.get(session, group_id) is None:
        raise _no_group()
    if await groups.remove_member(session, group_id, caller_id):
        graph.changed(session, caller_id)
        await groups.count_change(session, group_id, -1)


async def list_members(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int | None,
    group_id: int,
    *,
    limit: int,
    after: MemberCursor | None,
) -> tuple[list[tuple[Member, datetime]], MemberCursor | None]:
    """A group's members, newest first, without anyone a block hides from the caller."""
    await _existing(session, caller_id, group_id)  # the list needs no count
    rows = await groups.members_page(
        session, group_id, viewer_id=caller_id, limit=limit + 1, after=after
    )
    page = rows[:limit]
    nxt = (page[-1][1], page[-1][0].id) if len(rows) > limit else None
    return page, nxt
