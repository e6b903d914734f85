"""HTTP for blocks."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status

from connect_api.blocks import service
from connect_api.blocks.schemas import BlockRead
from connect_api.core import policy
from connect_api.kit.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import (
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
)
from connect_api.members.schemas import MemberSummary

router = APIRouter(tags=["blocks"])


@router.put(
    "/v1/blocks/{member_id}",
    status_code=status.HTTP_201_CREATED,
    summary="Block a member",
    description=(
        "In one step: removes the connection (with the notes and tags on it), follows both "
        "ways and pending invitations either way. From then on neither member can invite or "
        "follow the other, and each sees the other as not found (`404`). The blocked member "
        "is never told: a member who has blocked you is not found here either.\n\n"
        "`201` when the block is placed, `200` when it already was."
    ),
    response_model=BlockRead,
    responses={
        201: {"description": "Blocked."},
        200: {"description": "Already blocked; nothing changed.", "model": BlockRead},
        **responses(policy.CannotBlockSelf, NotFound),
    },
)
async def block_member(
    member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal, response: Response
) -> BlockRead:
    view = await ctx.db.run(service.block, ctx, principal.member_id, member_id)
    if not view.created:
        response.status_code = status.HTTP_200_OK
    return BlockRead(member=MemberSummary.model_validate(view.member), blocked_at=view.blocked_at)


@router.delete(
    "/v1/blocks/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unblock a member",
    description="Idempotent. What the block removed does not come back.",
    responses=responses(NotFound),
)
async def unblock_member(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.unblock, ctx, principal.member_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/blocks",
    summary="Members I have blocked",
    description="Newest first.",
    response_model=Page[BlockRead],
    responses=responses(InvalidCursor),
)
async def list_blocks(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 20, cursor: CursorParam = None
) -> Page[BlockRead]:
    after = ctx.cursors.decode(cursor, "b", datetime, int) if cursor else None
    rows, nxt = await ctx.db.read(
        service.list_mine, ctx, principal.member_id, limit=limit, after=after
    )
    return Page[BlockRead](
        items=[BlockRead(member=MemberSummary.model_validate(m), blocked_at=at) for m, at in rows],
        next_cursor=ctx.cursors.encode("b", *nxt) if nxt else None,
    )
