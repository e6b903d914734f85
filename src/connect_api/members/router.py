"""HTTP for members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.idempotency.http import (
    IDEMPOTENCY_ERRORS,
    REPLAY_HEADER_DOC,
    IdempotencyKey,
    respond,
)
from connect_api.idempotency.service import Outcome
from connect_api.kit.auth import InsufficientScope
from connect_api.kit.deps import AdminPrincipal, Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, responses
from connect_api.members import service
from connect_api.members.schemas import (
    MemberCreate,
    MemberRead,
    MemberSettings,
    MemberSettingsUpdate,
    MeRead,
)
from connect_api.members.service import HandleTaken

router = APIRouter(tags=["members"])


@router.get(
    "/v1/me",
    summary="The caller's own member",
    description="With the connection count, pending invitations and what is left of the "
    "invitation limits.",
    response_model=MeRead,
    responses=responses(),
)
async def get_me(ctx: Ctx, principal: CurrentPrincipal) -> Response:
    view = await service.me(ctx, principal.member_id)
    windows = {w.name: w for w in view.windows}
    restricted_until = view.member["restricted_until"]
    # One validation of the whole answer (the profile's columns and what only the caller sees).
    me = MeRead.model_validate(
        {
            **view.member,
            "restricted_until": (
                restricted_until
                if restricted_until and restricted_until > ctx.clock.now()
                else None
            ),
            "pending_received": view.pending_received,
            "invitations": {
                "hour_remaining": windows["hour"].remaining,
                "week_remaining": windows["week"].remaining,
                "pending_outgoing": view.pending_sent,
                "pending_outgoing_limit": ctx.settings.policy.pending_outgoing_max,
            },
            "settings": {
                "who_may_invite": view.member["invite_policy"],
                "follow_first": view.member["follow_first"],
                "who_may_see_connections": view.member["network_visibility"],
            },
        }
    )
    return _json(me)


@router.patch(
    "/v1/me/settings",
    summary="Change my settings",
    description=(
        "The caller's own controls (spec 2.13): who may invite them, who may see their "
        "connections (and so their followers and following), and Follow as their primary "
        "button. Only the settings given change; the answer is all of them. Setting a "
        "value it already has changes nothing, so a repeat is harmless. Unknown fields, "
        '`null`, and anything but the listed values (`"true"` or `1` for a boolean) are '
        "`422`.\n\n"
        "A new `who_may_invite` applies to invitations sent from then on: one already pending "
        "stays pending, for the member to answer. An invitation being sent at the same moment "
        "is judged wholly on the old setting or wholly on the new one."
    ),
    response_model=MemberSettings,
    responses=responses(),
)
async def update_settings(
    body: Annotated[
        MemberSettingsUpdate,
        Body(
            openapi_examples={
                "network": {
                    "summary": "Only my 2nd and 3rd degree may invite me",
                    "value": {"who_may_invite": "network"},
                },
                "follow": {
                    "summary": "Follow as my primary button",
                    "value": {"follow_first": True},
                },
                "private": {
                    "summary": "Only I may see my connections, followers and following",
                    "value": {"who_may_see_connections": "only_me"},
                },
                "both": {
                    "summary": "Back to the defaults",
                    "value": {
                        "who_may_invite": "everyone",
                        "follow_first": False,
                        "who_may_see_connections": "connections",
                    },
                },
            }
        ),
    ],
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    found = await ctx.db.run(service.update_settings, principal.member_id, body)
    return _json(
        MemberSettings(
            who_may_invite=found.who_may_invite,
            follow_first=found.follow_first,
            who_may_see_connections=found.who_may_see_connections,
        )
    )


@router.get(
    "/v1/members/{member_id}",
    summary="A member's public profile",
    description="`404` when there is no such member, or a block stands between you (either "
    "way: the blocked member is never told). The three counts are those of the lists you may "
    "page through: a block hides a member from a count as from its list, and where the "
    "member's connections (and so their followers and following) are not yours to see (you are "
    "not their 1st degree, or they chose `only_me`), the counts are `null`.",
    response_model=MemberRead,
    responses=responses(NotFound),
)
async def get_member(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    return _json(MemberRead.model_validate(await service.get(ctx, principal, member_id)))


def _json(model: BaseModel) -> Response:
    """Serialised once, by pydantic-core, straight to bytes: these routes are on every page."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.delete(
    "/v1/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a member",
    description=(
        "Removes everything about the member in one transaction: profile, connections on both "
        "sides (every other member's counters fixed), invitations, follows, blocks, notes and "
        "tags by or about them, group memberships, and their place in event audiences. "
        "An admin may erase anyone; a member may erase themself (their token stops working). "
        "Events already recorded keep the member's id, never their profile. Irreversible."
    ),
    responses=responses(InsufficientScope, NotFound),
)
async def erase_member(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.erase, ctx, principal, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/members",
    status_code=status.HTTP_201_CREATED,
    summary="Create a member (admin)",
    description="For the service that owns sign-up: registers a member by `handle` (unique, "
    "case-insensitive) and `display_name`. Needs the `admin` scope. Safe to retry with an "
    "`Idempotency-Key`.",
    response_model=MemberRead,
    responses={
        201: {"description": "Member created.", "headers": REPLAY_HEADER_DOC},
        **responses(InsufficientScope, HandleTaken, *IDEMPOTENCY_ERRORS),
    },
)
async def create_member(
    body: MemberCreate,
    ctx: Ctx,
    principal: AdminPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def operation(session: AsyncSession) -> Outcome:
        member = await service.create(session, ctx, body)
        return Outcome(
            201,
            MemberRead.model_validate(member).model_dump(mode="json"),
            {"Location": f"/v1/members/{member.id}"},
        )

    return await respond(ctx, request, principal, idempotency_key, operation)
