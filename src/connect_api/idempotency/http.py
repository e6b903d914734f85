"""The HTTP side of idempotent POSTs: the header, and answering from an ``Outcome``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.idempotency import service
from connect_api.idempotency.service import IdempotencyKeyInUse, IdempotencyKeyReused, Outcome
from connect_api.kit.auth import Principal
from connect_api.kit.context import AppContext
from connect_api.kit.database import Work

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a retry safe: a retry with the same key and body replays the first "
        "response (with `Idempotent-Replayed: true`); the same key with another body is `422`; "
        "a retry while the first is still running is `409`. Keys are per caller and kept 24 h.",
        examples=["9b1c2f6e-4a55-4c1e-9d63-0c2d1f7a8e10"],
    ),
]

IDEMPOTENCY_ERRORS = (IdempotencyKeyInUse, IdempotencyKeyReused)

REPLAY_HEADER_DOC: dict[str, Any] = {
    service.REPLAYED_HEADER: {
        "description": "`true` when this is the stored response of an earlier request with "
        "the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


async def respond(
    ctx: AppContext,
    request: Request,
    principal: Principal,
    key: str | None,
    operation: Callable[[AsyncSession], Awaitable[Outcome]] | Callable[[Work], Awaitable[Outcome]],
    *,
    plain: bool = False,
) -> JSONResponse:
    """Run ``operation`` in one transaction, honouring ``Idempotency-Key``, and answer. With
    ``plain``, a plain asyncpg transaction (:meth:`~connect_api.kit.database.Database.write`):
    for the hot writes, whose statements (and the key's) all go through ``driver``."""
    request_fingerprint = service.fingerprint(
        request.method, request.url.path, await request.body()
    )
    outcome = await (ctx.db.write if plain else ctx.db.run)(
        service.run,
        ctx,
        member_id=principal.member_id,
        key=key,
        request_fingerprint=request_fingerprint,
        operation=operation,
    )
    headers = dict(outcome.headers)
    if outcome.replayed:
        headers[service.REPLAYED_HEADER] = "true"
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)
