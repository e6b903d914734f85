"""The outbox: every change is recorded here in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import Event


async def record(
    session: AsyncSession,
    type_: str,
    *,
    audience: Iterable[int],
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Record one event, addressed to ``audience`` (the members it may be shown to)."""
    await session.execute(
        insert(Event).values(type=type_, occurred_at=now, audience=sorted(set(audience)), data=data)
    )
