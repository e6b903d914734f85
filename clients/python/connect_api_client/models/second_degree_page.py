from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.second_degree_item import SecondDegreeItem


T = TypeVar("T", bound="SecondDegreePage")


@_attrs_define
class SecondDegreePage:
    """
    Attributes:
        items (list[SecondDegreeItem]):
        next_cursor (None | str): Pass as `cursor` for the next page; `null` on the last page.
        computed_at (datetime.datetime): When the list (and its counts) was computed.
        reached (int): How many members were at degree 2 from you when it was computed.
        listed_at_most (int): The list holds at most this many of them: those with the most mutual connections (ties by
            id).
    """

    items: list[SecondDegreeItem]
    next_cursor: None | str
    computed_at: datetime.datetime
    reached: int
    listed_at_most: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        computed_at = self.computed_at.isoformat()

        reached = self.reached

        listed_at_most = self.listed_at_most

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "next_cursor": next_cursor,
                "computed_at": computed_at,
                "reached": reached,
                "listed_at_most": listed_at_most,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.second_degree_item import SecondDegreeItem

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = SecondDegreeItem.from_dict(items_item_data)

            items.append(items_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        computed_at = datetime.datetime.fromisoformat(d.pop("computed_at"))

        reached = d.pop("reached")

        listed_at_most = d.pop("listed_at_most")

        second_degree_page = cls(
            items=items,
            next_cursor=next_cursor,
            computed_at=computed_at,
            reached=reached,
            listed_at_most=listed_at_most,
        )

        second_degree_page.additional_properties = d
        return second_degree_page

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
