from typing import Literal

InviteRefusal = Literal[
    "already_connected",
    "cannot_invite_self",
    "connection_limit_reached",
    "cooldown_active",
    "invitation_not_allowed",
    "invitation_pending",
    "invitation_throttled",
    "member_restricted",
    "not_found",
    "too_many_pending_invitations",
]

INVITE_REFUSAL_VALUES: set[InviteRefusal] = {
    "already_connected",
    "cannot_invite_self",
    "connection_limit_reached",
    "cooldown_active",
    "invitation_not_allowed",
    "invitation_pending",
    "invitation_throttled",
    "member_restricted",
    "not_found",
    "too_many_pending_invitations",
}


def check_invite_refusal(value: str) -> InviteRefusal:
    if value in INVITE_REFUSAL_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {INVITE_REFUSAL_VALUES!r}")
