from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class StreamTicket(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket": "st_Yc1tq3dO8bm1Zc7gq0bYb4mQ8S3hJx2nV7kE9aWfR0s",
                    "expires_at": "2026-12-07T10:01:00Z",
                    "expires_in": 60,
                    "stream_url": (
                        "/v1/me/stream?ticket=st_Yc1tq3dO8bm1Zc7gq0bYb4mQ8S3hJx2nV7kE9aWfR0s"
                    ),
                }
            ]
        }
    )

    ticket: str = Field(
        description="Opens the caller's stream once, as `?ticket=`; valid for `expires_in` "
        "seconds. Never a bearer token: no other route takes it."
    )
    expires_at: datetime
    expires_in: int = Field(description="Seconds the ticket is valid for.")
    stream_url: str = Field(
        description="The stream's path with the ticket, for `new EventSource(...)` (add "
        "`&after=` with the last event id seen, to resume)."
    )


class InboxCounts(BaseModel):
    """The badge's numbers: also what a stream's `counts` event carries."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pending_received": 3, "unseen_received": 0}]}
    )

    pending_received: int = Field(description="Invitations waiting for the caller's answer.")
    unseen_received: int = Field(
        description="Of those, the ones that arrived since the inbox was last marked seen."
    )
