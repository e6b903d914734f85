from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connect_api.members.schemas import MemberSummary

ADA: dict[str, Any] = {
    "id": 42,
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "headline": "Analyst of engines",
}
BOB: dict[str, Any] = {"id": 7, "handle": "bob.b", "display_name": "Bob Babbage", "headline": None}


class MutualConnectionsPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [ADA, BOB], "total": 14, "next_cursor": "WyJtYyIsImJvYi..."}]
        }
    )

    items: list[MemberSummary] = Field(
        description="Your connections who are also connected to the member, by display name "
        "(case-insensitively), then id: the order of `GET /v1/members/{id}/connections"
        "?sort=name`."
    )
    total: int = Field(
        description="How many there are in all, counted in the same snapshot as the page: the "
        "`mutual_connections` of the relationships look-up."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )
