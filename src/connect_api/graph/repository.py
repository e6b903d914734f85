"""SQL of the graph read model: the whole graph by binary ``COPY`` in one snapshot, the pairs
changed since a snapshot (the graph's outbox, migration 0013), and the outbox's pruning."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.graph.model import Adjacency, Graph
from connect_api.kit import replicas as read_after

# A catch-up of more changed pairs than this loads the whole graph again instead.
MOST_CHANGES = 200_000

# One binary COPY row of two bigints: field count, then (length, value) twice.
_PAIR = np.dtype([("n", ">i2"), ("la", ">i4"), ("a", ">i8"), ("lb", ">i4"), ("b", ">i8")])
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4, always 0 here)

# Each relation as (source, target) rows in (source, target) order: the primary key's order,
# so the rows arrive as a compressed sparse row already (no sort here). Connections are stored
# both ways, so their rows are every member's whole list.
_RELATIONS = {
    "connections": "SELECT member_id, other_id FROM connections ORDER BY member_id, other_id",
    "blocks_placed": "SELECT blocker_id, blocked_id FROM blocks ORDER BY blocker_id, blocked_id",
    "blocks_received": "SELECT blocked_id, blocker_id FROM blocks ORDER BY blocked_id, blocker_id",
    "groups_of": "SELECT member_id, group_id FROM group_members ORDER BY member_id, group_id",
    "members_of": "SELECT group_id, member_id FROM group_members ORDER BY group_id, member_id",
}

_CHANGES = """
WITH ch AS (
    SELECT DISTINCT kind, a, b FROM graph_changes
    WHERE xid >= pg_snapshot_xmin($1::text::pg_snapshot)
      AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)
    LIMIT $2
)
SELECT kind, a, b, CASE kind
    WHEN 'c' THEN EXISTS (SELECT 1 FROM connections x
                          WHERE x.member_id = ch.a AND x.other_id = ch.b)
    WHEN 'b' THEN EXISTS (SELECT 1 FROM blocks x
                          WHERE x.blocker_id = ch.a AND x.blocked_id = ch.b)
    WHEN 'g' THEN EXISTS (SELECT 1 FROM group_members x
                          WHERE x.group_id = ch.a AND x.member_id = ch.b)
    ELSE false END
FROM ch
"""


class _CsrSink:
    """Receives a binary COPY of ordered (source, target) bigint rows, chunk by chunk, and
    keeps only what the compressed sparse row needs: the targets (4 bytes each while ids fit
    in 32 bits) and the count per source. At 1,000,000 members the 50 million connection rows
    arrive as 1.3 GB of COPY data; holding it whole, then sorting, took 5 GB at the peak."""

    def __init__(self) -> None:
        self._rest = b""
        self._header = True
        self._targets: list[npt.NDArray[Any]] = []
        self._sources: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
        self._wide = False

    async def __call__(self, chunk: bytes) -> None:
        data = self._rest + chunk if self._rest else chunk
        if self._header:
            if len(data) < _COPY_HEADER:
                self._rest = data
                return
            data, self._header = data[_COPY_HEADER:], False
        n = len(data) // _PAIR.itemsize
        self._rest = data[n * _PAIR.itemsize :]  # a row cut by the chunk's end, or the trailer
        if not n:
            return
        rows = np.frombuffer(data, dtype=_PAIR, count=n)
        sources, targets = rows["a"].astype(np.int64), rows["b"]
        if not self._wide and int(targets.max()) >= 2**31 - 1:
            self._wide = True
            self._targets = [t.astype(np.int64) for t in self._targets]
        self._targets.append(targets.astype(np.int64 if self._wide else np.int32))
        # Sources arrive in order: their runs, as (first id of each run, its length).
        starts = np.flatnonzero(np.diff(sources, prepend=sources[0] - 1))
        self._sources.append((sources[starts], np.diff(np.append(starts, n))))

    def adjacency(self) -> Adjacency:
        if not self._targets:
            return Adjacency(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        indices = np.concatenate(self._targets)
        self._targets = []
        ids = np.concatenate([s for s, _ in self._sources])
        lengths = np.concatenate([n for _, n in self._sources])
        counts = np.zeros(int(ids.max()) + 1, dtype=np.int64)
        np.add.at(counts, ids, lengths)  # a source cut by a chunk boundary has two runs
        indptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return Adjacency.from_csr(indptr, indices)


@dataclass(frozen=True)
class Loaded:
    graph: Graph
    snapshot: str
    lsn: int
    seconds: float


async def read_lsn(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval("SELECT pg_current_wal_lsn()::text")
    return read_after.parse_lsn(value or "") or 0


async def load(conn: asyncpg.Connection) -> Loaded:
    """The whole graph as of one snapshot, and that snapshot (with the WAL position read
    before it)."""
    started = time.perf_counter()
    lsn = await read_lsn(conn)
    sinks = {name: _CsrSink() for name in _RELATIONS}
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        for name, query in _RELATIONS.items():
            await conn.copy_from_query(query, output=sinks[name], format="binary")

    def build() -> Graph:
        return Graph.from_relations(*(sinks[name].adjacency() for name in _RELATIONS))

    graph = await asyncio.to_thread(build)
    _give_back_freed_memory()
    return Loaded(graph, snapshot, lsn, time.perf_counter() - started)


def _give_back_freed_memory() -> None:
    """Return the load's freed chunks to the system. They are many small arrays, which the C
    allocator keeps in its heap once freed: at 1,000,000 members the process held 468 MB more
    after a load for 234 MB of arrays, and 229 MB more once trimmed (glibc's
    ``malloc_trim``; elsewhere nothing is done)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def apply(graph: Graph, rows: Iterable[Any]) -> None:
    for kind, a, b, present in rows:
        if kind == "c":
            graph.connect(a, b, present)
        elif kind == "b":
            graph.block(a, b, present)
        elif kind == "g":
            graph.membership(a, b, present)


class NeedsLoad(Exception):
    """The outbox says to read everything again (a TRUNCATE, a bulk load, too many changes)."""


async def changes(conn: asyncpg.Connection, since: str) -> tuple[str, list[Any]]:
    """The new snapshot, and each pair changed by a transaction that committed between
    ``since`` and it, with whether the pair is there in it."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        rows = await conn.fetch(_CHANGES, since, MOST_CHANGES + 1)
    if len(rows) > MOST_CHANGES or any(r[0] == "r" for r in rows):
        raise NeedsLoad
    return snapshot, [(r[0], r[1], r[2], r[3]) for r in rows]


async def prune(session: AsyncSession, older_than: datetime) -> int:
    """Forget the outbox's changes noted before ``older_than``; how many."""
    result = await session.execute(
        text("DELETE FROM graph_changes WHERE noted_at < :older_than"), {"older_than": older_than}
    )
    return int(getattr(result, "rowcount", 0) or 0)
