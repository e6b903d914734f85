from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connect_api.core.policy import Action, InviteRefusal
from connect_api.members.schemas import MemberSummary


class PendingInvitationRead(BaseModel):
    id: int
    direction: Literal["sent", "received"] = Field(
        description="`sent`: the caller invited them; `received`: they invited the caller."
    )
    status: Literal["pending"] = "pending"
    created_at: datetime
    expires_at: datetime


class RelationshipRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": 42,
                    "degree": 2,
                    "connected": False,
                    "connected_at": None,
                    "invitation": None,
                    "following": True,
                    "followed_by": False,
                    "mutual_connections": 12,
                    "mutual_preview": [
                        {
                            "id": 42,
                            "handle": "ada",
                            "display_name": "Ada Lovelace",
                            "headline": "Analyst of engines",
                        },
                        {
                            "id": 7,
                            "handle": "bob.b",
                            "display_name": "Bob Babbage",
                            "headline": None,
                        },
                        {
                            "id": 1001,
                            "handle": "cat",
                            "display_name": "Cat Clarke",
                            "headline": "Writes about distance",
                        },
                    ],
                    "shared_groups": 1,
                    "can_invite": True,
                    "reason": None,
                    "can_invite_after": None,
                    "action": "connect",
                },
                {
                    "member_id": 7,
                    "degree": None,
                    "connected": False,
                    "connected_at": None,
                    "invitation": None,
                    "following": False,
                    "followed_by": False,
                    "mutual_connections": 0,
                    "mutual_preview": [],
                    "shared_groups": 0,
                    "can_invite": False,
                    "reason": "not_found",
                    "can_invite_after": None,
                    "action": "unavailable",
                },
            ]
        }
    )

    member_id: int
    degree: Annotated[int, Field(ge=1, le=3)] | None = Field(
        description="1: connected; 2: connected to one of your connections; 3: connected to a "
        "2nd-degree member; `null`: further, or unavailable."
    )
    connected: bool
    connected_at: datetime | None
    invitation: PendingInvitationRead | None = Field(
        description="The pending invitation between you, either way, if there is one."
    )
    following: bool = Field(description="You follow them.")
    followed_by: bool = Field(description="They follow you.")
    mutual_connections: int = Field(
        description="How many of your connections are also connected to them: the `total` "
        "of `GET /v1/members/{id}/mutual-connections`."
    )
    mutual_preview: list[MemberSummary] = Field(
        description="The first three of those mutual connections in the order of "
        "`GET /v1/members/{id}/mutual-connections` (display name, case-insensitively, then "
        'id), for "Ada, Bob and 10 other mutual connections" without a second call. Empty '
        "when there are none, when unavailable, or when asked with `mutual_preview=false`."
    )
    shared_groups: int
    can_invite: bool = Field(
        description="Whether `POST /v1/invitations` to them would succeed now (when they have "
        "invited you, it would accept theirs)."
    )
    reason: InviteRefusal | None = Field(
        description="When `can_invite` is false: the `code` the invitation endpoint would "
        "answer (see `InviteRefusal`); `null` when it is true."
    )
    can_invite_after: datetime | None = Field(
        description="For `cooldown_active` and `member_restricted`: when that refusal ends."
    )
    action: Action = Field(
        description="What the button offers: `connect`, `pending` (you invited them), "
        "`accept` (they invited you), `message` (connected), `follow` (an invitation is not "
        "possible now), `unavailable` (blocked either way, erased, unknown, or yourself; "
        "never says which)."
    )


class RelationshipsRead(BaseModel):
    items: list[RelationshipRead] = Field(description="One per requested id, in request order.")


ADA: dict[str, Any] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": "Analyst of engines",
}
BOB: dict[str, Any] = {"id": 7, "handle": "bob.b", "display_name": "Bob Babbage", "headline": None}


class MutualConnectionsPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [ADA, BOB], "total": 14, "next_cursor": "WyJtYyIsImJvYi..."}]
        }
    )

    items: list[MemberSummary] = Field(
        description="Your connections who are also connected to the member, by display name "
        "(case-insensitively), then id: the order of `GET /v1/members/{id}/connections"
        "?sort=name`."
    )
    total: int = Field(
        description="How many there are in all, counted in the same snapshot as the page: the "
        "`mutual_connections` of the relationships look-up."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )
