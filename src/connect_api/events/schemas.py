from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(enum.StrEnum):
    """The type of an event, as in `GET /v1/events` and in webhook deliveries."""

    invitation_created = "invitation.created"
    invitation_accepted = "invitation.accepted"
    invitation_declined = "invitation.declined"
    invitation_withdrawn = "invitation.withdrawn"
    invitation_expired = "invitation.expired"
    connection_removed = "connection.removed"
    follow_created = "follow.created"
    follow_removed = "follow.removed"
    member_blocked = "member.blocked"
    member_unblocked = "member.unblocked"
    member_erased = "member.erased"
    webhook_disabled = "webhook.disabled"


class EventRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 311,
                    "type": "invitation.accepted",
                    "occurred_at": "2026-11-25T10:00:00Z",
                    "data": {
                        "invitation_id": 1001,
                        "inviter_id": 7,
                        "invitee_id": 42,
                        "connected_at": "2026-11-25T10:00:00+00:00",
                    },
                }
            ]
        },
    )

    id: int
    type: EventType = Field(
        description="What happened; `webhook.disabled` is in the feed of admins (`all=true`)."
    )
    occurred_at: datetime
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str = Field(
        description="Pass as `after` to read on. Always present: at the end of the feed it "
        "is where new events will appear, so a client polls with it."
    )
    has_more: bool = Field(description="More events are available right now.")
