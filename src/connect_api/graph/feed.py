"""Keeping each process's graph read model (:mod:`.model`) as PostgreSQL has it.

**Loading.** At start (and whenever the outbox says so, or the overlay has grown past a
tenth of the base) the three relations are read by binary ``COPY`` inside one repeatable-read
transaction, whose snapshot becomes the model's position. Requests are answered from SQL
until the first load is done: a restart never waits for it.

**Following.** The triggers of migration 0013 note every changed pair in ``graph_changes``
with its transaction's id, and ``NOTIFY connect_api_graph`` on commit. On each notification
(and every ``CONNECT_API_GRAPH_POLL_SECONDS`` without one) the model reads, in a new
repeatable-read snapshot, the pairs whose transactions committed since its last one
(``pg_visible_in_snapshot``: committed in the new snapshot, not in the old), together with
whether each pair is there *now*; it sets each pair so. Nothing rolled back is read (its rows
are never visible), nothing committed is stepped over whatever order transactions commit in,
and two changes of one pair in one catch-up end as the rows say. A lost connection is opened
again and the catch-up goes on from the last snapshot.

**Read-your-writes.** Before a catch-up takes its snapshot it reads the WAL position; every
commit whose position was read before that one is in the model. A request for a member whose
write this process committed, or carrying a ``Connect-Read-After`` position the model has not
reached, waits up to ``CONNECT_API_GRAPH_WAIT_MS`` for a catch-up, and is answered from SQL if
that was not enough. A model that has not caught up for ``CONNECT_API_GRAPH_MAX_LAG_SECONDS``
answers nothing (SQL does) until it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from connect_api.graph import repository
from connect_api.graph.model import Graph
from connect_api.kit import replicas as read_after
from connect_api.kit import urls
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from connect_api.kit.database import Work
from connect_api.kit.listener import Listener

log = logging.getLogger("connect_api.graph")

CHANNEL = "connect_api_graph"

# The overlay's share of the base past which the base is rebuilt (by a load, in the background).
REBUILD_SHARE = 0.10
# How many members' last writes in this process are remembered.
_REMEMBERED = 100_000


@dataclass(frozen=True)
class Status:
    """What `/readyz` and `/metrics` say of the model."""

    state: Literal["loading", "ok", "behind"]
    position: str | None  # the WAL position every commit read before is in
    lag_seconds: float | None  # since the last catch-up that found the model current
    connections: int  # each counted once
    bytes: int
    loads: int
    load_seconds: float | None


class GraphFeed:
    """One process's graph read model and what keeps it current."""

    def __init__(self, settings: Settings, url: str) -> None:
        self.settings = settings
        self.dsn = urls.driver_dsn(url)
        self.graph: Graph | None = None
        self.snapshot: str | None = None
        self.lsn = 0  # every commit whose WAL position was read before this is applied
        self.caught_up_at = -float("inf")  # monotonic: when the last good catch-up began
        self.loads = 0
        self.load_seconds: float | None = None
        self.answered = {"memory": 0, "sql": 0}  # graph answers, by where they came from
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._running: asyncio.Future[None] | None = None
        self._written = 0  # graph writes this process committed
        self._written_applied = 0  # how many of them the model holds
        self._writers: OrderedDict[int, int] = OrderedDict()  # member -> their last write's number
        self._rebuild: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._listened = False  # notified through the process's shared listener

    # --- life --------------------------------------------------------------------------------

    def start(self, ctx: AppContext | None = None, listener: Listener | None = None) -> None:
        """Load and follow in the background; learn of the commits of ``ctx``'s requests that
        change the graph. With ``listener`` (the process's one ``LISTEN`` connection) its
        notifications come through it; without, through a listener on the model's own
        connection."""
        if listener is not None:
            self._listened = True
            listener.subscribe(CHANNEL, lambda _payload: self._wake.set())
        if ctx is not None:

            async def after_commit(info: dict[Any, Any]) -> None:
                members = info.get(_CHANGED)
                if members:
                    await wrote(ctx, members)

            ctx.db.commit_hooks.append(after_commit)
        self._task = asyncio.create_task(self._run(), name="graph read model")

    async def open(self) -> None:
        """Connect and load, without following: what :meth:`start` does first (the tests and
        the benchmark drive the catch-ups themselves)."""
        self._conn = await self._connect()
        await self._load_now()

    async def close(self) -> None:
        self._stop.set()
        self._wake.set()
        for task in (self._task, self._rebuild):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=2)
            self._conn = None

    async def _connect(self) -> asyncpg.Connection:
        if self.settings.db_pooler == "transaction":
            # Behind a transaction pooler: no statement kept prepared on a server connection
            # (the next transaction may run on another), no session setting, and no LISTEN
            # (a notification would reach whichever client held the server connection): the
            # model follows by polling alone.
            return await asyncpg.connect(self.dsn, statement_cache_size=0, timeout=10)
        conn = await asyncpg.connect(
            self.dsn,
            server_settings={"application_name": "connect-api graph"},
            timeout=10,
        )
        if not self._listened:
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
        return conn

    async def _run(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await self._connect()
                if self.graph is None:
                    await self._load_now()
                # Often enough that a quiet model never looks behind for want of a look.
                settings = self.settings
                every = min(settings.graph_poll_seconds, settings.graph_max_lag_seconds / 2)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), every)
                self._wake.clear()
                await self.catch_up()
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("graph read model: %s: %s; trying again", type(exc).__name__, exc)
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        self._conn.terminate()
                    self._conn = None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 5)

    async def _load_now(self) -> None:
        async with self._lock:
            assert self._conn is not None
            written = self._written
            started = time.monotonic()
            loaded = await repository.load(self._conn)
            self._install(loaded, written, started)

    def _install(self, loaded: repository.Loaded, written: int, started: float) -> None:
        self.graph, self.snapshot, self.lsn = loaded.graph, loaded.snapshot, loaded.lsn
        self._written_applied = max(self._written_applied, written)
        self.caught_up_at = started
        self.loads += 1
        self.load_seconds = loaded.seconds
        log.info(
            "graph read model loaded: %d connections, %.1f MB, in %.2f s",
            loaded.graph.connections.edges // 2,
            loaded.graph.nbytes / 1e6,
            loaded.seconds,
        )

    # --- catching up -------------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Apply what committed since the model's snapshot; one catch-up at a time (a caller
        who finds one under way waits for it and for the one after, which starts after it
        asked)."""
        asked = time.monotonic()
        while True:
            running = self._running
            if running is None or running.done():
                running = self._running = asyncio.ensure_future(self._catch_up())
                await asyncio.shield(running)
                return
            await asyncio.shield(running)
            if self.caught_up_at >= asked:
                return

    async def _catch_up(self) -> None:
        async with self._lock:
            conn = self._conn
            if conn is None or conn.is_closed() or self.snapshot is None or self.graph is None:
                raise ConnectionError("the graph read model has no connection or no graph yet")
            written = self._written
            started = time.monotonic()
            lsn = await repository.read_lsn(conn)
            # Away for longer than the outbox keeps its changes (half of it, to be safe): some
            # may be gone, so the whole graph is read again.
            away = started - self.caught_up_at > self.settings.graph_changes_keep_hours * 1800
            try:
                if away:
                    raise repository.NeedsLoad
                snapshot, rows = await repository.changes(conn, self.snapshot)
            except repository.NeedsLoad:
                loaded = await repository.load(conn)
                self._install(loaded, written, started)
                return
            repository.apply(self.graph, rows)
            self.snapshot, self.lsn, self.caught_up_at = snapshot, lsn, started
            self._written_applied = max(self._written_applied, written)
        if self.graph.overlay_share > REBUILD_SHARE and (
            self._rebuild is None or self._rebuild.done()
        ):
            self._rebuild = asyncio.create_task(self._rebuild_base())

    async def _rebuild_base(self) -> None:
        """Load a new base on a connection of its own while the model goes on serving and
        following; then bring the new one to the same point and put it in place."""
        conn = await self._connect()
        try:
            loaded = await repository.load(conn)
            async with self._lock:
                # Brought to now as a catch-up would be: what was written here so far, the
                # position and the time read before the snapshot of the changes since the load.
                written = self._written
                started = time.monotonic()
                lsn = await repository.read_lsn(conn)
                snapshot, rows = await repository.changes(conn, loaded.snapshot)
                repository.apply(loaded.graph, rows)
                caught = repository.Loaded(loaded.graph, snapshot, lsn, loaded.seconds)
                self._install(caught, written, started)
        except repository.NeedsLoad:
            pass  # the main loop reloads
        except Exception as exc:
            log.warning("graph read model: rebuilding the base failed (%s)", exc)
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    # --- asking ------------------------------------------------------------------------------

    def wrote(self, members: Iterable[int]) -> None:
        """This process committed a change of the graph for ``members``: their next answers
        here wait for the model to hold it."""
        self._written += 1
        for m in members:
            self._writers.pop(m, None)
            self._writers[m] = self._written
        while len(self._writers) > _REMEMBERED:
            self._writers.popitem(last=False)
        self._wake.set()

    @property
    def disagreements(self) -> int:
        return _disagreements

    def lag(self) -> float:
        return max(0.0, time.monotonic() - self.caught_up_at)

    async def for_member(self, member_id: int) -> Graph | None:
        """The model, when it may answer for ``member_id`` now; ``None``: answer from SQL."""
        graph = await self._for_member(member_id)
        self.answered["sql" if graph is None else "memory"] += 1
        return graph

    async def _for_member(self, member_id: int) -> Graph | None:
        if self.graph is None:
            return None
        state = read_after.current()
        required = state.required if state is not None else 0
        arrived = state.arrived if state is not None else time.monotonic()

        def holds_what_is_asked() -> bool:
            if self._writers.get(member_id, 0) > self._written_applied:
                return False  # this member's own write here is not in it yet
            # A position the client was given after a commit: in the model if read before the
            # model's (see the module's docstring), or if the model's snapshot was taken after
            # the request arrived (the client had seen that commit acknowledged by then).
            return not required or required < self.lsn or self.caught_up_at >= arrived

        every_read = self.settings.graph_sync == "every_read"
        if every_read or not holds_what_is_asked():
            wait = max(self.settings.graph_wait_ms / 1000, 5.0 if every_read else 0.0)
            try:
                await asyncio.wait_for(self.catch_up(), wait)
            except Exception:  # not in time, or the database did not answer: SQL answers
                return None
            if not holds_what_is_asked():
                return None
        if self.lag() > self.settings.graph_max_lag_seconds:
            return None
        return self.graph

    def status(self) -> Status:
        graph = self.graph
        state: Literal["loading", "ok", "behind"]
        if graph is None:
            state = "loading"
        elif self.lag() > self.settings.graph_max_lag_seconds:
            state = "behind"
        else:
            state = "ok"
        return Status(
            state=state,
            position=read_after.format_lsn(self.lsn) if graph is not None else None,
            lag_seconds=round(self.lag(), 3) if graph is not None else None,
            connections=graph.connections.edges // 2 if graph is not None else 0,
            bytes=graph.nbytes if graph is not None else 0,
            loads=self.loads,
            load_seconds=round(self.load_seconds, 3) if self.load_seconds is not None else None,
        )


# Answers the model gave that a statement's own snapshot then contradicted (a change committed
# between the model's catch-up and the statement), so SQL answered instead: per process.
_disagreements = 0


def disagreed() -> None:
    """A statement's snapshot contradicted the model's answer; SQL answered instead."""
    global _disagreements
    _disagreements += 1


# The members whose graph a transaction changed, in its session's ``info``.
_CHANGED = "connect_api.graph.changed"


def changed(session: Work, *members: int) -> None:
    """Note, in the transaction that makes it, a change of the graph (a connection, a block, a
    group membership) for ``members``: once it commits, their next answers wait for it (see
    :func:`wrote`)."""
    session.info.setdefault(_CHANGED, set()).update(members)


def of(ctx: AppContext) -> GraphFeed | None:
    """The process's graph read model, if it has one."""
    feed = ctx.graph
    return feed if isinstance(feed, GraphFeed) else None


async def for_member(ctx: AppContext, member_id: int) -> Graph | None:
    """The model when it may answer for ``member_id``; ``None``: answer from SQL."""
    feed = of(ctx)
    return await feed.for_member(member_id) if feed is not None else None


async def wrote(ctx: AppContext, members: Iterable[int]) -> None:
    """After a commit that changed the graph for ``members``: their next answers in this
    process wait for it, and the request hands back the WAL position past it
    (``Connect-Read-After``) for other processes to wait for too."""
    feed = of(ctx)
    if feed is None:
        return
    feed.wrote(members)
    state = read_after.current()
    if state is None or ctx.db.replicas is not None:  # with replicas, the commit noted it
        return
    lsn = await ctx.db.wal_position()
    if lsn is not None:
        state.committed = max(state.committed, lsn)
