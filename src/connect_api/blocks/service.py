"""Block use cases (spec 2.7).

A block cuts everything between the two members in the transaction that places it: the
connection (and with it the notes and tags each kept on the other), follows both ways and
pending invitations either way (the blocker's own is withdrawn, so that it still counts as
sent and its cooldown follows), with every counter fixed. Both member rows are locked first,
as for every write about a pair, so an accept or a follow racing the block either finishes
before it (and is undone by it) or finds the block in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.blocks import repository as blocks
from connect_api.connections import service as connection_service
from connect_api.core import policy, visibility
from connect_api.core.models import Member
from connect_api.events import repository as events
from connect_api.follows import service as follow_service
from connect_api.graph import feed as graph
from connect_api.invitations import service as invitation_service
from connect_api.kit.context import AppContext
from connect_api.members import repository as members
from connect_api.members.access import caller_from, require_member


@dataclass
class BlockView:
    member: Member
    blocked_at: datetime
    created: bool


async def block(
    session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int
) -> BlockView:
    policy.check_block(blocker_id=caller_id, blocked_id=member_id)
    now = ctx.clock.now()
    locked = await members.lock(session, caller_id, member_id)
    caller_from(locked, caller_id)
    them = locked.get(member_id)
    # A member who blocked the caller is hidden from them here too: answering anything but
    # "not found" would tell the caller that they are blocked.
    if them is None or await blocks.placed_at(session, member_id, caller_id) is not None:
        raise visibility.hidden()
    placed = await blocks.insert(session, caller_id, member_id, now)
    graph.changed(session, caller_id, member_id)
    if placed is None:
        already = await blocks.placed_at(session, caller_id, member_id)
        assert already is not None  # both rows are locked: nobody removed it meanwhile
        return BlockView(them, already, created=False)

    # The cascade (spec 2.7), each part by the room that owns it.
    disconnected = await connection_service.disconnect(session, locked, caller_id, member_id)
    unfollowed = await follow_service.unfollow_each_other(session, locked, caller_id, member_id)
    withdrawn = await invitation_service.end_pending_between(session, caller_id, member_id, now)
    # Only the blocker hears of it: the blocked member is never told.
    await events.record(
        session,
        "member.blocked",
        audience=(caller_id,),
        data={
            "blocker_id": caller_id,
            "blocked_id": member_id,
            "connection_removed": disconnected,
            "follows_removed": len(unfollowed),
            "invitations_removed": withdrawn,
        },
        now=now,
    )
    return BlockView(them, placed, created=True)


async def unblock(session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int) -> None:
    """Lift the caller's block. Idempotent; nothing cut by the block comes back."""
    await require_member(session, caller_id)
    if (
        await members.get(session, member_id) is None
        or await blocks.placed_at(session, member_id, caller_id) is not None
    ):
        raise visibility.hidden()
    if await blocks.delete_one(session, caller_id, member_id):
        graph.changed(session, caller_id, member_id)
        await events.record(
            session,
            "member.unblocked",
            audience=(caller_id,),
            data={"blocker_id": caller_id, "blocked_id": member_id},
            now=ctx.clock.now(),
        )


async def list_mine(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    *,
    limit: int,
    after: tuple[datetime, int] | None,
) -> tuple[list[tuple[Member, datetime]], tuple[datetime, int] | None]:
    await require_member(session, caller_id)
    rows = await blocks.list_page(session, caller_id, limit=limit + 1, after=after)
    nxt = (rows[limit - 1][1], rows[limit - 1][0].id) if len(rows) > limit else None
    return rows[:limit], nxt
