"""What makes two tags the same: one normalisation for writing tags and for filtering by them."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from connect_api.kit.errors import Unprocessable
from connect_api.kit.text_input import without_invisible

MAX_TAG_LENGTH = 40
MAX_TAGS = 50


class TagEmpty(Unprocessable):
    """A tag is empty once its whitespace is trimmed."""

    code = "tag_empty"


class TagTooLong(Unprocessable):
    """A tag is longer than 40 characters."""

    code = "tag_too_long"


class TooManyTags(Unprocessable):
    """More than 50 tags on one connection."""

    code = "too_many_tags"


@dataclass(frozen=True)
class Tag:
    key: str  # what makes two tags the same: the name in NFKC, case-folded
    name: str  # how it is shown


def normalise(raw: str) -> Tag:
    """Drop zero-width characters and bidirectional controls, trim, collapse runs of
    whitespace to one space, compose (NFC): the name. The key is the name in compatibility
    form and case-folded (NFKC, case fold, NFKC: full-width `LONDON`, `london` and `London` are one
    tag), its whitespace collapsed again. Refuses a tag that is empty then, and one longer
    than 40 characters: as given (what the document declares), and once normalised or
    case-folded (either can lengthen it, as ``ß`` becomes ``ss``)."""
    name = unicodedata.normalize("NFC", " ".join(without_invisible(raw).split()))
    key = _key(name)
    if not name or not key:
        raise TagEmpty("A tag must not be empty, or only whitespace and invisible characters.")
    if max(len(raw), len(name), len(key)) > MAX_TAG_LENGTH:
        raise TagTooLong(
            f"A tag is at most {MAX_TAG_LENGTH} characters long.",
            tag=name[:100],
            max_length=MAX_TAG_LENGTH,
        )
    return Tag(key=key, name=name)


def normalise_all(raws: Iterable[str]) -> list[Tag]:
    """Each tag normalised, the same tag once (the first spelling wins); at most 50 given."""
    raws = list(raws)
    if len(raws) > MAX_TAGS:
        raise TooManyTags(
            f"At most {MAX_TAGS} tags on one connection; got {len(raws)}.", max_tags=MAX_TAGS
        )
    seen: dict[str, Tag] = {}
    for raw in raws:
        tag = normalise(raw)
        seen.setdefault(tag.key, tag)
    return list(seen.values())


def display_order(names: Iterable[str]) -> list[str]:
    """Names sorted by their keys (ties by the exact spelling, so the order is total)."""
    return sorted(names, key=lambda n: (_key(n), n))


def _key(name: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(without_invisible(folded).split())
