from typing import Literal

InvitationReadDirection = Literal["received", "sent"]

INVITATION_READ_DIRECTION_VALUES: set[InvitationReadDirection] = {
    "received",
    "sent",
}


def check_invitation_read_direction(value: str) -> InvitationReadDirection:
    if value in INVITATION_READ_DIRECTION_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {INVITATION_READ_DIRECTION_VALUES!r}"
    )
