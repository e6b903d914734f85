"""Idempotency-Key for POST (draft-ietf-httpapi-idempotency-key-header).

The key is checked, the operation run and its response stored in one transaction: a retry
either replays a committed response or finds nothing and runs anew, never half of each.
A retry while the first request is still running finds the key's lock taken: 409.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.idempotency import repository
from connect_api.kit.context import AppContext
from connect_api.kit.database import Work
from connect_api.kit.errors import Conflict, Unprocessable

REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("location", "ratelimit", "ratelimit-policy")


class IdempotencyKeyInUse(Conflict):
    """A request with this `Idempotency-Key` is still being processed; retry shortly."""

    code = "idempotency_key_in_use"


class IdempotencyKeyReused(Unprocessable):
    """This `Idempotency-Key` was used with a different request."""

    code = "idempotency_key_reused"


@dataclass
class Outcome:
    """A response as stored and replayed."""

    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def run(
    session: Work,
    ctx: AppContext,
    *,
    member_id: int,
    key: str | None,
    request_fingerprint: str,
    operation: Callable[[Any], Awaitable[Outcome]],
) -> Outcome:
    """Run ``operation`` at most once per (member, key); replay its stored outcome after."""
    if key is None:
        return await operation(session)
    if not await repository.try_lock(session, member_id, key):
        raise IdempotencyKeyInUse(
            "A request with this Idempotency-Key is still being processed. Retry shortly.",
            headers={"Retry-After": "1"},
        )
    now = ctx.clock.now()
    stored = await repository.find(session, member_id, key, now - ctx.settings.idempotency_ttl)
    if stored is not None:
        if stored.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request; "
                "use a new key for a new request."
            )
        return Outcome(stored.status_code, stored.body, dict(stored.headers), replayed=True)
    outcome = await operation(session)
    kept = {k: v for k, v in outcome.headers.items() if k.lower() in KEPT_HEADERS}
    await repository.save(
        session,
        member_id=member_id,
        key=key,
        fingerprint=request_fingerprint,
        status_code=outcome.status_code,
        body=outcome.body,
        headers=kept,
        now=now,
    )
    return outcome


async def purge_expired(session: AsyncSession, ctx: AppContext) -> int:
    return await repository.purge(session, ctx.clock.now() - ctx.settings.idempotency_ttl)
