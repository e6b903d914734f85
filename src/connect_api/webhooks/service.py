"""Webhooks: registration, and delivery of published events (Standard Webhooks).

Deliveries are created when events are published (events.repository.publish), so only
committed events are ever sent. Each attempt is claimed in one short transaction (with a
lease), sent with no transaction open, and its result stored in another; a process that dies
mid-attempt leaves the delivery to be retried when the lease ends. Receivers dedupe on the
`webhook-id` header, which is the same for every attempt of one event.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook as Signer

from connect_api.context import AppContext
from connect_api.errors import NotFound
from connect_api.events import repository as events
from connect_api.models import DeliveryStatus, Webhook, WebhookDelivery
from connect_api.webhooks import repository as webhooks
from connect_api.webhooks import targets
from connect_api.webhooks.repository import Claimed
from connect_api.webhooks.schemas import WebhookCreate

# Wait after the n-th failed attempt (the last value repeats).
BACKOFF = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
LEASE = timedelta(minutes=2)
log = logging.getLogger("connect_api.webhooks")
BATCH = 50


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create(session: AsyncSession, ctx: AppContext, body: WebhookCreate) -> Webhook:
    targets.check_registration(body.url, allow_private=ctx.settings.webhook_allow_private_targets)
    return await webhooks.create(
        session,
        url=str(body.url),
        secret=new_secret(),
        event_types=list(dict.fromkeys(body.event_types)) if body.event_types else None,
        description=body.description,
        now=ctx.clock.now(),
    )


async def list_after(
    session: AsyncSession, ctx: AppContext, after: int, limit: int
) -> tuple[list[Webhook], bool]:
    rows = await webhooks.list_after(session, after, limit + 1)
    return rows[:limit], len(rows) > limit


async def delete(session: AsyncSession, ctx: AppContext, webhook_id: int) -> None:
    if not await webhooks.delete_one(session, webhook_id):
        raise NotFound("No such webhook.")


async def deliveries(
    session: AsyncSession,
    ctx: AppContext,
    webhook_id: int,
    before: int | None,
    limit: int,
) -> tuple[list[WebhookDelivery], bool]:
    if await webhooks.get(session, webhook_id) is None:
        raise NotFound("No such webhook.")
    rows = await webhooks.deliveries(session, webhook_id, before, limit + 1)
    return rows[:limit], len(rows) > limit


def payload(claim: Claimed) -> str:
    return json.dumps(
        {
            "type": claim.event_type,
            "timestamp": claim.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": {"event_id": claim.event_id, **claim.data},
        },
        separators=(",", ":"),
    )


def _failure(exc: httpx.HTTPError) -> str:
    """What is recorded of a failed attempt: its kind only. The socket's own message would make
    the delivery log a probe of the network (which ports answer, which names resolve)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return "could not connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return "request failed"


async def _attempt(
    client: httpx.AsyncClient, claim: Claimed, *, allow_private: bool = False
) -> tuple[int | None, str | None]:
    """POST one delivery; (status code, error). Signed at the real time of sending. The host is
    resolved and checked first, and the request goes to the address checked."""
    try:
        target = await targets.resolve(claim.url, allow_private=allow_private)
    except targets.TargetRefused:
        return None, "address not allowed"
    body = payload(claim)
    message_id = f"evt_{claim.event_id}"
    sent_at = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": "connect-api-webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Signer(claim.secret).sign(message_id, sent_at, body),
    }
    try:
        response = await client.post(
            target.url,
            content=body,
            headers={**headers, **target.headers},
            extensions=target.extensions,
        )
    except httpx.HTTPError as exc:
        return None, _failure(exc)
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def dispatch_once(ctx: AppContext, client: httpx.AsyncClient) -> int:
    """Publish what is committed, then make one attempt at every delivery due; how many."""
    await ctx.db.run(lambda session: events.publish(session, ctx.clock.now()))
    now = ctx.clock.now()
    claimed = await ctx.db.run(webhooks.claim_due, now, now + LEASE, BATCH)
    if not claimed:
        return 0
    allow = ctx.settings.webhook_allow_private_targets
    results = await asyncio.gather(*(_attempt(client, c, allow_private=allow) for c in claimed))

    async def record(session: AsyncSession) -> None:
        done_at = ctx.clock.now()
        for claim, (code, error) in zip(claimed, results, strict=True):
            if error is None:
                status, due = DeliveryStatus.delivered, done_at
            elif claim.attempt >= ctx.settings.webhook_max_attempts:
                status, due = DeliveryStatus.failed, done_at
            else:
                status = DeliveryStatus.pending
                due = done_at + BACKOFF[min(claim.attempt, len(BACKOFF)) - 1]
            await webhooks.record_attempt(
                session,
                claim.delivery_id,
                claim.attempt,
                status=status,
                next_attempt_at=due,
                status_code=code,
                error=error,
                now=done_at,
            )

    await ctx.db.run(record)
    return len(claimed)


async def run_dispatcher(ctx: AppContext) -> None:
    """The background loop of `serve`: deliver as events come, sleep when idle."""
    timeout = httpx.Timeout(ctx.settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        while True:
            try:
                busy = await dispatch_once(ctx, client) > 0
            except Exception:
                log.exception("webhook dispatch failed; will retry")
                busy = False
            if not busy:
                await asyncio.sleep(ctx.settings.webhook_dispatch_seconds)
