"""Connection use cases: listing (with its privacy rule) and silent removal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.connections import repository as connections
from connect_api.connections.schemas import ConnectionSort
from connect_api.core import visibility
from connect_api.core.models import Member
from connect_api.core.visibility import network_hidden
from connect_api.events import repository as events
from connect_api.follows import service as follow_service
from connect_api.graph import feed as graph
from connect_api.kit.context import AppContext
from connect_api.kit.errors import NotFound, member_gone
from connect_api.members import repository as members
from connect_api.members.access import caller_from

Cursor = tuple[datetime, int] | tuple[str, int]


async def list_connections(
    ctx: AppContext,
    caller_id: int,
    member_id: int,
    *,
    sort: ConnectionSort,
    q: str | None,
    limit: int,
    after: Cursor | None,
    tag_key: str | None = None,
    admin: bool = False,
) -> tuple[list[connections.ListedConnection], Cursor | None]:
    """A member's connections, as ``visibility.sight`` allows: the member, and their 1st-degree
    connections unless the member chose ``only_me``.

    With ``tag_key``, only those the caller tagged with it (tags are the caller's own, so
    this shows nothing the caller did not already know)."""
    found = await connections.page(
        ctx.db,
        caller_id,
        member_id,
        by_name=sort is ConnectionSort.name,
        limit=limit + 1,
        after=after,
        q=q,
        tag_key=tag_key,
        admin=admin,
    )
    if not found.caller_exists and not admin:
        raise member_gone()
    if not visibility.sight(found.viewing).network:
        raise network_hidden()
    rows = found.rows
    nxt = rows[limit - 1].position if len(rows) > limit else None
    return rows[:limit], nxt


async def disconnect(session: AsyncSession, locked: Mapping[int, Member], a: int, b: int) -> bool:
    """Remove the connection between two locked members, counters fixed (the notes and tags
    each kept on the other go with its rows); ``False`` when they were not connected."""
    if not await connections.delete_pair(session, a, b):
        return False
    graph.changed(session, a, b)
    locked[a].connection_count -= 1
    locked[b].connection_count -= 1
    return True


async def remove(session: AsyncSession, ctx: AppContext, caller_id: int, other_id: int) -> None:
    """Remove a connection. Silent: the other member is not notified; no cooldown follows.

    Both follows go with it (spec 2.8), and so do the notes and tags each kept on the other
    (they hang off the connection rows)."""
    now = ctx.clock.now()
    locked = await members.lock(session, caller_id, other_id)
    caller_from(locked, caller_id)
    if other_id not in locked or not await disconnect(session, locked, caller_id, other_id):
        raise NotFound("You are not connected to this member.")
    await follow_service.unfollow_each_other(session, locked, caller_id, other_id)
    await events.record(
        session,
        "connection.removed",
        audience=(caller_id,),
        data={"member_id": caller_id, "other_id": other_id},
        now=now,
    )
