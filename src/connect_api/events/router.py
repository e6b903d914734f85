"""HTTP for the event feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from connect_api.events import service
from connect_api.events.schemas import EventPage, EventRead
from connect_api.kit.auth import InsufficientScope
from connect_api.kit.deps import Ctx, CurrentPrincipal
from connect_api.kit.errors import responses
from connect_api.kit.pagination import (
    InvalidCursor,
    Limit,
    cursor_query,
)

router = APIRouter(tags=["events"])

_KIND = "ev"


@router.get(
    "/v1/events",
    summary="The event feed",
    description=(
        "Every change that concerns the caller, oldest first: invitations created, accepted, "
        "declined (to the invitee only), withdrawn and expired, connections removed (to the "
        "remover only). Start without `after`, then pass `next_cursor` as `after`; at the end "
        "of the feed keep polling with the last `next_cursor`. The order is the order in which "
        "changes were committed, so a poller never skips an event. With `all=true` an admin "
        "reads every member's events."
    ),
    response_model=EventPage,
    responses=responses(InsufficientScope, InvalidCursor),
)
async def read_events(
    ctx: Ctx,
    principal: CurrentPrincipal,
    after: Annotated[str | None, cursor_query("`next_cursor` of the previous read.")] = None,
    all_: Annotated[
        bool, Query(alias="all", description="Every member's events (admin only).")
    ] = False,
    limit: Limit = 20,
) -> EventPage:
    # A position kept from before cursors were signed still reads (it names only a place in
    # the caller's own feed).
    position = ctx.cursors.decode(after, _KIND, int, unsigned=True)[0] if after else 0
    rows, has_more = await ctx.db.run(
        service.read_feed, ctx, principal, everything=all_, after=position, limit=limit
    )
    last = rows[-1].position if rows else position
    return EventPage(
        items=[EventRead.model_validate(e) for e in rows],
        next_cursor=ctx.cursors.encode(_KIND, last),
        has_more=has_more,
    )
