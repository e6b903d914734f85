"""One ``LISTEN`` connection per process, shared by everything that follows PostgreSQL's
notifications (the graph read model, the live streams' hub).

Each subscriber gives a channel and a callback; the callback is called with the
notification's payload, and with ``None`` whenever the connection is (re)established: what was
notified while it was down is lost, so a subscriber then reads what it may have missed (the
graph from its snapshot, the streams from their outbox position). A connection that closes,
or stops answering the liveness probe, is opened again with a growing pause (0.2 s to 5 s).

The connection is a direct one to the primary: a pooler in transaction mode cannot carry
``LISTEN`` (a notification would reach whichever client held the server connection), so
behind one ``CONNECT_API_LISTEN_DATABASE_URL`` names the primary itself; without it the
subscribers poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger("connect_api.listener")

Callback = Callable[[str | None], None]


class Listener:
    def __init__(self, dsn: str, *, probe_seconds: float = 5.0) -> None:
        self.dsn = dsn
        self.probe_seconds = probe_seconds
        self.connections = 0  # how many times it has connected (1 after the first)
        self._subscribers: dict[str, list[Callback]] = {}
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lost = asyncio.Event()
        self.connected = asyncio.Event()

    def subscribe(self, channel: str, callback: Callback) -> None:
        """Call ``callback(payload)`` on each notification on ``channel``, and
        ``callback(None)`` each time the connection is (re)established. Subscribe before
        :meth:`start`."""
        self._subscribers.setdefault(channel, []).append(callback)

    @property
    def backend_pid(self) -> int | None:
        conn = self._conn
        return conn.get_server_pid() if conn is not None and not conn.is_closed() else None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notification listener")

    async def close(self) -> None:
        self._stop.set()
        self._lost.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.connected.clear()
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            if not conn.is_closed():
                conn.terminate()

    def _notified(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for callback in self._subscribers.get(channel, ()):
            callback(payload)

    async def _connect(self) -> None:
        conn = await asyncpg.connect(
            self.dsn,
            server_settings={"application_name": "connect-api listener"},
            timeout=10,
            statement_cache_size=0,
        )
        self._lost.clear()
        conn.add_termination_listener(lambda _c: self._lost.set())
        for channel in self._subscribers:
            await conn.add_listener(channel, self._notified)
        self._conn = conn
        self.connections += 1
        self.connected.set()
        for callbacks in self._subscribers.values():
            for callback in callbacks:
                callback(None)  # anything notified while away is lost: read what was missed

    async def _run(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            try:
                await self._connect()
                delay = 0.2
                while not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._lost.wait(), self.probe_seconds)
                    conn = self._conn
                    if self._lost.is_set() or conn is None or conn.is_closed():
                        raise ConnectionError("the listening connection closed")
                    # A connection the network dropped without a word looks open: ask it.
                    await conn.fetchval("SELECT 1", timeout=self.probe_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.warning(
                    "notification listener: %s: %s; connecting again", type(exc).__name__, exc
                )
                await self._drop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 5.0)
