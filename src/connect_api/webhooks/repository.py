"""SQL for webhooks and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.models import DeliveryStatus, Event, Webhook, WebhookDelivery


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


async def get(session: AsyncSession, webhook_id: int) -> Webhook | None:
    return await session.get(Webhook, webhook_id)


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


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempt: int
    url: str
    secret: str
    event_id: int
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for an attempt: count the attempt and push the due
    time to the end of the lease, so a process that dies mid-attempt leaves them to retry."""
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(due))
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
) -> None:
    """Store how attempt ``attempt`` went, unless a later attempt has been claimed since."""
    await session.execute(
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
    )
