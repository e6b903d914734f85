"""PostgreSQL URLs as the settings take them, and as each consumer needs them.

A URL may name one server or several, in libpq's multi-host form::

    postgresql://user:password@db1:5432,db2:5432,db3:5432/connect?target_session_attrs=read-write

asyncpg reads that form itself (it tries the hosts in order and keeps the first whose
``target_session_attrs`` fit: ``read-write`` finds the primary, ``standby`` or
``prefer-standby`` a replica), so the driver's DSN is the URL with its scheme put back.
SQLAlchemy's URL parser takes one host in the authority, so for the ORM's engine the hosts
move into the query (``?host=db1:5432&host=db2:5432``), which its asyncpg dialect hands to
asyncpg as the same list. Nothing here connects to anything.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:  # the settings import this module, and `connect-api token` imports no ORM
    from sqlalchemy.engine import URL

DRIVER_SCHEME = "postgresql+asyncpg://"
_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://", DRIVER_SCHEME)
# A new URL in a list starts with a scheme: a comma before one separates URLs, a comma
# anywhere else separates the hosts of one URL.
_NEXT_URL = re.compile(r"[\s,]+(?=(?:postgres|postgresql)(?:\+\w+)?://)")


def normalize(url: str) -> str:
    """The URL with SQLAlchemy's asyncpg driver named (as the settings keep it)."""
    for prefix in _SCHEMES:
        if url.startswith(prefix):
            return DRIVER_SCHEME + url[len(prefix) :]
    return url


def split(value: str) -> list[str]:
    """Several URLs in one setting, separated by commas or spaces (the hosts of a multi-host
    URL keep their commas)."""
    return [part for part in _NEXT_URL.split(value.strip()) if part.strip(" ,")]


def _authority(url: str) -> tuple[str, str, str]:
    """The URL's user part (with its ``@``, or empty), its hosts, and the rest (path, query)."""
    rest = url.split("://", 1)[1]
    slash = rest.find("/")
    query = rest.find("?")
    ends = [i for i in (slash, query) if i >= 0]
    authority, tail = (rest[: min(ends)], rest[min(ends) :]) if ends else (rest, "")
    user, _, hosts = authority.rpartition("@")
    return (user + "@" if user else ""), hosts, tail


def hosts(url: str) -> list[str]:
    """The ``host:port`` entries of the URL's authority (one for a single-server URL; none
    for a socket given in the query)."""
    return [h for h in _authority(url)[1].split(",") if h]


def is_postgres(url: str) -> bool:
    """Whether the URL is a PostgreSQL URL this service can use."""
    if not url.startswith(DRIVER_SCHEME):
        return False
    try:
        engine_url(url)
    except Exception:
        return False
    return True


def driver_dsn(url: str) -> str:
    """The DSN asyncpg connects with: libpq's form, every host kept."""
    return "postgresql://" + url.split("://", 1)[1] if "://" in url else url


def engine_url(url: str) -> URL:
    """The URL SQLAlchemy's engine is made from: a multi-host authority moved into the query
    (``host=h:port`` once per host), which the asyncpg dialect passes on as asyncpg's list."""
    from sqlalchemy.engine import make_url

    user, host_list, tail = _authority(url)
    entries = [h for h in host_list.split(",") if h]
    if len(entries) <= 1:
        return make_url(url)
    path, _, query = tail.partition("?")
    moved = "&".join(f"host={quote(h, safe=':[]')}" for h in entries)
    scheme = url.split("://", 1)[0]
    return make_url(f"{scheme}://{user}{path or '/'}?{moved}" + (f"&{query}" if query else ""))


def redacted(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be read)"
    if parts.password is None:
        return url
    user, host_list, tail = _authority(url)
    name = user[:-1].split(":", 1)[0]
    return f"{url.split('://', 1)[0]}://{name}:***@{host_list}{tail}"
