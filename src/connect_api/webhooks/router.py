"""HTTP for webhooks (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from connect_api.kit.auth import InsufficientScope
from connect_api.kit.deps import AdminPrincipal, AsciiDigits, Ctx
from connect_api.kit.errors import NotFound, responses
from connect_api.kit.pagination import (
    CursorParam,
    InvalidCursor,
    Limit,
    Page,
)
from connect_api.webhooks import service
from connect_api.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)
from connect_api.webhooks.targets import WebhookUrlNotAllowed

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

WebhookId = Annotated[int, Path(gt=0, le=2**63 - 1, description="The webhook's id."), AsciiDigits]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook (admin)",
    description=(
        "Every event (or only `event_types`) is POSTed to `url` as JSON "
        "`{type, timestamp, data}`, signed per the Standard Webhooks spec "
        "(`webhook-id`, `webhook-timestamp`, `webhook-signature` headers) with the `secret` "
        "returned here, once. Only committed changes are delivered. A delivery is retried "
        "on the Standard Webhooks schedule (at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, "
        "10 h, 14 h, 20 h and 24 h, each ±10 %) until the endpoint answers 2xx; a 429, 502, "
        "503 or 504 with `Retry-After` is retried no sooner than it asks. Every attempt of one "
        "event carries the same `webhook-id`. An endpoint that answers 410 Gone, or whose "
        "every delivery has failed for 5 days, is disabled (a `webhook.disabled` event)."
    ),
    response_model=WebhookCreated,
    responses=responses(InsufficientScope, WebhookUrlNotAllowed),
)
async def create_webhook(
    body: WebhookCreate, ctx: Ctx, principal: AdminPrincipal, response: Response
) -> WebhookCreated:
    hook = await ctx.db.run(service.create, ctx, body)
    response.headers["Location"] = f"/v1/webhooks/{hook.id}"
    return WebhookCreated.model_validate(hook)


@router.get(
    "",
    summary="List webhooks (admin)",
    description="Every registered webhook, oldest first, with its status (a disabled one says "
    "why and since when). Secrets are never shown again after creation.",
    response_model=Page[WebhookRead],
    responses=responses(InsufficientScope, InvalidCursor),
)
async def list_webhooks(
    ctx: Ctx, principal: AdminPrincipal, limit: Limit = 20, cursor: CursorParam = None
) -> Page[WebhookRead]:
    after = ctx.cursors.decode(cursor, "wh", int)[0] if cursor else 0
    rows, more = await ctx.db.read(service.list_after, ctx, after, limit)
    return Page[WebhookRead](
        items=[WebhookRead.model_validate(w) for w in rows],
        next_cursor=ctx.cursors.encode("wh", rows[-1].id) if more else None,
    )


@router.get(
    "/{webhook_id}",
    summary="One webhook (admin)",
    description="With its state: `enabled`, or `disabled` and why.",
    response_model=WebhookRead,
    responses=responses(InsufficientScope, NotFound),
)
async def get_webhook(webhook_id: WebhookId, ctx: Ctx, principal: AdminPrincipal) -> WebhookRead:
    return WebhookRead.model_validate(await ctx.db.read(service.get, ctx, webhook_id))


@router.patch(
    "/{webhook_id}",
    summary="Change a webhook, enable or disable it (admin)",
    description=(
        "`enabled: true` enables a disabled webhook again: events from then on are delivered "
        "(those of the time it was disabled are not queued for it; read them from "
        "`GET /v1/events?all=true`). `enabled: false` disables it and gives up its pending "
        "deliveries. `event_types` and `description` can be changed too."
    ),
    response_model=WebhookRead,
    responses=responses(InsufficientScope, NotFound),
)
async def update_webhook(
    webhook_id: WebhookId, body: WebhookUpdate, ctx: Ctx, principal: AdminPrincipal
) -> WebhookRead:
    return WebhookRead.model_validate(await ctx.db.run(service.update, ctx, webhook_id, body))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook (admin)",
    description="Stops deliveries to it at once, pending retries included.",
    responses=responses(InsufficientScope, NotFound),
)
async def delete_webhook(webhook_id: WebhookId, ctx: Ctx, principal: AdminPrincipal) -> Response:
    await ctx.db.run(service.delete, ctx, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    summary="A webhook's deliveries (admin)",
    description="Newest first: status, attempts, the last answer and when the next try is due.",
    response_model=Page[DeliveryRead],
    responses=responses(InsufficientScope, NotFound, InvalidCursor),
)
async def list_deliveries(
    webhook_id: WebhookId,
    ctx: Ctx,
    principal: AdminPrincipal,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[DeliveryRead]:
    before = ctx.cursors.decode(cursor, "wd", int)[0] if cursor else None
    rows, more = await ctx.db.read(service.deliveries, ctx, webhook_id, before, limit)
    items = [DeliveryRead.model_validate(d) for d in rows]
    for item in items:
        if item.status != "pending":
            item.next_attempt_at = None
    return Page[DeliveryRead](
        items=items, next_cursor=ctx.cursors.encode("wd", rows[-1].id) if more else None
    )
