from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.invite_policy import InvitePolicy, check_invite_policy
from ..models.network_visibility import NetworkVisibility, check_network_visibility

T = TypeVar("T", bound="MemberSettings")


@_attrs_define
class MemberSettings:
    """The member's own controls (spec 2.13), seen only by them.

    Attributes:
        who_may_invite (InvitePolicy): Who may invite a member (spec 2.13).
        follow_first (bool): Follow as the member's primary button: the relationships look-up answers `action: follow`
            instead of `connect` for them (`can_invite` is unchanged: an invitation stays possible).
        who_may_see_connections (NetworkVisibility): Who may see a member's connections, followers and following (spec
            2.11, 2.13).
    """

    who_may_invite: InvitePolicy
    follow_first: bool
    who_may_see_connections: NetworkVisibility
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        who_may_invite: str = self.who_may_invite

        follow_first = self.follow_first

        who_may_see_connections: str = self.who_may_see_connections

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "who_may_invite": who_may_invite,
                "follow_first": follow_first,
                "who_may_see_connections": who_may_see_connections,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        who_may_invite = check_invite_policy(d.pop("who_may_invite"))

        follow_first = d.pop("follow_first")

        who_may_see_connections = check_network_visibility(d.pop("who_may_see_connections"))

        member_settings = cls(
            who_may_invite=who_may_invite,
            follow_first=follow_first,
            who_may_see_connections=who_may_see_connections,
        )

        member_settings.additional_properties = d
        return member_settings

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
