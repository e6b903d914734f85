from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from connect_api.kit.text_input import Text
from connect_api.members.schemas import MemberSummary

GroupName = Annotated[str, Text(max_length=100, blank=False, strip=True)]
GroupDescription = Annotated[str, Text(max_length=1000, strip=True)]

_GROUP_EXAMPLE: dict[str, JsonValue] = {
    "id": 7,
    "name": "Analytical Engine Society",
    "description": "For those who compute.",
    "member_count": 128,
    "created_at": "2026-11-25T10:00:00Z",
}
_MEMBER_EXAMPLE: dict[str, JsonValue] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": "Analyst of engines",
}


class GroupCreate(BaseModel):
    """A new group. Its member count is the service's to keep, never the caller's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Analytical Engine Society", "description": "For those who compute."}
            ]
        },
    )

    name: GroupName = Field(
        description="1 to 100 characters, not blank; unique, case-insensitively; whitespace "
        "around it is dropped."
    )
    description: GroupDescription | None = Field(
        None, description="Up to 1,000 characters; whitespace around it is dropped."
    )


class GroupRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_GROUP_EXAMPLE]}
    )

    id: int
    name: str
    description: str | None
    member_count: int = Field(description="How many members belong to the group.")
    created_at: datetime


class MembershipRead(BaseModel):
    """The caller's membership of a group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"group": _GROUP_EXAMPLE, "joined_at": "2026-11-25T10:00:00Z"}]
        }
    )

    group: GroupRead
    joined_at: datetime


class GroupMemberRead(BaseModel):
    """One member of a group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"member": _MEMBER_EXAMPLE, "joined_at": "2026-11-25T10:00:00Z"}]
        }
    )

    member: MemberSummary
    joined_at: datetime
