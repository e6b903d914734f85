from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.mutual_reason import MutualReason


T = TypeVar("T", bound="SuggestionReasons")


@_attrs_define
class SuggestionReasons:
    """
    Attributes:
        mutual_connections (MutualReason):
        shared_groups (int): Groups you are both members of now.
    """

    mutual_connections: MutualReason
    shared_groups: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        mutual_connections = self.mutual_connections.to_dict()

        shared_groups = self.shared_groups

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "mutual_connections": mutual_connections,
                "shared_groups": shared_groups,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mutual_reason import MutualReason

        d = dict(src_dict)
        mutual_connections = MutualReason.from_dict(d.pop("mutual_connections"))

        shared_groups = d.pop("shared_groups")

        suggestion_reasons = cls(
            mutual_connections=mutual_connections,
            shared_groups=shared_groups,
        )

        suggestion_reasons.additional_properties = d
        return suggestion_reasons

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
