"""Reading the event feed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import Event
from connect_api.events import repository as events
from connect_api.kit.auth import Principal, require_admin
from connect_api.kit.context import AppContext
from connect_api.kit.errors import member_gone


async def read_feed(
    session: AsyncSession,
    ctx: AppContext,
    principal: Principal,
    *,
    everything: bool,
    after: int,
    limit: int,
) -> tuple[list[Event], bool]:
    """The caller's events (or, for an admin asking, everyone's) after a feed position."""
    if everything:
        require_admin(principal)
    else:
        if not await events.member_exists(session, principal.member_id):
            raise member_gone()
    await events.publish(session, ctx.clock.now())
    rows = await events.feed(
        session,
        member_id=None if everything else principal.member_id,
        after=after,
        limit=limit + 1,
    )
    return rows[:limit], len(rows) > limit
