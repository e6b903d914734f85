from typing import Literal

NetworkVisibility = Literal["connections", "only_me"]

NETWORK_VISIBILITY_VALUES: set[NetworkVisibility] = {
    "connections",
    "only_me",
}


def check_network_visibility(value: str) -> NetworkVisibility:
    if value in NETWORK_VISIBILITY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {NETWORK_VISIBILITY_VALUES!r}")
