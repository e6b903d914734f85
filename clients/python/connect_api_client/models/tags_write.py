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
            not blank. Each is trimmed and inner whitespace collapsed to one space; the same tag in another case counts once
            (the first spelling wins, or the spelling you already use on another connection).
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
