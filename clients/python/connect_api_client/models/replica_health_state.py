from typing import Literal

ReplicaHealthState = Literal["down", "lagging", "not_a_replica", "ok", "unknown"]

REPLICA_HEALTH_STATE_VALUES: set[ReplicaHealthState] = {
    "down",
    "lagging",
    "not_a_replica",
    "ok",
    "unknown",
}


def check_replica_health_state(value: str) -> ReplicaHealthState:
    if value in REPLICA_HEALTH_STATE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {REPLICA_HEALTH_STATE_VALUES!r}")
