from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.graph_health_state import GraphHealthState, check_graph_health_state

T = TypeVar("T", bound="GraphHealth")


@_attrs_define
class GraphHealth:
    """The process's graph read model (`CONNECT_API_GRAPH_READ_MODEL=memory`).

    Attributes:
        state (GraphHealthState): `loading`: not loaded yet; `ok`: graph answers come from it; `behind`: it could not
            catch up for `CONNECT_API_GRAPH_MAX_LAG_SECONDS`. Until `ok`, graph answers come from SQL: it never makes the
            instance unready.
        position (None | str): A WAL position: every commit whose `Connect-Read-After` is before it is in the model.
        lag_seconds (float | None): Since it last caught up with the outbox.
        connections (int): Connections it holds (each once).
        bytes_ (int): Memory its arrays take.
        loads (int): Whole loads since start (the first, and each rebuild).
        load_seconds (float | None): How long the last whole load took.
    """

    state: GraphHealthState
    position: None | str
    lag_seconds: float | None
    connections: int
    bytes_: int
    loads: int
    load_seconds: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        state: str = self.state

        position: None | str
        position = self.position

        lag_seconds: float | None
        lag_seconds = self.lag_seconds

        connections = self.connections

        bytes_ = self.bytes_

        loads = self.loads

        load_seconds: float | None
        load_seconds = self.load_seconds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
                "position": position,
                "lag_seconds": lag_seconds,
                "connections": connections,
                "bytes": bytes_,
                "loads": loads,
                "load_seconds": load_seconds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        state = check_graph_health_state(d.pop("state"))

        def _parse_position(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        position = _parse_position(d.pop("position"))

        def _parse_lag_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        lag_seconds = _parse_lag_seconds(d.pop("lag_seconds"))

        connections = d.pop("connections")

        bytes_ = d.pop("bytes")

        loads = d.pop("loads")

        def _parse_load_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        load_seconds = _parse_load_seconds(d.pop("load_seconds"))

        graph_health = cls(
            state=state,
            position=position,
            lag_seconds=lag_seconds,
            connections=connections,
            bytes_=bytes_,
            loads=loads,
            load_seconds=load_seconds,
        )

        graph_health.additional_properties = d
        return graph_health

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
