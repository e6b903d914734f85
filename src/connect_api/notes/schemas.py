from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from connect_api.text import CleanStr, no_nul

MAX_BODY = 2000
MAX_HOW_WE_MET = 200


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NoteBody = Annotated[
    str,
    Field(min_length=1, max_length=MAX_BODY),
    AfterValidator(no_nul),
    AfterValidator(_not_blank),
]


class NoteWrite(BaseModel):
    """The whole note: a `PUT` replaces it (leaving out `how_we_met` clears it)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "body": "Knows everything about difference engines. Ask about Babbage.",
                    "how_we_met": "Analytical engines meetup, London",
                }
            ]
        },
    )

    body: NoteBody = Field(description="1 to 2,000 characters, stored as given.")
    how_we_met: CleanStr | None = Field(
        None, max_length=MAX_HOW_WE_MET, description="Up to 200 characters."
    )


class NoteRead(BaseModel):
    """A private note on a connection, seen only by its author."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "member_id": 42,
                    "body": "Knows everything about difference engines. Ask about Babbage.",
                    "how_we_met": "Analytical engines meetup, London",
                    "created_at": "2026-11-25T10:00:00Z",
                    "updated_at": "2026-11-26T08:30:00Z",
                }
            ]
        },
    )

    member_id: int = Field(description="The connection the note is about.")
    body: str
    how_we_met: str | None
    created_at: datetime
    updated_at: datetime


class TagsWrite(BaseModel):
    """The whole set of tags on one connection: a `PUT` replaces it, `[]` clears it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tags": ["Engines", "London"]}]}
    )

    tags: list[CleanStr] = Field(
        max_length=500,
        description="Each tag is trimmed and inner whitespace collapsed to one space; "
        "1 to 40 characters; the same tag in another case counts once (the first spelling "
        "wins, or the spelling you already use on another connection); at most 50.",
    )


class TagsRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"member_id": 42, "tags": ["Engines", "London"]}]}
    )

    member_id: int = Field(description="The connection the tags are on.")
    tags: list[str] = Field(description="Sorted case-insensitively.")


class TagCount(BaseModel):
    tag: str
    count: int = Field(description="How many of your connections carry it.")


class TagList(BaseModel):
    """The caller's tags in use, the most used first (ties by name)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"tag": "London", "count": 12}, {"tag": "Engines", "count": 3}]}
            ]
        }
    )

    items: list[TagCount]
