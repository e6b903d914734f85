"""Response models of the second degree and the suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connect_api.members.schemas import MemberSummary

_ADA: Any = {"id": 42, "handle": "ada", "display_name": "Ada Lovelace", "headline": "Analyst"}
_BOB: Any = {"id": 7, "handle": "bob", "display_name": "Bob Babbage", "headline": None}


class SecondDegreeItem(BaseModel):
    member: MemberSummary
    mutual_connections: int = Field(
        description="Connections you and they had in common when the list was computed."
    )


class SecondDegreePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [{"member": _ADA, "mutual_connections": 12}],
                    "next_cursor": "WyJuMiIsMTc2NDYxNjQwMDAwMDAwMCw1LDQyXQ",
                    "computed_at": "2026-12-01T19:00:00Z",
                    "reached": 61234,
                    "listed_at_most": 500,
                }
            ]
        }
    )

    items: list[SecondDegreeItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )
    computed_at: datetime = Field(description="When the list (and its counts) was computed.")
    reached: int = Field(
        description="How many members were at degree 2 from you when it was computed."
    )
    listed_at_most: int = Field(
        description="The list holds at most this many of them: those with the most mutual "
        "connections (ties by id)."
    )


class MutualReason(BaseModel):
    count: int = Field(
        description="Connections you have in common, as of the ranking (`computed_at`)."
    )
    preview: list[MemberSummary] = Field(
        description="Up to three of them now: the first of "
        "`GET /v1/members/{id}/mutual-connections` (display name, then id), as in the "
        "relationships look-up.",
        max_length=3,
    )


class SuggestionReasons(BaseModel):
    mutual_connections: MutualReason
    shared_groups: int = Field(description="Groups you are both members of now.")


class SuggestionRead(BaseModel):
    member: MemberSummary
    score: int = Field(
        description="The ranking's score when it was computed: 2 per mutual connection plus 1 "
        "per shared group."
    )
    reasons: SuggestionReasons


class SuggestionsRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "member": _ADA,
                            "score": 7,
                            "reasons": {
                                "mutual_connections": {"count": 3, "preview": [_BOB]},
                                "shared_groups": 1,
                            },
                        }
                    ],
                    "computed_at": "2026-12-01T19:00:00Z",
                }
            ]
        }
    )

    items: list[SuggestionRead]
    computed_at: datetime = Field(description="When the ranking was computed.")
