from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.member_summary import MemberSummary


T = TypeVar("T", bound="ExportedBlock")


@_attrs_define
class ExportedBlock:
    """
    Attributes:
        member (MemberSummary): The public face of a member, as shown inside other resources.
        blocked_at (datetime.datetime):
    """

    member: MemberSummary
    blocked_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        member = self.member.to_dict()

        blocked_at = self.blocked_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "member": member,
                "blocked_at": blocked_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_summary import MemberSummary

        d = dict(src_dict)
        member = MemberSummary.from_dict(d.pop("member"))

        blocked_at = datetime.datetime.fromisoformat(d.pop("blocked_at"))

        exported_block = cls(
            member=member,
            blocked_at=blocked_at,
        )

        exported_block.additional_properties = d
        return exported_block

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
