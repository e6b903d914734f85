"""The pure-ASGI layer in front of the application: what is refused before any work is done,
and what every answer carries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connect_api.kit import logs
from connect_api.kit import replicas as read_after
from connect_api.kit.errors import UriTooLong, problem_response
from connect_api.kit.logs import accept_request_id, new_request_id, request_id
from connect_api.kit.metrics import NOT_COUNTED
from connect_api.kit.overload import unavailable
from connect_api.kit.replicas import Replicas

if TYPE_CHECKING:
    from connect_api.kit.metrics import Metrics
    from connect_api.kit.ratelimits import RateLimits

log = logging.getLogger("connect_api")


def url_length(raw_path: bytes, query: bytes) -> int:
    """The request target's length as the request line carries it: path, ``?`` and query."""
    return len(raw_path) + (1 + len(query) if query else 0)


class PayloadTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit. The app's error handler
    renders it (as ``payload_too_large``), or :class:`Edge` does if it gets out."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


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


_READ_AFTER = read_after.HEADER.lower().encode("ascii")


def _replicas(scope: Scope) -> Replicas | None:
    ctx = getattr(getattr(scope.get("app"), "state", None), "ctx", None)
    replicas: Replicas | None = getattr(getattr(ctx, "db", None), "replicas", None)
    return replicas


class Edge:
    """What every request meets before the application, in one pure-ASGI layer with one
    wrapper of ``send`` (seven layers each wrapping it cost ~10-15% of a cheap read's CPU). In
    this order:

    1. **Its id**: the client's ``X-Request-ID`` when it is acceptable (see
       :func:`~connect_api.kit.logs.accept_request_id`) or a new one (with traces on, the
       trace id of a trace that starts with the request, see :mod:`connect_api.kit.tracing`),
       echoed in ``X-Request-ID``
       on every response, refusals included, put in every problem document (``request_id``)
       and in every log line written while the request is served.
    2. **The request target's length**: over ``max_url_bytes``, 414 ``uri_too_long``. The HTTP
       protocol (:mod:`connect_api.kit.http_server`) refuses the same while reading the request
       line; this holds the limit behind any other server.
    3. **The body's length**: over ``max_body_bytes``, 413 ``payload_too_large`` with
       ``Connection: close``, at once on ``Content-Length`` (nothing is read) or as a chunked
       body streams in, so the rest of it is never waited for.
    4. **The per-caller rate limits** (:class:`~connect_api.kit.ratelimits.RateLimits`), when on.
    5. **Read-your-writes** (with read replicas or the graph read model): the request's read
       position (:mod:`connect_api.kit.replicas`). What the client must see comes from the
       ``Connect-Read-After`` header, else the cookie of that name (a value that is not an LSN
       is ignored: the reads then go by this process's own memory of the member's writes; one
       past the primary's position is cut down to it, see
       :meth:`~connect_api.kit.replicas.Replicas.bounded`). A request that committed gets the
       primary's position after its commit back in both, for its next requests.
    6. **Every failure the routes did not turn into a refusal**, answered once: capacity (no
       free pooled connection in time) is 503 ``service_unavailable`` and a database out of
       reach 503 ``database_unavailable``, both with ``Retry-After`` and logged as one warning
       line; anything else is 500 ``internal_error``, its traceback logged once. The exception
       is not re-raised, so the server neither logs it again nor resets the kept-alive
       connection. Each write of a response may wait at most ``send_timeout`` seconds for the
       client: one that stopped reading is let go and its response abandoned (a stalled export
       download would otherwise hold a pooled connection for as long as it likes).
    7. **The request's metrics**: counted under its route template, never its concrete path.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_url_bytes: int,
        max_body_bytes: int,
        send_timeout: float,
        limits: RateLimits | None = None,
        read_after_seconds: int | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_body_bytes = max_body_bytes
        self.send_timeout = send_timeout
        self.limits = limits
        self.read_after_seconds = read_after_seconds
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = declared = header = cookie = None
        with_read_after = self.read_after_seconds is not None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value if given is None else given
            elif name == b"content-length":
                declared = value if declared is None else declared
            elif with_read_after and name == _READ_AFTER:
                header = value.decode("latin-1")
            elif with_read_after and name == b"cookie":
                cookie = cookie_parser(value.decode("latin-1")).get(read_after.COOKIE, cookie)
        if given is None and (of_trace := logs.trace_request_id) is not None:
            # Traces on: a trace that starts here lends the request its id.
            rid = of_trace(scope["headers"]) or new_request_id()
        else:
            rid = accept_request_id(given)
        scope.setdefault("state", {})["request_id"] = rid
        echoed = (b"x-request-id", rid.encode("ascii"))
        token = request_id.set(rid)
        try:
            await self._serve(scope, receive, send, echoed, declared, header, cookie)
        finally:
            request_id.reset(token)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        echoed: tuple[bytes, bytes],
        declared: bytes | None,
        header: str | None,
        cookie: str | None,
    ) -> None:
        started = False
        status = 500
        received = 0
        limit = self.max_body_bytes
        state: read_after.ReadAfter | None = None
        replicas: Replicas | None = None
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        async def send_out(message: Message) -> None:
            """The one wrapper of ``send``: the response's headers, then the server's send."""
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                if state is not None and state.committed:
                    # Never behind what the client sent (it keeps the greatest it was given),
                    # never past the primary's position.
                    lsn = read_after.format_lsn(
                        replicas.handed_back(state)
                        if replicas is not None
                        else max(state.committed, state.required)
                    )
                    kept = (
                        f"{read_after.COOKIE}={lsn}; Max-Age={self.read_after_seconds}; "
                        f"Path=/; HttpOnly; SameSite=Lax{secure}"
                    )
                    headers += [
                        (_READ_AFTER, lsn.encode("ascii")),
                        (b"set-cookie", kept.encode("ascii")),
                    ]
                if received > limit:  # the app answered the refusal: end here
                    headers.append((b"connection", b"close"))
                headers.append(echoed)
                message["headers"] = headers
            await send(message)

        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        if url_length(raw, scope.get("query_string", b"")) > self.max_url_bytes:
            refusal = problem_response(
                UriTooLong.status,
                UriTooLong.code,
                f"The request target is longer than {self.max_url_bytes} bytes.",
                headers={"Connection": "close"},
            )
            await refusal(scope, receive, send_out)
            return
        if declared is not None and (length := _length(declared)) is not None and length > limit:
            await self._too_large(scope, receive, send_out)
            return
        if self.limits is not None:
            refused = await self.limits.refusal(scope)
            if refused is not None:
                await refused(scope, receive, send_out)
                return

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            try:
                # A timer, not wait_for: wait_for wraps every send in a task of its own.
                async with asyncio.timeout(self.send_timeout):
                    await send_out(message)
            except TimeoutError:
                raise ClientStalled from None
            except Exception as exc:
                raise _SendFailed() from exc

        counted = self.metrics is not None and not scope["path"].startswith(NOT_COUNTED)
        begun = time.perf_counter()
        if self.read_after_seconds is None:
            scoped: contextlib.AbstractContextManager[read_after.ReadAfter | None]
            scoped = contextlib.nullcontext()
        else:
            arrived = time.monotonic()
            required = 0
            for given in (header, cookie):
                if given is not None and (lsn := read_after.parse_lsn(given)) is not None:
                    required = lsn
                    break
            replicas = _replicas(scope)
            if required and replicas is not None:
                # Never past the primary: a made-up position would keep every read on it.
                required = await replicas.bounded(required, arrived)
            scoped = read_after.request_scope(required, arrived)
        with scoped as entered:
            state = entered
            try:
                try:
                    await self.app(scope, limited_receive, guarded_send)
                finally:  # counted as the app answered (500 if it did not), cancelled or not
                    self._count(scope, status, begun, counted)
            except Exception as exc:
                await self._failed(exc, scope, receive, send_out, started=started)

    def _count(self, scope: Scope, status: int, begun: float, counted: bool) -> None:
        if not counted or self.metrics is None:
            return
        route = scope.get("route")
        handler = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(handler, method, str(status)).inc()
        self.metrics.latency.labels(handler, method).observe(time.perf_counter() - begun)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            f"The request body is larger than {self.max_body_bytes} bytes.",
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)

    async def _failed(
        self, exc: Exception, scope: Scope, receive: Receive, send: Send, *, started: bool
    ) -> None:
        failed = _find(exc, _SendFailed)
        if failed is not None and failed.__cause__ is not None:
            raise failed.__cause__ from None  # the server's own failure, for it to handle
        if not started and _find(exc, PayloadTooLarge) is not None:
            await self._too_large(scope, receive, send)
            return
        where = f"{scope.get('method')} {scope.get('path')}"
        if _find(exc, ClientStalled) is not None:
            log.warning(
                "client stopped reading for %ss; response to %s abandoned", self.send_timeout, where
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


def _length(value: bytes) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None  # the server refuses a malformed length before we see it
