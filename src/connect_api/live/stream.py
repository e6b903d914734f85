"""A live stream's response: ``text/event-stream`` (the WHATWG server-sent events format), as
one pure-ASGI response that replays, then goes live, and ends on its own terms.

What it writes, in order:

- ``retry:`` (how long a client waits before reconnecting) and a ``: connected`` comment;
- the replay: every event after the position it resumes from (``Last-Event-ID``, ``after``),
  read from the outbox page by page;
- then the live events as the hub hands them over, each ``id:`` its feed position, ``event:``
  its type, ``data:`` the feed item's JSON; for a member, a ``counts`` event (``id:`` the
  position reached) whenever their badge numbers change, and one at the start;
- a ``: heartbeat`` comment on a quiet stream every ``CONNECT_API_STREAM_HEARTBEAT_SECONDS``
  (the hub's one timer says when, and when the token has expired);
- at its end, an ``event: close`` with the reason: ``token_expired`` (the token it was
  opened with expired), ``erased`` (the member was erased), ``too_slow`` (its client fell
  more than ``CONNECT_API_STREAM_BUFFER_EVENTS`` behind) or ``shutdown`` (with ``retry:``, so
  the client reconnects to another process).

A client that takes no write for ``CONNECT_API_STREAM_STALL_SECONDS`` is cut: under
``connect-api serve`` its connection is aborted at once (nothing left buffered for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from connect_api.kit.http_edge import ClientStalled
from connect_api.live.hub import PAGE, Hub, Stream, feed_item, frame

MEDIA_TYPE = "text/event-stream"
# The protocol of `connect-api serve` puts this in a request's ASGI extensions: it drops the
# connection and whatever is buffered for it.
ABORT = "connect_api.abort"

Replay = Callable[[int], Awaitable[list[Any]]]

_CLOSING = {
    "token_expired": "token_expired",
    "erased": "erased",
    "overflow": "too_slow",
    "shutdown": "shutdown",
}


_FLUSH: Message = {"type": "http.response.body", "body": b"", "more_body": True}


class _Stalled(Exception):
    pass


class EventStream:
    def __init__(
        self,
        hub: Hub,
        stream: Stream,
        *,
        after: int,
        replay: Replay,
        counts: dict[str, int] | None,
        deadline: float | None,
    ) -> None:
        self.hub = hub
        self.stream = stream
        self.after = after
        self.replay = replay
        self.counts = counts  # the member's badge as the stream opened (none: a service's)
        stream.deadline = deadline  # the hub ends the stream then
        settings = hub.settings
        self.stall = settings.stream_stall_seconds
        self.retry_ms = settings.stream_retry_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = self.stream
        watcher = asyncio.create_task(self._watch(receive))
        try:
            await self._serve(send)
        except _Stalled:
            stream.close("stalled")
            abort = scope.get("extensions", {}).get(ABORT)
            if abort is None:
                raise ClientStalled from None
            abort()
            for _ in range(3):  # the server learns the connection is gone
                await asyncio.sleep(0)
        finally:
            watcher.cancel()
            self.hub.release(stream)

    async def _watch(self, receive: Receive) -> None:
        """The client went away: end the stream (the server would drop what it writes)."""
        with contextlib.suppress(Exception):
            while (await receive())["type"] != "http.disconnect":
                pass
        self.stream.close("gone")

    async def _write(
        self, send: Send, body: bytes, *, more: bool = True, flush: bool = True
    ) -> None:
        message: Message = {"type": "http.response.body", "body": body, "more_body": more}
        self.stream.written_at = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(self.stall):
                await send(message)
                if more and flush:
                    # An empty write returns once the server's buffer has room again (the
                    # client took what was written): a client that takes nothing more is cut
                    # now, not at the next event or heartbeat.
                    await send(_FLUSH)
        except TimeoutError:
            raise _Stalled from None

    async def _serve(self, send: Send) -> None:
        stream = self.stream
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"x-accel-buffering", b"no"),  # no proxy buffering (nginx)
                ],
            }
        )
        await self._write(send, f"retry: {self.retry_ms}\n: connected\n\n".encode())
        last = self.after
        while stream.closed is None:  # the replay, page by page
            rows = await self.replay(last)
            if rows:
                body = b"".join(frame(r["position"], r["type"], feed_item(r)) for r in rows)
                await self._write(send, body)
                last = rows[-1]["position"]
            if len(rows) < PAGE:
                break
        shown = self.counts
        if shown is not None:
            await self._write(send, frame(last, "counts", json.dumps(shown)))
        while stream.closed is None:
            await stream.ready.wait()
            if stream.closed is not None:
                break
            fresh = [(position, data) for position, data in stream.take() if position > last]
            body = b"".join(data for _, data in fresh)
            if fresh:
                last = fresh[-1][0]
            if stream.counts_fresh:
                stream.counts_fresh = False
                counts = stream.counts
                if counts is not None and counts != shown:
                    body += frame(last, "counts", json.dumps(counts))
                    shown = counts
            if body:
                await self._write(send, body)
            elif stream.heartbeat_due:  # (the hub's: quiet for the heartbeat's interval)
                await self._write(send, b": heartbeat\n\n", flush=False)
            stream.heartbeat_due = False
        await self._end(send)

    async def _end(self, send: Send) -> None:
        reason = _CLOSING.get(self.stream.closed or "")
        tail = b""
        if reason is not None:
            retry = f"retry: {self.retry_ms}\n" if reason == "shutdown" else ""
            tail = f'{retry}event: close\ndata: {{"reason": "{reason}"}}\n\n'.encode()
        with contextlib.suppress(_Stalled):
            await self._write(send, tail, more=False)
