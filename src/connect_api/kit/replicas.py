"""Read replicas: where a read may go, and read-your-writes.

With ``CONNECT_API_READ_DATABASE_URL`` set to one or more streaming replicas of the primary,
the read side (the relationships look-up, mutual connections, second degree, suggestions,
`me`, profiles, every list, the export) runs on a replica, and every write, with every read
that guards a rule, on the primary (a use case's transaction never leaves it).

**Read-your-writes.** After a request's transaction commits, the service takes the primary's
WAL position (an LSN at or past the commit record) and hands it back: the
``Connect-Read-After`` response header and a cookie of the same name. A request carrying it
(header or cookie), or made by a member this process has just written for, reads from a
replica only once that replica's replay has passed the position; until then from the primary.
So a member always sees their own writes, in this process or any other that is given the
header.

**Bounded staleness for everyone else.** Every ``CONNECT_API_REPLICA_CHECK_SECONDS`` each
process asks the primary for its WAL position and each replica for its replay position. A
replica's lag is how long ago the primary was first at a position the replica has not yet
replayed (0 when it has replayed everything the primary had at the last check). A replica
whose lag is over ``CONNECT_API_REPLICA_MAX_LAG_SECONDS``, that does not answer, or that is
not in recovery (promoted, or not a replica at all) is skipped until a check finds it fit
again; a read that fails on a replica for want of a connection, or because recovery cancelled
it, runs again on the primary. So what another member reads is at most the lag bound plus one
check interval behind the primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

log = logging.getLogger("connect_api.replicas")

HEADER = "Connect-Read-After"
COOKIE = "connect_read_after"

# What a replica answers that the primary would not, so the read is run there instead:
# recovery cancelled it (40001), the server is shutting down or starting (57P01-57P03), or its
# schema is behind the primary's during a migration (42P01, 42703, 42883).
_ON_PRIMARY_INSTEAD = {"40001", "57P01", "57P02", "57P03", "42P01", "42703", "42883"}

# How many members' last commit positions each process remembers (about 100 bytes each).
_REMEMBERED = 100_000

_HEX = frozenset("0123456789abcdefABCDEF")

State = Literal["unknown", "ok", "lagging", "down", "not_a_replica"]


def parse_lsn(value: str) -> int | None:
    """``"16/B374D848"`` as a number; ``None`` for anything that is not an LSN."""
    high, sep, low = value.strip().partition("/")
    if not sep or not all(0 < len(part) <= 8 and _HEX.issuperset(part) for part in (high, low)):
        return None
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


@dataclass
class ReadAfter:
    """One request's read position: what it must see (from the client), what it committed."""

    required: int = 0
    committed: int = 0
    member_id: int | None = None
    on_primary: bool = False
    # When the request arrived (monotonic): every commit its client had seen acknowledged is
    # visible in any snapshot taken after it.
    arrived: float = 0.0


_request: ContextVar[ReadAfter | None] = ContextVar("connect_api_read_after", default=None)


def current() -> ReadAfter | None:
    return _request.get()


@contextlib.contextmanager
def request_scope(required: int, arrived: float = 0.0) -> Iterator[ReadAfter]:
    state = ReadAfter(required=required, arrived=arrived)
    token = _request.set(state)
    try:
        yield state
    finally:
        _request.reset(token)


def read_on_primary() -> bool:
    """From now on this request reads from the primary; whether it did not already (so a
    read whose answer a replica may not have yet is worth asking again)."""
    state = _request.get()
    if state is None or state.on_primary:
        return False
    state.on_primary = True
    return True


def note_member(member_id: int) -> None:
    """The request speaks for this member (their own recent writes are to be seen)."""
    state = _request.get()
    if state is not None:
        state.member_id = member_id


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of an asyncpg error, or of the one SQLAlchemy wraps."""
    code: str | None = getattr(exc, "sqlstate", None)
    orig = getattr(exc, "orig", None)
    if code is None and orig is not None:
        code = getattr(orig, "sqlstate", None) or getattr(orig.__cause__, "sqlstate", None)
    return code


def unreachable(exc: BaseException) -> bool:
    """Whether a failure says the server could not be reached or used at all: its connection
    is of no further use (closed, refused, or asyncpg's protocol left mid-operation by a server
    that went away). Looked for in ``exc``, what SQLAlchemy wraps, and what either was raised
    from (SQLAlchemy's asyncpg adapter raises its own errors from asyncpg's)."""
    orig = getattr(exc, "orig", None)
    for cause in (exc, exc.__cause__, orig, getattr(orig, "__cause__", None)):
        if isinstance(
            cause,
            OSError
            | TimeoutError
            | asyncpg.InterfaceError
            | asyncpg.exceptions.InternalClientError
            | asyncpg.PostgresConnectionError,
        ):
            return True
    return sqlstate(exc) in ("57P01", "57P02", "57P03")


def falls_back(exc: BaseException) -> bool:
    """Whether a read that failed on a replica should run again on the primary."""
    return unreachable(exc) or sqlstate(exc) in _ON_PRIMARY_INSTEAD


@dataclass
class Replica:
    """One replica: its pools, and what the last check found."""

    index: int
    reads: asyncpg.Pool
    engine: AsyncEngine
    state: State = "unknown"
    replay: int = -1
    lag_seconds: float | None = None
    detail: str | None = None
    sessions: Any = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    def down(self, why: str) -> None:
        if self.state != "down":
            log.warning("replica %d skipped: %s", self.index, why)
        self.state, self.detail, self.lag_seconds = "down", why, None


class Replicas:
    """The replicas of one process, their health, and the members' recent commit positions."""

    def __init__(
        self, replicas: list[Replica], *, max_lag: float, check_every: float, timeout: float
    ) -> None:
        self.replicas = replicas
        self.max_lag = max_lag
        self.check_every = check_every
        self.timeout = timeout
        self._next = itertools.cycle(range(len(replicas)))
        self._written: OrderedDict[int, int] = OrderedDict()
        # (monotonic time, primary WAL position) of the recent checks, oldest first.
        self._samples: deque[tuple[float, int]] = deque()
        self.primary_lsn = 0
        # The greatest position the primary is known to have reached: its WAL position at the
        # last check, or a commit noted since. Nothing a client is handed is ever above it.
        self.known = 0
        # When (monotonic) the newest reading of the primary's position was started.
        self._known_at = -float("inf")
        self._primary: asyncpg.Pool | None = None
        self._reading: asyncio.Future[bool] | None = None
        self.reads = {"primary": 0, "replica": 0}

    # --- read-your-writes ----------------------------------------------------------------------

    def committed(self, state: ReadAfter, lsn: int) -> None:
        state.committed = max(state.committed, lsn)
        self.known = max(self.known, lsn)
        if state.member_id is not None:
            self._written[state.member_id] = max(lsn, self._written.pop(state.member_id, 0))
            while len(self._written) > _REMEMBERED:
                self._written.popitem(last=False)

    async def bounded(self, required: int, arrived: float) -> int:
        """A client's position, at most the primary's. Every position the service hands out
        was the primary's WAL position when it was read, so a position above the primary's at
        any moment since the request arrived (``arrived``, monotonic) was never handed out: it
        is cut down to the primary's, and cannot hold this member's reads on the primary, or be
        handed back, past what the primary has. A position above the last one known is checked
        against a reading of the primary started after the request arrived (one reading at a
        time, shared by the requests waiting for it), so one given by another process a moment
        ago still counts whole. If the primary cannot be read, the position is left as it is
        (the reads go to the primary)."""
        if required <= self.known or not await self._primary_read_since(arrived):
            return required
        return min(required, self.known)

    def handed_back(self, state: ReadAfter) -> int:
        """The position to give the client after a commit: at or past the commit, never behind
        what it sent (it keeps the greatest it was given), never past the primary's."""
        return max(state.committed, min(state.required, self.known))

    async def _primary_read_since(self, arrived: float) -> bool:
        while self._known_at < arrived:
            reading = self._reading
            if reading is None or reading.done():
                reading = self._reading = asyncio.ensure_future(self._read_primary())
            if not await asyncio.shield(reading):
                return False
        return True

    async def _read_primary(self) -> bool:
        started = time.monotonic()
        if self._primary is None:
            return False
        try:
            async with self._primary.acquire(timeout=self.timeout) as conn:
                text = await conn.fetchval(
                    "SELECT pg_current_wal_lsn()::text", timeout=self.timeout
                )
        except Exception as exc:
            log.warning("primary position not read: %s", type(exc).__name__)
            return False
        lsn = parse_lsn(text)
        if lsn is None:
            return False
        self._noted_primary(lsn, started)
        return True

    def _noted_primary(self, lsn: int, started: float) -> None:
        self.primary_lsn = max(self.primary_lsn, lsn)
        self.known = max(self.known, lsn)
        self._known_at = max(self._known_at, started)

    def needed(self, state: ReadAfter) -> int:
        own = self._written.get(state.member_id, 0) if state.member_id is not None else 0
        return max(state.required, state.committed, own)

    def pick(self, state: ReadAfter | None) -> Replica | None:
        """A fit replica that has replayed what this request must see; ``None``: the primary.
        Outside a request (the background jobs, the command line) always the primary."""
        if state is None or state.on_primary or not self.replicas:
            return None
        need = self.needed(state)
        for _ in range(len(self.replicas)):
            replica = self.replicas[next(self._next)]
            if replica.state == "ok" and replica.replay >= need:
                return replica
        return None

    # --- the checks ----------------------------------------------------------------------------

    async def check(self, primary: asyncpg.Pool) -> None:
        """Ask the primary for its WAL position and each replica for its replay position."""
        now = time.monotonic()
        self._primary = primary
        try:
            async with primary.acquire(timeout=self.timeout) as conn:
                text = await conn.fetchval(
                    "SELECT pg_current_wal_lsn()::text", timeout=self.timeout
                )
        except Exception as exc:  # the primary's own trouble is /readyz's to say
            log.warning("replica check: primary not read: %s", type(exc).__name__)
        else:
            lsn = parse_lsn(text)
            if lsn is not None:
                self._noted_primary(lsn, now)
            self._samples.append((now, self.primary_lsn))
        horizon = now - max(self.max_lag * 4, self.check_every * 4, 5)
        while len(self._samples) > 2 and self._samples[0][0] < horizon:
            self._samples.popleft()
        await asyncio.gather(*(self._check_one(r, now) for r in self.replicas))

    async def _check_one(self, replica: Replica, now: float) -> None:
        try:
            async with replica.reads.acquire(timeout=self.timeout) as conn:
                recovering, replay = await conn.fetchrow(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text",
                    timeout=self.timeout,
                )
        except Exception as exc:
            replica.down(f"did not answer the check ({type(exc).__name__})")
            return
        if not recovering:
            if replica.state != "not_a_replica":
                log.warning("replica %d skipped: it is not in recovery", replica.index)
            replica.state, replica.detail, replica.lag_seconds = "not_a_replica", None, None
            return
        replica.replay = max(replica.replay, parse_lsn(replay or "") or -1)
        replica.lag_seconds = self._lag(replica.replay, now)
        fit = replica.lag_seconds <= self.max_lag
        if not fit and replica.state == "ok":
            log.warning("replica %d skipped: %.1f s behind", replica.index, replica.lag_seconds)
        elif fit and replica.state in ("down", "lagging", "not_a_replica"):
            log.warning("replica %d in use again", replica.index)
        replica.state = "ok" if fit else "lagging"
        replica.detail = None

    def _lag(self, replay: int, now: float) -> float:
        """Since when the primary has been at a position the replica has not replayed."""
        for at, lsn in self._samples:
            if lsn > replay:
                return max(now - at, 0.0)
        return 0.0

    async def watch(self, primary: asyncpg.Pool, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check(primary)
            except Exception:
                log.exception("replica check failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.check_every)

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.reads.close()
            await replica.engine.dispose()

    def report(self) -> list[dict[str, Any]]:
        return [
            {
                "replica": r.index,
                "state": r.state,
                "lag_seconds": None if r.lag_seconds is None else round(r.lag_seconds, 3),
                "replay_lsn": format_lsn(r.replay) if r.replay >= 0 else None,
                "detail": r.detail,
            }
            for r in self.replicas
        ]
