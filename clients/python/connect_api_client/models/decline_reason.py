from typing import Literal

DeclineReason = Literal["dont_know", "ignore", "spam"]

DECLINE_REASON_VALUES: set[DeclineReason] = {
    "dont_know",
    "ignore",
    "spam",
}


def check_decline_reason(value: str) -> DeclineReason:
    if value in DECLINE_REASON_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {DECLINE_REASON_VALUES!r}")
