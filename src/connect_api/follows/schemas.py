from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from connect_api.members.schemas import MemberSummary

_MEMBER_EXAMPLE: dict[str, JsonValue] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": "Analyst of engines",
}


class FollowRead(BaseModel):
    """A follow, seen from one side: the other member, and since when the follow stands."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"member": _MEMBER_EXAMPLE, "followed_at": "2026-11-25T10:00:00Z"}]
        }
    )

    member: MemberSummary = Field(description="The member followed, or following.")
    followed_at: datetime = Field(description="When the follow began.")
