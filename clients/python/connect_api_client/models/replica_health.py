from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.replica_health_state import ReplicaHealthState, check_replica_health_state
from ..types import UNSET, Unset

T = TypeVar("T", bound="ReplicaHealth")


@_attrs_define
class ReplicaHealth:
    """What the last check of one read replica found.

    Attributes:
        replica (int): Its place in `CONNECT_API_READ_DATABASE_URL`, from 1.
        state (ReplicaHealthState): `ok`: reads go to it; `lagging`: further behind the primary than
            `CONNECT_API_REPLICA_MAX_LAG_SECONDS`; `down`: it did not answer; `not_a_replica`: it is not in recovery. Reads
            skip it unless `ok`.
        lag_seconds (float | None): Since when the primary has held a change the replica has not replayed (0: it had
            replayed everything at the last check).
        replay_lsn (None | str): The last WAL position it had replayed.
        detail (None | str | Unset):
    """

    replica: int
    state: ReplicaHealthState
    lag_seconds: float | None
    replay_lsn: None | str
    detail: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        replica = self.replica

        state: str = self.state

        lag_seconds: float | None
        lag_seconds = self.lag_seconds

        replay_lsn: None | str
        replay_lsn = self.replay_lsn

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "replica": replica,
                "state": state,
                "lag_seconds": lag_seconds,
                "replay_lsn": replay_lsn,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        replica = d.pop("replica")

        state = check_replica_health_state(d.pop("state"))

        def _parse_lag_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        lag_seconds = _parse_lag_seconds(d.pop("lag_seconds"))

        def _parse_replay_lsn(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        replay_lsn = _parse_replay_lsn(d.pop("replay_lsn"))

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        replica_health = cls(
            replica=replica,
            state=state,
            lag_seconds=lag_seconds,
            replay_lsn=replay_lsn,
            detail=detail,
        )

        replica_health.additional_properties = d
        return replica_health

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
