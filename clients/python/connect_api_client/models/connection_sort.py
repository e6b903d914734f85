from typing import Literal

ConnectionSort = Literal["name", "recent"]

CONNECTION_SORT_VALUES: set[ConnectionSort] = {
    "name",
    "recent",
}


def check_connection_sort(value: str) -> ConnectionSort:
    if value in CONNECTION_SORT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CONNECTION_SORT_VALUES!r}")
