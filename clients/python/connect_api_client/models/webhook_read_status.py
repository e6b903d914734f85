from typing import Literal

WebhookReadStatus = Literal["disabled", "enabled"]

WEBHOOK_READ_STATUS_VALUES: set[WebhookReadStatus] = {
    "disabled",
    "enabled",
}


def check_webhook_read_status(value: str) -> WebhookReadStatus:
    if value in WEBHOOK_READ_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {WEBHOOK_READ_STATUS_VALUES!r}")
