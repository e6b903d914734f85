from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.invite_policy import InvitePolicy, check_invite_policy
from ..models.network_visibility import NetworkVisibility, check_network_visibility
from ..types import UNSET, Unset

T = TypeVar("T", bound="MemberSettingsUpdate")


@_attrs_define
class MemberSettingsUpdate:
    """The settings to change; those left out stay as they are. Neither may be `null`.

    Attributes:
        who_may_invite (InvitePolicy | Unset): Who may invite a member (spec 2.13).
        follow_first (bool | Unset): Follow as the member's primary button: the relationships look-up answers `action:
            follow` instead of `connect` for them (`can_invite` is unchanged: an invitation stays possible).
        who_may_see_connections (NetworkVisibility | Unset): Who may see a member's connections, followers and following
            (spec 2.11, 2.13).
    """

    who_may_invite: InvitePolicy | Unset = UNSET
    follow_first: bool | Unset = UNSET
    who_may_see_connections: NetworkVisibility | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        who_may_invite: str | Unset = UNSET
        if not isinstance(self.who_may_invite, Unset):
            who_may_invite = self.who_may_invite

        follow_first = self.follow_first

        who_may_see_connections: str | Unset = UNSET
        if not isinstance(self.who_may_see_connections, Unset):
            who_may_see_connections = self.who_may_see_connections

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if who_may_invite is not UNSET:
            field_dict["who_may_invite"] = who_may_invite
        if follow_first is not UNSET:
            field_dict["follow_first"] = follow_first
        if who_may_see_connections is not UNSET:
            field_dict["who_may_see_connections"] = who_may_see_connections

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _who_may_invite = d.pop("who_may_invite", UNSET)
        who_may_invite: InvitePolicy | Unset
        if isinstance(_who_may_invite, Unset):
            who_may_invite = UNSET
        else:
            who_may_invite = check_invite_policy(_who_may_invite)

        follow_first = d.pop("follow_first", UNSET)

        _who_may_see_connections = d.pop("who_may_see_connections", UNSET)
        who_may_see_connections: NetworkVisibility | Unset
        if isinstance(_who_may_see_connections, Unset):
            who_may_see_connections = UNSET
        else:
            who_may_see_connections = check_network_visibility(_who_may_see_connections)

        member_settings_update = cls(
            who_may_invite=who_may_invite,
            follow_first=follow_first,
            who_may_see_connections=who_may_see_connections,
        )

        return member_settings_update
