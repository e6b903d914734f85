"""SQL for the outbox and its feed.

Events are written in the transaction of the change they record, but ids are handed out in
insert order, not commit order: a reader paging by id could step over an event that commits
late. So the feed pages by ``position`` instead, given only to committed events by one
publisher at a time (an advisory lock): every position handed out later is greater than every
one a reader could already have seen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, any_, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import (
    EVENT_POSITIONS,
    DeliveryStatus,
    Event,
    Member,
    Webhook,
    WebhookDelivery,
)
from connect_api.kit.database import Work, driver

_PUBLISHER_LOCK = 0x636F6E6E656374  # any constant shared by every process


async def member_exists(session: AsyncSession, member_id: int) -> bool:
    """Whether the feed's reader still exists (a token outlives an erasure)."""
    return bool(await session.scalar(select(exists().where(Member.id == member_id))))


async def record(
    session: AsyncSession,
    type_: str,
    *,
    audience: Iterable[int],
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Record one event, addressed to ``audience`` (the members it may be shown to)."""
    await record_many(session, type_, [(audience, data)], now=now)


_RECORD = "INSERT INTO events (type, occurred_at, audience, data) VALUES ($1, $2, $3, $4)"


async def record_many(
    session: Work,
    type_: str,
    events: Sequence[tuple[Iterable[int], dict[str, Any]]],
    *,
    now: datetime,
) -> None:
    """Record events of one type, each ``(audience, data)``: one prepared statement on the
    session's connection (many events: asyncpg sends them in one pipeline)."""
    rows = [(type_, now, sorted(set(a)), json.dumps(d)) for a, d in events]
    conn = await driver(session)
    if len(rows) == 1:
        await conn.execute(_RECORD, *rows[0])
    elif rows:
        await conn.executemany(_RECORD, rows)


async def publish(session: AsyncSession, now: datetime) -> int | None:
    """Give committed, unpublished events their feed positions and queue them for every
    enabled webhook that wants them, in one transaction. ``None`` if another process is publishing
    right now (it will cover them, or the next call will)."""
    locked = await session.scalar(select(func.pg_try_advisory_xact_lock(_PUBLISHER_LOCK)))
    if not locked:
        return None
    published = (
        await session.execute(
            update(Event)
            .where(Event.position.is_(None))
            .values(position=EVENT_POSITIONS.next_value())
            .returning(Event.id, Event.type)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if published:
        ids = [row.id for row in published]
        wanted = or_(Webhook.event_types.is_(None), Event.type == any_(Webhook.event_types))
        await session.execute(
            insert(WebhookDelivery).from_select(
                ["webhook_id", "event_id", "status", "next_attempt_at"],
                select(
                    Webhook.id,
                    Event.id,
                    literal(DeliveryStatus.pending.value).cast(WebhookDelivery.status.type),
                    literal(now, type_=WebhookDelivery.next_attempt_at.type),
                )
                .join(Event, and_(Event.id.in_(ids), wanted))
                .where(Webhook.disabled_at.is_(None))
                .order_by(Event.id),
            )
        )
    return len(published)


async def feed(
    session: AsyncSession, *, member_id: int | None, after: int, limit: int
) -> list[Event]:
    """Published events after ``after``, in feed order; ``member_id=None`` for all of them."""
    stmt = (
        select(Event)
        .where(Event.position.is_not(None), Event.position > after)
        .order_by(Event.position)
        .limit(limit)
    )
    if member_id is not None:
        stmt = stmt.where(Event.audience.contains([member_id]))
    return list(await session.scalars(stmt))


async def forget_member(session: AsyncSession, member_id: int) -> None:
    """Take an erased member out of every event's audience: nothing stays in a feed for them.

    The events themselves stay (they carry ids, never profiles or messages): webhooks that have
    yet to receive them still will."""
    await session.execute(
        update(Event)
        .where(Event.audience.contains([member_id]))
        .values(audience=func.array_remove(Event.audience, member_id))
        .execution_options(synchronize_session=False)
    )
