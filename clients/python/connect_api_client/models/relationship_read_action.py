from typing import Literal

RelationshipReadAction = Literal["accept", "connect", "follow", "message", "pending", "unavailable"]

RELATIONSHIP_READ_ACTION_VALUES: set[RelationshipReadAction] = {
    "accept",
    "connect",
    "follow",
    "message",
    "pending",
    "unavailable",
}


def check_relationship_read_action(value: str) -> RelationshipReadAction:
    if value in RELATIONSHIP_READ_ACTION_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {RELATIONSHIP_READ_ACTION_VALUES!r}"
    )
