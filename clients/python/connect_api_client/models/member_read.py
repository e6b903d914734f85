from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MemberRead")


@_attrs_define
class MemberRead:
    """
    Attributes:
        id (int):
        handle (str):
        display_name (str):
        headline (None | str):
        connection_count (int | None): The member's connections you can page through (a block either way hides a member
            from the count as from the list); `null` where their connections are not yours to see (see
            `who_may_see_connections`).
        follower_count (int | None): Members following this member, as you can page through them; `null` where their
            followers are not yours to see (the rule of their connections).
        following_count (int | None): Members this member follows, as you can page through them; `null` where that list
            is not yours to see (the rule of their connections).
        created_at (datetime.datetime):
    """

    id: int
    handle: str
    display_name: str
    headline: None | str
    connection_count: int | None
    follower_count: int | None
    following_count: int | None
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        handle = self.handle

        display_name = self.display_name

        headline: None | str
        headline = self.headline

        connection_count: int | None
        connection_count = self.connection_count

        follower_count: int | None
        follower_count = self.follower_count

        following_count: int | None
        following_count = self.following_count

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "handle": handle,
                "display_name": display_name,
                "headline": headline,
                "connection_count": connection_count,
                "follower_count": follower_count,
                "following_count": following_count,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        handle = d.pop("handle")

        display_name = d.pop("display_name")

        def _parse_headline(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        headline = _parse_headline(d.pop("headline"))

        def _parse_connection_count(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        connection_count = _parse_connection_count(d.pop("connection_count"))

        def _parse_follower_count(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        follower_count = _parse_follower_count(d.pop("follower_count"))

        def _parse_following_count(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        following_count = _parse_following_count(d.pop("following_count"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        member_read = cls(
            id=id,
            handle=handle,
            display_name=display_name,
            headline=headline,
            connection_count=connection_count,
            follower_count=follower_count,
            following_count=following_count,
            created_at=created_at,
        )

        member_read.additional_properties = d
        return member_read

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
