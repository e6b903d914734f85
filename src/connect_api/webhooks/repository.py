"""SQL for webhooks and their deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import DeliveryStatus, Event, Webhook, WebhookDelivery


async def create(
    session: AsyncSession,
    *,
    url: str,
    secret: str,
    event_types: list[str] | None,
    description: str | None,
    now: datetime,
) -> Webhook:
    hook = Webhook(
        url=url, secret=secret, event_types=event_types, description=description, created_at=now
    )
    session.add(hook)
    await session.flush()
    return hook


async def list_after(session: AsyncSession, after: int, limit: int) -> list[Webhook]:
    return list(
        await session.scalars(
            select(Webhook).where(Webhook.id > after).order_by(Webhook.id).limit(limit)
        )
    )


async def get(
    session: AsyncSession, webhook_id: int, *, for_update: bool = False
) -> Webhook | None:
    return await session.get(Webhook, webhook_id, with_for_update=for_update)


async def delete_one(session: AsyncSession, webhook_id: int) -> bool:
    result = await session.execute(
        delete(Webhook).where(Webhook.id == webhook_id).returning(Webhook.id)
    )
    return result.first() is not None


async def deliveries(
    session: AsyncSession, webhook_id: int, before: int | None, limit: int
) -> list[WebhookDelivery]:
    """A webhook's deliveries, newest first."""
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(WebhookDelivery.id < before)
    return list(await session.scalars(stmt))


async def set_disabled(
    session: AsyncSession, webhook_id: int, *, reason: str, now: datetime
) -> bool:
    """Disable a webhook (unless it already is) and give up its pending deliveries; whether
    this call disabled it."""
    done = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.disabled_at.is_(None))
        .values(disabled_at=now, disabled_reason=reason)
        .returning(Webhook.id)
    )
    if done.first() is None:
        return False
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.failed, next_attempt_at=now, last_error=DISABLED)
    )
    return True


async def set_enabled(session: AsyncSession, webhook_id: int) -> None:
    """Enable a webhook again, with a clean record: it has the whole time allowed to fail anew."""
    await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(disabled_at=None, disabled_reason=None, failing_since=None)
    )


async def note_success(session: AsyncSession, webhook_id: int) -> None:
    await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def note_failure(session: AsyncSession, webhook_id: int, now: datetime) -> datetime | None:
    """Since when the webhook has been failing (``now`` if it was not); ``None`` once it is
    disabled or gone."""
    await session.execute(
        update(Webhook)
        .where(
            Webhook.id == webhook_id,
            Webhook.failing_since.is_(None),
            Webhook.disabled_at.is_(None),
        )
        .values(failing_since=now)
    )
    return await session.scalar(
        select(Webhook.failing_since).where(Webhook.id == webhook_id, Webhook.disabled_at.is_(None))
    )


# What a delivery given up because its endpoint was disabled records as its last error.
DISABLED = "endpoint disabled"


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempt: int
    webhook_id: int
    url: str
    secret: str
    event_id: int
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]


async def claim_due(
    session: AsyncSession,
    now: datetime,
    lease_until: datetime,
    limit: int,
    *,
    in_flight: Mapping[int, int] | None = None,
    per_endpoint: int | None = None,
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for an attempt: count the attempt and push the due
    time to the end of the lease, so a process that dies mid-attempt leaves them to retry.

    At most ``per_endpoint`` deliveries per webhook are in flight, counting the ones
    ``in_flight`` already has (webhook id: count), so one slow endpoint cannot take every slot.
    Deliveries whose webhook has been disabled meanwhile are given up instead."""
    in_flight = in_flight or {}
    cap = per_endpoint or limit
    full = [w for w, n in in_flight.items() if n >= cap]
    candidates = (
        select(WebhookDelivery.id, WebhookDelivery.webhook_id, Webhook.disabled_at)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit * 4)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    if full:
        candidates = candidates.where(WebhookDelivery.webhook_id.not_in(full))
    room: dict[int, int] = {}
    chosen: list[int] = []
    stale: list[int] = []
    for delivery_id, webhook_id, disabled_at in (await session.execute(candidates)).all():
        if disabled_at is not None:
            stale.append(delivery_id)
            continue
        left = room.setdefault(webhook_id, cap - in_flight.get(webhook_id, 0))
        if left > 0 and len(chosen) < limit:
            chosen.append(delivery_id)
            room[webhook_id] = left - 1
    if stale:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(stale))
            .values(status=DeliveryStatus.failed, last_error=DISABLED)
        )
    if not chosen:
        return []
    claimed = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(chosen))
        .values(
            attempts=WebhookDelivery.attempts + 1,
            next_attempt_at=lease_until,
            last_attempt_at=now,
        )
        .returning(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookDelivery.webhook_id,
            WebhookDelivery.event_id,
        )
        .cte("claimed")
    )
    rows = await session.execute(
        select(
            claimed.c.id,
            claimed.c.attempts,
            claimed.c.webhook_id,
            Webhook.url,
            Webhook.secret,
            Event.id,
            Event.type,
            Event.occurred_at,
            Event.data,
        )
        .join(Webhook, Webhook.id == claimed.c.webhook_id)
        .join(Event, Event.id == claimed.c.event_id)
        .order_by(claimed.c.id)
    )
    return [Claimed(*row) for row in rows.all()]


async def record_attempt(
    session: AsyncSession,
    delivery_id: int,
    attempt: int,
    *,
    status: DeliveryStatus,
    next_attempt_at: datetime,
    status_code: int | None,
    error: str | None,
    now: datetime,
) -> bool:
    """Store how attempt ``attempt`` went, unless a later attempt has been claimed since (or the
    delivery was given up meanwhile); whether it was stored."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            tuple_(WebhookDelivery.id, WebhookDelivery.attempts) == tuple_(delivery_id, attempt),
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(
            status=status,
            next_attempt_at=next_attempt_at,
            last_status_code=status_code,
            last_error=error,
            delivered_at=now if status is DeliveryStatus.delivered else None,
        )
        .returning(WebhookDelivery.id)
    )
    return result.first() is not None
