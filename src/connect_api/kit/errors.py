"""Domain errors and the one place that renders every error as RFC 9457 problem+json."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from connect_api.kit.logs import request_id as current_request_id
from connect_api.kit.problem_codes import ProblemCode, described

log = logging.getLogger("connect_api")

PROBLEM_JSON = "application/problem+json"
# Problem types are relative URIs naming the code; they identify, and need not resolve.
TYPE_BASE = "/problems/"


class DomainError(Exception):
    """A refusal with a stable machine ``code``; the status says what kind of refusal it is."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra


class BadRequest(DomainError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    """No such resource, or not visible to you."""

    status, code, title = 404, "not_found", "Not found"

    def __init__(self, detail: str = "No such resource, or not visible to you.", **kw: Any):
        super().__init__(detail, **kw)


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(DomainError):
    status, code, title = 422, "validation_error", "Invalid request"


class Throttled(DomainError):
    status, code, title = 429, "throttled", "Too many requests"


class BodyTooLarge(DomainError):
    """The request body is larger than the service accepts."""

    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(DomainError):
    """The body is not sent as `application/json` (or another `+json` type)."""

    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class UriTooLong(DomainError):
    """The request target (path and query) is longer than `CONNECT_API_MAX_URL_BYTES`."""

    status, code, title = 414, "uri_too_long", "URI too long"


class HeadersTooLarge(DomainError):
    """The request's headers are larger than `CONNECT_API_MAX_HEADER_BYTES`."""

    status, code, title = 431, "request_header_fields_too_large", "Request headers too large"


class ServiceUnavailable(DomainError):
    """At capacity: no database connection came free in time. Retry after `Retry-After`."""

    status, code, title = 503, "service_unavailable", "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached just now. Retry after `Retry-After`."""

    code = "database_unavailable"


class Problem(BaseModel):
    """An RFC 9457 problem document. Refusals add fields of their own (``until``, ``errors``…)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "cooldown_active",
                    "title": "Conflict",
                    "status": 409,
                    "detail": "You can invite this member again after 2026-12-16T10:00:00Z.",
                    "code": "cooldown_active",
                    "until": "2026-12-16T10:00:00Z",
                    "instance": "/v1/invitations",
                    "request_id": "5f0c6d1e8a2b4c7d9e0f1a2b3c4d5e6f",
                }
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="Short, human-readable summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this case, for a person.")
    code: ProblemCode = Field(
        description="Stable machine-readable code; switch on this. One of:\n\n" + described()
    )
    instance: str | None = Field(None, description="The request path.")
    request_id: str | None = Field(
        None,
        description="The request's id, as in the `X-Request-ID` response header and the "
        "service's log lines: quote it when reporting a problem.",
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class ProblemResponse(JSONResponse):
    """A problem document. Each one sent is counted, by status and ``code``, on the counter
    the app was given (:func:`install_error_handlers`): every refusal, the edge's and the rate
    limiter's included, passes here on its way out."""

    media_type = PROBLEM_JSON

    def __init__(self, body: dict[str, Any], status: int, code: str, **kw: Any) -> None:
        super().__init__(body, status_code=status, media_type=PROBLEM_JSON, **kw)
        self.code = code

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        count_problem(scope.get("app"), self.status_code, self.code)
        await super().__call__(scope, receive, send)


def count_problem(app: Any, status: int, code: str) -> None:
    """Count one problem document sent by ``app`` (nothing if it counts none)."""
    refusals: Counter | None = getattr(getattr(app, "state", None), "refusals", None)
    if refusals is not None:
        refusals.labels(code, str(status)).inc()


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = _jsonable(extra or {}) | {
        "type": TYPE_BASE + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    rid = current_request_id.get()
    if rid is not None:
        body["request_id"] = rid
    return ProblemResponse(body, status, code, headers=headers)


_STATUS_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "throttled",
}


def _allow_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each route's path pattern and methods, read from the app's routes once."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "allow_table", None
    )
    if table is None:
        table = [
            (route.path_regex, frozenset(route.methods))
            for route in iter_route_contexts(app.routes)
            if route.methods and isinstance(route.path_regex, re.Pattern)
        ]
        app.state.allow_table = table
    return table


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at ``path``. Starlette answers a 405 with the methods of
    one route only, where several routes (``GET``, ``PUT``, ``DELETE``) share a path."""
    methods: set[str] = set()
    for pattern, route_methods in _allow_table(app):
        if pattern.match(path):
            methods |= route_methods
    return sorted(methods)


def _body_not_json(request: Request, exc: RequestValidationError) -> bool:
    """The body was refused and it was not sent as JSON: the framework read a body with another
    Content-Type as bytes and refused those; the mistake is the media type (415), not the body.
    (A body without a Content-Type is read as JSON.)"""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if (
        not media
        or media == "application/json"
        or (media.startswith("application/") and media.endswith("+json"))
    ):
        return False
    return any(tuple(err.get("loc", ()))[:1] == ("body",) for err in exc.errors())


def install_error_handlers(app: FastAPI, refusals: Counter | None = None) -> None:
    """Render every error as problem+json; when given a counter (labels ``code``,
    ``status``), count on it every problem document the app sends, wherever it is made."""
    app.state.refusals = refusals

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            title=exc.title,
            instance=request.url.path,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _body_not_json(request, exc):
            return await _domain(
                request, UnsupportedMediaType("Send the body as application/json.")
            )
        errors = [
            {
                "location": [str(p) for p in err.get("loc", ())],
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
            }
            for err in exc.errors()
        ]
        return problem_response(
            422,
            "validation_error",
            "The request is not valid; see `errors`.",
            instance=request.url.path,
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        code = _STATUS_CODES.get(status, "bad_request" if status < 500 else "internal_error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if status == 404:
            detail = "No such resource, or not visible to you."
        if status == 400:
            # The framework's only 400: a body that cannot be read (not UTF-8). Malformed
            # input is a 422 here, always.
            status, code = 422, "validation_error"
            detail = "The request body could not be read as JSON text."
        headers = getattr(exc, "headers", None)
        if status == 405:
            allow = ", ".join(allowed_methods(request.app, request.scope["path"]))
            headers = {**(headers or {}), "Allow": allow}
        return problem_response(status, code, detail, instance=request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal_error",
            "Something went wrong on our side. It has been logged.",
            instance=request.url.path,
        )


class ValidationFailed(Unprocessable):
    """The request is malformed: a field missing, of the wrong type or out of range."""

    code = "validation_error"


_DESCRIPTIONS = {
    400: "The request cannot be carried out as asked.",
    401: "Missing, expired or invalid bearer token.",
    403: "Not allowed for this caller.",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state.",
    410: "Gone: what was asked for is no longer kept.",
    422: "Malformed or invalid input.",
    413: "The request body is too large (`CONNECT_API_MAX_BODY_BYTES`).",
    415: "The body is not sent as JSON (`Content-Type: application/json`).",
    414: "The request target is too long (`CONNECT_API_MAX_URL_BYTES`); the connection is closed.",
    431: "The request headers are too large (`CONNECT_API_MAX_HEADER_BYTES`); the connection "
    "is closed.",
    429: "A limit was reached; retry after `Retry-After` seconds.",
    503: "Overloaded or the database is out of reach; retry after `Retry-After` seconds.",
}


# What a refusal's body says in the document's examples: its detail as the service words it,
# and the fields it adds. A code not listed here shows its class's docstring.
_EXAMPLES: dict[str, dict[str, Any]] = {
    "validation_error": {
        "detail": "The request is not valid; see `errors`.",
        "errors": [
            {
                "location": ["body", "invitee_id"],
                "message": "Field required",
                "type": "missing",
            }
        ],
    },
    "message_too_long": {
        "detail": "The personal message has 312 characters; at most 300 are allowed.",
        "max_length": 300,
    },
    "cooldown_active": {
        "detail": "You can invite this member again after 2026-12-16T10:00:00Z.",
        "until": "2026-12-16T10:00:00Z",
    },
    "member_restricted": {
        "detail": "You can't send invitations for now, because many of your recent invitations "
        "were declined. You can again after 2026-12-08T10:00:00Z.",
        "until": "2026-12-08T10:00:00Z",
    },
    "invitation_pending": {
        "detail": "You already have a pending invitation to this member.",
        "invitation_id": 1001,
    },
    "invitation_not_pending": {
        "detail": "This invitation is accepted; only a pending invitation can be answered.",
        "invitation_status": "accepted",
    },
    "connection_limit_reached": {
        "detail": "This member has reached the limit of 30000 connections.",
        "limit": 30000,
        "member_id": 42,
    },
    "invitation_throttled": {
        "detail": "You have sent 20 invitations in the last hour; the limit is 20. Try again in "
        "12 minutes.",
        "limit": 20,
        "window": "hour",
        "retry_after": 720,
    },
    "too_many_pending_invitations": {
        "detail": "You have 200 invitations waiting for an answer; the limit is 200. Withdraw "
        "some, or wait for answers.",
        "limit": 200,
        "retry_after": 86400,
    },
    "too_many_ids": {
        "detail": "101 member ids were given; at most 100 per look-up.",
        "limit": 100,
    },
    "handle_taken": {"detail": "The handle 'ada' is taken.", "handle": "ada"},
    "group_name_taken": {"detail": "A group named 'Rust' exists.", "name": "Rust"},
    "tag_too_long": {"detail": "A tag is at most 40 characters long.", "max_length": 40},
    "too_many_tags": {"detail": "At most 50 tags on one connection; got 51.", "max_tags": 50},
    "too_many_exports": {
        "detail": "You already have 2 exports downloading; at most 2 run at once. Retry after "
        "`Retry-After` seconds.",
        "limit": 2,
    },
    "rate_limited": {
        "detail": "Too many read requests: at most 300 per 60 seconds. Retry after "
        "`Retry-After` seconds.",
        "limit": 300,
        "window_seconds": 60,
    },
}


# --- the refusals at the door: a bearer token, and the caller's request rate ---------------
# Declared here, with the rest, so that `responses()` lists them without importing the modules
# that raise them (which import this one).


def bearer_challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    """The `WWW-Authenticate` challenge every 401 carries (RFC 6750)."""
    value = 'Bearer realm="connect-api"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return {"WWW-Authenticate": value}


class MissingToken(Unauthorized):
    """A bearer token is required."""

    code = "unauthorized"


class InvalidToken(Unauthorized):
    """The bearer token is expired or not valid, or its member no longer exists."""

    code = "invalid_token"

    def __init__(self, detail: str, **kw: Any) -> None:
        # Every 401 carries the challenge, also when the token's member does not exist.
        kw.setdefault("headers", bearer_challenge("invalid_token"))
        super().__init__(detail, **kw)


def member_gone() -> InvalidToken:
    """What a valid token whose member does not exist (any more) gets, on every route."""
    return InvalidToken("The token's member does not exist.")


class RateLimited(DomainError):
    """The caller's request rate limit for this kind of request. Retry after `Retry-After`."""

    status, code, title = 429, "rate_limited", "Too many requests"


def responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the refusals an operation can give, one example per ``code``.

    Every operation can answer 401 (bad token), 413 (body too large), 414 and 431 (request
    target or headers too large), 415 (a body not sent as JSON), 422 (malformed input), 429
    (the caller's request rate limit) and 503 (overload, database out of reach).
    """
    by_status: dict[int, list[type[DomainError]]] = {}
    everything: tuple[type[DomainError], ...] = (
        MissingToken,
        InvalidToken,
        ValidationFailed,
        *errors,
        BodyTooLarge,
        UnsupportedMediaType,
        UriTooLong,
        HeadersTooLarge,
        RateLimited,
        ServiceUnavailable,
        DatabaseUnavailable,
    )
    for err in everything:
        by_status.setdefault(err.status, [])
        if err not in by_status[err.status]:
            by_status[err.status].append(err)
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(by_status):
        errs = by_status[status]
        codes = ", ".join(f"`{e.code}`" for e in errs)
        out[status] = {
            "model": Problem,
            "description": f"{_DESCRIPTIONS[status]} Codes: {codes}.",
            "content": {
                "application/json": {
                    "examples": {
                        e.code: {
                            "summary": e.title if e.__doc__ is None else e.__doc__.strip(),
                            "value": {
                                "type": TYPE_BASE + e.code,
                                "title": e.title,
                                "status": e.status,
                                "detail": e.__doc__.strip() if e.__doc__ else e.title,
                                "code": e.code,
                                **_EXAMPLES.get(e.code, {}),
                                "request_id": "5f0c6d1e8a2b4c7d9e0f1a2b3c4d5e6f",
                            },
                        }
                        for e in errs
                    }
                }
            },
        }
    return out
