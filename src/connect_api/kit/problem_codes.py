"""Every machine ``code`` a problem document can carry: one closed list, with its HTTP status and
what it means. The OpenAPI document publishes it as an enum (clients switch on it), the API
guide's error codes table (docs/api.md) is checked against it, and a test checks that every
refusal the code can raise is in it."""

from __future__ import annotations

import enum


class ProblemCode(enum.StrEnum):
    """A problem document's `code`."""

    cannot_invite_self = "cannot_invite_self"
    cannot_follow_self = "cannot_follow_self"
    cannot_block_self = "cannot_block_self"
    mutual_connections_self = "mutual_connections_self"
    bad_request = "bad_request"
    unauthorized = "unauthorized"
    invalid_token = "invalid_token"  # noqa: S105 (a code, not a secret)
    forbidden = "forbidden"
    insufficient_scope = "insufficient_scope"
    member_restricted = "member_restricted"
    invitation_not_allowed = "invitation_not_allowed"
    not_invitee = "not_invitee"
    not_inviter = "not_inviter"
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    not_acceptable = "not_acceptable"
    conflict = "conflict"
    already_connected = "already_connected"
    invitation_pending = "invitation_pending"
    connection_limit_reached = "connection_limit_reached"
    cooldown_active = "cooldown_active"
    invitation_not_pending = "invitation_not_pending"
    handle_taken = "handle_taken"
    group_name_taken = "group_name_taken"
    idempotency_key_in_use = "idempotency_key_in_use"
    payload_too_large = "payload_too_large"
    uri_too_long = "uri_too_long"
    unsupported_media_type = "unsupported_media_type"
    validation_error = "validation_error"
    message_too_long = "message_too_long"
    tag_empty = "tag_empty"
    tag_too_long = "tag_too_long"
    too_many_tags = "too_many_tags"
    too_many_ids = "too_many_ids"
    invalid_cursor = "invalid_cursor"
    cursor_expired = "cursor_expired"
    webhook_url_not_allowed = "webhook_url_not_allowed"
    idempotency_key_reused = "idempotency_key_reused"
    throttled = "throttled"
    invitation_throttled = "invitation_throttled"
    too_many_pending_invitations = "too_many_pending_invitations"
    too_many_exports = "too_many_exports"
    rate_limited = "rate_limited"
    request_header_fields_too_large = "request_header_fields_too_large"
    internal_error = "internal_error"
    service_unavailable = "service_unavailable"
    database_unavailable = "database_unavailable"
    invalid_ticket = "invalid_ticket"
    ticket_not_yours = "ticket_not_yours"
    invalid_last_event_id = "invalid_last_event_id"
    stream_position_expired = "stream_position_expired"
    too_many_streams = "too_many_streams"
    streams_at_capacity = "streams_at_capacity"


# The status each code is answered with, and a line on what it means.
MEANINGS: dict[ProblemCode, tuple[int, str]] = {
    ProblemCode.cannot_invite_self: (400, "The invitee is the caller."),
    ProblemCode.cannot_follow_self: (400, "The member to follow is the caller."),
    ProblemCode.cannot_block_self: (400, "The member to block is the caller."),
    ProblemCode.mutual_connections_self: (
        400,
        "Mutual connections were asked between the caller and themself.",
    ),
    ProblemCode.bad_request: (400, "The request cannot be carried out as asked."),
    ProblemCode.unauthorized: (401, "No bearer token."),
    ProblemCode.invalid_token: (
        401,
        "The token is expired, badly signed, incomplete, for another issuer or audience, or "
        "names a member that does not exist.",
    ),
    ProblemCode.forbidden: (403, "Not allowed for this caller."),
    ProblemCode.insufficient_scope: (403, "The operation needs the `admin` scope."),
    ProblemCode.member_restricted: (
        403,
        "The caller is restricted from sending invitations (`until`).",
    ),
    ProblemCode.invitation_not_allowed: (
        403,
        "This member can't be invited by the caller (an earlier report, or their "
        "`who_may_invite` setting; never says which).",
    ),
    ProblemCode.not_invitee: (403, "Only the invitee may accept or decline."),
    ProblemCode.not_inviter: (403, "Only the inviter may withdraw."),
    ProblemCode.not_found: (404, "No such resource, or the caller may not see it."),
    ProblemCode.method_not_allowed: (405, "The path exists, but not with this method (`Allow`)."),
    ProblemCode.not_acceptable: (406, "No representation the `Accept` header admits."),
    ProblemCode.conflict: (409, "Conflicts with the current state."),
    ProblemCode.already_connected: (409, "The two members are already connected."),
    ProblemCode.invitation_pending: (
        409,
        "The caller already has a pending invitation to this member (`invitation_id`).",
    ),
    ProblemCode.connection_limit_reached: (
        409,
        "The caller or the other member is at the connection cap (`limit`, `member_id`).",
    ),
    ProblemCode.cooldown_active: (
        409,
        "The last invitation to this member was declined or withdrawn too recently (`until`).",
    ),
    ProblemCode.invitation_not_pending: (
        409,
        "Only a pending invitation can be answered or withdrawn (`invitation_status`).",
    ),
    ProblemCode.handle_taken: (409, "The handle is taken (`handle`)."),
    ProblemCode.group_name_taken: (409, "A group with this name exists (`name`)."),
    ProblemCode.idempotency_key_in_use: (
        409,
        "A request with this `Idempotency-Key` is still running.",
    ),
    ProblemCode.payload_too_large: (413, "The body is larger than the service accepts."),
    ProblemCode.uri_too_long: (414, "The request target is longer than the service accepts."),
    ProblemCode.unsupported_media_type: (415, "The body is not sent as JSON."),
    ProblemCode.validation_error: (422, "Malformed or invalid input (`errors`)."),
    ProblemCode.message_too_long: (422, "The personal message is too long (`max_length`)."),
    ProblemCode.tag_empty: (422, "A tag is empty once trimmed."),
    ProblemCode.tag_too_long: (422, "A tag is too long (`max_length`)."),
    ProblemCode.too_many_tags: (422, "Too many distinct tags on one connection (`max_tags`)."),
    ProblemCode.too_many_ids: (422, "Too many member ids in one look-up (`limit`)."),
    ProblemCode.invalid_cursor: (422, "The cursor is not valid for this list."),
    ProblemCode.cursor_expired: (
        422,
        "The list was computed again since the cursor was handed out; start again.",
    ),
    ProblemCode.webhook_url_not_allowed: (
        422,
        "The webhook URL carries credentials or names a non-public address.",
    ),
    ProblemCode.idempotency_key_reused: (
        422,
        "This `Idempotency-Key` was used before with a different request.",
    ),
    ProblemCode.throttled: (429, "Too many requests."),
    ProblemCode.invitation_throttled: (
        429,
        "The hourly or weekly invitation window is full (`limit`, `window`, `retry_after`).",
    ),
    ProblemCode.too_many_pending_invitations: (
        429,
        "The caller has too many pending sent invitations (`limit`, `retry_after`).",
    ),
    ProblemCode.too_many_exports: (429, "Too many export downloads running (`limit`)."),
    ProblemCode.rate_limited: (
        429,
        "The caller's request rate limit for this kind of request (`limit`, `window_seconds`).",
    ),
    ProblemCode.request_header_fields_too_large: (
        431,
        "The request headers are larger than the service accepts.",
    ),
    ProblemCode.internal_error: (500, "An unexpected failure; it has been logged."),
    ProblemCode.service_unavailable: (503, "At capacity, or a statement ran too long."),
    ProblemCode.database_unavailable: (503, "The database cannot be reached just now."),
    ProblemCode.invalid_ticket: (
        401,
        "The stream ticket is unknown, used already or expired: ask for another.",
    ),
    ProblemCode.ticket_not_yours: (
        403,
        "The stream ticket was given to another member than the bearer token's.",
    ),
    ProblemCode.invalid_last_event_id: (
        400,
        "`Last-Event-ID` (or `after`) is not a position of this event feed.",
    ),
    ProblemCode.stream_position_expired: (
        410,
        "The stream would resume from further back than it replays: reload, then open it anew.",
    ),
    ProblemCode.too_many_streams: (
        429,
        "The member already holds the most live streams allowed (`limit`).",
    ),
    ProblemCode.streams_at_capacity: (
        503,
        "This process holds all the live streams it may, or is shutting down: retry after "
        "`Retry-After` (another process may take it).",
    ),
}


def described() -> str:
    """The codes as a Markdown list, for the schema's description."""
    return "\n".join(f"- `{code}` ({status}): {text}" for code, (status, text) in MEANINGS.items())
