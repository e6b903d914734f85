from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="NoteWrite")


@_attrs_define
class NoteWrite:
    """The whole note: a `PUT` replaces it (leaving out `how_we_met` clears it).

    Attributes:
        body (str): 1 to 2,000 characters, stored as given; not blank: at least one character that is not whitespace, a
            zero-width character or a bidirectional control.
        how_we_met (None | str | Unset): Up to 200 characters.
    """

    body: str
    how_we_met: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        body = self.body

        how_we_met: None | str | Unset
        if isinstance(self.how_we_met, Unset):
            how_we_met = UNSET
        else:
            how_we_met = self.how_we_met

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "body": body,
            }
        )
        if how_we_met is not UNSET:
            field_dict["how_we_met"] = how_we_met

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        body = d.pop("body")

        def _parse_how_we_met(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        how_we_met = _parse_how_we_met(d.pop("how_we_met", UNSET))

        note_write = cls(
            body=body,
            how_we_met=how_we_met,
        )

        return note_write
