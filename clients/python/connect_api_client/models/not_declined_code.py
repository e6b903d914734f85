from typing import Literal

NotDeclinedCode = Literal["invitation_not_pending", "not_found"]

NOT_DECLINED_CODE_VALUES: set[NotDeclinedCode] = {
    "invitation_not_pending",
    "not_found",
}


def check_not_declined_code(value: str) -> NotDeclinedCode:
    if value in NOT_DECLINED_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {NOT_DECLINED_CODE_VALUES!r}")
