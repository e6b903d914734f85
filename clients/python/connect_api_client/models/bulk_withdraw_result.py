from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.not_withdrawn import NotWithdrawn


T = TypeVar("T", bound="BulkWithdrawResult")


@_attrs_define
class BulkWithdrawResult:
    """What a bulk withdrawal did, invitation by invitation.

    Attributes:
        withdrawn (list[int]): Invitations withdrawn by this request.
        not_withdrawn (list[NotWithdrawn]): Listed invitations left as they were, in the order given; always empty with
            `older_than_days`.
    """

    withdrawn: list[int]
    not_withdrawn: list[NotWithdrawn]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        withdrawn = self.withdrawn

        not_withdrawn = []
        for not_withdrawn_item_data in self.not_withdrawn:
            not_withdrawn_item = not_withdrawn_item_data.to_dict()
            not_withdrawn.append(not_withdrawn_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "withdrawn": withdrawn,
                "not_withdrawn": not_withdrawn,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.not_withdrawn import NotWithdrawn

        d = dict(src_dict)
        withdrawn = cast(list[int], d.pop("withdrawn"))

        not_withdrawn = []
        _not_withdrawn = d.pop("not_withdrawn")
        for not_withdrawn_item_data in _not_withdrawn:
            not_withdrawn_item = NotWithdrawn.from_dict(not_withdrawn_item_data)

            not_withdrawn.append(not_withdrawn_item)

        bulk_withdraw_result = cls(
            withdrawn=withdrawn,
            not_withdrawn=not_withdrawn,
        )

        bulk_withdraw_result.additional_properties = d
        return bulk_withdraw_result

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
