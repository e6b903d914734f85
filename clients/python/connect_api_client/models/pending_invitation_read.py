from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.pending_invitation_read_direction import (
    PendingInvitationReadDirection,
    check_pending_invitation_read_direction,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PendingInvitationRead")


@_attrs_define
class PendingInvitationRead:
    """
    Attributes:
        id (int):
        direction (PendingInvitationReadDirection): `sent`: the caller invited them; `received`: they invited the
            caller.
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        status (Literal['pending'] | Unset):  Default: 'pending'.
    """

    id: int
    direction: PendingInvitationReadDirection
    created_at: datetime.datetime
    expires_at: datetime.datetime
    status: Literal["pending"] | Unset = "pending"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        direction: str = self.direction

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "direction": direction,
                "created_at": created_at,
                "expires_at": expires_at,
            }
        )
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        direction = check_pending_invitation_read_direction(d.pop("direction"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        status = cast(Literal["pending"] | Unset, d.pop("status", UNSET))
        if status != "pending" and not isinstance(status, Unset):
            raise ValueError(f"status must match const 'pending', got '{status}'")

        pending_invitation_read = cls(
            id=id,
            direction=direction,
            created_at=created_at,
            expires_at=expires_at,
            status=status,
        )

        pending_invitation_read.additional_properties = d
        return pending_invitation_read

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
