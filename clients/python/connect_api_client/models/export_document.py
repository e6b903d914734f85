from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.exported_block import ExportedBlock
    from ..models.exported_connection import ExportedConnection
    from ..models.exported_follow import ExportedFollow
    from ..models.exported_invitation import ExportedInvitation
    from ..models.exported_profile import ExportedProfile


T = TypeVar("T", bound="ExportDocument")


@_attrs_define
class ExportDocument:
    """Everything the caller owns, as of one moment. Every list is newest first; invitations
    are the pending ones; blocks are those the caller placed.

        Attributes:
            exported_at (datetime.datetime):
            member (ExportedProfile):
            connections (list[ExportedConnection]):
            following (list[ExportedFollow]):
            followers (list[ExportedFollow]):
            invitations_sent (list[ExportedInvitation]):
            invitations_received (list[ExportedInvitation]):
            blocks (list[ExportedBlock]):
    """

    exported_at: datetime.datetime
    member: ExportedProfile
    connections: list[ExportedConnection]
    following: list[ExportedFollow]
    followers: list[ExportedFollow]
    invitations_sent: list[ExportedInvitation]
    invitations_received: list[ExportedInvitation]
    blocks: list[ExportedBlock]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        exported_at = self.exported_at.isoformat()

        member = self.member.to_dict()

        connections = []
        for connections_item_data in self.connections:
            connections_item = connections_item_data.to_dict()
            connections.append(connections_item)

        following = []
        for following_item_data in self.following:
            following_item = following_item_data.to_dict()
            following.append(following_item)

        followers = []
        for followers_item_data in self.followers:
            followers_item = followers_item_data.to_dict()
            followers.append(followers_item)

        invitations_sent = []
        for invitations_sent_item_data in self.invitations_sent:
            invitations_sent_item = invitations_sent_item_data.to_dict()
            invitations_sent.append(invitations_sent_item)

        invitations_received = []
        for invitations_received_item_data in self.invitations_received:
            invitations_received_item = invitations_received_item_data.to_dict()
            invitations_received.append(invitations_received_item)

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
                "connections": connections,
                "following": following,
                "followers": followers,
                "invitations_sent": invitations_sent,
                "invitations_received": invitations_received,
                "blocks": blocks,
            }
        )

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

        connections = []
        _connections = d.pop("connections")
        for connections_item_data in _connections:
            connections_item = ExportedConnection.from_dict(connections_item_data)

            connections.append(connections_item)

        following = []
        _following = d.pop("following")
        for following_item_data in _following:
            following_item = ExportedFollow.from_dict(following_item_data)

            following.append(following_item)

        followers = []
        _followers = d.pop("followers")
        for followers_item_data in _followers:
            followers_item = ExportedFollow.from_dict(followers_item_data)

            followers.append(followers_item)

        invitations_sent = []
        _invitations_sent = d.pop("invitations_sent")
        for invitations_sent_item_data in _invitations_sent:
            invitations_sent_item = ExportedInvitation.from_dict(invitations_sent_item_data)

            invitations_sent.append(invitations_sent_item)

        invitations_received = []
        _invitations_received = d.pop("invitations_received")
        for invitations_received_item_data in _invitations_received:
            invitations_received_item = ExportedInvitation.from_dict(invitations_received_item_data)

            invitations_received.append(invitations_received_item)

        blocks = []
        _blocks = d.pop("blocks")
        for blocks_item_data in _blocks:
            blocks_item = ExportedBlock.from_dict(blocks_item_data)

            blocks.append(blocks_item)

        export_document = cls(
            exported_at=exported_at,
            member=member,
            connections=connections,
            following=following,
            followers=followers,
            invitations_sent=invitations_sent,
            invitations_received=invitations_received,
            blocks=blocks,
        )

        export_document.additional_properties = d
        return export_document

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
