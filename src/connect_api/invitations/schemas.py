from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

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


InvitationIdItem = Annotated[int, Field(gt=0, le=2**63 - 1, strict=True)]

BULK_DECLINE_MAX = 500


class BulkDeclineBody(BaseModel):
    """Which received invitations to decline: listed ones, or every pending one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"ids": [1001, 1002, 1003], "reason": "spam"},
                {"all": True},
            ]
        },
    )

    ids: list[InvitationIdItem] | None = Field(
        None,
        min_length=1,
        max_length=BULK_DECLINE_MAX,
        description=f"Invitations to decline: 1 to {BULK_DECLINE_MAX} distinct ids. "
        "Give either `ids` or `all`, not both.",
    )
    all_: Literal[True] | None = Field(
        None,
        alias="all",
        description="`true`: decline every invitation waiting in the caller's inbox. "
        "Give either `ids` or `all`, not both.",
    )
    reason: DeclineReason = Field(
        DeclineReason.ignore,
        description="One reason for the whole batch: `ignore` (default), `dont_know` or "
        "`spam`. Never shown to the inviters.",
    )

    @field_validator("all_", mode="before")
    @classmethod
    def _json_true_only(cls, value: object) -> object:
        # `1` or `"true"` is not JSON `true`.
        if value is not None and not isinstance(value, bool):
            raise ValueError("`all` must be JSON `true`.")
        return value

    @field_validator("ids")
    @classmethod
    def _distinct(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("`ids` must not repeat an id.")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> BulkDeclineBody:
        if (self.ids is None) == (self.all_ is None):
            raise ValueError("Give exactly one of `ids` (a list of invitation ids) or `all: true`.")
        return self


NotDeclinedCode = Literal["not_found", "invitation_not_pending"]


class NotDeclined(BaseModel):
    """An invitation of the batch that was left as it was, and why."""

    id: int
    code: NotDeclinedCode = Field(
        description="`not_found`: no such invitation in the caller's inbox (it may not exist, "
        "or be someone else's). `invitation_not_pending`: already answered, withdrawn or "
        "expired."
    )


class BulkDeclineResult(BaseModel):
    """What a bulk decline did, invitation by invitation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "declined": [1001, 1003],
                    "not_declined": [
                        {"id": 1002, "code": "invitation_not_pending"},
                        {"id": 999, "code": "not_found"},
                    ],
                }
            ]
        }
    )

    declined: list[int] = Field(description="Invitations declined by this request.")
    not_declined: list[NotDeclined] = Field(
        description="Listed invitations left as they were, in the order given; always empty "
        "with `all`."
    )
