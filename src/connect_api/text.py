"""Text input types. PostgreSQL text cannot hold NUL, so it is refused at the edge (422)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


CleanStr = Annotated[str, AfterValidator(no_nul)]
