from typing import Literal

InvitePolicy = Literal["everyone", "network", "nobody"]

INVITE_POLICY_VALUES: set[InvitePolicy] = {
    "everyone",
    "network",
    "nobody",
}


def check_invite_policy(value: str) -> InvitePolicy:
    if value in INVITE_POLICY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {INVITE_POLICY_VALUES!r}")
