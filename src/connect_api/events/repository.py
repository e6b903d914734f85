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

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import (
    Event,
    Member,
)
from connect_api.kit.database import Work, driver

_PUBLISHER_LOCK = 0x636F6E6E656374  # any constant shared by every process

# Notified by every transaction that writes an event (a trigger, migration 0014), by every
# publication, and (payload ``counts:<member id>``) when a member's badge numbers change
# without an event: each process's live streams wake on it.
CHANNEL = "connect_api_events"


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


# Positions for every committed, unpublished event, and their webhook deliveries queued, in one
# statement (after the publisher's lock: see `publish`); a publication that gave out positions
# notifies CHANNEL on its commit.
_PUBLISH = f"""
WITH published AS (
    UPDATE events SET position = nextval('event_positions')
    WHERE position IS NULL
    RETURNING id, type
), queued AS (
    INSERT INTO webhook_deliveries (webhook_id, event_id, status, next_attempt_at)
    SELECT w.id, p.id, 'pending'::delivery_status, $1
    FROM published p
    JOIN webhooks w ON w.disabled_at IS NULL
                   AND (w.event_types IS NULL OR p.type = ANY (w.event_types))
    ORDER BY p.id
)
SELECT count(*) AS published,
       CASE WHEN count(*) > 0 THEN pg_notify('{CHANNEL}', 'published') END AS notified
FROM published
"""  # noqa: S608 - constants of this module
_LOCK = "SELECT pg_advisory_xact_lock($1)"
_TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
_LAST = "SELECT coalesce(max(position), 0) FROM events"


async def publish(session: Work, now: datetime, *, wait: bool = False) -> int | None:
    """Give committed, unpublished events their feed positions and queue them for every
    enabled webhook that wants them, in one transaction. ``None`` if another process is publishing
    right now (it will cover them, or the next call will). With ``wait``, wait for that one to
    finish instead: what committed before the lock was taken is then published by this call
    (each statement after the lock sees every commit before it). A publication that gave out
    positions notifies ``CHANNEL`` (on its commit) for the live streams to read them."""
    conn = await driver(session)
    if wait:
        await conn.execute(_LOCK, _PUBLISHER_LOCK)
    elif not await conn.fetchval(_TRY_LOCK, _PUBLISHER_LOCK):
        return None
    published: int = await conn.fetchval(_PUBLISH, now)
    return published


async def publish_and_last(session: Work, now: datetime) -> int:
    """Publish (waiting for the lock), then the feed's last position: every event committed
    before this call has a position at or below it."""
    await publish(session, now, wait=True)
    conn = await driver(session)
    last: int = await conn.fetchval(_LAST)
    return last


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


# The live streams' reads of the outbox, on the primary (see ``Database.fetch_primary``).
_COLUMNS = "position, id, type, occurred_at, data::text AS data"
# Where a resumed stream stands: the last position ever handed out, and when the first event
# after the position it resumes from occurred (``NULL``: it missed nothing).
RESUMING = """
SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM event_positions) AS last,
       (SELECT occurred_at FROM events WHERE position > $1 ORDER BY position LIMIT 1)
           AS first_missed
"""
# Published events after a position, in feed order: all of them ($2), or one member's ($3).
EVERY_AFTER = f"""
SELECT {_COLUMNS}, audience FROM events
WHERE position > $1 ORDER BY position LIMIT $2
"""  # noqa: S608 - constants of this module
MEMBERS_AFTER = f"""
SELECT {_COLUMNS}, NULL::bigint[] AS audience FROM events
WHERE position > $1 AND audience @> ARRAY[$3::bigint] ORDER BY position LIMIT $2
"""  # noqa: S608 - constants of this module
