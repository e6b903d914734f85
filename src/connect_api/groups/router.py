"""HTTP for groups."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.groups import service
from connect_api.groups.schemas import GroupCreate, GroupMemberRead, GroupRead, MembershipRead
from connect_api.groups.service import GroupNameTaken
from connect_api.idempotency.http import (
    IDEMPOTENCY_ERRORS,
    REPLAY_HEADER_DOC,
    IdempotencyKey,
    respond,
)
from connect_api.idempotency.service import Outcome
from connect_api.kit.auth import InsufficientScope, Principal
from connect_api.kit.deps import AdminPrincipal, AsciiDigits, Ctx, CurrentPrincipal
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import (
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
)
from connect_api.members.schemas import MemberSummary

router = APIRouter(tags=["groups"])

GroupId = Annotated[int, Path(gt=0, le=2**63 - 1, description="The group's id."), AsciiDigits]


def _viewer(principal: Principal) -> int | None:
    """Who reads: ``None`` for an admin (sees every member), else the member."""
    return None if principal.is_admin else principal.member_id


@router.post(
    "/v1/groups",
    status_code=status.HTTP_201_CREATED,
    summary="Create a group (admin)",
    description="Names are unique, case-insensitively, after surrounding spaces are dropped.",
    response_model=GroupRead,
    responses={
        201: {"description": "Group created.", "headers": REPLAY_HEADER_DOC},
        **responses(InsufficientScope, GroupNameTaken, *IDEMPOTENCY_ERRORS),
    },
)
async def create_group(
    body: GroupCreate,
    ctx: Ctx,
    principal: AdminPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def operation(session: AsyncSession) -> Outcome:
        group = await service.create(session, ctx, body)
        return Outcome(
            201,
            GroupRead.model_validate(group).model_dump(mode="json"),
            {"Location": f"/v1/groups/{group.id}"},
        )

    return await respond(ctx, request, principal, idempotency_key, operation)


@router.get(
    "/v1/groups",
    summary="All groups",
    description="Newest first.",
    response_model=Page[GroupRead],
    responses=responses(InvalidCursor),
)
async def list_groups(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 20, cursor: CursorParam = None
) -> Page[GroupRead]:
    after = ctx.cursors.decode(cursor, "g", int)[0] if cursor else None
    rows, nxt = await ctx.db.read(
        service.list_groups, ctx, _viewer(principal), limit=limit, after=after
    )
    return Page[GroupRead](
        items=[GroupRead.model_validate(g) for g in rows],
        next_cursor=ctx.cursors.encode("g", nxt) if nxt is not None else None,
    )


@router.get(
    "/v1/groups/{group_id}",
    summary="One group",
    description="A group's name, description and member count; `404` for an id that does "
    "not exist. The count is the members you can page through: one a block (either way) hides "
    "from you is left out of it, as from the list.",
    response_model=GroupRead,
    responses=responses(NotFound),
)
async def get_group(group_id: GroupId, ctx: Ctx, principal: CurrentPrincipal) -> GroupRead:
    group = await ctx.db.read(service.get, ctx, _viewer(principal), group_id)
    return GroupRead.model_validate(group)


@router.put(
    "/v1/groups/{group_id}/members/me",
    summary="Join a group",
    description="`201` when the caller joins, `200` (same body, the original `joined_at`) when "
    "they already belonged to the group.",
    response_model=MembershipRead,
    responses={
        201: {"model": MembershipRead, "description": "Joined."},
        200: {"description": "Already a member; nothing changed."},
        **responses(NotFound),
    },
)
async def join_group(
    group_id: GroupId, ctx: Ctx, principal: CurrentPrincipal, response: Response
) -> MembershipRead:
    view = await ctx.db.run(service.join, ctx, principal.member_id, group_id)
    if view.created:
        response.status_code = status.HTTP_201_CREATED
    return MembershipRead(group=GroupRead.model_validate(view.group), joined_at=view.joined_at)


@router.delete(
    "/v1/groups/{group_id}/members/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave a group",
    description="Idempotent: `204` also when the caller was not in the group.",
    responses=responses(NotFound),
)
async def leave_group(group_id: GroupId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.leave, ctx, principal.member_id, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/groups/{group_id}/members",
    summary="A group's members",
    description="Newest to join first. Members hidden from the caller by a block are left out.",
    response_model=Page[GroupMemberRead],
    responses=responses(NotFound, InvalidCursor),
)
async def list_group_members(
    group_id: GroupId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[GroupMemberRead]:
    # The cursor names its group, so it can't be replayed on another group's list.
    kind = f"gm:{group_id}"
    after = ctx.cursors.decode(cursor, kind, datetime, int) if cursor else None
    rows, nxt = await ctx.db.read(
        service.list_members, ctx, _viewer(principal), group_id, limit=limit, after=after
    )
    return Page[GroupMemberRead](
        items=[
            GroupMemberRead(member=MemberSummary.model_validate(m), joined_at=at) for m, at in rows
        ],
        next_cursor=ctx.cursors.encode(kind, *nxt) if nxt else None,
    )
