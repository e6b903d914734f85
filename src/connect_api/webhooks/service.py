"""Webhooks: registration, and delivery of published events (Standard Webhooks).

Deliveries are created when events are published (events.repository.publish), so only
committed events are ever sent. Each attempt is claimed in one short transaction (with a
lease), sent with no transaction open, and its result stored in another as soon as it is known;
a process that dies mid-attempt leaves the delivery to be retried when the lease ends.
Receivers dedupe on the `webhook-id` header, which is the same for every attempt of one event.

Attempts run concurrently, each on its own (:class:`Dispatcher`), at most so many at once and
so many to one endpoint: an endpoint that answers slowly holds up only its own deliveries.
Failures are retried on the schedule of the settings (by default the Standard Webhooks one),
later when the endpoint asks for it with `Retry-After`. An endpoint that answers 410, or whose
every delivery has failed for days, is disabled, with a `webhook.disabled` event.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook as Signer

from connect_api.core.models import DeliveryStatus, Webhook, WebhookDelivery
from connect_api.events import repository as events
from connect_api.kit.context import AppContext
from connect_api.kit.errors import NotFound
from connect_api.kit.overload import Outage, unavailable
from connect_api.webhooks import repository as webhooks
from connect_api.webhooks import targets
from connect_api.webhooks.repository import Claimed
from connect_api.webhooks.schemas import WebhookCreate, WebhookUpdate

LEASE = timedelta(minutes=2)  # at least; see lease()
log = logging.getLogger("connect_api.webhooks")
BATCH = 50
# Answers whose `Retry-After` says when to come back.
RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})
DISABLED_EVENT = "webhook.disabled"
BODY_READ = 16_384  # bytes of an answer's body read at most
_jitter = random.SystemRandom()


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


async def get(session: AsyncSession, ctx: AppContext, webhook_id: int) -> Webhook:
    hook = await webhooks.get(session, webhook_id)
    if hook is None:
        raise NotFound("No such webhook.")
    return hook


async def update(
    session: AsyncSession, ctx: AppContext, webhook_id: int, body: WebhookUpdate
) -> Webhook:
    """Change a webhook: its description, its event types, and whether it is enabled. Enabling
    it clears its failure record; disabling it gives up its pending deliveries."""
    hook = await webhooks.get(session, webhook_id, for_update=True)
    if hook is None:
        raise NotFound("No such webhook.")
    fields = body.model_fields_set
    if "description" in fields:
        hook.description = body.description
    if "event_types" in fields:
        hook.event_types = list(dict.fromkeys(body.event_types)) if body.event_types else None
    if "enabled" in fields and body.enabled is not None:
        if body.enabled and hook.disabled_at is not None:
            await webhooks.set_enabled(session, webhook_id)
        elif not body.enabled and hook.disabled_at is None:
            await webhooks.set_disabled(session, webhook_id, reason="manual", now=ctx.clock.now())
    await session.flush()
    await session.refresh(hook)
    return hook


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


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: the status code if there was an answer, an error unless it was
    2xx, and how long the endpoint asked us to wait (`Retry-After`), if it did."""

    status_code: int | None
    error: str | None
    retry_after: float | None = None


def _failure(exc: Exception) -> str:
    """What is recorded of a failed attempt: its kind only. The socket's own message would make
    the delivery log a probe of the network (which ports answer, which names resolve)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return "could not connect"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timed out"
    return "request failed"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A `Retry-After` value (delay-seconds or an HTTP-date) as seconds from ``now``."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def _attempt(
    client: httpx.AsyncClient,
    claim: Claimed,
    *,
    allow_private: bool = False,
    deadline: float = 10,
    now: datetime | None = None,
) -> Outcome:
    """POST one delivery. Signed at the real time of sending. The host is resolved and checked
    first, and the request goes to the address checked. The whole attempt (resolving,
    connecting, sending, the answer) has ``deadline`` seconds; of the answer's body no more than
    a few kilobytes are read, and none of it kept."""
    try:
        async with asyncio.timeout(deadline):
            try:
                target = await targets.resolve(claim.url, allow_private=allow_private)
            except targets.TargetRefused:
                return Outcome(None, "address not allowed")
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
            async with client.stream(
                "POST",
                target.url,
                content=body,
                headers={**headers, **target.headers},
                extensions=target.extensions,
            ) as response:
                code = response.status_code
                wait = None
                if code in RETRY_AFTER_STATUSES:
                    wait = retry_after_seconds(
                        response.headers.get("retry-after"), now or datetime.now(UTC)
                    )
                # A short body is read (and dropped) so the connection can be reused; past
                # that the connection is closed instead.
                seen = 0
                async for chunk in response.aiter_raw():
                    seen += len(chunk)
                    if seen > BODY_READ:
                        break
    except (httpx.HTTPError, TimeoutError) as exc:
        return Outcome(None, _failure(exc))
    if 200 <= code < 300:
        return Outcome(code, None)
    return Outcome(code, f"HTTP {code}", wait)


def lease(ctx: AppContext) -> timedelta:
    """How long a claimed attempt is left to its claimant: longer than any attempt can take."""
    return max(LEASE, timedelta(seconds=ctx.settings.webhook_timeout_seconds + 60))


def next_delay(ctx: AppContext, attempt: int, retry_after: float | None) -> timedelta | None:
    """How long after failed attempt ``attempt`` (1-based) to try again; ``None``: give up.
    The schedule's delay, spread by the jitter, and no earlier than the endpoint asked."""
    s = ctx.settings
    if attempt >= len(s.webhook_retry_schedule):
        return None
    delay = s.webhook_retry_schedule[attempt]
    if s.webhook_retry_jitter:
        delay *= _jitter.uniform(1 - s.webhook_retry_jitter, 1 + s.webhook_retry_jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, s.webhook_retry_after_max_seconds))
    return timedelta(seconds=delay)


async def _disable(session: AsyncSession, webhook_id: int, reason: str, now: datetime) -> bool:
    """Disable a webhook and record it as an event (for admins: no member's feed has it)."""
    if not await webhooks.set_disabled(session, webhook_id, reason=reason, now=now):
        return False
    await events.record(
        session,
        DISABLED_EVENT,
        audience=(),
        data={"webhook_id": webhook_id, "reason": reason},
        now=now,
    )
    return True


async def settle(ctx: AppContext, claim: Claimed, outcome: Outcome) -> None:
    """Store how an attempt went, and what it means for its endpoint."""

    async def store(session: AsyncSession) -> tuple[str, str | None] | None:
        now = ctx.clock.now()
        gone = outcome.status_code == 410
        delay = None if gone else next_delay(ctx, claim.attempt, outcome.retry_after)
        if outcome.error is None:
            status, due, result = DeliveryStatus.delivered, now, "delivered"
        elif delay is not None:
            status, due, result = DeliveryStatus.pending, now + delay, "retrying"
        else:
            status, due, result = DeliveryStatus.failed, now, "given_up"
        stored = await webhooks.record_attempt(
            session,
            claim.delivery_id,
            claim.attempt,
            status=status,
            next_attempt_at=due,
            status_code=outcome.status_code,
            error=outcome.error,
            now=now,
        )
        if not stored:
            return None
        reason = None
        if outcome.error is None:
            await webhooks.note_success(session, claim.webhook_id)
        elif gone:
            reason = "gone"
        else:
            since = await webhooks.note_failure(session, claim.webhook_id, now)
            limit = timedelta(days=ctx.settings.webhook_disable_after_days)
            if since is not None and now - since >= limit:
                reason = "failing"
        if reason is not None and not await _disable(session, claim.webhook_id, reason, now):
            reason = None
        return result, reason

    stored = await ctx.db.run(store)
    if stored is not None and ctx.metrics is not None:
        result, reason = stored
        ctx.metrics.webhooks.attempts.labels(result).inc()
        if reason is not None:
            ctx.metrics.webhooks.disabled.labels(reason).inc()


class Dispatcher:
    """Delivery attempts of one process, each its own task: claimed while there is room (in
    all, and for its endpoint), settled as soon as it is done, whatever the others do."""

    def __init__(self, ctx: AppContext, client: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.client = client
        self.tasks: set[asyncio.Task[None]] = set()
        self.per_endpoint: dict[int, int] = {}
        self.freed = asyncio.Event()

    @property
    def room(self) -> int:
        return self.ctx.settings.webhook_concurrency - len(self.tasks)

    async def claim(self, limit: int) -> list[Claimed]:
        ctx = self.ctx
        await ctx.db.run(lambda session: events.publish(session, ctx.clock.now()))
        now = ctx.clock.now()
        return await ctx.db.run(
            webhooks.claim_due,
            now,
            now + lease(ctx),
            limit,
            in_flight=self.per_endpoint,
            per_endpoint=ctx.settings.webhook_endpoint_concurrency,
        )

    def start(self, claim: Claimed) -> None:
        self.per_endpoint[claim.webhook_id] = self.per_endpoint.get(claim.webhook_id, 0) + 1
        task = asyncio.create_task(self._deliver(claim))
        self.tasks.add(task)
        if self.ctx.metrics is not None:
            self.ctx.metrics.webhooks.in_flight.inc()

        def done(task: asyncio.Task[None]) -> None:
            self.tasks.discard(task)
            left = self.per_endpoint.pop(claim.webhook_id) - 1
            if left:
                self.per_endpoint[claim.webhook_id] = left
            if self.ctx.metrics is not None:
                self.ctx.metrics.webhooks.in_flight.dec()
            self.freed.set()

        task.add_done_callback(done)

    async def _deliver(self, claim: Claimed) -> None:
        s = self.ctx.settings
        try:
            outcome = await _attempt(
                self.client,
                claim,
                allow_private=s.webhook_allow_private_targets,
                deadline=s.webhook_timeout_seconds,
                now=self.ctx.clock.now(),
            )
            await settle(self.ctx, claim, outcome)
        except Exception as exc:
            # Left as claimed: retried when its lease ends.
            if unavailable(exc) is not None:  # a restart, a failover: said, not a bug
                log.warning(
                    "webhook delivery %d: its outcome was not stored (%s); it is tried again "
                    "when its lease ends",
                    claim.delivery_id,
                    type(exc).__name__,
                )
            else:
                log.exception("webhook delivery %d: storing its outcome failed", claim.delivery_id)

    async def wait(self) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks))

    async def close(self, grace: float) -> None:
        """Let the attempts in flight finish for up to ``grace`` seconds, then cancel the rest
        (their leases end and they are retried)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks))


def make_client(ctx: AppContext) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(ctx.settings.webhook_timeout_seconds),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=ctx.settings.webhook_concurrency),
    )


async def dispatch_once(ctx: AppContext, client: httpx.AsyncClient) -> int:
    """Publish what is committed, then make one attempt at the deliveries due (up to a batch,
    and the per-endpoint limit); how many. Returns when every attempt is settled."""
    dispatcher = Dispatcher(ctx, client)
    claimed = await dispatcher.claim(BATCH)
    for claim in claimed:
        dispatcher.start(claim)
    await dispatcher.wait()
    return len(claimed)


async def run_dispatcher(ctx: AppContext, stop: asyncio.Event | None = None) -> None:
    """The background loop of `serve` and `worker`: claim what is due while there is room,
    sleep when there is nothing; on ``stop``, finish what is in flight (briefly) and return."""
    stop = stop or asyncio.Event()
    interval = ctx.settings.webhook_dispatch_seconds
    outage = Outage("webhook dispatch", log)
    async with make_client(ctx) as client:
        dispatcher = Dispatcher(ctx, client)
        try:
            while not stop.is_set():
                limit = min(dispatcher.room, BATCH)
                claimed: list[Claimed] = []
                pause = 0.0
                if limit > 0:
                    try:
                        claimed = await dispatcher.claim(limit)
                        outage.ok()
                    except Exception as exc:
                        pause = outage.failed(exc)
                for claim in claimed:
                    dispatcher.start(claim)
                if limit > 0 and len(claimed) == limit:
                    continue  # there may be more due right now
                # Nothing more to take now: wait for the next look, a slot if none was free,
                # or the stop.
                dispatcher.freed.clear()
                waits = [asyncio.ensure_future(stop.wait())]
                if limit == 0:
                    waits.append(asyncio.ensure_future(dispatcher.freed.wait()))
                try:
                    await asyncio.wait(
                        waits, timeout=max(interval, pause), return_when="FIRST_COMPLETED"
                    )
                finally:
                    for w in waits:
                        w.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await w
        finally:
            await dispatcher.close(ctx.settings.webhook_timeout_seconds)
