from typing import Literal

NotWithdrawnCode = Literal["invitation_not_pending", "not_found"]

NOT_WITHDRAWN_CODE_VALUES: set[NotWithdrawnCode] = {
    "invitation_not_pending",
    "not_found",
}


def check_not_withdrawn_code(value: str) -> NotWithdrawnCode:
    if value in NOT_WITHDRAWN_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {NOT_WITHDRAWN_CODE_VALUES!r}")
