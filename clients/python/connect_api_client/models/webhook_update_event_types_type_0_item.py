from typing import Literal

WebhookUpdateEventTypesType0Item = Literal[
    "connection.removed",
    "follow.created",
    "follow.removed",
    "invitation.accepted",
    "invitation.created",
    "invitation.declined",
    "invitation.expired",
    "invitation.withdrawn",
    "member.blocked",
    "member.erased",
    "member.unblocked",
    "webhook.disabled",
]

WEBHOOK_UPDATE_EVENT_TYPES_TYPE_0_ITEM_VALUES: set[WebhookUpdateEventTypesType0Item] = {
    "connection.removed",
    "follow.created",
    "follow.removed",
    "invitation.accepted",
    "invitation.created",
    "invitation.declined",
    "invitation.expired",
    "invitation.withdrawn",
    "member.blocked",
    "member.erased",
    "member.unblocked",
    "webhook.disabled",
}


def check_webhook_update_event_types_type_0_item(value: str) -> WebhookUpdateEventTypesType0Item:
    if value in WEBHOOK_UPDATE_EVENT_TYPES_TYPE_0_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {WEBHOOK_UPDATE_EVENT_TYPES_TYPE_0_ITEM_VALUES!r}"
    )
