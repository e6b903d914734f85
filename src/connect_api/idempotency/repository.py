"""SQL for idempotency keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import IdempotencyKey
from connect_api.kit.database import Work, driver

_TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7))"
_FIND = """
SELECT fingerprint, status_code, body, headers FROM idempotency_keys
WHERE member_id = $1 AND key = $2 AND created_at > $3
"""
# A key past its lifetime may still have its row: the new use takes it over.
_SAVE = """
INSERT INTO idempotency_keys (member_id, key, fingerprint, status_code, body, headers, created_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)
ON CONFLICT (member_id, key) DO UPDATE
SET fingerprint = excluded.fingerprint, status_code = excluded.status_code,
    body = excluded.body, headers = excluded.headers, created_at = excluded.created_at
"""


@dataclass(frozen=True)
class Stored:
    """A key's stored response."""

    fingerprint: str
    status_code: int
    body: Any
    headers: dict[str, str]


async def try_lock(session: Work, member_id: int, key: str) -> bool:
    """Take the key's transaction-scoped advisory lock, or say another request holds it."""
    return bool(await (await driver(session)).fetchval(_TRY_LOCK, f"{member_id}:{key}"))


async def find(session: Work, member_id: int, key: str, since: datetime) -> Stored | None:
    row = await (await driver(session)).fetchrow(_FIND, member_id, key, since)
    if row is None:
        return None
    return Stored(row[0], row[1], _decoded(row[2]), _decoded(row[3]))


def _decoded(value: Any) -> Any:
    """A ``jsonb`` value: text from a plain asyncpg connection, decoded already on a session's
    (SQLAlchemy gives its connections a codec of its own)."""
    return json.loads(value) if isinstance(value, str) else value


async def save(
    session: Work,
    *,
    member_id: int,
    key: str,
    fingerprint: str,
    status_code: int,
    body: Any,
    headers: dict[str, str],
    now: datetime,
) -> None:
    await (await driver(session)).execute(
        _SAVE,
        member_id,
        key,
        fingerprint,
        status_code,
        json.dumps(body),
        json.dumps(headers),
        now,
    )


async def purge(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
