"""SQL of the graph read model: the whole graph by binary ``COPY`` in one snapshot, the pairs
changed since a snapshot (the graph's outbox, migration 0013), and the outbox's pruning."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.graph.model import Graph
from connect_api.kit import replicas as read_after

# A catch-up of more changed pairs than this loads the whole graph again instead.
MOST_CHANGES = 200_000

# One binary COPY row of two bigints: field count, then (length, value) twice.
_PAIR = np.dtype([("n", ">i2"), ("la", ">i4"), ("a", ">i8"), ("lb", ">i4"), ("b", ">i8")])
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4, always 0 here)

_QUERIES = {
    "connections": "SELECT member_id, other_id FROM connections WHERE member_id < other_id",
    "blocks": "SELECT blocker_id, blocked_id FROM blocks",
    "memberships": "SELECT group_id, member_id FROM group_members",
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


def pairs_of(data: bytes | bytearray) -> np.ndarray:
    """The (a, b) rows of a binary COPY of two bigint columns, as an (n, 2) int64 array."""
    body = memoryview(data)[_COPY_HEADER : len(data) - 2]  # the trailer is a -1 field count
    rows = np.frombuffer(body, dtype=_PAIR)
    out = np.empty((len(rows), 2), dtype=np.int64)
    out[:, 0] = rows["a"]
    out[:, 1] = rows["b"]
    return out


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
    chunks: dict[str, bytearray] = {}
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        for name, query in _QUERIES.items():
            buffer = chunks[name] = bytearray()

            async def sink(chunk: bytes, buffer: bytearray = buffer) -> None:
                buffer += chunk

            await conn.copy_from_query(query, output=sink, format="binary")
    graph = await asyncio.to_thread(
        lambda: Graph(*(pairs_of(chunks[name]).ravel() for name in _QUERIES))
    )
    return Loaded(graph, snapshot, lsn, time.perf_counter() - started)


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
