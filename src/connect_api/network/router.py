"""HTTP for the network around the caller."""

from __future__ import annotations

from fastapi import APIRouter, Response

from connect_api.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.errors import NotFound, responses
from connect_api.members.schemas import MemberSummary
from connect_api.network import service
from connect_api.network.schemas import MutualConnectionsPage
from connect_api.pagination import CursorParam, InvalidCursor, Limit, decode_cursor, encode_cursor

router = APIRouter(tags=["network"])

CURSOR_KIND = "mc"


@router.get(
    "/v1/members/{member_id}/mutual-connections",
    summary="Mutual connections: your connections who are also connected to a member",
    description=(
        "Your connections who are also connected to the member, by display name "
        "(case-insensitively) then id, with `total`, the number the relationships look-up "
        "gives as `mutual_connections` (whose `mutual_preview` is the first three of this "
        "list). Any member you may see may be asked about: the list holds only your own "
        "connections.\n\n"
        "`404` for a member who does not exist, was erased, or with whom a block stands either "
        "way (never says which); `400 mutual_connections_self` for yourself. A block removes "
        "the connection it stands between, so no one a block hides from you is ever among "
        "your mutual connections, in the list or in the count. The cursor names a position "
        "in the order, not an offset: members connecting meanwhile never make a page repeat "
        "or skip someone who was there all along. One SQL statement per page; between two "
        "members at the 30,000 cap a few milliseconds."
    ),
    response_model=MutualConnectionsPage,
    responses=responses(NotFound, InvalidCursor, service.MutualConnectionsSelf),
)
async def list_mutual_connections(
    member_id: MemberId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Response:
    after = None
    if cursor:
        name_key, after_id = decode_cursor(cursor, CURSOR_KIND, str, int)
        after = (name_key, after_id)
    rows, total, nxt = await service.mutual_connections(
        ctx, principal.member_id, member_id, limit=limit, after=after
    )
    page = MutualConnectionsPage(
        items=[
            MemberSummary(
                id=r.id, handle=r.handle, display_name=r.display_name, headline=r.headline
            )
            for r in rows
        ],
        total=total,
        next_cursor=encode_cursor(CURSOR_KIND, *nxt) if nxt else None,
    )
    # Serialised once, by pydantic-core, straight to bytes.
    return Response(page.model_dump_json(), media_type="application/json")
