from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.exported_block import ExportedBlock
    from ..models.exported_connection import ExportedConnection
    from ..models.exported_follow import ExportedFollow
    from ..models.exported_invitation import ExportedInvitation
    from ..models.exported_profile import ExportedProfile


T = TypeVar("T", bound="ExportPart")


@_attrs_define
class ExportPart:
    """One kind of list as JSON (`kind` with `format=json`): the document's head and that
    kind's lists only (`invitations`: both `invitations_sent` and `invitations_received`).

        Attributes:
            exported_at (datetime.datetime):
            member (ExportedProfile):
            connections (list[ExportedConnection] | Unset):
            following (list[ExportedFollow] | Unset):
            followers (list[ExportedFollow] | Unset):
            invitations_sent (list[ExportedInvitation] | Unset):
            invitations_received (list[ExportedInvitation] | Unset):
            blocks (list[ExportedBlock] | Unset):
    """

    exported_at: datetime.datetime
    member: ExportedProfile
    connections: list[ExportedConnection] | Unset = UNSET
    following: list[ExportedFollow] | Unset = UNSET
    followers: list[ExportedFollow] | Unset = UNSET
    invitations_sent: list[ExportedInvitation] | Unset = UNSET
    invitations_received: list[ExportedInvitation] | Unset = UNSET
    blocks: list[ExportedBlock] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        exported_at = self.exported_at.isoformat()

        member = self.member.to_dict()

        connections: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.connections, Unset):
            connections = []
            for connections_item_data in self.connections:
                connections_item = connections_item_data.to_dict()
                connections.append(connections_item)

        following: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.following, Unset):
            following = []
            for following_item_data in self.following:
                following_item = following_item_data.to_dict()
                following.append(following_item)

        followers: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.followers, Unset):
            followers = []
            for followers_item_data in self.followers:
                followers_item = followers_item_data.to_dict()
                followers.append(followers_item)

        invitations_sent: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.invitations_sent, Unset):
            invitations_sent = []
            for invitations_sent_item_data in self.invitations_sent:
                invitations_sent_item = invitations_sent_item_data.to_dict()
                invitations_sent.append(invitations_sent_item)

        invitations_received: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.invitations_received, Unset):
            invitations_received = []
            for invitations_received_item_data in self.invitations_received:
                invitations_received_item = invitations_received_item_data.to_dict()
                invitations_received.append(invitations_received_item)

        blocks: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.blocks, Unset):
            blocks = []
            for blocks_item_data in self.blocks:
                blocks_item = blocks_item_data.to_dict()
                blocks.append(blocks_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "exported_at": exported_at,
                "member": member,
            }
        )
        if connections is not UNSET:
            field_dict["connections"] = connections
        if following is not UNSET:
            field_dict["following"] = following
        if followers is not UNSET:
            field_dict["followers"] = followers
        if invitations_sent is not UNSET:
            field_dict["invitations_sent"] = invitations_sent
        if invitations_received is not UNSET:
            field_dict["invitations_received"] = invitations_received
        if blocks is not UNSET:
            field_dict["blocks"] = blocks

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.exported_block import ExportedBlock
        from ..models.exported_connection import ExportedConnection
        from ..models.exported_follow import ExportedFollow
        from ..models.exported_invitation import ExportedInvitation
        from ..models.exported_profile import ExportedProfile

        d = dict(src_dict)
        exported_at = datetime.datetime.fromisoformat(d.pop("exported_at"))

        member = ExportedProfile.from_dict(d.pop("member"))

        _connections = d.pop("connections", UNSET)
        connections: list[ExportedConnection] | Unset = UNSET
        if _connections is not UNSET:
            connections = []
            for connections_item_data in _connections:
                connections_item = ExportedConnection.from_dict(connections_item_data)

                connections.append(connections_item)

        _following = d.pop("following", UNSET)
        following: list[ExportedFollow] | Unset = UNSET
        if _following is not UNSET:
            following = []
            for following_item_data in _following:
                following_item = ExportedFollow.from_dict(following_item_data)

                following.append(following_item)

        _followers = d.pop("followers", UNSET)
        followers: list[ExportedFollow] | Unset = UNSET
        if _followers is not UNSET:
            followers = []
            for followers_item_data in _followers:
                followers_item = ExportedFollow.from_dict(followers_item_data)

                followers.append(followers_item)

        _invitations_sent = d.pop("invitations_sent", UNSET)
        invitations_sent: list[ExportedInvitation] | Unset = UNSET
        if _invitations_sent is not UNSET:
            invitations_sent = []
            for invitations_sent_item_data in _invitations_sent:
                invitations_sent_item = ExportedInvitation.from_dict(invitations_sent_item_data)

                invitations_sent.append(invitations_sent_item)

        _invitations_received = d.pop("invitations_received", UNSET)
        invitations_received: list[ExportedInvitation] | Unset = UNSET
        if _invitations_received is not UNSET:
            invitations_received = []
            for invitations_received_item_data in _invitations_received:
                invitations_received_item = ExportedInvitation.from_dict(
                    invitations_received_item_data
                )

                invitations_received.append(invitations_received_item)

        _blocks = d.pop("blocks", UNSET)
        blocks: list[ExportedBlock] | Unset = UNSET
        if _blocks is not UNSET:
            blocks = []
            for blocks_item_data in _blocks:
                blocks_item = ExportedBlock.from_dict(blocks_item_data)

                blocks.append(blocks_item)

        export_part = cls(
            exported_at=exported_at,
            member=member,
            connections=connections,
            following=following,
            followers=followers,
            invitations_sent=invitations_sent,
            invitations_received=invitations_received,
            blocks=blocks,
        )

        export_part.additional_properties = d
        return export_part

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
