"""The export's shapes. The JSON document is written row by row (see the service); these
models document it, and the tests hold the two together."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from connect_api.members.schemas import MemberSummary


class ExportKind(StrEnum):
    connections = "connections"
    following = "following"
    followers = "followers"
    invitations = "invitations"
    blocks = "blocks"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


class ExportedProfile(MemberSummary):
    created_at: datetime
    connection_count: int
    follower_count: int
    following_count: int


class ExportedConnection(BaseModel):
    member: MemberSummary
    connected_at: datetime
    note: str | None = Field(description="Your private note's body, if you wrote one.")
    how_we_met: str | None
    tags: list[str] = Field(description="Your tags on this connection, sorted.")


class ExportedFollow(BaseModel):
    member: MemberSummary
    followed_at: datetime


class ExportedInvitation(BaseModel):
    id: int
    member: MemberSummary = Field(description="The other member: invitee or inviter.")
    message: str | None
    created_at: datetime
    expires_at: datetime


class ExportedBlock(BaseModel):
    member: MemberSummary
    blocked_at: datetime


_M: dict[str, JsonValue] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": None,
}
_PROFILE: dict[str, JsonValue] = {
    "id": 7,
    "handle": "grace",
    "display_name": "Grace Hopper",
    "headline": "Rear admiral",
    "created_at": "2026-01-01T09:00:00Z",
    "connection_count": 1,
    "follower_count": 1,
    "following_count": 1,
}


class ExportDocument(BaseModel):
    """Everything the caller owns, as of one moment. Every list is newest first; invitations
    are the pending ones; blocks are those the caller placed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "exported_at": "2026-11-25T10:00:00Z",
                    "member": _PROFILE,
                    "connections": [
                        {
                            "member": _M,
                            "connected_at": "2026-11-20T10:00:00Z",
                            "note": "Knows everything about difference engines.",
                            "how_we_met": "Analytical engines meetup",
                            "tags": ["Engines", "London"],
                        }
                    ],
                    "following": [{"member": _M, "followed_at": "2026-11-20T10:00:00Z"}],
                    "followers": [{"member": _M, "followed_at": "2026-11-20T10:00:00Z"}],
                    "invitations_sent": [],
                    "invitations_received": [],
                    "blocks": [],
                }
            ]
        }
    )

    exported_at: datetime
    member: ExportedProfile
    connections: list[ExportedConnection]
    following: list[ExportedFollow]
    followers: list[ExportedFollow]
    invitations_sent: list[ExportedInvitation]
    invitations_received: list[ExportedInvitation]
    blocks: list[ExportedBlock]


class ExportPart(BaseModel):
    """One kind of list as JSON (`kind` with `format=json`): the document's head and that
    kind's lists only (`invitations`: both `invitations_sent` and `invitations_received`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "exported_at": "2026-11-25T10:00:00Z",
                    "member": _PROFILE,
                    "blocks": [{"member": _M, "blocked_at": "2026-11-20T10:00:00Z"}],
                }
            ]
        }
    )

    exported_at: datetime
    member: ExportedProfile
    connections: list[ExportedConnection] = Field(default_factory=list)
    following: list[ExportedFollow] = Field(default_factory=list)
    followers: list[ExportedFollow] = Field(default_factory=list)
    invitations_sent: list[ExportedInvitation] = Field(default_factory=list)
    invitations_received: list[ExportedInvitation] = Field(default_factory=list)
    blocks: list[ExportedBlock] = Field(default_factory=list)


# The JSON document's lists that make up each kind.
JSON_KEYS: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.connections: ("connections",),
    ExportKind.following: ("following",),
    ExportKind.followers: ("followers",),
    ExportKind.invitations: ("invitations_sent", "invitations_received"),
    ExportKind.blocks: ("blocks",),
}

# CSV columns, one file per kind (invitations carry a `direction`: sent or received).
_PROFILE_COLUMNS = ("member_id", "handle", "display_name", "headline")
CSV_COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.connections: (
        *_PROFILE_COLUMNS,
        "connected_at",
        "note",
        "how_we_met",
        "tags",
    ),
    ExportKind.following: (*_PROFILE_COLUMNS, "followed_at"),
    ExportKind.followers: (*_PROFILE_COLUMNS, "followed_at"),
    ExportKind.invitations: (
        "direction",
        "invitation_id",
        *_PROFILE_COLUMNS,
        "message",
        "created_at",
        "expires_at",
    ),
    ExportKind.blocks: (*_PROFILE_COLUMNS, "blocked_at"),
}
