from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.member_summary import MemberSummary


T = TypeVar("T", bound="MutualReason")


@_attrs_define
class MutualReason:
    """
    Attributes:
        count (int): Connections you have in common, as of the ranking (`computed_at`).
        preview (list[MemberSummary]): Up to three of them now: the first of `GET /v1/members/{id}/mutual-connections`
            (display name, then id), as in the relationships look-up.
    """

    count: int
    preview: list[MemberSummary]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        preview = []
        for preview_item_data in self.preview:
            preview_item = preview_item_data.to_dict()
            preview.append(preview_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "preview": preview,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_summary import MemberSummary

        d = dict(src_dict)
        count = d.pop("count")

        preview = []
        _preview = d.pop("preview")
        for preview_item_data in _preview:
            preview_item = MemberSummary.from_dict(preview_item_data)

            preview.append(preview_item)

        mutual_reason = cls(
            count=count,
            preview=preview,
        )

        mutual_reason.additional_properties = d
        return mutual_reason

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
