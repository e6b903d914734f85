from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MemberCreate")


@_attrs_define
class MemberCreate:
    """A new member. Counters and restrictions are the service's to keep, never the caller's.

    Attributes:
        handle (str): Unique, case-insensitive; 3 to 30 letters, digits, `_ . -` (whitespace around it is dropped).
        display_name (str): 1 to 100 characters, not blank; whitespace around it is dropped.
        headline (None | str | Unset): Up to 220 characters; whitespace around it is dropped.
    """

    handle: str
    display_name: str
    headline: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        handle = self.handle

        display_name = self.display_name

        headline: None | str | Unset
        if isinstance(self.headline, Unset):
            headline = UNSET
        else:
            headline = self.headline

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "handle": handle,
                "display_name": display_name,
            }
        )
        if headline is not UNSET:
            field_dict["headline"] = headline

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        handle = d.pop("handle")

        display_name = d.pop("display_name")

        def _parse_headline(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        headline = _parse_headline(d.pop("headline", UNSET))

        member_create = cls(
            handle=handle,
            display_name=display_name,
            headline=headline,
        )

        return member_create
