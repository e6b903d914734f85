from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="NoteRead")


@_attrs_define
class NoteRead:
    """A private note on a connection, seen only by its author.

    Attributes:
        member_id (int): The connection the note is about.
        body (str):
        how_we_met (None | str):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    member_id: int
    body: str
    how_we_met: None | str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        member_id = self.member_id

        body = self.body

        how_we_met: None | str
        how_we_met = self.how_we_met

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "member_id": member_id,
                "body": body,
                "how_we_met": how_we_met,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        member_id = d.pop("member_id")

        body = d.pop("body")

        def _parse_how_we_met(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        how_we_met = _parse_how_we_met(d.pop("how_we_met"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        note_read = cls(
            member_id=member_id,
            body=body,
            how_we_met=how_we_met,
            created_at=created_at,
            updated_at=updated_at,
        )

        note_read.additional_properties = d
        return note_read

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
