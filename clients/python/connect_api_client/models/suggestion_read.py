from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.member_summary import MemberSummary
    from ..models.suggestion_reasons import SuggestionReasons


T = TypeVar("T", bound="SuggestionRead")


@_attrs_define
class SuggestionRead:
    """
    Attributes:
        member (MemberSummary): The public face of a member, as shown inside other resources.
        score (int): The ranking's score when it was computed: 2 per mutual connection plus 1 per shared group.
        reasons (SuggestionReasons):
    """

    member: MemberSummary
    score: int
    reasons: SuggestionReasons
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        member = self.member.to_dict()

        score = self.score

        reasons = self.reasons.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "member": member,
                "score": score,
                "reasons": reasons,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_summary import MemberSummary
        from ..models.suggestion_reasons import SuggestionReasons

        d = dict(src_dict)
        member = MemberSummary.from_dict(d.pop("member"))

        score = d.pop("score")

        reasons = SuggestionReasons.from_dict(d.pop("reasons"))

        suggestion_read = cls(
            member=member,
            score=score,
            reasons=reasons,
        )

        suggestion_read.additional_properties = d
        return suggestion_read

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
