from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.invite_refusal import InviteRefusal, check_invite_refusal
from ..models.relationship_read_action import RelationshipReadAction, check_relationship_read_action

if TYPE_CHECKING:
    from ..models.member_summary import MemberSummary
    from ..models.pending_invitation_read import PendingInvitationRead


T = TypeVar("T", bound="RelationshipRead")


@_attrs_define
class RelationshipRead:
    """
    Attributes:
        member_id (int):
        degree (int | None): 1: connected; 2: connected to one of your connections; 3: connected to a 2nd-degree member;
            `null`: further, or unavailable.
        connected (bool):
        connected_at (datetime.datetime | None):
        invitation (None | PendingInvitationRead): The pending invitation between you, either way, if there is one.
        following (bool): You follow them.
        followed_by (bool): They follow you.
        mutual_connections (int): How many of your connections are also connected to them: the `total` of `GET
            /v1/members/{id}/mutual-connections`.
        mutual_preview (list[MemberSummary]): The first three of those mutual connections in the order of `GET
            /v1/members/{id}/mutual-connections` (display name, case-insensitively, then id), for "Ada, Bob and 10 other
            mutual connections" without a second call. Empty when there are none, when unavailable, or when asked with
            `mutual_preview=false`.
        shared_groups (int):
        can_invite (bool): Whether `POST /v1/invitations` to them would succeed now (when they have invited you, it
            would accept theirs).
        reason (InviteRefusal | None): When `can_invite` is false: the `code` the invitation endpoint would answer (see
            `InviteRefusal`); `null` when it is true.
        can_invite_after (datetime.datetime | None): For `cooldown_active` and `member_restricted`: when that refusal
            ends.
        action (RelationshipReadAction): What the button offers: `connect`, `pending` (you invited them), `accept` (they
            invited you), `message` (connected), `follow` (an invitation is not possible now), `unavailable` (blocked either
            way, erased, unknown, or yourself; never says which).
    """

    member_id: int
    degree: int | None
    connected: bool
    connected_at: datetime.datetime | None
    invitation: None | PendingInvitationRead
    following: bool
    followed_by: bool
    mutual_connections: int
    mutual_preview: list[MemberSummary]
    shared_groups: int
    can_invite: bool
    reason: InviteRefusal | None
    can_invite_after: datetime.datetime | None
    action: RelationshipReadAction
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pending_invitation_read import PendingInvitationRead

        member_id = self.member_id

        degree: int | None
        degree = self.degree

        connected = self.connected

        connected_at: None | str
        if isinstance(self.connected_at, datetime.datetime):
            connected_at = self.connected_at.isoformat()
        else:
            connected_at = self.connected_at

        invitation: dict[str, Any] | None
        if isinstance(self.invitation, PendingInvitationRead):
            invitation = self.invitation.to_dict()
        else:
            invitation = self.invitation

        following = self.following

        followed_by = self.followed_by

        mutual_connections = self.mutual_connections

        mutual_preview = []
        for mutual_preview_item_data in self.mutual_preview:
            mutual_preview_item = mutual_preview_item_data.to_dict()
            mutual_preview.append(mutual_preview_item)

        shared_groups = self.shared_groups

        can_invite = self.can_invite

        reason: None | str
        if isinstance(self.reason, str):
            reason = self.reason
        else:
            reason = self.reason

        can_invite_after: None | str
        if isinstance(self.can_invite_after, datetime.datetime):
            can_invite_after = self.can_invite_after.isoformat()
        else:
            can_invite_after = self.can_invite_after

        action: str = self.action

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "member_id": member_id,
                "degree": degree,
                "connected": connected,
                "connected_at": connected_at,
                "invitation": invitation,
                "following": following,
                "followed_by": followed_by,
                "mutual_connections": mutual_connections,
                "mutual_preview": mutual_preview,
                "shared_groups": shared_groups,
                "can_invite": can_invite,
                "reason": reason,
                "can_invite_after": can_invite_after,
                "action": action,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_summary import MemberSummary
        from ..models.pending_invitation_read import PendingInvitationRead

        d = dict(src_dict)
        member_id = d.pop("member_id")

        def _parse_degree(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        degree = _parse_degree(d.pop("degree"))

        connected = d.pop("connected")

        def _parse_connected_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                connected_at_type_0 = datetime.datetime.fromisoformat(data)

                return connected_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        connected_at = _parse_connected_at(d.pop("connected_at"))

        def _parse_invitation(data: object) -> None | PendingInvitationRead:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                invitation_type_0 = PendingInvitationRead.from_dict(data)

                return invitation_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PendingInvitationRead, data)

        invitation = _parse_invitation(d.pop("invitation"))

        following = d.pop("following")

        followed_by = d.pop("followed_by")

        mutual_connections = d.pop("mutual_connections")

        mutual_preview = []
        _mutual_preview = d.pop("mutual_preview")
        for mutual_preview_item_data in _mutual_preview:
            mutual_preview_item = MemberSummary.from_dict(mutual_preview_item_data)

            mutual_preview.append(mutual_preview_item)

        shared_groups = d.pop("shared_groups")

        can_invite = d.pop("can_invite")

        def _parse_reason(data: object) -> InviteRefusal | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_0 = check_invite_refusal(data)

                return reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(InviteRefusal | None, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_can_invite_after(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                can_invite_after_type_0 = datetime.datetime.fromisoformat(data)

                return can_invite_after_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        can_invite_after = _parse_can_invite_after(d.pop("can_invite_after"))

        action = check_relationship_read_action(d.pop("action"))

        relationship_read = cls(
            member_id=member_id,
            degree=degree,
            connected=connected,
            connected_at=connected_at,
            invitation=invitation,
            following=following,
            followed_by=followed_by,
            mutual_connections=mutual_connections,
            mutual_preview=mutual_preview,
            shared_groups=shared_groups,
            can_invite=can_invite,
            reason=reason,
            can_invite_after=can_invite_after,
            action=action,
        )

        relationship_read.additional_properties = d
        return relationship_read

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
