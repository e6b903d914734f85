"""Text input types. PostgreSQL text cannot hold NUL, and UTF-8 cannot hold a lone UTF-16
surrogate (JSON lets one be written, ``"\\ud800"``): both are refused at the edge (422)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_SURROGATE = re.compile("[\ud800-\udfff]")


def no_nul(value: str) -> str:
    """The text, if PostgreSQL can store it: no NUL, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    if _SURROGATE.search(value):
        raise ValueError("must not contain a lone UTF-16 surrogate")
    return value


CleanStr = Annotated[str, AfterValidator(no_nul)]
