from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from connect_api.members.schemas import MemberSummary
from connect_api.models import DeclineReason, InvitationStatus
from connect_api.text import CleanStr

_EXAMPLE_MEMBER_A: dict[str, JsonValue] = {
    "id": 7,
    "handle": "grace",
    "display_name": "Grace Hopper",
    "headline": None,
}
_EXAMPLE_MEMBER_B: dict[str, JsonValue] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": None,
}


class InvitationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"invitee_id": 42, "message": "We met at the analytical engines meetup."}]
        },
    )

    # Strict: JSON `true`, `"42"` or `42.0` is not a member id.
    invitee_id: int = Field(gt=0, le=2**63 - 1, strict=True, description="The member to invite.")
    message: CleanStr | None = Field(
        None,
        max_length=10_000,
        description="Optional personal note (the policy limit, 300 by default, applies), "
        "stored as given and shown only to the two members.",
    )


class DeclineBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "dont_know"}]}
    )

    reason: DeclineReason = Field(
        DeclineReason.ignore,
        description="`ignore` (default), `dont_know` (I don't know this person) or `spam`. "
        "Never shown to the inviter.",
    )


class StatusFilter(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"
    expired = "expired"
    all = "all"


class InvitationRead(BaseModel):
    """An invitation as one of its two members sees it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1001,
                    "inviter": _EXAMPLE_MEMBER_A,
                    "invitee": _EXAMPLE_MEMBER_B,
                    "direction": "sent",
                    "message": "We met at the analytical engines meetup.",
                    "status": "pending",
                    "decline_reason": None,
                    "created_at": "2026-11-25T10:00:00Z",
                    "expires_at": "2027-05-24T10:00:00Z",
                    "responded_at": None,
                }
            ]
        }
    )

    id: int
    inviter: MemberSummary
    invitee: MemberSummary
    direction: Literal["sent", "received"] = Field(description="From the caller's side.")
    message: str | None
    status: InvitationStatus
    decline_reason: DeclineReason | None = Field(
        description="Shown to the invitee only; always `null` for the inviter."
    )
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None
