from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="TagsWrite")


@_attrs_define
class TagsWrite:
    """The whole set of tags on one connection: a `PUT` replaces it, `[]` clears it.

    Attributes:
        tags (list[str]): At most 50 tags, each up to 40 characters (as given, and case-folded: `ß` counts as `ss`) and
            not blank. Zero-width characters (U+200B-U+200D, U+2060, U+FEFF) and bidirectional controls (U+200E, U+200F,
            U+061C, U+202A-U+202E, U+2066-U+2069) are dropped, then each tag is trimmed and inner whitespace collapsed to
            one space; a tag that is empty then is 422 `tag_empty`. Two tags are the same when they are once in
            compatibility form and case-folded (NFKC, case fold: `London`, full-width `LONDON` and `london` are one tag);
            the same tag counts once (the first spelling wins, or the spelling you already use on another connection).
    """

    tags: list[str]

    def to_dict(self) -> dict[str, Any]:
        tags = self.tags

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tags": tags,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        tags = cast(list[str], d.pop("tags"))

        tags_write = cls(
            tags=tags,
        )

        return tags_write
