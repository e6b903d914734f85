from typing import Literal

StatusFilter = Literal["accepted", "all", "declined", "expired", "pending", "withdrawn"]

STATUS_FILTER_VALUES: set[StatusFilter] = {
    "accepted",
    "all",
    "declined",
    "expired",
    "pending",
    "withdrawn",
}


def check_status_filter(value: str) -> StatusFilter:
    if value in STATUS_FILTER_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STATUS_FILTER_VALUES!r}")
