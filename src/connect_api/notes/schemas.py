from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from connect_api.core.tags import MAX_TAG_LENGTH, MAX_TAGS
from connect_api.kit.text_input import NOT_BLANK_PATTERN, Text, no_nul

MAX_BODY = 2000
MAX_HOW_WE_MET = 200


NoteBody = Annotated[str, Text(max_length=MAX_BODY, blank=False)]
HowWeMet = Annotated[str, Text(max_length=MAX_HOW_WE_MET)]
# A tag as given; `tags.normalise` checks it (`tag_empty`, `tag_too_long`) as declared here.
Tag = Annotated[
    str,
    AfterValidator(no_nul),
    Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN, "maxLength": MAX_TAG_LENGTH}),
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

    body: NoteBody = Field(
        description="1 to 2,000 characters, stored as given; not blank: at least one character "
        "that is not whitespace, a zero-width character or a bidirectional control."
    )
    how_we_met: HowWeMet | None = Field(None, description="Up to 200 characters.")


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

    tags: list[Tag] = Field(
        json_schema_extra={"maxItems": MAX_TAGS},
        description="At most 50 tags, each up to 40 characters (as given, and case-folded: "
        "`ß` counts as `ss`) and not blank. Zero-width characters (U+200B-U+200D, U+2060, "
        "U+FEFF) and bidirectional controls (U+200E, U+200F, U+061C, U+202A-U+202E, "
        "U+2066-U+2069) are dropped, then each tag is trimmed and inner whitespace collapsed "
        "to one space; a tag that is empty then is 422 `tag_empty`. Two tags are the same when "
        "they are once in compatibility form and case-folded (NFKC, case fold: `London`, "
        "full-width `LONDON` and `london` are one tag); the same tag counts once (the first "
        "spelling wins, or the spelling you already use on another connection).",
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
