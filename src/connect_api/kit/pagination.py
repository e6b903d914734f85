"""Opaque keyset cursors: stable under inserts, because they name a position, not an offset;
signed, so that only the service mints them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, Field

from connect_api.kit.errors import Unprocessable

if TYPE_CHECKING:
    from connect_api.kit.config import Settings

T = TypeVar("T")

# What every cursor the service mints looks like: unpadded URL-safe base64, and no longer than
# the longest one it can mint (a list's filters travel as a digest; the longest sort key, a
# 100-character display name, is at most 600 bytes of JSON, and the MAC 16 bytes more). The
# document declares these, and `Cursors.decode` refuses anything else as `invalid_cursor`.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
CURSOR_MAX_LENGTH = 1024


def cursor_query(description: str) -> Any:
    """A cursor query parameter: its declared pattern is the one the decoder enforces."""
    return Query(
        max_length=CURSOR_MAX_LENGTH,
        json_schema_extra={"pattern": CURSOR_PATTERN},
        description=description,
    )


def query_digits(value: object) -> object:
    """An integer in a query string is written in ASCII digits only: ``int()`` would read
    ``8.0``, ``" 8"``, ``"8\\n"``, ``+8`` and ``8_0`` too."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written in the digits 0-9")
    return value


# Put after ``Query(...)`` on every integer in a query string.
QueryDigits = BeforeValidator(query_digits)

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page, 1 to 100."), QueryDigits]
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


def filter_digest(*filters: Any) -> str:
    """A short stand-in for a list's filters in its cursor's kind (the filters themselves could
    make a cursor longer than any client should have to carry)."""
    raw = json.dumps(filters, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(hashlib.blake2b(raw, digest_size=12).digest()).decode()


# A cursor is the JSON payload ``[kind, value, …]`` followed by its MAC, in unpadded URL-safe
# base64. The MAC (keyed BLAKE2b) makes a cursor something only this service can mint: a
# forged or edited one is `invalid_cursor` before any of its values is read. The values are
# still checked one by one, so that nothing a client wrote reaches the database unchecked.
_MAC_BYTES = 16
_MAC_PERSON = b"connect-api/cur"
_KEY_LABEL = b"connect-api cursor MAC key v1"
_CURSOR_FULL = re.compile(r"[A-Za-z0-9_-]*")  # CURSOR_PATTERN, matched whole (no final "\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BIGINT = (-(2**63), 2**63 - 1)


def cursor_key_from(secret: str) -> bytes:
    """The MAC key made from a secret: a keyed hash of a label of its own, so the key is
    never the secret itself (nor, made from the JWT secret, anything that signs a token)."""
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


class Cursors:
    """Mints and reads the cursors of every list with one server key (``AppContext.cursors``)."""

    def __init__(self, key: bytes) -> None:
        if not 16 <= len(key) <= 64:
            raise ValueError("a cursor key is 16 to 64 bytes")
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hashlib.blake2b(
            payload, key=self._key, digest_size=_MAC_BYTES, person=_MAC_PERSON
        ).digest()

    def encode(self, kind: str, *values: Any) -> str:
        """A cursor for ``kind`` naming the position ``values`` (datetimes as ISO 8601)."""
        payload = [kind, *[v.isoformat() if isinstance(v, datetime) else v for v in values]]
        try:
            raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate: written as an escape
            raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw + self._mac(raw)).decode().rstrip("=")

    def decode(
        self, cursor: str, kind: str, *types: type, unsigned: bool = False
    ) -> tuple[Any, ...]:
        """The values of a cursor this service minted for ``kind``, each of its type: a string
        with no NUL and no lone surrogate, an integer within bigint, an aware datetime that is
        representable in UTC (returned in UTC). Anything else is :class:`InvalidCursor`.

        ``unsigned``: a cursor of the earlier form, without a MAC, is taken too (its values
        checked all the same). Only for the event feed's position, which integrations keep
        between runs, and which names nothing a caller could not already ask for."""
        try:
            if unsigned:
                try:
                    return self._decode(cursor, kind, types)
                except (ValueError, TypeError, IndexError, OverflowError, UnicodeError):
                    return self._decode(cursor, kind, types, signed=False)
            return self._decode(cursor, kind, types)
        except (
            ValueError,
            TypeError,
            IndexError,
            OverflowError,
            UnicodeError,
            RecursionError,
        ):
            raise InvalidCursor(
                "The cursor is not valid for this list; start again without `cursor`."
            ) from None

    def _decode(
        self, cursor: str, kind: str, types: tuple[type, ...], *, signed: bool = True
    ) -> tuple[Any, ...]:
        # b64decode would skip the characters it can't read; `match` would let a final "\n" by.
        if len(cursor) > CURSOR_MAX_LENGTH or not _CURSOR_FULL.fullmatch(cursor):
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != cursor:
            raise ValueError  # one spelling only: not another in the unused low bits
        payload, mac = (raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]) if signed else (raw, b"")
        if signed and (len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload))):
            raise ValueError
        decoded = json.loads(payload)
        if not isinstance(decoded, list) or len(decoded) != len(types) + 1 or decoded[0] != kind:
            raise ValueError
        return tuple(_checked(value, typ) for value, typ in zip(decoded[1:], types, strict=True))


def _checked(value: Any, typ: type) -> Any:
    if typ is datetime:
        if not isinstance(value, str):
            raise TypeError
        moment = datetime.fromisoformat(_text(value))
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError
        # 9999-12-31T23:59:59-23:59 or 0001-01-01T00:00:00+14:00 overflow here (OverflowError),
        # not in the database driver, which converts to UTC as well.
        return moment.astimezone(UTC)
    if typ is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError
        if not _BIGINT[0] <= value <= _BIGINT[1]:
            raise ValueError
        return value
    if typ is str:
        if not isinstance(value, str):
            raise TypeError
        return _text(value)
    raise TypeError(typ)


def _text(value: str) -> str:
    """A string PostgreSQL can hold: no NUL, no lone UTF-16 surrogate."""
    if "\x00" in value or _SURROGATE.search(value):
        raise ValueError
    return value


class MissingCursorSecret(RuntimeError):
    """No key for cursors can be found or made (RS256/ES256 with `DATABASE_URL`)."""

    def __init__(self, algorithm: str) -> None:
        super().__init__(
            f"{algorithm} with DATABASE_URL needs CONNECT_API_CURSOR_SECRET (the key cursors "
            "are signed with, the same in every process: at least 32 random bytes, e.g. "
            "`openssl rand -base64 48`)"
        )


def cursor_key(settings: Settings, jwt_secret: str | None) -> bytes:
    """The key cursors are signed with: made from `CONNECT_API_CURSOR_SECRET`; else from the
    JWT secret (`HS*`), the configured one or the one generated beside the embedded database;
    else (`RS256`/`ES256`) from a cursor secret generated once beside the embedded database.
    Every process of one deployment so makes the same key."""
    if settings.cursor_secret is not None:
        return cursor_key_from(settings.cursor_secret.get_secret_value())
    if settings.jwt_algorithm.startswith("HS") and jwt_secret:
        return cursor_key_from(jwt_secret)
    if settings.embedded:
        return cursor_key_from(embedded_cursor_secret(settings))
    raise MissingCursorSecret(settings.jwt_algorithm)


def embedded_cursor_secret(settings: Settings) -> str:
    """The cursor secret generated once and kept beside the embedded database (`cursor-secret`
    in the data directory)."""
    return _kept_secret(settings.cursor_secret_file)


def _kept_secret(path: Path) -> str:
    """A secret generated once and kept in ``path``; processes starting together agree on it
    (it is written aside and linked into place, so none ever reads a half-written file)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
        finally:
            aside.unlink()
    return path.read_text().strip()
