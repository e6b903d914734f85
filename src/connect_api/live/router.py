"""HTTP for the live streams, their tickets and the badge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Receive, Scope, Send

from connect_api.kit.auth import InsufficientScope, Principal, missing_token
from connect_api.kit.deps import BEARER_DESCRIPTION, Ctx, CurrentPrincipal
from connect_api.kit.errors import responses
from connect_api.live import service
from connect_api.live.hub import Hub, StreamsAtCapacity, TooManyStreams
from connect_api.live.schemas import InboxCounts, StreamTicket
from connect_api.live.service import (
    InvalidLastEventId,
    InvalidTicket,
    StreamPositionExpired,
    TicketNotYours,
)
from connect_api.live.stream import MEDIA_TYPE, EventStream

router = APIRouter(tags=["live"])

_EXAMPLE = (
    "retry: 1000\n: connected\n\n"
    'id: 311\nevent: counts\ndata: {"pending_received": 3, "unseen_received": 1}\n\n'
    "id: 312\nevent: invitation.created\n"
    'data: {"id": 902, "type": "invitation.created", "occurred_at": "2026-12-07T10:00:00Z", '
    '"data": {"invitation_id": 1001, "inviter_id": 7, "invitee_id": 42}}\n\n'
    'id: 312\nevent: counts\ndata: {"pending_received": 4, "unseen_received": 2}\n\n'
    ": heartbeat\n\n"
)


def _stream_response(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}, "example": _EXAMPLE}},
        }
    }


_optional_bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", bearerFormat="JWT", description=BEARER_DESCRIPTION
)

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        description="The `id` of the last event received: the stream replays what came "
        "after it, then goes live (a browser's `EventSource` sends it when it reconnects).",
        max_length=19,
    ),
]
After = Annotated[
    str | None,
    Query(
        description="As `Last-Event-ID`, for a client that cannot set headers (a new "
        "`EventSource` after a ticket). The header wins when both are given.",
        max_length=19,
    ),
]


class _Served(Response):
    """Hands the request over to the stream's own ASGI response."""

    def __init__(self, stream: EventStream) -> None:
        super().__init__(media_type=MEDIA_TYPE)
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream(scope, receive, send)


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@router.post(
    "/v1/me/stream-tickets",
    status_code=201,
    summary="A ticket to open my stream from a browser",
    description="`EventSource` cannot send `Authorization`: this returns a single-use ticket, "
    "valid for 60 seconds (`CONNECT_API_STREAM_TICKET_SECONDS`), that opens the caller's "
    "stream as `GET /v1/me/stream?ticket=`. The stream it opens ends when the token that "
    "asked for it expires. A ticket is no bearer token: no other route takes it.",
    response_model=StreamTicket,
    responses=responses(),
)
async def create_stream_ticket(ctx: Ctx, principal: CurrentPrincipal) -> StreamTicket:
    minted = await service.mint_ticket(ctx, principal)
    return StreamTicket(
        ticket=minted.ticket,
        expires_at=minted.expires_at,
        expires_in=minted.expires_in,
        stream_url=f"/v1/me/stream?ticket={minted.ticket}",
    )


@router.get(
    "/v1/me/stream",
    summary="My live stream (server-sent events)",
    description="Exactly the events the caller's feed (`GET /v1/events`) shows, as they "
    "commit, in feed order: `id` is the event's feed position, `event` its type, `data` the "
    "feed item's JSON. A `counts` event (`data`: `pending_received`, `unseen_received`) comes "
    "first and whenever the badge's numbers change. A `: heartbeat` comment keeps a quiet "
    'stream open (every 15 s). It ends with `event: close` and `data: {"reason": ...}`: '
    "`token_expired`, `erased`, `too_slow` (resume with `Last-Event-ID`), or `shutdown` "
    "(reconnect after `retry`). Authenticate with `Authorization: Bearer`, or with "
    "`?ticket=` from `POST /v1/me/stream-tickets` (for `EventSource`). Resume with "
    "`Last-Event-ID` (or `?after=`): what was missed is replayed first, none of it twice.",
    response_class=Response,
    responses=_stream_response("The stream, until it closes.")
    | responses(
        InvalidTicket,
        TicketNotYours,
        InvalidLastEventId,
        StreamPositionExpired,
        TooManyStreams,
        StreamsAtCapacity,
    ),
)
async def member_stream(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    last_event_id: LastEventId = None,
    after: After = None,
    ticket: Annotated[
        str | None,
        Query(
            description="A ticket from `POST /v1/me/stream-tickets`, instead of "
            "`Authorization` (single use).",
            max_length=100,
        ),
    ] = None,
) -> Response:
    bearer: Principal | None = None
    if credentials is not None:
        bearer = ctx.tokens.decode(credentials.credentials)
    if ticket is not None:
        principal = await service.caller_of_ticket(ctx, ticket, bearer)
    elif bearer is not None:
        principal = bearer
    else:
        raise missing_token()
    position = service.parse_position(last_event_id or after)
    stream = await service.open_stream(ctx, _hub(request), principal, position, everything=False)
    return _Served(stream)


@router.get(
    "/v1/events/stream",
    summary="Every event, live (server-sent events; admin)",
    description="The whole event feed (`GET /v1/events?all=true`) as it commits, for a "
    "service that would rather hold a stream than run a webhook receiver: the same frames, "
    "resumable the same way (`Last-Event-ID`, `?after=`), without `counts` events. Needs the "
    "`admin` scope.",
    response_class=Response,
    responses=_stream_response("The stream, until it closes.")
    | responses(
        InsufficientScope,
        InvalidLastEventId,
        StreamPositionExpired,
        StreamsAtCapacity,
    ),
)
async def events_stream(
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    last_event_id: LastEventId = None,
    after: After = None,
) -> Response:
    position = service.parse_position(last_event_id or after)
    stream = await service.open_stream(ctx, _hub(request), principal, position, everything=True)
    return _Served(stream)


@router.post(
    "/v1/invitations/received/seen",
    summary="Mark my inbox seen",
    description='"I have looked at my received invitations up to now": the unseen count '
    "(`unseen_received` in `GET /v1/me`, the badge) drops to zero, and the caller's open "
    "streams get a `counts` event. Nothing else changes; calling it again changes nothing.",
    response_model=InboxCounts,
    responses=responses(),
)
async def mark_received_seen(ctx: Ctx, principal: CurrentPrincipal) -> InboxCounts:
    counts = await service.mark_seen(ctx, principal.member_id)
    return InboxCounts(**counts)
