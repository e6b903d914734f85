from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InvitationAllowance")


@_attrs_define
class InvitationAllowance:
    """What is left of the caller's invitation limits right now.

    Attributes:
        hour_remaining (int):
        week_remaining (int):
        pending_outgoing (int):
        pending_outgoing_limit (int):
    """

    hour_remaining: int
    week_remaining: int
    pending_outgoing: int
    pending_outgoing_limit: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hour_remaining = self.hour_remaining

        week_remaining = self.week_remaining

        pending_outgoing = self.pending_outgoing

        pending_outgoing_limit = self.pending_outgoing_limit

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hour_remaining": hour_remaining,
                "week_remaining": week_remaining,
                "pending_outgoing": pending_outgoing,
                "pending_outgoing_limit": pending_outgoing_limit,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        hour_remaining = d.pop("hour_remaining")

        week_remaining = d.pop("week_remaining")

        pending_outgoing = d.pop("pending_outgoing")

        pending_outgoing_limit = d.pop("pending_outgoing_limit")

        invitation_allowance = cls(
            hour_remaining=hour_remaining,
            week_remaining=week_remaining,
            pending_outgoing=pending_outgoing,
            pending_outgoing_limit=pending_outgoing_limit,
        )

        invitation_allowance.additional_properties = d
        return invitation_allowance

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
