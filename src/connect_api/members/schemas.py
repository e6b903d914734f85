from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic.json_schema import SkipJsonSchema

from connect_api.core.models import InvitePolicy, NetworkVisibility
from connect_api.kit.text_input import WHITESPACE, Text

# A handle may come with whitespace around it (dropped); the handle itself is 3 to 30 of these.
HANDLE_PATTERN = rf"^[{WHITESPACE}]*[A-Za-z0-9_.-]{{3,30}}[{WHITESPACE}]*$"
_HANDLE = re.compile(HANDLE_PATTERN)


def _handle(value: str) -> str:
    if not _HANDLE.match(value):
        raise ValueError("a handle is 3 to 30 letters, digits, `_`, `.` or `-`")
    return value.strip()


Handle = Annotated[
    str, Field(json_schema_extra={"pattern": HANDLE_PATTERN}), AfterValidator(_handle)
]
DisplayName = Annotated[str, Text(max_length=100, blank=False, strip=True)]
Headline = Annotated[str, Text(max_length=220, strip=True)]


class MemberCreate(BaseModel):
    """A new member. Counters and restrictions are the service's to keep, never the caller's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"handle": "ada", "display_name": "Ada Lovelace", "headline": "Analyst of engines"}
            ]
        },
    )

    handle: Handle = Field(
        description="Unique, case-insensitive; 3 to 30 letters, digits, `_ . -` (whitespace "
        "around it is dropped)."
    )
    display_name: DisplayName = Field(
        description="1 to 100 characters, not blank; whitespace around it is dropped."
    )
    headline: Headline | None = Field(
        None, description="Up to 220 characters; whitespace around it is dropped."
    )


class MemberSummary(BaseModel):
    """The public face of a member, as shown inside other resources."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    handle: str
    display_name: str
    headline: str | None


_MEMBER_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": "Analyst of engines",
    "connection_count": 512,
    "follower_count": 1024,
    "following_count": 300,
    "created_at": "2026-11-25T10:00:00Z",
}


class MemberRead(MemberSummary):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_MEMBER_EXAMPLE]},
    )

    connection_count: int | None = Field(
        description="The member's connections you can page through (a block either way hides a "
        "member from the count as from the list); `null` where their connections are not "
        "yours to see (see `who_may_see_connections`)."
    )
    follower_count: int | None = Field(
        description="Members following this member, as you can page through them; `null` "
        "where their followers are not yours to see (the rule of their connections)."
    )
    following_count: int | None = Field(
        description="Members this member follows, as you can page through them; `null` where "
        "that list is not yours to see (the rule of their connections)."
    )
    created_at: datetime


class InvitationAllowance(BaseModel):
    """What is left of the caller's invitation limits right now."""

    hour_remaining: int
    week_remaining: int
    pending_outgoing: int
    pending_outgoing_limit: int


_WHO_MAY_INVITE = (
    "Who may invite the member to connect: `everyone` (the default); `network`: members at "
    "the 2nd or 3rd degree, and those of `nobody`; `nobody`: only members they follow or share "
    "a group with. A refused invitation answers `403 invitation_not_allowed`, which does not "
    "say why; invitations already pending stay pending."
)
_FOLLOW_FIRST = (
    "Follow as the member's primary button: the relationships look-up answers `action: follow` "
    "instead of `connect` for them (`can_invite` is unchanged: an invitation stays possible)."
)


_WHO_MAY_SEE = (
    "Who may see the member's connections, followers and following (the lists and their "
    "counts): `connections` (the default): the member and their 1st-degree connections; "
    "`only_me`: the member alone. Anyone else gets `404` for the lists and `null` counts on "
    "the profile. Mutual connections stay visible to a member who shares them (they are that "
    "member's own connections), and the relationships look-up still gives degrees."
)


class MemberSettings(BaseModel):
    """The member's own controls (spec 2.13), seen only by them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "who_may_invite": "network",
                    "follow_first": False,
                    "who_may_see_connections": "connections",
                }
            ]
        }
    )

    who_may_invite: InvitePolicy = Field(description=_WHO_MAY_INVITE)
    follow_first: bool = Field(description=_FOLLOW_FIRST)
    who_may_see_connections: NetworkVisibility = Field(description=_WHO_MAY_SEE)


class MemberSettingsUpdate(BaseModel):
    """The settings to change; those left out stay as they are. Neither may be `null`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"who_may_invite": "nobody"},
                {"follow_first": True},
                {"who_may_see_connections": "only_me"},
                {"who_may_invite": "everyone", "follow_first": False},
            ]
        },
    )

    who_may_invite: InvitePolicy | SkipJsonSchema[None] = Field(None, description=_WHO_MAY_INVITE)
    follow_first: StrictBool | SkipJsonSchema[None] = Field(None, description=_FOLLOW_FIRST)
    who_may_see_connections: NetworkVisibility | SkipJsonSchema[None] = Field(
        None, description=_WHO_MAY_SEE
    )

    @field_validator("who_may_invite", "follow_first", "who_may_see_connections", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave a setting out to keep it; it can't be `null`")
        return value


class MeRead(MemberRead):
    """The caller's own member, with what only they may see."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_MEMBER_EXAMPLE,
                    "restricted_until": None,
                    "pending_received": 3,
                    "unseen_received": 1,
                    "invitations": {
                        "hour_remaining": 17,
                        "week_remaining": 96,
                        "pending_outgoing": 4,
                        "pending_outgoing_limit": 200,
                    },
                    "settings": {
                        "who_may_invite": "everyone",
                        "follow_first": False,
                        "who_may_see_connections": "connections",
                    },
                }
            ]
        },
    )

    # One's own lists are always one's own to see: never `null` here.
    connection_count: int = Field(description="The caller's connections.")
    follower_count: int = Field(description="Members following the caller.")
    following_count: int = Field(description="Members the caller follows.")
    restricted_until: datetime | None = Field(
        description="Until when the caller may not send invitations; `null` when free to."
    )
    pending_received: int = Field(description="Invitations waiting for the caller's answer.")
    unseen_received: int = Field(
        description="Of those, the ones that arrived since the caller last marked their "
        "inbox seen (`POST /v1/invitations/received/seen`): the number on the badge."
    )
    invitations: InvitationAllowance
    settings: MemberSettings = Field(description="The caller's own controls.")
