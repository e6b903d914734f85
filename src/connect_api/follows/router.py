"""HTTP for follows."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status

from connect_api.core.policy import CannotFollowSelf
from connect_api.follows import service
from connect_api.follows.schemas import FollowRead
from connect_api.kit.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import (
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
)
from connect_api.members.schemas import MemberSummary

router = APIRouter(tags=["follows"])


@router.put(
    "/v1/follows/{member_id}",
    summary="Follow a member",
    description=(
        "Follow a member's public activity. No consent is needed and followers are unlimited. "
        "`201` when the follow is new, `200` (same body, the original `followed_at`) when the "
        "caller already followed them. `404` when there is no such member or a block stands "
        "between the two, either way."
    ),
    response_model=FollowRead,
    responses={
        201: {"model": FollowRead, "description": "Now following."},
        200: {"description": "Already following; nothing changed."},
        **responses(CannotFollowSelf, NotFound),
    },
)
async def follow_member(
    member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal, response: Response
) -> FollowRead:
    view = await ctx.db.run(service.follow, ctx, principal.member_id, member_id)
    if view.created:
        response.status_code = status.HTTP_201_CREATED
    return FollowRead(
        member=MemberSummary.model_validate(view.member), followed_at=view.followed_at
    )


@router.delete(
    "/v1/follows/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unfollow a member",
    description="Idempotent: `204` also when the caller was not following them. Unfollowing a "
    "connection keeps the connection. `404` when there is no such member or a block stands "
    "between the two.",
    responses=responses(NotFound),
)
async def unfollow_member(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.unfollow, ctx, principal.member_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/v1/followers/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a follower",
    description="Make a member stop following the caller, without blocking them (they may "
    "follow again). Silent: the event is addressed to the caller only. Idempotent: `204` also "
    "when they were not following. `404` when there is no such member or a block stands "
    "between the two.",
    responses=responses(NotFound),
)
async def remove_follower(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.remove_follower, ctx, principal.member_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Spec 2.11: the follow lists obey the connection list's rule, so that no combination of
# answers rebuilds a list the caller may not see (connecting makes a follow each way).
_VISIBILITY = (
    "Newest follow first. Visible where the member's connection list is (spec 2.11): to the "
    "member, and to their 1st-degree connections unless the member chose "
    "`who_may_see_connections: only_me`; `404` for anyone else, for a member who does not "
    "exist, and where a block stands between the two (the same answer for each). Members a "
    "block hides from the caller are left out, of the list as of the profile's count."
)


async def _page(
    ctx: Ctx,
    principal: CurrentPrincipal,
    member_id: int,
    *,
    followers: bool,
    limit: int,
    cursor: str | None,
) -> Page[FollowRead]:
    # The cursor names its list (whose, and which way), so it can't be replayed on another.
    kind = f"{'fr' if followers else 'fg'}:{member_id}"
    after = ctx.cursors.decode(cursor, kind, datetime, int) if cursor else None
    rows, nxt = await ctx.db.read(
        service.list_follows,
        ctx,
        principal.member_id,
        member_id,
        followers=followers,
        limit=limit,
        after=after,
        admin=principal.is_admin,
    )
    return Page[FollowRead](
        items=[
            FollowRead(member=MemberSummary.model_validate(m), followed_at=at) for m, at in rows
        ],
        next_cursor=ctx.cursors.encode(kind, *nxt) if nxt else None,
    )


@router.get(
    "/v1/members/{member_id}/followers",
    summary="A member's followers",
    description=_VISIBILITY,
    response_model=Page[FollowRead],
    responses=responses(NotFound, InvalidCursor),
)
async def list_followers(
    member_id: MemberId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[FollowRead]:
    return await _page(ctx, principal, member_id, followers=True, limit=limit, cursor=cursor)


@router.get(
    "/v1/members/{member_id}/following",
    summary="Whom a member follows",
    description=_VISIBILITY,
    response_model=Page[FollowRead],
    responses=responses(NotFound, InvalidCursor),
)
async def list_following(
    member_id: MemberId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[FollowRead]:
    return await _page(ctx, principal, member_id, followers=False, limit=limit, cursor=cursor)
