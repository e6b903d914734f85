from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from connect_api.text import no_nul

# Constraints first (whitespace is stripped before lengths are checked), then the NUL check.
Handle = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=30, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_nul),
]
Headline = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=220), AfterValidator(no_nul)
]


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

    handle: Handle = Field(description="Unique, case-insensitive; letters, digits, `_ . -`.")
    display_name: DisplayName
    headline: Headline | None = None


class MemberSummary(BaseModel):
    """The public face of a member, as shown inside other resources."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    handle: str
    display_name: str
    headline: str | None


class MemberRead(MemberSummary):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "handle": "ada",
                    "display_name": "Ada Lovelace",
                    "headline": "Analyst of engines",
                    "connection_count": 512,
                    "follower_count": 1024,
                    "following_count": 300,
                    "created_at": "2026-11-25T10:00:00Z",
                }
            ]
        },
    )

    connection_count: int
    follower_count: int = Field(description="Members following this member.")
    following_count: int = Field(description="Members this member follows.")
    created_at: datetime


class InvitationAllowance(BaseModel):
    """What is left of the caller's invitation limits right now."""

    hour_remaining: int
    week_remaining: int
    pending_outgoing: int
    pending_outgoing_limit: int


class MeRead(MemberRead):
    """The caller's own member, with what only they may see."""

    restricted_until: datetime | None = Field(
        description="Until when the caller may not send invitations; `null` when free to."
    )
    pending_received: int = Field(description="Invitations waiting for the caller's answer.")
    invitations: InvitationAllowance
