from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="StreamTicket")


@_attrs_define
class StreamTicket:
    """
    Attributes:
        ticket (str): Opens the caller's stream once, as `?ticket=`; valid for `expires_in` seconds. Never a bearer
            token: no other route takes it.
        expires_at (datetime.datetime):
        expires_in (int): Seconds the ticket is valid for.
        stream_url (str): The stream's path with the ticket, for `new EventSource(...)` (add `&after=` with the last
            event id seen, to resume).
    """

    ticket: str
    expires_at: datetime.datetime
    expires_in: int
    stream_url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        ticket = self.ticket

        expires_at = self.expires_at.isoformat()

        expires_in = self.expires_in

        stream_url = self.stream_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "ticket": ticket,
                "expires_at": expires_at,
                "expires_in": expires_in,
                "stream_url": stream_url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        ticket = d.pop("ticket")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        expires_in = d.pop("expires_in")

        stream_url = d.pop("stream_url")

        stream_ticket = cls(
            ticket=ticket,
            expires_at=expires_at,
            expires_in=expires_in,
            stream_url=stream_url,
        )

        stream_ticket.additional_properties = d
        return stream_ticket

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
