from typing import Literal

PendingInvitationReadDirection = Literal["received", "sent"]

PENDING_INVITATION_READ_DIRECTION_VALUES: set[PendingInvitationReadDirection] = {
    "received",
    "sent",
}


def check_pending_invitation_read_direction(value: str) -> PendingInvitationReadDirection:
    if value in PENDING_INVITATION_READ_DIRECTION_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PENDING_INVITATION_READ_DIRECTION_VALUES!r}"
    )
