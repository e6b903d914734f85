"""Opaque keyset cursors: stable under inserts, because they name a position, not an offset."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from connect_api.errors import Unprocessable

T = TypeVar("T")

# What every cursor the service mints looks like: unpadded URL-safe base64, and no longer than
# the longest one it can mint (a list's filters travel as a digest; the longest sort key, a
# 100-character display name, is at most 600 bytes of JSON). The document declares these, and
# `decode_cursor` refuses anything else as `invalid_cursor`.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
CURSOR_MAX_LENGTH = 1024
_CURSOR = re.compile(CURSOR_PATTERN)


def cursor_query(description: str) -> Any:
    """A cursor query parameter: its declared pattern is the one the decoder enforces."""
    return Query(
        max_length=CURSOR_MAX_LENGTH,
        json_schema_extra={"pattern": CURSOR_PATTERN},
        description=description,
    )


Limit = Annotated[int, Query(ge=1, le=100, description="Items per page, 1 to 100.")]
CursorParam = Annotated[
    str | None, cursor_query("`next_cursor` of the previous page; omit for the first.")
]


class InvalidCursor(Unprocessable):
    """The cursor is not valid for this list."""

    code = "invalid_cursor"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )


def encode_cursor(kind: str, *values: Any) -> str:
    payload = [kind, *[v.isoformat() if isinstance(v, datetime) else v for v in values]]
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def filter_digest(*filters: Any) -> str:
    """A short stand-in for a list's filters in its cursor's kind (the filters themselves could
    make a cursor longer than any client should have to carry)."""
    raw = json.dumps(filters, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(hashlib.blake2b(raw, digest_size=12).digest()).decode()


def decode_cursor(cursor: str, kind: str, *types: type) -> tuple[Any, ...]:
    """Decode a cursor made by :func:`encode_cursor` for ``kind``, checking each value's type."""
    try:
        if not _CURSOR.match(cursor):  # b64decode would skip the characters it can't read
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, list) or payload[0] != kind or len(payload) != len(types) + 1:
            raise ValueError
        values = []
        for value, typ in zip(payload[1:], types, strict=True):
            if typ is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError
            elif typ is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError
                if not -(2**63) <= value < 2**63:
                    raise ValueError
            elif not isinstance(value, typ) or (isinstance(value, str) and "\x00" in value):
                raise ValueError
            values.append(value)
        return tuple(values)
    except (ValueError, TypeError, IndexError, UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidCursor(
            "The cursor is not valid for this list; start again without `cursor`."
        ) from None
