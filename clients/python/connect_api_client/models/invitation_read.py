from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.decline_reason import DeclineReason, check_decline_reason
from ..models.invitation_read_direction import (
    InvitationReadDirection,
    check_invitation_read_direction,
)
from ..models.invitation_status import InvitationStatus, check_invitation_status

if TYPE_CHECKING:
    from ..models.member_summary import MemberSummary


T = TypeVar("T", bound="InvitationRead")


@_attrs_define
class InvitationRead:
    """An invitation as one of its two members sees it.

    Attributes:
        id (int):
        inviter (MemberSummary): The public face of a member, as shown inside other resources.
        invitee (MemberSummary): The public face of a member, as shown inside other resources.
        direction (InvitationReadDirection): From the caller's side.
        message (None | str):
        status (InvitationStatus):
        decline_reason (DeclineReason | None): Shown to the invitee only; always `null` for the inviter.
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        responded_at (datetime.datetime | None):
    """

    id: int
    inviter: MemberSummary
    invitee: MemberSummary
    direction: InvitationReadDirection
    message: None | str
    status: InvitationStatus
    decline_reason: DeclineReason | None
    created_at: datetime.datetime
    expires_at: datetime.datetime
    responded_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        inviter = self.inviter.to_dict()

        invitee = self.invitee.to_dict()

        direction: str = self.direction

        message: None | str
        message = self.message

        status: str = self.status

        decline_reason: None | str
        if isinstance(self.decline_reason, str):
            decline_reason = self.decline_reason
        else:
            decline_reason = self.decline_reason

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        responded_at: None | str
        if isinstance(self.responded_at, datetime.datetime):
            responded_at = self.responded_at.isoformat()
        else:
            responded_at = self.responded_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "inviter": inviter,
                "invitee": invitee,
                "direction": direction,
                "message": message,
                "status": status,
                "decline_reason": decline_reason,
                "created_at": created_at,
                "expires_at": expires_at,
                "responded_at": responded_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_summary import MemberSummary

        d = dict(src_dict)
        id = d.pop("id")

        inviter = MemberSummary.from_dict(d.pop("inviter"))

        invitee = MemberSummary.from_dict(d.pop("invitee"))

        direction = check_invitation_read_direction(d.pop("direction"))

        def _parse_message(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        message = _parse_message(d.pop("message"))

        status = check_invitation_status(d.pop("status"))

        def _parse_decline_reason(data: object) -> DeclineReason | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                decline_reason_type_0 = check_decline_reason(data)

                return decline_reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DeclineReason | None, data)

        decline_reason = _parse_decline_reason(d.pop("decline_reason"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        def _parse_responded_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                responded_at_type_0 = datetime.datetime.fromisoformat(data)

                return responded_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        responded_at = _parse_responded_at(d.pop("responded_at"))

        invitation_read = cls(
            id=id,
            inviter=inviter,
            invitee=invitee,
            direction=direction,
            message=message,
            status=status,
            decline_reason=decline_reason,
            created_at=created_at,
            expires_at=expires_at,
            responded_at=responded_at,
        )

        invitation_read.additional_properties = d
        return invitation_read

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
