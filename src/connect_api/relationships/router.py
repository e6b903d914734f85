"""HTTP for the relationships look-up (the Connect button)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from connect_api.kit.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, Unprocessable, responses
from connect_api.kit.pagination import CursorParam, InvalidCursor, Limit
from connect_api.members.schemas import MemberSummary
from connect_api.relationships import service
from connect_api.relationships.schemas import (
    MutualConnectionsPage,
    PendingInvitationRead,
    RelationshipRead,
    RelationshipsRead,
)

router = APIRouter(tags=["relationships"])

MAX_IDS = 100


class TooManyIds(Unprocessable):
    """At most 100 member ids per look-up."""

    code = "too_many_ids"


MAX_MEMBER_ID = 2**63 - 1  # BIGINT
_IDS = re.compile(r"^[0-9]+(,[0-9]+)*$")  # ASCII digits only: int() would read " 1" or "+1"

# The parameter as documented: what `parse_ids` accepts, from the same numbers.
IDS_PARAMETER: dict[str, Any] = {
    "name": "ids",
    "in": "query",
    "required": True,
    "style": "form",
    "explode": False,
    "description": f"Comma-separated member ids, 1 to {MAX_IDS} (a repeated id is answered "
    "once, in its first place).",
    "schema": {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_IDS,
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_MEMBER_ID},
    },
    "example": [42, 7, 1001],
}


def parse_ids(raw: str) -> list[int]:
    """``"3,1,3"`` → ``[3, 1]``: distinct, in the order given; at most 100 given."""
    if not _IDS.fullmatch(raw):  # `match` would let a final "\n" by ("$" matches before it)
        raise Unprocessable("`ids` is a comma-separated list of member ids.")
    parts = raw.split(",")
    if len(parts) > MAX_IDS:
        raise TooManyIds(
            f"{len(parts)} member ids were given; at most {MAX_IDS} per look-up.", limit=MAX_IDS
        )
    ids = list(dict.fromkeys(int(part) for part in parts))
    if any(not 0 < i <= MAX_MEMBER_ID for i in ids):
        raise Unprocessable("Member ids are positive 64-bit integers.")
    return ids


def to_read(
    r: service.Relationship, people: dict[int, MemberSummary] | None = None
) -> RelationshipRead:
    """``people``: the summaries made so far, shared by every item of one answer (the same
    few members often appear in many previews)."""
    inv = r.invitation
    people = {} if people is None else people

    def summary(m: service.PreviewMember) -> MemberSummary:
        made = people.get(m.id)
        if made is None:
            made = people[m.id] = MemberSummary(
                id=m.id, handle=m.handle, display_name=m.display_name, headline=m.headline
            )
        return made

    return RelationshipRead(
        member_id=r.member_id,
        degree=r.degree,
        connected=r.connected_at is not None,
        connected_at=r.connected_at,
        invitation=PendingInvitationRead(
            id=inv.id,
            direction=inv.direction,  # type: ignore[arg-type]
            created_at=inv.created_at,
            expires_at=inv.expires_at,
        )
        if inv is not None
        else None,
        following=r.following,
        followed_by=r.followed_by,
        mutual_connections=r.mutual_connections,
        mutual_preview=[summary(m) for m in r.mutual_preview],
        shared_groups=r.shared_groups,
        can_invite=r.invite.allowed,
        reason=r.invite.reason,
        can_invite_after=r.invite.until,
        action=r.action,
    )


@router.get(
    "/v1/relationships",
    summary="What stands between you and other members (the Connect button)",
    description=(
        "For up to 100 members at once, everything a frontend needs to draw the Connect button "
        "and its neighbourhood: degree, connection, pending invitation, follows both ways, "
        "mutual connections (how many, and the first three by name), shared groups, and "
        "whether an invitation would succeed now. "
        "`can_invite` and `reason` come from the very rule the invitation endpoint applies, so "
        "the button never promises what the endpoint would refuse.\n\n"
        "Members you may not see (a block either way, erased, unknown ids) come back as "
        "`action: unavailable`, without saying why. The cost does not grow with the number of "
        "ids: one statement answers for all of them."
    ),
    response_model=RelationshipsRead,
    responses=responses(TooManyIds),
    openapi_extra={"parameters": [IDS_PARAMETER]},
)
async def get_relationships(
    ctx: Ctx,
    principal: CurrentPrincipal,
    ids: Annotated[str, Query(include_in_schema=False)],
    mutual_preview: Annotated[
        bool,
        Query(
            description="Name up to three mutual connections per member (`mutual_preview`); "
            "`false` leaves every `mutual_preview` empty, for lists that show only the count."
        ),
    ] = True,
) -> Response:
    found = await service.look_up(ctx, principal.member_id, parse_ids(ids), preview=mutual_preview)
    # Serialised once, by pydantic-core, straight to bytes (the route is on every page view).
    people: dict[int, MemberSummary] = {}
    body = RelationshipsRead(items=[to_read(r, people) for r in found]).model_dump_json()
    return Response(body, media_type="application/json")


MUTUALS_CURSOR = "mc"


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
        name_key, after_id = ctx.cursors.decode(cursor, MUTUALS_CURSOR, str, int)
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
        next_cursor=ctx.cursors.encode(MUTUALS_CURSOR, *nxt) if nxt else None,
    )
    # Serialised once, by pydantic-core, straight to bytes.
    return Response(page.model_dump_json(), media_type="application/json")
