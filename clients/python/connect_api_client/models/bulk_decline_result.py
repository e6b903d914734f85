from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.not_declined import NotDeclined


T = TypeVar("T", bound="BulkDeclineResult")


@_attrs_define
class BulkDeclineResult:
    """What a bulk decline did, invitation by invitation.

    Attributes:
        declined (list[int]): Invitations declined by this request.
        not_declined (list[NotDeclined]): Listed invitations left as they were, in the order given; always empty with
            `all`.
    """

    declined: list[int]
    not_declined: list[NotDeclined]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        declined = self.declined

        not_declined = []
        for not_declined_item_data in self.not_declined:
            not_declined_item = not_declined_item_data.to_dict()
            not_declined.append(not_declined_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "declined": declined,
                "not_declined": not_declined,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.not_declined import NotDeclined

        d = dict(src_dict)
        declined = cast(list[int], d.pop("declined"))

        not_declined = []
        _not_declined = d.pop("not_declined")
        for not_declined_item_data in _not_declined:
            not_declined_item = NotDeclined.from_dict(not_declined_item_data)

            not_declined.append(not_declined_item)

        bulk_decline_result = cls(
            declined=declined,
            not_declined=not_declined,
        )

        bulk_decline_result.additional_properties = d
        return bulk_decline_result

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
