"""What the tests of the live streams share: the suite's app on a real port, and a reader of
server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from connect_api.kit.http_server import limited_protocol


@contextlib.asynccontextmanager
async def on_a_port(app: FastAPI) -> AsyncIterator[str]:
    """``app`` (already started) on a free port of 127.0.0.1, with the HTTP protocol of
    ``connect-api serve``; its URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        http=limited_protocol(8_192, 16_384),
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Event:
    event: str | None
    id: str | None
    data: str
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class Sse:
    """One open stream, read event by event (comments are kept with the event they precede;
    a block of comments alone is an event with ``event`` ``None`` and empty ``data``)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        # Lines are read by a task of their own, so that a wait that times out never cuts
        # the response's iterator (cancelling it mid-read would end the stream).
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self.ended = False

    async def _read(self) -> None:
        try:
            async for line in self.response.aiter_lines():
                self._queue.put_nowait(line)
        except httpx.HTTPError:
            pass
        finally:
            self._queue.put_nowait(None)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

    async def next(self, seconds: float = 10) -> Event | None:
        """The next event (or comment block); ``None`` when the stream ended."""
        kind: str | None = None
        ident: str | None = None
        retry: int | None = None
        data: list[str] = []
        comments: list[str] = []
        async with asyncio.timeout(seconds):
            while (line := await self._queue.get()) is not None:
                if line == "":
                    if kind is None and not data and ident is None and retry is None:
                        if comments:
                            return Event(None, None, "", None, comments)
                        continue
                    return Event(kind, ident, "\n".join(data), retry, comments)
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    comments.append(value)
                elif name == "event":
                    kind = value
                elif name == "id":
                    ident = value
                elif name == "data":
                    data.append(value)
                elif name == "retry":
                    retry = int(value)
        self.ended = True
        self._queue.put_nowait(None)  # (for the next call too)
        return None

    async def event(self, seconds: float = 10) -> Event:
        """The next event that is not a comment alone."""
        while True:
            got = await self.next(seconds)
            if got is None:
                raise AssertionError("the stream ended")
            if got.event is not None or got.data:
                return got

    async def until(self, kind: str, seconds: float = 10) -> list[Event]:
        """Every event up to the first of type ``kind`` (that one included)."""
        seen: list[Event] = []
        while True:
            got = await self.event(seconds)
            seen.append(got)
            if got.event == kind:
                return seen

    async def quiet(self, seconds: float) -> list[Event]:
        """The events that come within ``seconds`` (a stream that stays quiet: [])."""
        seen: list[Event] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                got = await self.next(left)
            except TimeoutError:
                break
            if got is None:
                break
            if got.event is not None or got.data:
                seen.append(got)
        return seen


@contextlib.asynccontextmanager
async def streaming(
    client: httpx.AsyncClient, path: str, *, headers: dict[str, str] | None = None
) -> AsyncIterator[Sse]:
    """An open stream (after its ``: connected`` line); closed on the way out."""
    async with client.stream("GET", path, headers=headers or {}) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        sse = Sse(response)
        try:
            first = await sse.next()
            assert first is not None and first.retry is not None and "connected" in first.comments
            yield sse
        finally:
            await sse.close()
