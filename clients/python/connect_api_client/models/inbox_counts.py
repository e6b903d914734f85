from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InboxCounts")


@_attrs_define
class InboxCounts:
    """The badge's numbers: also what a stream's `counts` event carries.

    Attributes:
        pending_received (int): Invitations waiting for the caller's answer.
        unseen_received (int): Of those, the ones that arrived since the inbox was last marked seen.
    """

    pending_received: int
    unseen_received: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pending_received = self.pending_received

        unseen_received = self.unseen_received

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pending_received": pending_received,
                "unseen_received": unseen_received,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        pending_received = d.pop("pending_received")

        unseen_received = d.pop("unseen_received")

        inbox_counts = cls(
            pending_received=pending_received,
            unseen_received=unseen_received,
        )

        inbox_counts.additional_properties = d
        return inbox_counts

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
