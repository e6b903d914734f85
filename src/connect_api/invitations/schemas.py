from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from connect_api.core.models import DeclineReason, InvitationStatus
from connect_api.kit.text_input import CleanStr
from connect_api.members.schemas import MemberSummary

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


# A row id: a JSON integer from 1 to 2^63 - 1, written as one (strict: `10.0`, `1e1`, `"10"` and
# `true` are refused, not read as 10 or 1).
RowId = Annotated[int, Field(gt=0, le=2**63 - 1, strict=True)]


class InvitationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"invitee_id": 42, "message": "We met at the analytical engines meetup."}]
        },
    )

    invitee_id: RowId = Field(
        description='The member to invite: a JSON integer (`10.0`, `1e1` or `"10"` is 422).'
    )
    message: CleanStr | None = Field(
        None,
        max_length=10_000,
        description="Optional personal note (the policy limit, 300 by default, applies), "
        "stored as given and shown only to the two members. A message of only whitespace, "
        "zero-width characters or bidirectional controls is taken as given, like any other.",
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


InvitationIdItem = RowId

BULK_DECLINE_MAX = 500


class BulkDeclineBody(BaseModel):
    """Which received invitations to decline: listed ones, or every pending one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"ids": [1001, 1002, 1003], "reason": "spam"},
                {"all": True},
            ],
            "oneOf": [{"required": ["ids"]}, {"required": ["all"]}],
        },
    )

    # Neither may be given as `null` (the document says so: `oneOf` requires one of them).
    ids: (
        Annotated[
            list[InvitationIdItem],
            Field(
                min_length=1, max_length=BULK_DECLINE_MAX, json_schema_extra={"uniqueItems": True}
            ),
        ]
        | SkipJsonSchema[None]
    ) = Field(
        None,
        description=f"Invitations to decline: 1 to {BULK_DECLINE_MAX} distinct ids, each a "
        'JSON integer (`10.0`, `1e1` or `"10"` is 422). '
        "Give either `ids` or `all`, not both.",
    )
    all_: Literal[True] | SkipJsonSchema[None] = Field(
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
        # `1`, `"true"` or `null` is not JSON `true`.
        if not isinstance(value, bool):
            raise ValueError("`all` must be JSON `true`.")
        return value

    @field_validator("ids", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("`ids` is a list of invitation ids; leave it out for `all`.")
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


OLDER_THAN_DAYS_MAX = 3650


class BulkWithdrawBody(BaseModel):
    """Which sent invitations to withdraw: listed ones, or every pending one older than a
    number of days."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"ids": [1001, 1002, 1003]}, {"older_than_days": 30}],
            "oneOf": [{"required": ["ids"]}, {"required": ["older_than_days"]}],
        },
    )

    ids: (
        Annotated[
            list[InvitationIdItem],
            Field(
                min_length=1, max_length=BULK_DECLINE_MAX, json_schema_extra={"uniqueItems": True}
            ),
        ]
        | SkipJsonSchema[None]
    ) = Field(
        None,
        description=f"Invitations to withdraw: 1 to {BULK_DECLINE_MAX} distinct ids, each a "
        'JSON integer (`10.0`, `1e1` or `"10"` is 422). '
        "Give either `ids` or `older_than_days`, not both.",
    )
    older_than_days: (
        Annotated[int, Field(ge=0, le=OLDER_THAN_DAYS_MAX, strict=True)] | SkipJsonSchema[None]
    ) = Field(
        None,
        description="Withdraw every pending invitation the caller sent more than this many "
        f"days ago, a JSON integer (0 to {OLDER_THAN_DAYS_MAX}; `0`: every pending one). "
        "Give either `ids` or `older_than_days`, not both.",
    )

    @field_validator("ids", "older_than_days", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave it out instead of `null`")
        return value

    @field_validator("ids")
    @classmethod
    def _distinct(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("`ids` must not repeat an id.")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> BulkWithdrawBody:
        if (self.ids is None) == (self.older_than_days is None):
            raise ValueError(
                "Give exactly one of `ids` (a list of invitation ids) or `older_than_days`."
            )
        return self


class NotWithdrawn(BaseModel):
    """An invitation of the batch that was left as it was, and why."""

    id: int
    code: NotDeclinedCode = Field(
        description="`not_found`: no such invitation in the caller's outbox (it may not exist, "
        "or be someone else's). `invitation_not_pending`: already answered, withdrawn or "
        "expired."
    )


class BulkWithdrawResult(BaseModel):
    """What a bulk withdrawal did, invitation by invitation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "withdrawn": [1001, 1003],
                    "not_withdrawn": [
                        {"id": 1002, "code": "invitation_not_pending"},
                        {"id": 999, "code": "not_found"},
                    ],
                }
            ]
        }
    )

    withdrawn: list[int] = Field(description="Invitations withdrawn by this request.")
    not_withdrawn: list[NotWithdrawn] = Field(
        description="Listed invitations left as they were, in the order given; always empty "
        "with `older_than_days`."
    )
