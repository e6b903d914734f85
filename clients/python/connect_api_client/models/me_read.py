from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.invitation_allowance import InvitationAllowance
    from ..models.member_settings import MemberSettings


T = TypeVar("T", bound="MeRead")


@_attrs_define
class MeRead:
    """The caller's own member, with what only they may see.

    Attributes:
        id (int):
        handle (str):
        display_name (str):
        headline (None | str):
        connection_count (int): The caller's connections.
        follower_count (int): Members following the caller.
        following_count (int): Members the caller follows.
        created_at (datetime.datetime):
        restricted_until (datetime.datetime | None): Until when the caller may not send invitations; `null` when free
            to.
        pending_received (int): Invitations waiting for the caller's answer.
        unseen_received (int): Of those, the ones that arrived since the caller last marked their inbox seen (`POST
            /v1/invitations/received/seen`): the number on the badge.
        invitations (InvitationAllowance): What is left of the caller's invitation limits right now.
        settings (MemberSettings): The member's own controls (spec 2.13), seen only by them.
    """

    id: int
    handle: str
    display_name: str
    headline: None | str
    connection_count: int
    follower_count: int
    following_count: int
    created_at: datetime.datetime
    restricted_until: datetime.datetime | None
    pending_received: int
    unseen_received: int
    invitations: InvitationAllowance
    settings: MemberSettings
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        handle = self.handle

        display_name = self.display_name

        headline: None | str
        headline = self.headline

        connection_count = self.connection_count

        follower_count = self.follower_count

        following_count = self.following_count

        created_at = self.created_at.isoformat()

        restricted_until: None | str
        if isinstance(self.restricted_until, datetime.datetime):
            restricted_until = self.restricted_until.isoformat()
        else:
            restricted_until = self.restricted_until

        pending_received = self.pending_received

        unseen_received = self.unseen_received

        invitations = self.invitations.to_dict()

        settings = self.settings.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "handle": handle,
                "display_name": display_name,
                "headline": headline,
                "connection_count": connection_count,
                "follower_count": follower_count,
                "following_count": following_count,
                "created_at": created_at,
                "restricted_until": restricted_until,
                "pending_received": pending_received,
                "unseen_received": unseen_received,
                "invitations": invitations,
                "settings": settings,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.invitation_allowance import InvitationAllowance
        from ..models.member_settings import MemberSettings

        d = dict(src_dict)
        id = d.pop("id")

        handle = d.pop("handle")

        display_name = d.pop("display_name")

        def _parse_headline(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        headline = _parse_headline(d.pop("headline"))

        connection_count = d.pop("connection_count")

        follower_count = d.pop("follower_count")

        following_count = d.pop("following_count")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_restricted_until(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                restricted_until_type_0 = datetime.datetime.fromisoformat(data)

                return restricted_until_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        restricted_until = _parse_restricted_until(d.pop("restricted_until"))

        pending_received = d.pop("pending_received")

        unseen_received = d.pop("unseen_received")

        invitations = InvitationAllowance.from_dict(d.pop("invitations"))

        settings = MemberSettings.from_dict(d.pop("settings"))

        me_read = cls(
            id=id,
            handle=handle,
            display_name=display_name,
            headline=headline,
            connection_count=connection_count,
            follower_count=follower_count,
            following_count=following_count,
            created_at=created_at,
            restricted_until=restricted_until,
            pending_received=pending_received,
            unseen_received=unseen_received,
            invitations=invitations,
            settings=settings,
        )

        me_read.additional_properties = d
        return me_read

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
