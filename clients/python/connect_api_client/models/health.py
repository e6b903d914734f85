from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.health_status import HealthStatus, check_health_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.graph_health import GraphHealth
    from ..models.replica_health import ReplicaHealth


T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    """
    Attributes:
        status (HealthStatus):
        detail (None | str | Unset):
        replicas (list[ReplicaHealth] | None | Unset): With read replicas: each one's state and lag. A replica that is
            down or lagging is skipped (its reads go to the primary) and does not make the instance unready.
        graph (GraphHealth | None | Unset): With the graph read model on: its state, position, lag and size.
    """

    status: HealthStatus
    detail: None | str | Unset = UNSET
    replicas: list[ReplicaHealth] | None | Unset = UNSET
    graph: GraphHealth | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.graph_health import GraphHealth

        status: str = self.status

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        replicas: list[dict[str, Any]] | None | Unset
        if isinstance(self.replicas, Unset):
            replicas = UNSET
        elif isinstance(self.replicas, list):
            replicas = []
            for replicas_type_0_item_data in self.replicas:
                replicas_type_0_item = replicas_type_0_item_data.to_dict()
                replicas.append(replicas_type_0_item)

        else:
            replicas = self.replicas

        graph: dict[str, Any] | None | Unset
        if isinstance(self.graph, Unset):
            graph = UNSET
        elif isinstance(self.graph, GraphHealth):
            graph = self.graph.to_dict()
        else:
            graph = self.graph

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail
        if replicas is not UNSET:
            field_dict["replicas"] = replicas
        if graph is not UNSET:
            field_dict["graph"] = graph

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.graph_health import GraphHealth
        from ..models.replica_health import ReplicaHealth

        d = dict(src_dict)
        status = check_health_status(d.pop("status"))

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        def _parse_replicas(data: object) -> list[ReplicaHealth] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                replicas_type_0 = []
                _replicas_type_0 = data
                for replicas_type_0_item_data in _replicas_type_0:
                    replicas_type_0_item = ReplicaHealth.from_dict(replicas_type_0_item_data)

                    replicas_type_0.append(replicas_type_0_item)

                return replicas_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ReplicaHealth] | None | Unset, data)

        replicas = _parse_replicas(d.pop("replicas", UNSET))

        def _parse_graph(data: object) -> GraphHealth | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                graph_type_0 = GraphHealth.from_dict(data)

                return graph_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GraphHealth | None | Unset, data)

        graph = _parse_graph(d.pop("graph", UNSET))

        health = cls(
            status=status,
            detail=detail,
            replicas=replicas,
            graph=graph,
        )

        health.additional_properties = d
        return health

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
