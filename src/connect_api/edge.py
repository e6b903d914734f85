"""Pure ASGI layers in front of the application: what is refused before any work is done."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connect_api.errors import problem_response


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
