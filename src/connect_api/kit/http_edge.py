"""Pure ASGI layers in front of the application: what is refused before any work is done."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connect_api.kit import replicas as read_after
from connect_api.kit.errors import UriTooLong, problem_response
from connect_api.kit.logs import accept_request_id, request_id
from connect_api.kit.overload import unavailable
from connect_api.kit.replicas import Replicas

log = logging.getLogger("connect_api")


class RequestIds:
    """Outermost: give every request an id, the client's ``X-Request-ID`` when it is
    acceptable (see :func:`~connect_api.kit.logs.accept_request_id`) or a new one. It is echoed in
    ``X-Request-ID`` on every response, put in every problem document (``request_id``) and in
    every log line written while the request is served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = accept_request_id(given)
        scope.setdefault("state", {})["request_id"] = rid
        echoed = (b"x-request-id", rid.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                message["headers"] = [*headers, echoed]
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def url_length(raw_path: bytes, query: bytes) -> int:
    """The request target's length as the request line carries it: path, ``?`` and query."""
    return len(raw_path) + (1 + len(query) if query else 0)


class UrlLimit:
    """Refuse a request target (path and query) longer than ``max_bytes`` with 414
    ``uri_too_long``. The HTTP protocol (:mod:`connect_api.kit.http_server`) refuses the same while
    reading the request line; this check holds the same limit behind any other server."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode("utf-8")
            if url_length(raw, scope.get("query_string", b"")) > self.max_bytes:
                response = problem_response(
                    UriTooLong.status,
                    UriTooLong.code,
                    f"The request target is longer than {self.max_bytes} bytes.",
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class PayloadTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit. The app's error handler
    renders it (as ``payload_too_large``), or :class:`BodyLimit` does if it gets out."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None


class BodyLimit:
    """Refuse a body over ``max_bytes``: at once on ``Content-Length`` (nothing is read), or as
    it streams in (chunked), when the count passes the limit. The answer is 413 problem+json
    with ``Connection: close``, so the rest of the body is never waited for."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if received > self.max_bytes:  # the app answered the refusal: end here
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except PayloadTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            f"The request body is larger than {self.max_bytes} bytes.",
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class ClientStalled(Exception):
    """The client stopped reading: one write of the response waited longer than allowed."""


class _SendFailed(Exception):
    """The server's ``send`` raised (its client is gone): not ours to answer."""


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    if isinstance(exc, kind):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find(inner, kind)
            if found is not None:
                return found
    return None


class ServerErrors:
    """Every failure the routes did not turn into a refusal ends here, answered once:

    * capacity (no free pooled connection in time) is 503 ``service_unavailable``, and a
      database out of reach 503 ``database_unavailable``, both with ``Retry-After``, logged as
      one warning line;
    * anything else is 500 ``internal_error``, its traceback logged once;
    * a client that stopped reading (see ``send_timeout``) is let go, its response abandoned.

    The exception is not re-raised: the server never sees it, so it neither logs it again nor
    resets the kept-alive connection. Each write of a response may wait at most
    ``send_timeout`` seconds for the client (a stalled export download would otherwise hold a
    pooled connection for as long as the client likes)."""

    def __init__(self, app: ASGIApp, send_timeout: float) -> None:
        self.app = app
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            try:
                # A timer, not wait_for: wait_for wraps every send in a task of its own, two
                # tasks per request, on every request.
                async with asyncio.timeout(self.send_timeout):
                    await send(message)
            except TimeoutError:
                raise ClientStalled from None
            except Exception as exc:
                raise _SendFailed() from exc

        try:
            await self.app(scope, receive, guarded_send)
        except Exception as exc:
            failed = _find(exc, _SendFailed)
            if failed is not None and failed.__cause__ is not None:
                raise failed.__cause__ from None  # the server's own failure, for it to handle
            where = f"{scope.get('method')} {scope.get('path')}"
            if _find(exc, ClientStalled) is not None:
                log.warning(
                    "client stopped reading for %ss; response to %s abandoned",
                    self.send_timeout,
                    where,
                )
                return
            failure = unavailable(exc)
            if failure is not None:
                log.warning("%s on %s: %s", failure.code, where, type(exc).__name__)
            else:
                log.exception("unhandled error on %s", where)
            if started:
                return  # too late for a problem document; the server closes the connection
            if failure is not None:
                response = problem_response(
                    503,
                    failure.code,
                    failure.detail,
                    instance=scope.get("path"),
                    headers={"Retry-After": str(failure.retry_after)},
                )
            else:
                response = problem_response(
                    500,
                    "internal_error",
                    "Something went wrong on our side. It has been logged.",
                    instance=scope.get("path"),
                )
            await response(scope, receive, send)


_READ_AFTER = read_after.HEADER.lower().encode("ascii")


def _replicas(scope: Scope) -> Replicas | None:
    ctx = getattr(getattr(scope.get("app"), "state", None), "ctx", None)
    replicas: Replicas | None = getattr(getattr(ctx, "db", None), "replicas", None)
    return replicas


class ReadYourWrites:
    """With read replicas: each request's read position (:mod:`connect_api.kit.replicas`). What
    the client must see comes from the ``Connect-Read-After`` header, else the cookie of that
    name (a value that is not an LSN is ignored: the reads then go by this process's own
    memory of the member's writes; one past the primary's position is cut down to it, see
    :meth:`~connect_api.kit.replicas.Replicas.bounded`). A request that committed gets the
    primary's position after its commit back in both, for the client to send with its next
    requests."""

    def __init__(self, app: ASGIApp, cookie_seconds: int) -> None:
        self.app = app
        self.cookie_seconds = cookie_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        required = 0
        header = cookie = None
        for name, value in scope["headers"]:
            if name == _READ_AFTER:
                header = value.decode("latin-1")
            elif name == b"cookie":
                cookie = cookie_parser(value.decode("latin-1")).get(read_after.COOKIE, cookie)
        for given in (header, cookie):
            if given is not None and (lsn := read_after.parse_lsn(given)) is not None:
                required = lsn
                break
        replicas = _replicas(scope)
        if required and replicas is not None:
            # Never past the primary: a made-up position would keep every read on it.
            required = await replicas.bounded(required, arrived)
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        with read_after.request_scope(required, arrived) as state:

            async def send_position(message: Message) -> None:
                if message["type"] == "http.response.start" and state.committed:
                    # Never behind what the client sent (it keeps the greatest it was given),
                    # never past the primary's position.
                    lsn = read_after.format_lsn(
                        replicas.handed_back(state)
                        if replicas is not None
                        else max(state.committed, state.required)
                    )
                    cookie = (
                        f"{read_after.COOKIE}={lsn}; Max-Age={self.cookie_seconds}; "
                        f"Path=/; HttpOnly; SameSite=Lax{secure}"
                    )
                    message["headers"] = [
                        *message.get("headers", []),
                        (_READ_AFTER, lsn.encode("ascii")),
                        (b"set-cookie", cookie.encode("ascii")),
                    ]
                await send(message)

            await self.app(scope, receive, send_position)
