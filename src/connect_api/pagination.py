"""Opaque keyset cursors: stable under inserts, because they name a position, not an offset."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from connect_api.errors import Unprocessable

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page, 1 to 100.")]
CursorParam = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page; omit for the first."),
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
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, *types: type) -> tuple[Any, ...]:
    """Decode a cursor made by :func:`encode_cursor` for ``kind``, checking each value's type."""
    try:
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
