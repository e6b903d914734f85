"""HTTP for the network around the caller: second degree and suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from connect_api.kit.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import CursorParam, InvalidCursor, Limit, QueryDigits
from connect_api.members.schemas import MemberSummary
from connect_api.network import service
from connect_api.network.repository import Candidate, Reached
from connect_api.network.schemas import (
    MutualReason,
    SecondDegreeItem,
    SecondDegreePage,
    SuggestionRead,
    SuggestionReasons,
    SuggestionsRead,
)

router = APIRouter(tags=["network"])

_KIND = "n2"


def _summary(m: Reached | Candidate) -> MemberSummary:
    return MemberSummary(id=m.id, handle=m.handle, display_name=m.display_name, headline=m.headline)


@router.get(
    "/v1/network/second-degree",
    summary="Members reachable through your connections",
    description=(
        "Members connected to one of your connections and not to you, each with how many "
        "connections you have in common, most first (ties by id). The list holds the "
        "`listed_at_most` members with the most mutual connections of the `reached` at "
        "degree 2; members hidden by a block either way and erased members are never in it.\n\n"
        "It is counted as you ask, from the graph as it is now (`computed_at` is the time of "
        "the answer), and a page goes on from the cursor's position (mutual connections, id): "
        "a member whose count changed since the previous page may be met again or passed "
        "over. While the service's graph read model is catching up, the list is read from a "
        "snapshot of your network instead, at most `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` "
        "old (`computed_at` says when), whose order and counts hold while you page through "
        "it; what changed since is applied as you read (members you have connected to since "
        "are left out too). A snapshot's cursor outlives one recomputation of your network; "
        "after two it is `cursor_expired`. A page may hold fewer than `limit` members while "
        "`next_cursor` is not null."
    ),
    response_model=SecondDegreePage,
    responses=responses(InvalidCursor, service.CursorExpired),
)
async def get_second_degree(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 20, cursor: CursorParam = None
) -> Response:
    after = ctx.cursors.decode(cursor, _KIND, int, int, int) if cursor else None
    page = await service.second_degree(ctx, principal.member_id, limit=limit, cursor=after)
    body = SecondDegreePage(
        items=[
            SecondDegreeItem(member=_summary(r), mutual_connections=r.mutuals) for r in page.items
        ],
        next_cursor=ctx.cursors.encode(_KIND, page.version, *page.next_after)
        if page.next_after
        else None,
        computed_at=page.computed_at,
        reached=page.reached,
        listed_at_most=page.listed_at_most,
    )
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/v1/suggestions",
    summary="People you may know",
    description=(
        "Members you may want to invite, best first, with why: the connections you have in "
        "common (a count and up to three of them) and the groups you share. They are ranked "
        "by a score, 2 per mutual connection plus 1 per shared group (ties: more mutual "
        "connections, then id), counted as you ask (while the service's graph read model is "
        "catching up: in a snapshot of your network at most "
        "`CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old; `computed_at` says when); the preview "
        "is found now.\n\n"
        "Never suggested, whatever the ranking says (checked as you read, by the rule the "
        "invitation endpoint applies): yourself, your connections, members with a pending "
        "invitation either way, a block either way, a cooldown after a decline or a "
        "withdrawal, a `dont_know` or `spam` decline, erased members, members at the "
        "connection cap, and those you dismissed. Your own throttles and restriction do not "
        "hide anyone: they pass."
    ),
    response_model=SuggestionsRead,
    responses=responses(),
)
async def get_suggestions(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100, description="How many, 1 to 100."), QueryDigits] = 20,
) -> Response:
    found = await service.suggestions(ctx, principal.member_id, limit=limit)
    body = SuggestionsRead(
        items=[
            SuggestionRead(
                member=_summary(c),
                score=c.score,
                reasons=SuggestionReasons(
                    mutual_connections=MutualReason(
                        count=c.mutual_connections,
                        preview=[
                            MemberSummary(
                                id=p.id,
                                handle=p.handle,
                                display_name=p.display_name,
                                headline=p.headline,
                            )
                            for p in c.preview
                        ],
                    ),
                    shared_groups=c.shared_groups,
                ),
            )
            for c in found.items
        ],
        computed_at=found.computed_at,
    )
    return Response(body.model_dump_json(), media_type="application/json")


@router.delete(
    "/v1/suggestions/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Dismiss a suggestion",
    description=(
        "Stop suggesting this member for `CONNECT_API_SUGGESTION_DISMISS_DAYS` days (from now, "
        "also when already dismissed). Idempotent: `204` every time, whether or not they were "
        "among your suggestions. `404` for an unknown member, one hidden by a block, or "
        "yourself."
    ),
    responses=responses(NotFound),
)
async def dismiss_suggestion(
    member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal
) -> Response:
    await ctx.db.run(service.dismiss, ctx, principal.member_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
