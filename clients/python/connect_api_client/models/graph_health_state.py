from typing import Literal

GraphHealthState = Literal["behind", "loading", "ok"]

GRAPH_HEALTH_STATE_VALUES: set[GraphHealthState] = {
    "behind",
    "loading",
    "ok",
}


def check_graph_health_state(value: str) -> GraphHealthState:
    if value in GRAPH_HEALTH_STATE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GRAPH_HEALTH_STATE_VALUES!r}")
