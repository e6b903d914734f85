"""HTTP for connections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from connect_api.connections import service
from connect_api.connections.schemas import ConnectionRead, ConnectionSort
from connect_api.core.tags import MAX_TAG_LENGTH, TagEmpty, TagTooLong, normalise
from connect_api.kit.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import (
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
    filter_digest,
)
from connect_api.kit.text_input import NOT_BLANK_PATTERN, CleanStr
from connect_api.members.schemas import MemberSummary

router = APIRouter(tags=["connections"])


@router.get(
    "/v1/members/{member_id}/connections",
    summary="A member's connections",
    description=(
        "Visible to the member and to their 1st-degree connections, or to the member alone if "
        "they chose `who_may_see_connections: only_me` (spec 2.11, 2.13); `404` for anyone "
        "else, the same answer as for a member who does not exist. Members a block hides from "
        "you are left out, of the list as of the profile's `connection_count`. "
        "`sort=recent` (default) lists the newest connections first, `sort=name` by display "
        "name. `q` keeps those whose name or handle contains the text. `tag` keeps those "
        "*you* tagged with it (compared as tags are: trimmed, whitespace collapsed, any case); "
        "on your own list, your connections with that tag."
    ),
    response_model=Page[ConnectionRead],
    responses=responses(NotFound, InvalidCursor, TagEmpty, TagTooLong),
)
async def list_connections(
    member_id: MemberId,
    ctx: Ctx,
    principal: CurrentPrincipal,
    sort: Annotated[
        ConnectionSort, Query(description="Order of the list.")
    ] = ConnectionSort.recent,
    q: Annotated[
        CleanStr | None, Query(min_length=1, max_length=100, description="Name or handle contains.")
    ] = None,
    tag: Annotated[
        CleanStr | None,
        Query(
            min_length=1,
            # Checked by `normalise` (`tag_empty`, `tag_too_long`), as a tag is when written.
            json_schema_extra={"maxLength": MAX_TAG_LENGTH, "pattern": NOT_BLANK_PATTERN},
            description="Only those you tagged with this (up to 40 characters, and case-folded: "
            "`ß` counts as `ss`; not blank). Compared as tags are: zero-width characters and "
            "bidirectional controls dropped, in compatibility form (NFKC) and case-folded.",
        ),
    ] = None,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Response:
    tag_key = normalise(tag).key if tag is not None else None
    # A cursor names its sort and filters, so it can't be replayed on another list.
    kind = f"c{sort.value[0]}:"
    if q is not None or tag_key is not None:
        kind += filter_digest(q, tag_key)
    after = None
    if cursor:
        after = ctx.cursors.decode(
            cursor, kind, datetime if sort is ConnectionSort.recent else str, int
        )
    rows, nxt = await service.list_connections(
        ctx,
        principal.member_id,
        member_id,
        sort=sort,
        q=q,
        limit=limit,
        after=after,
        tag_key=tag_key,
        admin=principal.is_admin,
    )
    page = Page[ConnectionRead](
        items=[
            ConnectionRead(
                member=MemberSummary(
                    id=r.id, handle=r.handle, display_name=r.display_name, headline=r.headline
                ),
                connected_at=r.connected_at,
            )
            for r in rows
        ],
        next_cursor=ctx.cursors.encode(kind, *nxt) if nxt else None,
    )
    # Serialised once, by pydantic-core, straight to bytes.
    return Response(page.model_dump_json(), media_type="application/json")


@router.delete(
    "/v1/connections/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a connection",
    description="Silent: the other member is not notified. Frees a connection slot on both "
    "sides; either may invite the other again at once.",
    responses=responses(NotFound),
)
async def remove_connection(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.remove, ctx, principal.member_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
