"""Text input types, declared in the OpenAPI document exactly as they are checked.

PostgreSQL text cannot hold NUL, and UTF-8 cannot hold a lone UTF-16 surrogate (JSON lets one
be written, ``"\\ud800"``): both are refused at the edge (422). Lengths count the characters
as given (padding included), so a JSON Schema ``maxLength`` says the same. "Not blank" means at
least one character that is neither whitespace nor invisible. Whitespace is Python's
(``str.isspace``, what ``str.strip`` and ``str.split`` remove); invisible are the zero-width
characters (U+200B-U+200D, U+2060, U+FEFF) and the bidirectional controls (U+200E, U+200F,
U+061C, U+202A-U+202E, U+2066-U+2069), which show nothing. Both are spelled out as character
classes so that every regex engine reading the document agrees with the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, Field

_SURROGATE = re.compile("[\ud800-\udfff]")

# Every character for which str.isspace() is true (a test checks the list stays complete).
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Zero-width characters and bidirectional controls: they show nothing, so they neither make a
# text not blank nor tell two tags apart.
INVISIBLE = r"\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE}{INVISIBLE}][^\x00]*$"
_VISIBLE = re.compile(rf"[^\x00{WHITESPACE}{INVISIBLE}]")
_INVISIBLE = re.compile(rf"[{INVISIBLE}]")


def without_invisible(value: str) -> str:
    """The text without its zero-width characters and bidirectional controls."""
    return _INVISIBLE.sub("", value)


def no_nul(value: str) -> str:
    """The text, if PostgreSQL can store it: no NUL, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    if _SURROGATE.search(value):
        raise ValueError("must not contain a lone UTF-16 surrogate")
    return value


def is_blank(value: str) -> bool:
    """Nothing but whitespace and invisible characters (or nothing at all): what
    ``NOT_BLANK_PATTERN`` refuses."""
    return _VISIBLE.search(value) is None


def not_blank(value: str) -> str:
    if is_blank(value):
        raise ValueError("must not be blank")
    return value


def _strip(value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """``Annotated[str, Text(...)]``: at most ``max_length`` characters as given; not blank
    unless ``blank``; stored with surrounding whitespace removed when ``strip``. The declared
    schema (``maxLength``, ``pattern``) and the checks come from these same fields."""

    max_length: int
    blank: bool = True
    strip: bool = False

    def __iter__(self) -> Iterator[Any]:
        yield Field(
            max_length=self.max_length,
            json_schema_extra={"pattern": NO_NUL_PATTERN if self.blank else NOT_BLANK_PATTERN},
        )
        checks: list[Callable[[str], str]] = [no_nul]
        if not self.blank:
            checks.append(not_blank)
        if self.strip:
            checks.append(_strip)
        for check in checks:
            yield AfterValidator(check)


CleanStr = Annotated[
    str, AfterValidator(no_nul), Field(json_schema_extra={"pattern": NO_NUL_PATTERN})
]
