from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.not_declined_code import NotDeclinedCode, check_not_declined_code

T = TypeVar("T", bound="NotDeclined")


@_attrs_define
class NotDeclined:
    """An invitation of the batch that was left as it was, and why.

    Attributes:
        id (int):
        code (NotDeclinedCode): `not_found`: no such invitation in the caller's inbox (it may not exist, or be someone
            else's). `invitation_not_pending`: already answered, withdrawn or expired.
    """

    id: int
    code: NotDeclinedCode
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        code: str = self.code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "code": code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        code = check_not_declined_code(d.pop("code"))

        not_declined = cls(
            id=id,
            code=code,
        )

        not_declined.additional_properties = d
        return not_declined

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
