"""HTTP for invitations: parse, call one service function, shape the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import policy
from connect_api.core.models import InvitationStatus
from connect_api.core.policy import effective_status
from connect_api.idempotency.http import (
    IDEMPOTENCY_ERRORS,
    REPLAY_HEADER_DOC,
    IdempotencyKey,
    respond,
)
from connect_api.idempotency.service import Outcome
from connect_api.invitations import service
from connect_api.invitations.schemas import (
    BULK_DECLINE_MAX,
    BulkDeclineBody,
    BulkDeclineResult,
    BulkWithdrawBody,
    BulkWithdrawResult,
    DeclineBody,
    InvitationCreate,
    InvitationRead,
    NotDeclined,
    NotWithdrawn,
    StatusFilter,
)
from connect_api.kit.database import Work
from connect_api.kit.deps import AsciiDigits, Ctx, CurrentPrincipal
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import (
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
)
from connect_api.members.schemas import MemberSummary

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])

InvitationId = Annotated[
    int, Path(gt=0, le=2**63 - 1, description="The invitation's id."), AsciiDigits
]

_RATE_HEADERS = {
    "RateLimit-Policy": {
        "description": 'The invitation windows, e.g. `"hour";q=20;w=3600, "week";q=100;w=604800`.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": "What is left in each window and seconds until a slot frees, "
        'e.g. `"hour";r=19;t=3600, "week";r=99;t=604800`.',
        "schema": {"type": "string"},
    },
}


def to_read(view: service.InvitationView) -> InvitationRead:
    inv = view.invitation
    is_invitee = view.viewer_id == inv.invitee_id
    return InvitationRead(
        id=inv.id,
        inviter=MemberSummary.model_validate(view.inviter),
        invitee=MemberSummary.model_validate(view.invitee),
        direction="received" if is_invitee else "sent",
        message=inv.message,
        status=effective_status(inv.status, inv.expires_at, view.now),
        decline_reason=inv.decline_reason if is_invitee else None,
        created_at=inv.created_at,
        expires_at=inv.expires_at,
        responded_at=inv.responded_at,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a member to connect",
    description=(
        "Sends an invitation with an optional personal message. If the invitee has already "
        "invited the caller, the two invitations meet: the connection is made at once and the "
        "answer is `200` with the invitee's invitation, `status: accepted`.\n\n"
        "Every successful send carries `RateLimit-Policy` and `RateLimit` headers "
        "(IETF draft) so a client can show how many invitations are left."
    ),
    response_model=InvitationRead,
    responses={
        201: {"description": "Invitation sent.", "headers": _RATE_HEADERS | REPLAY_HEADER_DOC},
        200: {
            "description": "A crossing invitation was accepted; you are now connected.",
            "model": InvitationRead,
        },
        **responses(
            policy.CannotInviteSelf,
            policy.MemberRestricted,
            policy.InvitationNotAllowed,
            NotFound,
            policy.AlreadyConnected,
            policy.InvitationPending,
            policy.ConnectionLimitReached,
            policy.CooldownActive,
            policy.MessageTooLong,
            policy.InvitationThrottled,
            policy.TooManyPending,
            *IDEMPOTENCY_ERRORS,
        ),
    },
)
async def send_invitation(
    body: InvitationCreate,
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def operation(session: Work) -> Outcome:
        sent = await service.send(session, ctx, principal.member_id, body.invitee_id, body.message)
        headers = dict(sent.headers)
        if sent.created:
            headers["Location"] = f"/v1/invitations/{sent.view.invitation.id}"
        return Outcome(201 if sent.created else 200, _json(sent.view), headers)

    return await respond(ctx, request, principal, idempotency_key, operation, plain=True)


def _json(view: service.InvitationView) -> dict[str, Any]:
    return to_read(view).model_dump(mode="json")


def _answer(
    ctx: Ctx,
    principal: CurrentPrincipal,
    answer: Callable[..., Awaitable[service.InvitationView]],
    *args: Any,
) -> Callable[[Work], Awaitable[Outcome]]:
    async def operation(session: Work) -> Outcome:
        return Outcome(200, _json(await answer(session, ctx, principal.member_id, *args)))

    return operation


async def _list(
    ctx: Ctx,
    member_id: int,
    received: bool,
    status_: StatusFilter,
    limit: int,
    cursor: str | None,
) -> Page[InvitationRead]:
    kind = "ir" if received else "is"
    after = ctx.cursors.decode(cursor, kind, datetime, int) if cursor else None
    wanted = None if status_ is StatusFilter.all else InvitationStatus(status_.value)
    views, last = await ctx.db.read(
        service.list_mine,
        ctx,
        member_id,
        received=received,
        status=wanted,
        limit=limit,
        after=after,
    )
    return Page[InvitationRead](
        items=[to_read(v) for v in views],
        next_cursor=ctx.cursors.encode(kind, *last) if last else None,
    )


StatusQuery = Annotated[
    StatusFilter,
    Query(alias="status", description="Which invitations; `all` for every status."),
]


@router.get(
    "/received",
    summary="Invitations I received (inbox)",
    description="Newest first. By default only those waiting for an answer.",
    response_model=Page[InvitationRead],
    responses=responses(InvalidCursor),
)
async def list_received(
    ctx: Ctx,
    principal: CurrentPrincipal,
    status_: StatusQuery = StatusFilter.pending,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[InvitationRead]:
    return await _list(ctx, principal.member_id, True, status_, limit, cursor)


# Registered before the `/{invitation_id}/...` routes, which would otherwise take
# `received` for an invitation id.
@router.post(
    "/received/decline",
    summary="Decline many received invitations at once",
    description=(
        "Clears an inbox in one call: either the listed invitations (`ids`, 1 to "
        f"{BULK_DECLINE_MAX} distinct ids) or every invitation waiting for an answer "
        "(`all: true`), with one `reason` for all of them. Exactly one of `ids` and `all` must "
        "be given.\n\n"
        "All or nothing: the whole batch is one transaction. Each declined invitation ends "
        "exactly as with `POST /v1/invitations/{id}/decline`: the inviters are not told (the "
        "`invitation.declined` event goes to the caller only), the cooldown starts, and "
        "`dont_know`/`spam` bar the inviter from inviting the caller again and count towards "
        "restricting them.\n\n"
        "The answer lists what was declined and, for listed ids, what was not and why: "
        "`not_found` when the id is not an invitation in the caller's inbox (whether it "
        "exists elsewhere is not said), `invitation_not_pending` when it was already "
        "answered, withdrawn or has expired. Such ids do not fail the request. With "
        "`all: true`, `not_declined` is always empty. A retry is safe with `Idempotency-Key`; "
        "without one, a repeat answers `invitation_not_pending` for what the first declined."
    ),
    response_model=BulkDeclineResult,
    responses={
        200: {
            "description": "The batch was processed; see what was declined and what was not.",
            "headers": REPLAY_HEADER_DOC,
            "content": {
                "application/json": {
                    "examples": {
                        "listed": {
                            "summary": "Listed ids, some no longer pending or not mine",
                            "value": {
                                "declined": [1001, 1003],
                                "not_declined": [
                                    {"id": 1002, "code": "invitation_not_pending"},
                                    {"id": 999, "code": "not_found"},
                                ],
                            },
                        },
                        "all": {
                            "summary": "The whole inbox",
                            "value": {"declined": [1001, 1002, 1003], "not_declined": []},
                        },
                    }
                }
            },
        },
        **responses(*IDEMPOTENCY_ERRORS),
    },
)
async def decline_received_invitations(
    body: Annotated[
        BulkDeclineBody,
        Body(
            openapi_examples={
                "listed": {
                    "summary": "These invitations, as spam",
                    "value": {"ids": [1001, 1002, 1003], "reason": "spam"},
                },
                "all": {
                    "summary": "Everything waiting in my inbox",
                    "value": {"all": True},
                },
            }
        ),
    ],
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def operation(session: AsyncSession) -> Outcome:
        done = await service.decline_many(session, ctx, principal.member_id, body.ids, body.reason)
        result = BulkDeclineResult(
            declined=done.declined,
            not_declined=[NotDeclined(id=i, code=code) for i, code in done.not_declined],
        )
        return Outcome(200, result.model_dump(mode="json"))

    return await respond(ctx, request, principal, idempotency_key, operation)


@router.post(
    "/sent/withdraw",
    summary="Withdraw many sent invitations at once",
    description=(
        "Tidies an outbox in one call: either the listed invitations (`ids`, 1 to "
        f"{BULK_DECLINE_MAX} distinct ids) or every pending invitation sent more than "
        "`older_than_days` days ago. Exactly one of `ids` and `older_than_days` must be given."
        "\n\n"
        "All or nothing: the whole batch is one transaction. Each withdrawn invitation ends "
        "exactly as with `POST /v1/invitations/{id}/withdraw`: `withdrawn`, an "
        "`invitation.withdrawn` event to both members, and the cooldown before inviting the "
        "same member again starts now.\n\n"
        "The answer lists what was withdrawn and, for listed ids, what was not and why: "
        "`not_found` when the id is not an invitation in the caller's outbox (whether it "
        "exists elsewhere is not said), `invitation_not_pending` when it was already "
        "answered, withdrawn or has expired. Such ids do not fail the request. With "
        "`older_than_days`, `not_withdrawn` is always empty. A retry is safe with "
        "`Idempotency-Key`; without one, a repeat answers `invitation_not_pending` for what "
        "the first withdrew."
    ),
    response_model=BulkWithdrawResult,
    responses={
        200: {
            "description": "The batch was processed; see what was withdrawn and what was not.",
            "headers": REPLAY_HEADER_DOC,
            "content": {
                "application/json": {
                    "examples": {
                        "listed": {
                            "summary": "Listed ids, some no longer pending or not mine",
                            "value": {
                                "withdrawn": [1001, 1003],
                                "not_withdrawn": [
                                    {"id": 1002, "code": "invitation_not_pending"},
                                    {"id": 999, "code": "not_found"},
                                ],
                            },
                        },
                        "older": {
                            "summary": "Everything pending for more than 30 days",
                            "value": {"withdrawn": [1001, 1002], "not_withdrawn": []},
                        },
                    }
                }
            },
        },
        **responses(*IDEMPOTENCY_ERRORS),
    },
)
async def withdraw_sent_invitations(
    body: Annotated[
        BulkWithdrawBody,
        Body(
            openapi_examples={
                "listed": {
                    "summary": "These invitations",
                    "value": {"ids": [1001, 1002, 1003]},
                },
                "older": {
                    "summary": "Everything waiting for more than 30 days",
                    "value": {"older_than_days": 30},
                },
            }
        ),
    ],
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    older = timedelta(days=body.older_than_days) if body.older_than_days is not None else None

    async def operation(session: AsyncSession) -> Outcome:
        done = await service.withdraw_many(session, ctx, principal.member_id, body.ids, older)
        result = BulkWithdrawResult(
            withdrawn=done.withdrawn,
            not_withdrawn=[NotWithdrawn(id=i, code=code) for i, code in done.not_withdrawn],
        )
        return Outcome(200, result.model_dump(mode="json"))

    return await respond(ctx, request, principal, idempotency_key, operation)


@router.get(
    "/sent",
    summary="Invitations I sent (outbox)",
    description="Newest first. By default only those waiting for an answer. A declined "
    "invitation shows as `declined` with no reason.",
    response_model=Page[InvitationRead],
    responses=responses(InvalidCursor),
)
async def list_sent(
    ctx: Ctx,
    principal: CurrentPrincipal,
    status_: StatusQuery = StatusFilter.pending,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[InvitationRead]:
    return await _list(ctx, principal.member_id, False, status_, limit, cursor)


@router.get(
    "/{invitation_id}",
    summary="One invitation",
    description="Visible to its inviter and invitee only; `404` for anyone else.",
    response_model=InvitationRead,
    responses=responses(NotFound),
)
async def get_invitation(
    invitation_id: InvitationId, ctx: Ctx, principal: CurrentPrincipal
) -> InvitationRead:
    return to_read(await ctx.db.read(service.get_one, ctx, principal.member_id, invitation_id))


@router.post(
    "/{invitation_id}/accept",
    summary="Accept an invitation",
    description="The invitee accepts; the two members are connected. Refused when either side "
    "is at the connection cap.",
    response_model=InvitationRead,
    responses=responses(
        policy.NotInvitee,
        NotFound,
        policy.InvitationNotPending,
        policy.ConnectionLimitReached,
        *IDEMPOTENCY_ERRORS,
    ),
)
async def accept_invitation(
    invitation_id: InvitationId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    operation = _answer(ctx, principal, service.accept, invitation_id)
    return await respond(ctx, request, principal, idempotency_key, operation, plain=True)


@router.post(
    "/{invitation_id}/decline",
    summary="Decline an invitation",
    description="The invitee declines, optionally saying why. The inviter is never told the "
    "reason and gets no notification; they may not invite again during the cooldown. "
    "`dont_know` and `spam` also bar this inviter from inviting the caller again, and count "
    "towards restricting the inviter.",
    response_model=InvitationRead,
    responses=responses(
        policy.NotInvitee, NotFound, policy.InvitationNotPending, *IDEMPOTENCY_ERRORS
    ),
)
async def decline_invitation(
    invitation_id: InvitationId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    body: Annotated[DeclineBody | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    reason = (body or DeclineBody()).reason
    operation = _answer(ctx, principal, service.decline, invitation_id, reason)
    return await respond(ctx, request, principal, idempotency_key, operation, plain=True)


@router.post(
    "/{invitation_id}/withdraw",
    summary="Withdraw an invitation I sent",
    description="The inviter takes back a pending invitation. The cooldown then applies to the "
    "inviter before inviting the same member again.",
    response_model=InvitationRead,
    responses=responses(
        policy.NotInviter, NotFound, policy.InvitationNotPending, *IDEMPOTENCY_ERRORS
    ),
)
async def withdraw_invitation(
    invitation_id: InvitationId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    operation = _answer(ctx, principal, service.withdraw, invitation_id)
    return await respond(ctx, request, principal, idempotency_key, operation, plain=True)
