from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="InvitationCreate")


@_attrs_define
class InvitationCreate:
    """
    Attributes:
        invitee_id (int): The member to invite: a JSON integer (`10.0`, `1e1` or `"10"` is 422).
        message (None | str | Unset): Optional personal note (the policy limit, 300 by default, applies), stored as
            given and shown only to the two members. A message of only whitespace, zero-width characters or bidirectional
            controls is taken as given, like any other.
    """

    invitee_id: int
    message: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        invitee_id = self.invitee_id

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "invitee_id": invitee_id,
            }
        )
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        invitee_id = d.pop("invitee_id")

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        invitation_create = cls(
            invitee_id=invitee_id,
            message=message,
        )

        return invitation_create
