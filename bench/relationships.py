"""What the Connect button costs: ``python -m bench.relationships``.

Builds a graph of more than 10,000 members from SNAP ego-Facebook: three copies of the 4,039
people (ids ``copy * 4039 + node + 1``) joined by random bridge friendships, every connection
with both follows (as connecting makes them), members spread over groups, a few blocks and
pending invitations. Then times ``GET /v1/relationships`` for 1, 10 and 100 ids, as a typical
member and as the best-connected one, checks every answer's ``degree`` and
``mutual_connections`` against a breadth-first search in Python, counts the SQL statements per
look-up, and prints medians with their ratio to ``GET /healthz`` in the same process.

Database as for ``python -m bench``: embedded, or a fresh database on ``DATABASE_URL``'s server.
"""

from __future__ import annotations

import random
import statistics
import sys
from datetime import datetime, timedelta
from typing import Any

from httpx import ASGITransport, AsyncClient
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.__main__ import (
    JWT_SECRET,
    SEED,
    Client,
    Graph,
    Row,
    check,
    expect,
    graph_path,
    measure,
    print_table,
    read_graph,
    run,
    sql,
    step,
)
from connect_api.app import create_app
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import PolicySettings, Settings
from connect_api.kit.context import AppContext

COPIES = 3
BRIDGES = 6_000  # random friendships between members of different copies
GROUPS, GROUP_MEMBERSHIPS = 200, 3  # each member joins this many random groups
BLOCKS, PENDING = 300, 3_000
REPS, WARMUP = 100, 10
POOL_SIZE = 10


def big_graph(base: Graph, rng: random.Random) -> dict[int, set[int]]:
    """Member id → connected member ids."""
    size = max(base.nodes) + 1
    adjacency: dict[int, set[int]] = {}
    for copy in range(COPIES):
        for a, b in base.edges:
            x, y = copy * size + a + 1, copy * size + b + 1
            adjacency.setdefault(x, set()).add(y)
            adjacency.setdefault(y, set()).add(x)
    ids = sorted(adjacency)
    made = 0
    while made < BRIDGES:
        x, y = rng.choice(ids), rng.choice(ids)
        if (x - 1) // size != (y - 1) // size and y not in adjacency[x]:
            adjacency[x].add(y)
            adjacency[y].add(x)
            made += 1
    return adjacency


def within_three(adjacency: dict[int, set[int]], start: int) -> dict[int, int]:
    """Breadth-first distances from ``start``, up to 3."""
    dist = {start: 0}
    frontier = [start]
    for d in (1, 2, 3):
        nxt = []
        for node in frontier:
            for other in adjacency[node]:
                if other not in dist:
                    dist[other] = d
                    nxt.append(other)
        frontier = nxt
    return dist


async def load(engine: AsyncEngine, adjacency: dict[int, set[int]], rng: random.Random) -> None:
    now = datetime.now().astimezone()
    ids = sorted(adjacency)
    pairs = [(a, b) for a in ids for b in adjacency[a]]  # both directions
    blocks: set[tuple[int, int]] = set()
    while len(blocks) < BLOCKS:  # between members who are not connected
        a, b = rng.choice(ids), rng.choice(ids)
        if a != b and b not in adjacency[a] and (b, a) not in blocks:
            blocks.add((a, b))
    blocked = blocks | {(b, a) for a, b in blocks}
    pending: set[tuple[int, int]] = set()
    while len(pending) < PENDING:
        a, b = rng.choice(ids), rng.choice(ids)
        fresh = (a, b) not in blocked and (b, a) not in pending
        if a != b and b not in adjacency[a] and fresh:
            pending.add((a, b))
    memberships = {(g, m) for m in ids for g in rng.sample(range(1, GROUPS + 1), GROUP_MEMBERSHIPS)}
    async with engine.begin() as conn:
        with step(f"members ({len(ids):,})"):
            await conn.execute(
                text(
                    """INSERT INTO members (id, handle, display_name, created_at)
                       SELECT i, 'm' || i, 'Member ' || i, :now
                       FROM unnest(CAST(:ids AS bigint[])) i"""
                ),
                {"ids": ids, "now": now - timedelta(days=400)},
            )
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('members', 'id'), "
                    "(SELECT max(id) FROM members))"
                )
            )
        with step(f"connections and their follows ({len(pairs):,} rows each)"):
            params = {
                "a": [a for a, _ in pairs],
                "b": [b for _, b in pairs],
                "at": now - timedelta(days=30),
            }
            await conn.execute(
                text(
                    """INSERT INTO connections (member_id, other_id, created_at)
                       SELECT a, b, :at FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[]))
                            AS e(a, b)"""
                ),
                params,
            )
            await conn.execute(
                text(
                    """INSERT INTO follows (follower_id, followee_id, created_at)
                       SELECT a, b, :at FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[]))
                            AS e(a, b)"""
                ),
                params,
            )
        with step(f"{GROUPS} groups, {len(memberships):,} memberships"):
            await conn.execute(
                text(
                    """INSERT INTO groups (id, name, created_at)
                       SELECT g, 'Group ' || g, :now FROM generate_series(1, :n) g"""
                ),
                {"n": GROUPS, "now": now},
            )
            await conn.execute(
                text(
                    """INSERT INTO group_members (group_id, member_id, joined_at)
                       SELECT g, m, :now FROM unnest(CAST(:g AS bigint[]), CAST(:m AS bigint[]))
                            AS u(g, m)"""
                ),
                {"g": [g for g, _ in memberships], "m": [m for _, m in memberships], "now": now},
            )
        with step(f"{BLOCKS} blocks, {PENDING:,} pending invitations"):
            await conn.execute(
                text(
                    """INSERT INTO blocks (blocker_id, blocked_id, created_at)
                       SELECT a, b, :now FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[]))
                            AS u(a, b)"""
                ),
                {"a": [a for a, _ in blocks], "b": [b for _, b in blocks], "now": now},
            )
            await conn.execute(
                text(
                    """INSERT INTO invitations
                           (inviter_id, invitee_id, status, created_at, expires_at)
                       SELECT a, b, 'pending', :now, :expires
                       FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[])) AS u(a, b)"""
                ),
                {
                    "a": [a for a, _ in pending],
                    "b": [b for _, b in pending],
                    "now": now,
                    "expires": now + timedelta(days=180),
                },
            )
        with step("counters from the rows, ANALYZE"):
            await conn.execute(
                text(
                    """UPDATE members m SET
                         connection_count = (SELECT count(*) FROM connections c
                                             WHERE c.member_id = m.id),
                         follower_count = (SELECT count(*) FROM follows f
                                           WHERE f.followee_id = m.id),
                         following_count = (SELECT count(*) FROM follows f
                                            WHERE f.follower_id = m.id)"""
                )
            )
            await conn.execute(
                text(
                    """UPDATE groups g SET member_count = (SELECT count(*) FROM group_members gm
                                                          WHERE gm.group_id = g.id)"""
                )
            )
            for table in ("members", "connections", "follows", "groups", "group_members"):
                await conn.execute(text(f"ANALYZE {table}"))
            await conn.execute(text("ANALYZE blocks"))
            await conn.execute(text("ANALYZE invitations"))


def sample_ids(
    adjacency: dict[int, set[int]], viewer: int, n: int, rng: random.Random
) -> list[int]:
    """``n`` ids around ``viewer``: a mix of 1st, 2nd and 3rd degree and out of network."""
    dist = within_three(adjacency, viewer)
    by_degree: dict[int | None, list[int]] = {1: [], 2: [], 3: [], None: []}
    for m in adjacency:
        if m != viewer:
            by_degree[dist.get(m)].append(m)
    picked: list[int] = []
    while len(picked) < n:
        pool = [p for p in by_degree.values() if p]
        choice = rng.choice(rng.choice(pool))
        if choice not in picked:
            picked.append(choice)
    return picked


def verify(
    adjacency: dict[int, set[int]], viewer: int, items: list[dict[str, Any]]
) -> tuple[int, dict[Any, int]]:
    """Check degree and mutual_connections of every answer; returns (checked, degree counts)."""
    dist = within_three(adjacency, viewer)
    degrees: dict[Any, int] = {}
    checked = 0
    for item in items:
        m = item["member_id"]
        if item["action"] == "unavailable":
            degrees["unavailable"] = degrees.get("unavailable", 0) + 1
            continue
        want = dist.get(m)
        check(item["degree"] == want, f"member {m}: degree {item['degree']}, BFS says {want}")
        mutual = len(adjacency[viewer] & adjacency[m])
        check(
            item["mutual_connections"] == mutual,
            f"member {m}: {item['mutual_connections']} mutual, expected {mutual}",
        )
        degrees[want] = degrees.get(want, 0) + 1
        checked += 1
    return checked, degrees


async def measure_look_ups(adjacency: dict[int, set[int]], url: str, where: str) -> None:
    settings = Settings(
        database_url=url,
        jwt_secret=JWT_SECRET,
        db_pool_size=POOL_SIZE,
        expiry_sweep_seconds=0,
        webhook_dispatch_seconds=0,
        policy=PolicySettings(),
    )
    app = create_app(settings, clock=SystemClock(), migrate=True)
    rng = random.Random(SEED + 7)
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        engine = ctx.db.engine
        print(f"PostgreSQL {(await sql(engine, 'SHOW server_version'))[0][0]} ({where})")
        await load(engine, adjacency, rng)
        members = (await sql(engine, "SELECT count(*) FROM members"))[0][0]
        rows = (await sql(engine, "SELECT count(*) FROM connections"))[0][0]
        print(f"graph: {members:,} members, {rows:,} connection rows, {COPIES} SNAP copies")
        check(members >= 10_000, "the graph must have at least 10,000 members")

        ids = sorted(adjacency)
        degrees = sorted(ids, key=lambda m: len(adjacency[m]))
        typical, hub = degrees[len(degrees) // 2], degrees[-1]
        print(
            f"viewers: typical member {typical} ({len(adjacency[typical])} connections), "
            f"best-connected member {hub} ({len(adjacency[hub])} connections)"
        )

        statements: list[str] = []

        def count(*_: Any) -> None:
            statements.append("")

        results: list[Row] = []
        async with AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as http:
            c = Client(http, ctx)

            async def healthz(_: int) -> None:
                check((await http.get("/healthz")).status_code == 200, "healthz")

            results.append(await measure("GET /healthz (baseline)", healthz, 1000, 100))
            for viewer, label in ((typical, "typical"), (hub, "best-connected")):
                for n in (1, 10, 100):
                    batches = [sample_ids(adjacency, viewer, n, rng) for _ in range(8)]
                    checked, seen = 0, {}
                    for batch in batches:  # correctness first, outside the timings
                        r = await c.get(
                            viewer, "/v1/relationships", params={"ids": ",".join(map(str, batch))}
                        )
                        got, by_degree = verify(
                            adjacency, viewer, expect(r, 200, "look-up")["items"]
                        )
                        checked += got
                        for k, v in by_degree.items():
                            seen[k] = seen.get(k, 0) + v
                    statements.clear()
                    event.listen(engine.sync_engine, "before_cursor_execute", count)
                    await c.get(
                        viewer, "/v1/relationships", params={"ids": ",".join(map(str, batches[0]))}
                    )
                    event.remove(engine.sync_engine, "before_cursor_execute", count)
                    print(
                        f"  {label}, {n} ids: {len(statements)} SQL statements per look-up; "
                        f"{checked} answers checked against BFS (by degree: {seen})"
                    )

                    async def look(
                        i: int, viewer: int = viewer, batches: list[list[int]] = batches
                    ) -> None:
                        batch = ",".join(map(str, batches[i % len(batches)]))
                        r = await c.get(viewer, "/v1/relationships", params={"ids": batch})
                        check(r.status_code == 200, f"look-up: {r.status_code}")

                    results.append(
                        await measure(f"relationships, {n} ids, {label} viewer", look, REPS, WARMUP)
                    )
        print()
        print_table(results, results[0])
        per_id = [r.median_ms / n for r, n in zip(results[1:], (1, 10, 100) * 2, strict=True)]
        print(f"median per id at 100 ids: {statistics.mean(per_id[2::3]):.3f} ms")


def main() -> int:
    adjacency = big_graph(read_graph(graph_path()), random.Random(SEED))
    return run(
        "connect-api relationships benchmark",
        lambda url, where, _: measure_look_ups(adjacency, url, where),
    )


if __name__ == "__main__":
    sys.exit(main())
