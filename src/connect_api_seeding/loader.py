"""Loading a generated network into PostgreSQL with COPY, in one transaction.

The tables are emptied with TRUNCATE in the transaction that fills them, so every COPY can use
FREEZE: the rows arrive frozen, and no later VACUUM has to rewrite them. (Their pages are not
all marked all-visible: not for a table loaded through a trigger, as connections are.) The big
tables go as binary COPY streams built by numpy; the secondary indexes of the loaded tables are
dropped first and rebuilt from their own definitions afterwards (primary keys stay: rows are
sent in key order, so keeping them is an append). :func:`finish` then derives every counter
from the rows, and ``VACUUM (ANALYZE)`` marks the pages all-visible, so that index-only scans
stay off the heap from the start, and gives the planner the new statistics.
"""

from __future__ import annotations

import struct
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import numpy as np
from numpy.typing import NDArray

from connect_api.core.tags import normalise
from connect_api_seeding import names
from connect_api_seeding.generator import REASONS, STATUSES, Network

# The tables a seed fills, in load order (parents before children).
LOADED = (
    "members",
    "groups",
    "connections",
    "follows",
    "blocks",
    "group_members",
    "invitations",
    "connection_tags",
)
# Emptied by --replace: everything that belongs to members. CASCADE takes along any table
# that references these (notes, tags, webhook deliveries, and tables added later).
EMPTIED = (*LOADED, "notes", "idempotency_keys", "events")

_EPOCH_2000 = datetime(2000, 1, 1, tzinfo=UTC)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = b"\xff\xff"
# One binary COPY tuple of (bigint, bigint, timestamptz): every pair table has this shape.
_PAIR_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("len0", ">i4"),
        ("a", ">i8"),
        ("len1", ">i4"),
        ("b", ">i8"),
        ("len2", ">i4"),
        ("t", ">i8"),
    ]
)
_CHUNK = 250_000


class AlreadySeeded(RuntimeError):
    pass


class Progress:
    """What the loader reports to (the command shows it as a tqdm bar); it keeps the seconds
    each phase took."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def rows(self, table: str, count: int) -> None:
        pass

    def phase(self, name: str) -> None:
        now = time.perf_counter()
        if self._current is not None:
            previous, since = self._current
            self.timings[previous] = self.timings.get(previous, 0.0) + now - since
        self._current = (name, now)

    def done(self) -> None:
        self.phase("")
        self._current = None

    def report(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.timings.items())


@dataclass(frozen=True)
class Options:
    """How to load (the defaults are the fastest measured; see bench/seed.py)."""

    drop_indexes: bool = True
    drop_foreign_keys: bool = True
    freeze: bool = True
    maintenance_work_mem: str = "512MB"


@dataclass(frozen=True)
class Summary:
    members: int
    connections: int
    connection_rows: int
    follows: int
    groups: int
    memberships: int
    blocks: int
    pending: int
    invitations: int
    tags: int
    database_bytes: int

    def line(self, seconds: float) -> str:
        return (
            f"seeded {self.members:,} members, {self.connections:,} connections "
            f"({self.connection_rows:,} rows), {self.follows:,} follows, {self.groups:,} groups, "
            f"{self.memberships:,} memberships, {self.blocks:,} blocks, "
            f"{self.pending:,} pending invitations ({self.invitations:,} in all), "
            f"{self.tags:,} tags in {seconds:.1f} s; "
            f"database {self.database_bytes / 2**20:,.0f} MiB"
        )


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL the service uses, as asyncpg wants it."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


async def connect(url: str, options: Options = Options()) -> asyncpg.Connection:
    # A loader session: nothing to wait for at commit (a crash loses the load, which is
    # all-or-nothing anyway), and memory for the index builds.
    return await asyncpg.connect(
        asyncpg_dsn(url),
        server_settings={
            "application_name": "connect-api-seed",
            "synchronous_commit": "off",
            "maintenance_work_mem": options.maintenance_work_mem,
        },
    )


async def member_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM members"))


def _us(now: datetime, ago: NDArray[np.int64]) -> NDArray[np.int64]:
    """Seconds before ``now`` as PostgreSQL's binary timestamps (µs since 2000-01-01 UTC)."""
    base = int((now - _EPOCH_2000).total_seconds() * 1_000_000)
    return np.asarray(base - ago.astype(np.int64) * 1_000_000, dtype=np.int64)


def _text_ts(now: datetime, ago: NDArray[np.int64]) -> NDArray[np.str_]:
    base = np.datetime64(now.replace(tzinfo=None), "us")
    stamps = base - ago.astype("timedelta64[s]").astype("timedelta64[us]")
    return np.char.add(np.datetime_as_string(stamps, unit="us"), "+00")


def _pair_stream(
    a: NDArray[np.int64], b: NDArray[np.int64], t: NDArray[np.int64]
) -> Iterator[tuple[bytes, int]]:
    yield _COPY_HEADER, 0
    for start in range(0, len(a), _CHUNK):
        stop = min(start + _CHUNK, len(a))
        rows = np.empty(stop - start, dtype=_PAIR_ROW)
        rows["fields"] = 3
        rows["len0"] = rows["len1"] = rows["len2"] = 8
        rows["a"], rows["b"], rows["t"] = a[start:stop], b[start:stop], t[start:stop]
        yield rows.tobytes(), stop - start
    yield _COPY_TRAILER, 0


async def _stream(
    chunks: Iterator[tuple[bytes, int]], table: str, progress: Progress
) -> AsyncIterator[bytes]:
    for data, count in chunks:
        yield data
        progress.rows(table, count)


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _text_rows(rows: Iterator[Sequence[Any]]) -> Iterator[tuple[bytes, int]]:
    lines: list[str] = []
    for row in rows:
        lines.append("\t".join("\\N" if v is None else _escape(str(v)) for v in row) + "\n")
        if len(lines) == 20_000:
            yield "".join(lines).encode(), len(lines)
            lines = []
    if lines:
        yield "".join(lines).encode(), len(lines)


def _sorted_pairs(
    a: NDArray[np.int64], b: NDArray[np.int64], t: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    order = np.lexsort((b, a))
    return a[order], b[order], t[order]


def handles(net: Network) -> list[str]:
    first, last = names.FIRST_NAMES, names.LAST_NAMES
    return [
        f"{(first[f] + '.' + last[la]).lower()[:20]}.{i}"
        for i, (f, la) in enumerate(
            zip(net.first_name.tolist(), net.last_name.tolist(), strict=True), 1
        )
    ]


def _member_rows(net: Network, now: datetime) -> Iterator[tuple[Any, ...]]:
    first, last = names.FIRST_NAMES, names.LAST_NAMES
    titles, employers = names.TITLES, names.EMPLOYERS
    created = _text_ts(now, net.member_ago).tolist()
    conn_count = net.degrees.tolist()
    n = net.members
    follow_pairs = np.concatenate([net.edges, net.edges[:, ::-1], net.follows])
    followers = np.bincount(follow_pairs[:, 1], minlength=n + 1)[1:].tolist()
    following = np.bincount(follow_pairs[:, 0], minlength=n + 1)[1:].tolist()
    for i, (f, la, ti, em, handle) in enumerate(
        zip(
            net.first_name.tolist(),
            net.last_name.tolist(),
            net.title.tolist(),
            net.employer.tolist(),
            handles(net),
            strict=True,
        )
    ):
        headline = None if ti < 0 else f"{titles[ti]} at {employers[em]}"
        yield (
            i + 1,
            handle,
            f"{first[f]} {last[la]}",
            headline,
            created[i],
            conn_count[i],
            followers[i],
            following[i],
        )


def _group_rows(net: Network, now: datetime) -> Iterator[tuple[Any, ...]]:
    created = _text_ts(now, net.group_ago).tolist()
    sizes = np.bincount(net.group_members[:, 0], minlength=len(net.group_names) + 1)[1:]
    for i, name in enumerate(net.group_names):
        yield (i + 1, name, f"A group for people in {name.split(' ')[0]}.", created[i], sizes[i])


def _invitation_rows(net: Network, now: datetime, expiry_days: float) -> Iterator[tuple[Any, ...]]:
    created = _text_ts(now, net.invited_ago).tolist()
    expires = _text_ts(now, net.invited_ago - round(expiry_days * 86_400)).tolist()
    responded = _text_ts(now, np.maximum(net.responded_ago, 0)).tolist()
    messages = names.MESSAGES
    for i, (inviter, invitee, status, reason, msg, resp) in enumerate(
        zip(
            net.invitations[:, 0].tolist(),
            net.invitations[:, 1].tolist(),
            net.invitation_status.tolist(),
            net.decline_reason.tolist(),
            net.message.tolist(),
            net.responded_ago.tolist(),
            strict=True,
        )
    ):
        yield (
            i + 1,
            inviter,
            invitee,
            None if msg < 0 else messages[msg],
            STATUSES[status],
            None if reason < 0 else REASONS[reason],
            created[i],
            expires[i],
            None if resp < 0 else responded[i],
        )


def _tag_rows(net: Network, now: datetime) -> Iterator[tuple[Any, ...]]:
    tags = [normalise(name) for name in names.TAGS]
    created = _text_ts(now, net.tag_ago).tolist()
    for i, (author, member, tag) in enumerate(
        zip(net.tags[:, 0].tolist(), net.tags[:, 1].tolist(), net.tag.tolist(), strict=True)
    ):
        yield (author, member, tags[tag].key, tags[tag].name, created[i])


async def _copy_text(
    conn: asyncpg.Connection,
    table: str,
    columns: list[str],
    rows: Iterator[Sequence[Any]],
    progress: Progress,
    options: Options,
) -> None:
    await conn.copy_to_table(
        table,
        source=_stream(_text_rows(rows), table, progress),
        columns=columns,
        format="text",
        freeze=options.freeze,
    )


async def _copy_pairs(
    conn: asyncpg.Connection,
    table: str,
    columns: list[str],
    pairs: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    progress: Progress,
    options: Options,
) -> None:
    await conn.copy_to_table(
        table,
        source=_stream(_pair_stream(*_sorted_pairs(*pairs)), table, progress),
        columns=columns,
        format="binary",
        freeze=options.freeze,
    )


async def secondary_indexes(
    conn: asyncpg.Connection, tables: Sequence[str]
) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of ``tables`` that back no constraint."""
    rows = await conn.fetch(
        """SELECT i.indexname, i.indexdef
           FROM pg_indexes i
           WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[])
             AND NOT EXISTS (
                 SELECT 1 FROM pg_constraint c
                 WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
           ORDER BY i.tablename, i.indexname""",
        list(tables),
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def foreign_keys(
    conn: asyncpg.Connection, tables: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the foreign keys of ``tables``."""
    rows = await conn.fetch(
        """SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) AS definition
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace
             AND t.relname = ANY($1::text[])
           ORDER BY t.relname, c.conname""",
        list(tables),
    )
    return [(r["relname"], r["conname"], r["definition"]) for r in rows]


async def finish(conn: asyncpg.Connection) -> None:
    """Every derived value, computed from the rows: the counters and the identity sequences.
    Rows that already hold the right value are left alone."""
    await conn.execute(
        """WITH c AS (SELECT member_id AS id, count(*) AS n FROM connections GROUP BY 1),
                fr AS (SELECT followee_id AS id, count(*) AS n FROM follows GROUP BY 1),
                fg AS (SELECT follower_id AS id, count(*) AS n FROM follows GROUP BY 1),
                counted AS (
                    SELECT m.id, coalesce(c.n, 0) AS connections, coalesce(fr.n, 0) AS followers,
                           coalesce(fg.n, 0) AS following
                    FROM members m LEFT JOIN c ON c.id = m.id LEFT JOIN fr ON fr.id = m.id
                         LEFT JOIN fg ON fg.id = m.id)
           UPDATE members m
           SET connection_count = k.connections, follower_count = k.followers,
               following_count = k.following
           FROM counted k
           WHERE m.id = k.id
             AND (m.connection_count, m.follower_count, m.following_count)
                 IS DISTINCT FROM (k.connections, k.followers, k.following)"""
    )
    await conn.execute(
        """WITH counted AS (
               SELECT g.id, count(gm.member_id) AS n
               FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id GROUP BY g.id)
           UPDATE groups g SET member_count = k.n FROM counted k
           WHERE g.id = k.id AND g.member_count IS DISTINCT FROM k.n"""
    )
    identities = await conn.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND is_identity = 'YES'
             AND table_name = ANY($1::text[])""",
        list(LOADED),
    )
    for row in identities:
        table, column = row["table_name"], row["column_name"]
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"  # noqa: S608
            f' coalesce(max("{column}"), 0) + 1, false) FROM "{table}"'
        )


async def load(
    conn: asyncpg.Connection,
    net: Network,
    *,
    replace: bool,
    expiry_days: float,
    progress: Progress,
    options: Options = Options(),
    now: datetime | None = None,
) -> None:
    """Empty the member tables and load ``net``, all in one transaction; then ANALYZE."""
    now = now or datetime.now(UTC)
    edges = net.edges
    async with conn.transaction():
        await conn.execute("LOCK TABLE members IN ACCESS EXCLUSIVE MODE")
        existing = await member_count(conn)
        if existing and not replace:
            raise AlreadySeeded(existing)
        await conn.execute(f"TRUNCATE {', '.join(EMPTIED)} RESTART IDENTITY CASCADE")
        # The TRUNCATE told every graph read model to load the graph again (migration 0013);
        # the rows loaded next need no note each.
        await conn.execute("SET LOCAL connect_api.graph_changes = 'off'")
        # A foreign key checks each row as it arrives (10 million index probes for the two
        # big tables); added back after the load, it checks them all in one join instead.
        keys = await foreign_keys(conn, LOADED) if options.drop_foreign_keys else []
        for table, name, _ in keys:
            await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        dropped = await secondary_indexes(conn, LOADED) if options.drop_indexes else []
        for name, _ in dropped:
            await conn.execute(f'DROP INDEX "{name}"')

        progress.phase("members")
        await _copy_text(
            conn,
            "members",
            [
                "id",
                "handle",
                "display_name",
                "headline",
                "created_at",
                "connection_count",
                "follower_count",
                "following_count",
            ],
            _member_rows(net, now),
            progress,
            options,
        )
        progress.phase("groups")
        await _copy_text(
            conn,
            "groups",
            ["id", "name", "description", "created_at", "member_count"],
            _group_rows(net, now),
            progress,
            options,
        )
        t_edges = _us(now, net.edge_ago)
        both = (
            np.concatenate([edges[:, 0], edges[:, 1]]),
            np.concatenate([edges[:, 1], edges[:, 0]]),
            np.concatenate([t_edges, t_edges]),
        )
        progress.phase("connections")
        await _copy_pairs(
            conn, "connections", ["member_id", "other_id", "created_at"], both, progress, options
        )
        progress.phase("follows")
        follows = (
            np.concatenate([both[0], net.follows[:, 0]]),
            np.concatenate([both[1], net.follows[:, 1]]),
            np.concatenate([both[2], _us(now, net.follow_ago)]),
        )
        del both
        await _copy_pairs(
            conn,
            "follows",
            ["follower_id", "followee_id", "created_at"],
            follows,
            progress,
            options,
        )
        del follows
        progress.phase("blocks")
        await _copy_pairs(
            conn,
            "blocks",
            ["blocker_id", "blocked_id", "created_at"],
            (net.blocks[:, 0], net.blocks[:, 1], _us(now, net.block_ago)),
            progress,
            options,
        )
        progress.phase("group members")
        await _copy_pairs(
            conn,
            "group_members",
            ["group_id", "member_id", "joined_at"],
            (net.group_members[:, 0], net.group_members[:, 1], _us(now, net.joined_ago)),
            progress,
            options,
        )
        progress.phase("invitations")
        await _copy_text(
            conn,
            "invitations",
            [
                "id",
                "inviter_id",
                "invitee_id",
                "message",
                "status",
                "decline_reason",
                "created_at",
                "expires_at",
                "responded_at",
            ],
            _invitation_rows(net, now, expiry_days),
            progress,
            options,
        )
        progress.phase("tags")
        await _copy_text(
            conn,
            "connection_tags",
            ["author_id", "member_id", "key", "name", "created_at"],
            _tag_rows(net, now),
            progress,
            options,
        )
        progress.phase("indexes")
        for _, definition in dropped:
            await conn.execute(definition)
        progress.phase("foreign keys")
        for table, name, definition in keys:
            await conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        progress.phase("counters")
        await finish(conn)
    # VACUUM as well as ANALYZE: the rows are loaded through a trigger (the name key), so no
    # page is marked all-visible, and every index-only scan of a member's connections went to
    # the heap: a hub's 30,000 connections counted in 9.4 ms with 376 buffers before, 3.2 ms
    # with 121 after (EXPLAIN (ANALYZE, BUFFERS), 100,000 members; the vacuum takes ~1.3 s).
    progress.phase("vacuum, analyze")
    await conn.execute(f"VACUUM (ANALYZE) {', '.join(LOADED)}")
    progress.done()


def total_rows(net: Network) -> int:
    return (
        net.members
        + len(net.group_names)
        + 4 * len(net.edges)
        + len(net.follows)
        + len(net.blocks)
        + len(net.group_members)
        + len(net.invitations)
        + len(net.tags)
    )


async def summary(conn: asyncpg.Connection) -> Summary:
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM members) AS members,
                  (SELECT count(*) FROM connections) AS connection_rows,
                  (SELECT count(*) FROM follows) AS follows,
                  (SELECT count(*) FROM groups) AS groups,
                  (SELECT count(*) FROM group_members) AS memberships,
                  (SELECT count(*) FROM blocks) AS blocks,
                  (SELECT count(*) FROM invitations WHERE status = 'pending') AS pending,
                  (SELECT count(*) FROM invitations) AS invitations,
                  (SELECT count(*) FROM connection_tags) AS tags,
                  pg_database_size(current_database()) AS size"""
    )
    assert row is not None
    return Summary(
        members=row["members"],
        connections=row["connection_rows"] // 2,
        connection_rows=row["connection_rows"],
        follows=row["follows"],
        groups=row["groups"],
        memberships=row["memberships"],
        blocks=row["blocks"],
        pending=row["pending"],
        invitations=row["invitations"],
        tags=row["tags"],
        database_bytes=row["size"],
    )
