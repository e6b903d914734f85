"""The server of `connect-api serve`: uvicorn, with a drain period before shutting down, and an
HTTP protocol that answers an over-long request line or header block with problem+json."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from http import HTTPStatus
from types import FrameType
from typing import Any

import httptools
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from connect_api.kit.errors import (
    PROBLEM_JSON,
    TYPE_BASE,
    HeadersTooLarge,
    UriTooLong,
    count_problem,
)
from connect_api.kit.logs import new_request_id, request_id

log = logging.getLogger("connect_api")


class _Refusal(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the request head. A request target longer
    than ``max_url_bytes`` is answered 414 ``uri_too_long``, and headers of more than
    ``max_header_bytes`` (names, values and their separators) 431
    ``request_header_fields_too_large``: problem+json with ``X-Request-ID`` and
    ``Connection: close``, instead of uvicorn's plain-text 400 (or, for headers, no limit).
    A request the parser cannot read at all is a 400 ``bad_request`` problem document too.

    The limits are counted as the parser hands the head over, so no more than about one read
    past them is ever held. Without limits of its own (``connect-api serve --workers``) the
    class reads them from the settings."""

    max_url_bytes: int | None = None
    max_header_bytes: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cls = type(self)
        if cls.max_url_bytes is None or cls.max_header_bytes is None:
            from connect_api.kit.config import Settings

            settings = Settings()
            cls.max_url_bytes, cls.max_header_bytes = (
                settings.max_url_bytes,
                settings.max_header_bytes,
            )
        self._url_limit: int = cls.max_url_bytes
        self._header_limit: int = cls.max_header_bytes
        self._header_bytes = 0
        self._raw_head_bytes = 0
        self._in_head = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = self._raw_head_bytes = 0
        self._in_head = True
        # A long response (a live stream) whose client stopped reading drops the connection
        # with what is buffered for it, rather than leave it to be flushed some day.
        extensions: dict[str, Any] = {"connect_api.abort": self.transport.abort}
        self.scope["extensions"] = extensions

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self._url_limit:
            raise _Refusal(
                UriTooLong.status,
                UriTooLong.code,
                f"The request target is longer than {self._url_limit} bytes.",
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._header_bytes > self._header_limit:
            raise self._headers_too_large()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def _headers_too_large(self) -> _Refusal:
        return _Refusal(
            HeadersTooLarge.status,
            HeadersTooLarge.code,
            f"The request headers are larger than {self._header_limit} bytes.",
        )

    def data_received(self, data: bytes) -> None:
        continued = self._in_head
        try:
            self._feed(data)
            if continued and self._in_head:
                # The whole read belongs to a head still incomplete. The parser keeps a header
                # it is reading whole before it calls on_header: count what it holds too.
                self._raw_head_bytes += len(data)
                if self._raw_head_bytes > self._url_limit + self._header_limit + 1_024:
                    raise self._headers_too_large()
        except _Refusal as refusal:
            self._refuse(refusal)

    def _feed(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _Refusal):
                raise exc.__context__ from None
            # uvicorn's own answer is plain text: this one is a problem document too.
            raise _Refusal(
                400, "bad_request", "The request is not valid HTTP/1.1 and cannot be read."
            ) from None
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _refuse(self, refusal: _Refusal) -> None:
        rid = new_request_id()
        phrase = HTTPStatus(refusal.status).phrase
        body = json.dumps(
            {
                "type": TYPE_BASE + refusal.code,
                "title": phrase,
                "status": refusal.status,
                "detail": refusal.detail,
                "code": refusal.code,
                "request_id": rid,
            }
        ).encode()
        count_problem(_service_app(self.app), refusal.status, refusal.code)
        token = request_id.set(rid)
        try:
            log.warning("%s from %s: %s", refusal.code, self.client, refusal.detail)
        finally:
            request_id.reset(token)
        head = [f"HTTP/1.1 {refusal.status} {phrase}\r\n".encode("ascii")]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            f"content-type: {PROBLEM_JSON}\r\n".encode("ascii"),
            f"content-length: {len(body)}\r\n".encode("ascii"),
            f"x-request-id: {rid}\r\n".encode("ascii"),
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(head))
        self.transport.close()


def _service_app(app: Any) -> Any:
    """The service's app under the layers uvicorn (and :class:`DrainingServer`) put around
    it, each of which keeps the one it wraps as ``app``: the one whose state counts refusals."""
    for _ in range(10):
        if app is None or hasattr(getattr(app, "state", None), "refusals"):
            return app
        app = getattr(app, "app", None)
    return None


def limited_protocol(max_url_bytes: int, max_header_bytes: int) -> type[LimitedHttpProtocol]:
    """The protocol class with these limits, for ``uvicorn.Config(http=...)``."""
    return type(
        "LimitedHttpProtocol",
        (LimitedHttpProtocol,),
        {"max_url_bytes": max_url_bytes, "max_header_bytes": max_header_bytes},
    )


class DrainingServer(uvicorn.Server):
    """On SIGTERM (or SIGINT), first drain: ``/readyz`` answers 503 for ``drain`` seconds while
    requests are still accepted and served, so that a load balancer stops sending new ones; then
    stop accepting, and give the requests in flight ``timeout_graceful_shutdown`` seconds to
    finish. A second signal during the drain stops at once.

    During the drain every response says ``Connection: close``: a kept-alive connection is
    closed by the server right after a whole response, rather than idle at the stop, when a
    request the client sends just then would be cut unread."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, drain: float) -> None:
        config.app = _CloseWhileDraining(app, self)
        super().__init__(config)
        self.app = app
        self.drain = drain
        self.draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain <= 0 or self.draining or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self.draining = True
        self.app.state.draining = True
        log.warning("draining for %ss: /readyz answers 503, requests are still served", self.drain)
        loop = asyncio.get_event_loop()
        self._drain_hooks(loop)
        loop.call_soon_threadsafe(loop.call_later, self.drain, super().handle_exit, sig, None)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop listening without cutting what the kernel already accepted: take every
        connection still waiting in the listen backlog (closing a listening socket resets
        them, with their requests unread) and serve it like the others, then stop as uvicorn
        does: idle connections are closed, requests in flight are finished."""
        loop = asyncio.get_running_loop()
        self._drain_hooks(loop)  # (again, when there was no drain: long responses end now)
        listeners = []
        for server in self.servers:
            for sock in server.sockets:
                listener = socket.socket(fileno=os.dup(sock.fileno()))
                listener.setblocking(False)
                listeners.append(listener)
            server.close()  # the loop accepts no more; the duplicates keep the sockets open
        waiting: list[socket.socket] = []
        for listener in listeners:
            while True:
                try:
                    waiting.append(listener.accept()[0])
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
            listener.close()  # from here on, a connection attempt is refused
        for conn in waiting:
            await loop.connect_accepted_socket(self._protocol, conn)
        if waiting:
            log.info("serving %d connection(s) taken from the backlog at shutdown", len(waiting))
        # A few turns of the loop, so that a request that reached a connection just accepted
        # is read (and so finished) rather than found idle, closed, and cut with a reset.
        await asyncio.sleep(0.1)
        await super().shutdown(sockets)

    def _drain_hooks(self, loop: asyncio.AbstractEventLoop) -> None:
        """What the app asked to be told of the stop (``app.state.drain_hooks``): the live
        streams end, with a ``retry:`` hint, so their clients reconnect elsewhere."""
        for hook in getattr(self.app.state, "drain_hooks", ()):
            loop.call_soon_threadsafe(hook)

    def _protocol(self) -> asyncio.Protocol:
        # What uvicorn's own listener makes for each connection (see uvicorn.Server.startup).
        protocol: asyncio.Protocol = self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )
        return protocol


class _CloseWhileDraining:
    def __init__(self, app: ASGIApp, server: DrainingServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and self.server.draining:
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)
