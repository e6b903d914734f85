from typing import Literal

EventType = Literal[
    "connection.removed",
    "follow.created",
    "follow.removed",
    "invitation.accepted",
    "invitation.created",
    "invitation.declined",
    "invitation.expired",
    "invitation.withdrawn",
    "member.blocked",
    "member.erased",
    "member.unblocked",
    "webhook.disabled",
]

EVENT_TYPE_VALUES: set[EventType] = {
    "connection.removed",
    "follow.created",
    "follow.removed",
    "invitation.accepted",
    "invitation.created",
    "invitation.declined",
    "invitation.expired",
    "invitation.withdrawn",
    "member.blocked",
    "member.erased",
    "member.unblocked",
    "webhook.disabled",
}


def check_event_type(value: str) -> EventType:
    if value in EVENT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {EVENT_TYPE_VALUES!r}")
