"""Each process's live streams, and the one reader of the outbox that feeds them.

**Waking.** Every transaction that writes an event notifies ``connect_api_events`` on commit
(a trigger, so nothing rolled back ever wakes anyone), as does every publication of events and
a member marking their inbox seen (payload ``counts:<id>``). The process's one ``LISTEN``
connection (:class:`~connect_api.kit.listener.Listener`, shared with the graph read model)
wakes the hub; it also looks every ``CONNECT_API_STREAM_POLL_SECONDS`` unwoken, and after the
listening connection comes back (what was notified meanwhile is lost, the outbox is not).

**Reading.** Once per wake-up, not once per stream: the hub publishes what committed (gives
the events their feed positions, waiting its turn for the publisher's lock, so that what
committed before it took the lock is published), then reads the events after its position on
the primary, in feed order, and hands each to the streams of the members in its audience (and
to every service stream). With no stream open it does nothing at all.

**Streams.** A stream holds a bounded queue of ready frames and never a database connection.
Opening one registers it first and replays from the outbox after: a frame at or before what
it has sent is skipped, so the switch from replay to live has no gap and no duplicate. A
stream whose queue is full is cut (its client resumes with ``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connect_api.events import repository as events
from connect_api.events.schemas import EventRead
from connect_api.kit.context import AppContext
from connect_api.kit.errors import ServiceUnavailable, Throttled
from connect_api.members import repository as members

log = logging.getLogger("connect_api.live")

# Events read from the outbox at once (a wake-up reads page after page until it has all).
PAGE = 500
# After a notification, how long the hub waits for more before it reads: at 200 commits a
# second, about one read for every two of them rather than one each.
GATHER_SECONDS = 0.005
# How often at most the objects of the process are frozen while streams open (see `Hub._tick`).
FREEZE_EVERY_SECONDS = 5.0


class TooManyStreams(Throttled):
    """The member already holds the most live streams allowed on this process."""

    code = "too_many_streams"


class StreamsAtCapacity(ServiceUnavailable):
    """This process holds all the live streams it may, or is shutting down."""

    code = "streams_at_capacity"


def frame(position: int, type_: str, payload: str) -> bytes:
    """One server-sent event: its feed position as ``id``, its type as ``event``."""
    return f"id: {position}\nevent: {type_}\ndata: {payload}\n\n".encode()


def feed_item(row: Any, data: dict[str, Any] | None = None) -> str:
    """An outbox row as the feed shows it (``GET /v1/events``), as JSON (``data``: its
    ``data`` already parsed)."""
    if data is None:
        data = json.loads(row["data"])
    return EventRead(
        id=row["id"], type=row["type"], occurred_at=row["occurred_at"], data=data
    ).model_dump_json()


@dataclass(eq=False)
class Stream:
    """One open stream: a member's (``member_id``) or a service's (``None``: every event)."""

    member_id: int | None
    limit: int
    frames: deque[tuple[int, bytes]] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed: str | None = None  # why it is to end: overflow, erased, shutdown, gone
    counts: dict[str, int] | None = None  # the badge's numbers, as last read for the member
    counts_fresh: bool = False  # ``counts`` changed since the writer looked
    deadline: float | None = None  # loop time its token expires at
    written_at: float = 0.0  # loop time of its last write
    heartbeat_due: bool = False

    def push(self, position: int, data: bytes) -> bool:
        """Queue a frame; ``False`` if the stream was cut for a full queue."""
        if self.closed is not None:
            return True
        if len(self.frames) >= self.limit:
            self.close("overflow")
            return False
        self.frames.append((position, data))
        self.ready.set()
        return True

    def beat(self) -> None:
        self.heartbeat_due = True
        self.ready.set()

    def show_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.counts_fresh = True
        self.ready.set()

    def close(self, reason: str) -> None:
        if self.closed is None:
            self.closed = reason
        self.frames.clear()  # its memory goes at once, whether or not its writer is stuck
        self.ready.set()

    def take(self) -> list[tuple[int, bytes]]:
        taken = list(self.frames)
        self.frames.clear()
        self.ready.clear()
        return taken


class Hub:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.members: dict[int, set[Stream]] = {}
        self.services: set[Stream] = set()
        self.count = 0
        self.position: int | None = None  # every event up to it has been handed out
        self.draining = False
        # What /metrics shows.
        self.delivered = 0  # frames queued for a client
        self.cut: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._publish_due = True  # an event was written since the hub last published
        self._counts_for: set[int] = set()  # members whose badge to read at the next wake-up
        self._newest: asyncio.Future[int] | None = None
        self._newest_serial = 0  # how many publications `newest` has started
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._opened = 0  # streams opened since the last freeze

    # --- life --------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live stream hub")
        self._ticker = asyncio.create_task(self._tick(), name="live stream heartbeats")

    async def close(self) -> None:
        self.drain()
        self._stop.set()
        self._wake.set()
        for task in (self._task, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def drain(self) -> None:
        """Shutting down: every stream ends (with a ``retry:`` hint) and no new one opens."""
        self.draining = True
        for stream in self._all():
            stream.close("shutdown")

    def notified(self, payload: str | None) -> None:
        """A notification on the events' channel (``None``: the listener (re)connected)."""
        if payload is not None and payload.startswith("counts:"):
            with contextlib.suppress(ValueError):
                self._counts_due(int(payload.removeprefix("counts:")))
                self._wake.set()
            return
        if payload != "published":  # (another process's publication needs only reading)
            self._publish_due = True
        self._wake.set()

    # --- streams -----------------------------------------------------------------------------

    def open(self, member_id: int | None) -> Stream:
        """Register a stream (before its replay: see the module's docstring)."""
        settings = self.settings
        if self.draining:
            raise StreamsAtCapacity(
                "This process is shutting down; open the stream again.",
                headers={"Retry-After": "1"},
            )
        if self.count >= settings.stream_max_per_process:
            raise StreamsAtCapacity(
                "This process holds all the live streams it may; try again.",
                headers={"Retry-After": "1"},
            )
        if member_id is not None:
            mine = self.members.setdefault(member_id, set())
            if len(mine) >= settings.stream_per_member:
                raise TooManyStreams(
                    f"At most {settings.stream_per_member} live streams per member.",
                    headers={"Retry-After": "5"},
                    limit=settings.stream_per_member,
                )
        stream = Stream(member_id, settings.stream_buffer_events)
        if member_id is None:
            self.services.add(stream)
        else:
            mine.add(stream)
        self.count += 1
        self._opened += 1
        return stream

    def release(self, stream: Stream) -> None:
        if stream.member_id is None:
            if stream not in self.services:
                return
            self.services.discard(stream)
        else:
            mine = self.members.get(stream.member_id)
            if mine is None or stream not in mine:
                return
            mine.discard(stream)
            if not mine:
                del self.members[stream.member_id]
        self.count -= 1
        if stream.closed in ("overflow", "stalled"):
            self.cut[stream.closed] = self.cut.get(stream.closed, 0) + 1
        stream.close(stream.closed or "gone")

    async def newest(self) -> int:
        """Publish what committed, then the feed's last position: every event committed before
        the call is at or below it. Callers at once share one publication that began after
        they asked (a burst of streams opening takes the publisher's lock a few times, not
        once each)."""
        asked = self._newest_serial
        while True:
            running = self._newest
            if running is not None and not running.done():
                if self._newest_serial > asked:  # began after this call: it covers it
                    return await asyncio.shield(running)
                with contextlib.suppress(Exception):
                    await asyncio.shield(running)
                continue
            self._newest_serial += 1
            running = self._newest = asyncio.ensure_future(
                self.ctx.db.write(events.publish_and_last, self.ctx.clock.now())
            )
            return await asyncio.shield(running)

    def stand_at(self, position: int) -> None:
        """Where the hub stands when it stood nowhere (no stream was open): ``position``, read
        after a stream registered, so every event after it reaches that stream."""
        if self.position is None:
            self.position = position

    def _all(self) -> Iterable[Stream]:
        yield from list(self.services)
        for streams in list(self.members.values()):
            yield from list(streams)

    def _counts_due(self, member_id: int) -> None:
        if member_id in self.members:
            self._counts_for.add(member_id)

    async def _show_counts(self) -> None:
        """The badges of the members whose numbers may have changed, in one statement."""
        due, self._counts_for = self._counts_for, set()
        due &= self.members.keys()
        if not due:
            return
        found = await members.received_counts_of(self.ctx.db, sorted(due), self.ctx.clock.now())
        for member_id in due:
            counts = found.get(member_id)
            for stream in list(self.members.get(member_id, ())):
                if counts is None:
                    stream.close("erased")
                else:
                    stream.show_counts(counts)

    async def _tick(self) -> None:
        """Once a second, for every stream: a heartbeat when it has been quiet for
        ``stream_heartbeat_seconds``, its end when its token has expired. One timer for all
        of them: a timer each (and its timeout's exception) cost 10,000 streams a fifth of a
        core in heartbeats alone."""
        loop = asyncio.get_running_loop()
        now_frozen = -FREEZE_EVERY_SECONDS
        while True:
            await asyncio.sleep(1.0)
            if self._opened and now_frozen + FREEZE_EVERY_SECONDS <= loop.time():
                # What an open stream holds lives as long as the stream (its connection,
                # request, tasks: a hundred objects or so): kept out of the cyclic
                # collector's walks, as start-up's objects are. With 10,000 streams open,
                # each full collection walked them all for 0.3-1.1 s, the whole process
                # stopped (requests timed out waiting for a pooled connection); frozen, the
                # collections took 45-65 ms. What is garbage goes first (the walk covers only
                # what is not frozen yet); a stream's objects are freed by their reference
                # counts when it ends.
                self._opened = 0
                gc.collect()
                gc.freeze()
                now_frozen = loop.time()
            now = loop.time()
            quiet = now - self.settings.stream_heartbeat_seconds
            for stream in self._all():
                if stream.deadline is not None and now >= stream.deadline:
                    stream.close("token_expired")
                elif stream.written_at <= quiet:
                    stream.beat()

    # --- reading the outbox ------------------------------------------------------------------

    async def _run(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.stream_poll_seconds)
                # A moment for the commits of the same instant to arrive: one read for them.
                await asyncio.sleep(GATHER_SECONDS)
            except TimeoutError:
                self._publish_due = True  # unnotified (no listener, or a notification lost)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not self.count:
                self.position = None  # nothing to hand out: read nothing, keep no position
                continue
            try:
                await self.pump()
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live streams: reading the outbox failed (%s); again", exc)
                self._publish_due = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 5.0)
                self._wake.set()

    async def pump(self) -> None:
        """Publish what committed (when an event was written since the last time: a wake-up
        by another process's publication only reads), then hand out every event after the
        hub's position."""
        if self.position is None:
            self.stand_at(await self.newest())
        position = self.position
        assert position is not None
        ctx = self.ctx
        if self._publish_due:
            self._publish_due = False
            await ctx.db.write(events.publish, ctx.clock.now(), wait=True)
        while True:
            rows = await ctx.db.fetch_primary(events.EVERY_AFTER, position, PAGE)
            for row in rows:
                self._hand_out(row)
                position = row["position"]
            self.position = position
            if len(rows) < PAGE:
                break
        if self._counts_for:
            await self._show_counts()

    def _hand_out(self, row: Any) -> None:
        type_ = row["type"]
        audience = row["audience"]
        members = self.members
        data: dict[str, Any] = json.loads(row["data"])
        targets: list[Stream] = list(self.services)
        for member in audience:
            streams = members.get(member)
            if streams:
                targets.extend(streams)
        if targets:
            framed = frame(row["position"], type_, feed_item(row, data))
            for stream in targets:
                if stream.push(row["position"], framed):
                    self.delivered += 1
        if type_.startswith("invitation."):
            invitee = data.get("invitee_id")
            if isinstance(invitee, int) and invitee in members:
                self._counts_due(invitee)
        elif type_ == "member.erased":
            erased = data.get("member_id")
            for stream in list(members.get(erased, ())) if isinstance(erased, int) else ():
                stream.close("erased")


def ends_at(expires_at: float | None, now: float) -> float | None:
    """The loop time at which a stream whose token expires at ``expires_at`` ends (both in
    seconds since the epoch, ``now`` by the service's clock)."""
    if expires_at is None:
        return None
    return asyncio.get_running_loop().time() + max(0.0, expires_at - now)
