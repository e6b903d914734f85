"""`connect-api seed`: the generated network has the shape it promises, every counter agrees
with the rows, the rules hold, and the service answers on it as a breadth-first search does."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connect_api.app import create_app
from connect_api.core.tags import normalise
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import PolicySettings, Settings
from connect_api_seeding import generator
from tests.conftest import JWT_SECRET, scratch_database
from tests.helpers import Api
from tests.test_cli import _cli

CAP = 400
SMALL = ("--members", "3000", "--avg-degree", "12", "--hubs", "2", "--groups", "10")
SNAP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "snap-ego-facebook.txt"

Graph = dict[int, set[int]]


def _seed(url: str, *args: str, cap: int = CAP):  # type: ignore[no-untyped-def]
    return _cli(
        "seed",
        *args,
        env={"CONNECT_API_DATABASE_URL": url, "CONNECT_API_CONNECTION_CAP": str(cap)},
    )


async def _rows(engine: AsyncEngine, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]


async def _graph(engine: AsyncEngine) -> Graph:
    graph: Graph = {int(m): set() for (m,) in await _rows(engine, "SELECT id FROM members")}
    for a, b in await _rows(engine, "SELECT member_id, other_id FROM connections"):
        graph[int(a)].add(int(b))  # type: ignore[call-overload]
    return graph


def _distances(graph: Graph, source: int, depth: int = 3) -> dict[int, int]:
    seen = {source: 0}
    queue = deque([source])
    while queue:
        m = queue.popleft()
        if seen[m] == depth:
            continue
        for other in graph[m]:
            if other not in seen:
                seen[other] = seen[m] + 1
                queue.append(other)
    return seen


@pytest.fixture(scope="module")
def seeded_url(database_url: str) -> Iterator[str]:
    with scratch_database(database_url, "seed") as url:
        out = _seed(url, *SMALL)
        assert out.returncode == 0, out.stderr
        assert "seeded 3,000 members" in out.stdout, out.stdout
        yield url


@pytest.fixture(scope="module")
async def seeded(seeded_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(seeded_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def graph(seeded: AsyncEngine) -> Graph:
    return await _graph(seeded)


@pytest.fixture(scope="module")
async def seeded_api(seeded_url: str) -> AsyncIterator[Api]:
    settings = Settings(
        database_url=seeded_url,
        jwt_secret=JWT_SECRET,
        expiry_sweep_seconds=0,
        webhook_dispatch_seconds=0,
        policy=PolicySettings(connection_cap=CAP),
    )
    app = create_app(settings, clock=ManualClock(), migrate=False)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as http,
    ):
        yield Api(http, app.state.ctx)


async def test_every_counter_agrees_with_the_rows(seeded_api: Api, seeded: AsyncEngine) -> None:
    await seeded_api.assert_consistent()
    [(members, rows, follows, groups, memberships)] = await _rows(
        seeded,
        """SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM connections),
                  (SELECT count(*) FROM follows), (SELECT count(*) FROM groups),
                  (SELECT count(*) FROM group_members)""",
    )
    assert members == 3000 and groups == 10 and memberships > 0
    assert rows == 3000 * 12  # 18,000 connections, two rows each
    # Both follows of every connection, with the connection's time, and a few one-way ones.
    missing = await _rows(
        seeded,
        """SELECT count(*) FROM connections c LEFT JOIN follows f
           ON f.follower_id = c.member_id AND f.followee_id = c.other_id
              AND f.created_at = c.created_at
           WHERE f.follower_id IS NULL""",
    )
    assert missing == [(0,)]
    assert follows > rows  # type: ignore[operator]
    # New rows get ids after the loaded ones.
    r = await seeded_api.admin.post("/v1/members", json={"handle": "newcomer", "display_name": "N"})
    assert r.status_code == 201 and r.json()["id"] == 3001, r.text
    await seeded_api.as_(3001).get("/v1/me")
    async with seeded_api.ctx.db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM members WHERE id = 3001"))


async def test_the_loaded_tables_are_marked_all_visible(seeded: AsyncEngine) -> None:
    """Index-only scans of a member's connections stay off the heap from the start (before the
    seed vacuumed, connections had no all-visible page: a hub's 30,000 were 30,000 heap
    fetches)."""
    rows = await _rows(
        seeded,
        """SELECT relname, relpages, relallvisible FROM pg_class
           WHERE relname IN ('members', 'connections', 'follows')""",
    )
    assert len(rows) == 3
    for name, pages, visible in rows:
        assert pages > 0 and visible >= pages * 0.9, (name, pages, visible)


async def test_hubs_are_at_the_cap_and_third_degree_from_each_other(
    seeded: AsyncEngine, graph: Graph
) -> None:
    counts = dict(await _rows(seeded, "SELECT id, connection_count FROM members"))  # type: ignore[arg-type]
    assert counts[1] == counts[2] == CAP
    assert max(counts.values()) == CAP
    assert not graph[1] & graph[2] and 2 not in graph[1]
    assert _distances(graph, 1).get(2) == 3


async def test_hubs_and_some_members_tag_their_connections(
    seeded_api: Api, seeded: AsyncEngine
) -> None:
    rows = await _rows(
        seeded,
        "SELECT t.author_id, t.key, t.name, EXISTS (SELECT 1 FROM connections c"
        " WHERE c.member_id = t.author_id AND c.other_id = t.member_id) FROM connection_tags t",
    )
    assert rows and all(on_connection for *_, on_connection in rows)
    assert {1, 2} <= {author for author, *_ in rows}
    assert all(key == normalise(name).key for _, key, name, _ in rows)
    # The service lists them: a hub's connections with its most used tag.
    hub_tags = [(k, n) for a, k, n, _ in rows if a == 1]
    key, name = max(set(hub_tags), key=hub_tags.count)
    r = await seeded_api.as_(1).get("/v1/members/1/connections", params={"tag": name.upper()})
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == min(20, hub_tags.count((key, name)))


async def test_degrees_are_heavy_tailed_and_clustered(graph: Graph) -> None:
    degrees = [len(v) for m, v in graph.items() if m > 2]
    mean = sum(degrees) / len(degrees)
    assert max(degrees) >= 5 * mean
    # Communities: friends of friends are friends far more often than in a random graph of
    # the same density (where the local clustering is about mean / members).
    rng = random.Random(1)
    sample = rng.sample([m for m, v in graph.items() if 2 <= len(v) <= 60], 300)
    clustering = []
    for m in sample:
        ns = list(graph[m])
        links = sum(1 for i, a in enumerate(ns) for b in ns[i + 1 :] if b in graph[a])
        clustering.append(2 * links / (len(ns) * (len(ns) - 1)))
    assert sum(clustering) / len(clustering) > 5 * mean / len(graph)


async def test_some_members_are_out_of_network(graph: Graph) -> None:
    seen: set[int] = set()
    islands = []
    for m in graph:
        if m in seen or not graph[m]:
            continue
        component = set(_distances(graph, m, depth=len(graph)))
        seen |= component
        if len(component) <= 5:
            islands.append(component)
    assert islands
    member = min(islands[0])
    assert 1 not in _distances(graph, member)  # no path of length 3 or less to hub 1


async def test_invitations_and_blocks_follow_the_rules(seeded: AsyncEngine) -> None:
    rules = PolicySettings()
    now = datetime.now(UTC)
    [(pending, oldest, soonest_expiry, at_cap)] = await _rows(
        seeded,
        """SELECT count(*), min(i.created_at), min(i.expires_at),
                  count(*) FILTER (WHERE a.connection_count >= :cap OR b.connection_count >= :cap)
           FROM invitations i JOIN members a ON a.id = i.inviter_id
                JOIN members b ON b.id = i.invitee_id
           WHERE status = 'pending'""",
        cap=CAP,
    )
    assert 400 <= pending <= 600  # type: ignore[operator]
    assert at_cap == 0
    assert oldest > now - rules.invitation_expiry  # type: ignore[operator]
    assert soonest_expiry > now  # type: ignore[operator]
    twice = await _rows(
        seeded,
        """SELECT least(inviter_id, invitee_id), greatest(inviter_id, invitee_id)
           FROM invitations WHERE status = 'pending' GROUP BY 1, 2 HAVING count(*) > 1""",
    )
    assert twice == []
    [(hour, week, outgoing)] = await _rows(
        seeded,
        """SELECT max(hour), max(week), max(outgoing) FROM (
               SELECT count(*) OVER (PARTITION BY inviter_id ORDER BY created_at
                                     RANGE BETWEEN interval '1 hour' PRECEDING AND CURRENT ROW)
                          AS hour,
                      count(*) OVER (PARTITION BY inviter_id ORDER BY created_at
                                     RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW)
                          AS week,
                      count(*) FILTER (WHERE status = 'pending')
                          OVER (PARTITION BY inviter_id) AS outgoing
               FROM invitations) t""",
    )
    assert hour <= rules.invitations_per_hour  # type: ignore[operator]
    assert week <= rules.invitations_per_week  # type: ignore[operator]
    assert outgoing <= rules.pending_outgoing_max  # type: ignore[operator]
    # Decided history is old enough to leave no cooldown or restriction behind.
    [(recent_decided,)] = await _rows(
        seeded,
        """SELECT count(*) FROM invitations
           WHERE status IN ('declined', 'withdrawn') AND responded_at > :since""",
        since=now - rules.restriction_window,
    )
    assert recent_decided == 0
    [(blocks,)] = await _rows(seeded, "SELECT count(*) FROM blocks")
    assert blocks >= 1  # and assert_consistent: nothing crosses a block


async def test_the_service_agrees_with_a_breadth_first_search(
    seeded_api: Api, seeded: AsyncEngine, graph: Graph
) -> None:
    blocked = {
        frozenset((int(a), int(b)))  # type: ignore[call-overload]
        for a, b in await _rows(seeded, "SELECT blocker_id, blocked_id FROM blocks")
    }
    rng = random.Random(7)
    viewers = [1, 2, *rng.sample([m for m, v in graph.items() if len(v) >= 5], 4)]
    for viewer in viewers:
        near = _distances(graph, viewer)
        by_degree: dict[int | None, list[int]] = {1: [], 2: [], 3: [], None: []}
        for m in graph:
            if m != viewer and frozenset((viewer, m)) not in blocked:
                by_degree[near.get(m)].append(m)
        for degree in (1, 2, 3, None):
            assert by_degree[degree], f"no member at degree {degree} of {viewer}"
        targets = [m for ms in by_degree.values() for m in rng.sample(ms, min(len(ms), 20))]
        if viewer == 1:
            targets.append(2)
        r = await seeded_api.as_(viewer).get(
            "/v1/relationships", params={"ids": ",".join(map(str, targets))}
        )
        assert r.status_code == 200, r.text
        got = {item["member_id"]: item["degree"] for item in r.json()["items"]}
        assert got == {m: near.get(m) for m in targets}, viewer


async def test_a_database_with_members_is_refused_unless_replaced(
    seeded_url: str, seeded: AsyncEngine
) -> None:
    # The seeding runs in a thread: this module's service (seeded_api) shares the event loop,
    # and a loop stopped mid-transaction of its graph read model would hold the locks the
    # seeding's TRUNCATE waits for.
    before = await _rows(seeded, "SELECT member_id, other_id, created_at FROM connections")
    out = await asyncio.to_thread(_seed, seeded_url, "--members", "50", "--avg-degree", "4")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("connect-api: the database already has")
    assert await _rows(seeded, "SELECT count(*) FROM members") == [(3000,)]

    # The same arguments and seed give the same network.
    out = await asyncio.to_thread(_seed, seeded_url, "--replace", *SMALL)
    assert out.returncode == 0, out.stderr
    after = await _rows(seeded, "SELECT member_id, other_id, created_at FROM connections")
    assert {r[:2] for r in after} == {r[:2] for r in before}


def test_the_generator_is_deterministic_and_builds_communities() -> None:
    params = generator.Params(
        members=2000, avg_degree=10, hubs=2, rules=generator.Rules(connection_cap=300)
    )
    one, two = generator.generate(params), generator.generate(params)
    assert np.array_equal(one.edges, two.edges)
    assert np.array_equal(one.edge_ago, two.edge_ago)
    assert np.array_equal(one.invitations, two.invitations)
    other = generator.generate(generator.Params(**{**params.__dict__, "seed": 2}))
    assert not np.array_equal(one.edges, other.edges)
    c = one.community[one.edges - 1]
    assert ((c[:, 0] == c[:, 1]) & (c[:, 0] >= 0)).mean() > 0.5
    assert len(np.unique(one.edges[:, 0] * 10_000 + one.edges[:, 1])) == len(one.edges)
    assert (one.edges[:, 0] < one.edges[:, 1]).all()


@pytest.fixture
def snap_url(database_url: str) -> Iterator[str]:
    if not SNAP.exists():
        pytest.skip("the SNAP data set is not beside the project")
    with scratch_database(database_url, "edges") as url:
        out = _seed(url, "--edges", str(SNAP), cap=400)
        assert out.returncode == 2  # one member has 1,045 friends
        assert out.stderr.strip().endswith("over the cap of 400")
        out = _seed(url, "--edges", str(SNAP), cap=30_000)
        assert out.returncode == 0, out.stderr
        assert "4,039 members, 88,234 connections" in out.stdout, out.stdout
        yield url


async def test_an_edge_list_loads_as_it_is(snap_url: str) -> None:
    degrees: Counter[int] = Counter()
    for line in SNAP.read_text().splitlines():
        if line and not line.startswith("#"):
            a, b = map(int, line.split())
            degrees[a + 1] += 1
            degrees[b + 1] += 1
    engine = create_async_engine(snap_url)
    try:
        counts = dict(await _rows(engine, "SELECT id, connection_count FROM members"))  # type: ignore[arg-type]
        rows = dict(
            await _rows(engine, "SELECT member_id, count(*) FROM connections GROUP BY 1")  # type: ignore[arg-type]
        )
        [(follows, followers)] = await _rows(
            engine,
            "SELECT (SELECT count(*) FROM follows), (SELECT sum(follower_count) FROM members)",
        )
    finally:
        await engine.dispose()
    assert len(counts) == 4039
    assert counts == {m: degrees.get(m, 0) for m in counts}
    assert rows == dict(degrees)
    assert follows == followers == 2 * 88_234


def test_seed_needs_a_source(tmp_path: Path) -> None:
    out = _cli("seed", env={"CONNECT_API_DATA_DIR": str(tmp_path)})
    assert out.returncode == 2 and "--members" in out.stderr
