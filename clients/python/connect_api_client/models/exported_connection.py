from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.member_summary import MemberSummary


T = TypeVar("T", bound="ExportedConnection")


@_attrs_define
class ExportedConnection:
    """
    Attributes:
        member (MemberSummary): The public face of a member, as shown inside other resources.
        connected_at (datetime.datetime):
        note (None | str): Your private note's body, if you wrote one.
        how_we_met (None | str):
        tags (list[str]): Your tags on this connection, sorted.
    """

    member: MemberSummary
    connected_at: datetime.datetime
    note: None | str
    how_we_met: None | str
    tags: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        member = self.member.to_dict()

        connected_at = self.connected_at.isoformat()

        note: None | str
        note = self.note

        how_we_met: None | str
        how_we_met = self.how_we_met

        tags = self.tags

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "member": member,
                "connected_at": connected_at,
                "note": note,
                "how_we_met": how_we_met,
                "tags": tags,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_summary import MemberSummary

        d = dict(src_dict)
        member = MemberSummary.from_dict(d.pop("member"))

        connected_at = datetime.datetime.fromisoformat(d.pop("connected_at"))

        def _parse_note(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        note = _parse_note(d.pop("note"))

        def _parse_how_we_met(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        how_we_met = _parse_how_we_met(d.pop("how_we_met"))

        tags = cast(list[str], d.pop("tags"))

        exported_connection = cls(
            member=member,
            connected_at=connected_at,
            note=note,
            how_we_met=how_we_met,
            tags=tags,
        )

        exported_connection.additional_properties = d
        return exported_connection

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
