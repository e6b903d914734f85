from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StrictBool,
    UrlConstraints,
)

from connect_api.core.models import DeliveryStatus
from connect_api.events.schemas import EventType
from connect_api.kit.text_input import no_nul


class DisabledReason(enum.StrEnum):
    """Why a webhook is disabled."""

    gone = "gone"
    failing = "failing"
    manual = "manual"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/connect",
                    "event_types": ["invitation.accepted", "connection.removed"],
                    "description": "notifications service",
                }
            ]
        },
    )

    # Below the column's 2,048: normalising a URL can lengthen it a little.
    url: Annotated[HttpUrl, UrlConstraints(max_length=2000)] = Field(
        description="Where deliveries are POSTed (http or https)."
    )
    event_types: list[EventType] | None = Field(
        None,
        min_length=1,
        description="Only these event types; omit for every type.",
    )
    description: Annotated[str, AfterValidator(no_nul)] | None = Field(None, max_length=200)


class WebhookUpdate(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": True}, {"description": "paused for a move"}]},
    )

    enabled: StrictBool | None = Field(
        None,
        description="`true` enables a disabled webhook again (its failure record cleared); "
        "`false` disables it (`disabled_reason: manual`), giving up its pending deliveries.",
    )
    event_types: list[EventType] | None = Field(
        None, min_length=1, description="Only these event types; `null` for every type."
    )
    description: Annotated[str, AfterValidator(no_nul)] | None = Field(None, max_length=200)


class WebhookRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "url": "https://hooks.example.com/connect",
                    "event_types": None,
                    "description": "notifications service",
                    "created_at": "2026-11-25T10:00:00Z",
                    "status": "disabled",
                    "disabled_reason": "gone",
                    "disabled_at": "2026-11-30T08:12:00Z",
                    "failing_since": "2026-11-30T08:12:00Z",
                }
            ]
        },
    )

    id: int
    url: str
    event_types: list[EventType] | None
    description: str | None
    created_at: datetime
    status: Literal["enabled", "disabled"] = Field(
        description="`disabled`: nothing is delivered to it, nor queued for it, until it is "
        "enabled again (`PATCH` with `enabled: true`)."
    )
    disabled_reason: DisabledReason | None = Field(
        description="Why it is disabled: `gone` (it answered 410 Gone), `failing` (every "
        "delivery failed for `CONNECT_API_WEBHOOK_DISABLE_AFTER_DAYS`) or `manual`."
    )
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Since when every attempt has failed; `null` after a success."
    )


class WebhookCreated(WebhookRead):
    """A new webhook, with its signing secret: shown this once, keep it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "url": "https://hooks.example.com/connect",
                    "event_types": ["invitation.accepted", "connection.removed"],
                    "description": "notifications service",
                    "created_at": "2026-11-25T10:00:00Z",
                    "status": "enabled",
                    "disabled_reason": None,
                    "disabled_at": None,
                    "failing_since": None,
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                }
            ]
        }
    )

    secret: str = Field(
        description="Standard Webhooks signing secret (`whsec_…`): verify each delivery's "
        "`webhook-signature` with it."
    )


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due.")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
