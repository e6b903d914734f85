"""SQL for idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import IdempotencyKey


async def try_lock(session: AsyncSession, member_id: int, key: str) -> bool:
    """Take the key's transaction-scoped advisory lock, or say another request holds it."""
    return bool(
        await session.scalar(
            select(func.pg_try_advisory_xact_lock(func.hashtextextended(f"{member_id}:{key}", 7)))
        )
    )


async def find(
    session: AsyncSession, member_id: int, key: str, since: datetime
) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.member_id == member_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > since,
        )
    )


async def save(
    session: AsyncSession,
    *,
    member_id: int,
    key: str,
    fingerprint: str,
    status_code: int,
    body: Any,
    headers: dict[str, str],
    now: datetime,
) -> None:
    values = {
        "fingerprint": fingerprint,
        "status_code": status_code,
        "body": body,
        "headers": headers,
        "created_at": now,
    }
    stmt = insert(IdempotencyKey).values(member_id=member_id, key=key, **values)
    # A key past its lifetime may still have its row: the new use takes it over.
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["member_id", "key"], set_=values)
    )


async def purge(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
