"""The hot reads' answers on seeded networks, checked against an independent computation.

A generated network (communities, heavy tails, two hubs at the cap that are 3rd degree to
each other, islands, groups, blocks, pending invitations) and SNAP ego-Facebook are loaded
with the seed loader; then every answer of the relationships look-up (degree by breadth-first
search, mutual connections and their preview, shared groups, follows, the pending
invitation), of `GET /v1/me`, of the connection lists (both sorts, every page, `q` and `tag`)
and of the mutual-connection lists (every page and the total, hubs at the cap among them, and
across pending invitations) is compared with what Python computes from the rows themselves.
Blocks and an erasure made through the API are followed by the same checks. Each runs twice:
with the graph questions answered by the graph read model, and by SQL.

Then the two paths against each other, on random graphs: every look-up and mutual-connection
list answered from the model is the very JSON SQL answers; and the model's facts of the look-up
(connected, mutual connections, degree 3), whichever way they are computed, against a
breadth-first search.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from connect_api.graph import feed as graph_feed
from connect_api.graph.model import Graph
from connect_api.relationships import mutuals, service
from connect_api_seeding import generator, loader
from tests.helpers import Api, problem
from tests.test_connections import all_pages

SNAP = Path(__file__).resolve().parents[2] / "shared" / "data" / "snap-ego-facebook.txt"
CAP = 300


@dataclass
class Rows:
    """The graph as the tables hold it, read with plain SQL."""

    adjacency: dict[int, set[int]]
    follows: set[tuple[int, int]]
    blocks: set[tuple[int, int]]
    groups: dict[int, set[int]]
    pending: dict[frozenset[int], tuple[int, int]]  # pair -> (invitation id, inviter)
    names: dict[int, str]
    handles: dict[int, str]

    def hidden(self, a: int, b: int) -> bool:
        return (a, b) in self.blocks or (b, a) in self.blocks

    def mutuals(self, a: int, b: int) -> list[int]:
        """Connected to both, in the order of the list: lowered display name, then id."""
        both = self.adjacency[a] & self.adjacency[b]
        return sorted(both, key=lambda m: (self.names[m].lower(), m))

    def degrees_from(self, start: int) -> dict[int, int]:
        """Breadth-first search to depth 3."""
        dist = {start: 0}
        queue = deque([start])
        while queue:
            x = queue.popleft()
            if dist[x] == 3:
                continue
            for y in self.adjacency[x]:
                if y not in dist:
                    dist[y] = dist[x] + 1
                    queue.append(y)
        return dist


async def load(api: Api, net: generator.Network) -> None:
    conn = await loader.connect(api.ctx.settings.database_url or "")
    try:
        await loader.load(conn, net, replace=True, expiry_days=180, progress=loader.Progress())
    finally:
        await conn.close()


async def read_rows(api: Api) -> Rows:
    adjacency: dict[int, set[int]] = defaultdict(set)
    names, handles = {}, {}
    for member_id, name, handle in await api.sql("SELECT id, display_name, handle FROM members"):
        adjacency[member_id] = set()
        names[member_id], handles[member_id] = name, handle
    for a, b in await api.sql("SELECT member_id, other_id FROM connections"):
        adjacency[a].add(b)
    groups: dict[int, set[int]] = defaultdict(set)
    for g, m in await api.sql("SELECT group_id, member_id FROM group_members"):
        groups[m].add(g)
    pending = {
        frozenset((a, b)): (i, a)
        for i, a, b in await api.sql(
            "SELECT id, inviter_id, invitee_id FROM invitations"
            " WHERE status = 'pending' AND expires_at > now()"
        )
    }
    return Rows(
        adjacency=dict(adjacency),
        follows={(a, b) for a, b in await api.sql("SELECT follower_id, followee_id FROM follows")},
        blocks={(a, b) for a, b in await api.sql("SELECT blocker_id, blocked_id FROM blocks")},
        groups=groups,
        pending=pending,
        names=names,
        handles=handles,
    )


def sample_targets(rows: Rows, viewer: int, rng: random.Random, n: int = 100) -> list[int]:
    """Up to ``n`` ids around the viewer: some at each degree, some unknown, the viewer."""
    dist = rows.degrees_from(viewer)
    by_degree: dict[int | None, list[int]] = defaultdict(list)
    for member_id in rows.adjacency:
        by_degree[dist.get(member_id)].append(member_id)
    picked: list[int] = [viewer, 10**9]
    for degree in (1, 2, 3, None):
        pool = by_degree[degree]
        picked += rng.sample(pool, min(len(pool), (n - 2) // 4))
    return list(dict.fromkeys(picked))[:n]


async def check_look_up(api: Api, rows: Rows, viewer: int, ids: list[int]) -> dict[int | None, int]:
    """Every item of the look-up against the rows; returns how many ids had each degree."""
    r = await api.as_(viewer).get("/v1/relationships", params={"ids": ",".join(map(str, ids))})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["member_id"] for i in items] == ids
    dist = rows.degrees_from(viewer)
    seen: dict[int | None, int] = defaultdict(int)
    for item in items:
        other = item["member_id"]
        if other == viewer or other not in rows.adjacency or rows.hidden(viewer, other):
            assert item["action"] == "unavailable", item
            assert item["degree"] is None and item["mutual_connections"] == 0, item
            continue
        degree = dist.get(other)
        seen[degree] += 1
        mine, theirs = rows.adjacency[viewer], rows.adjacency[other]
        expected = {
            "degree": degree,
            "connected": other in mine,
            "mutual_connections": len(mine & theirs),
            "shared_groups": len(rows.groups[viewer] & rows.groups[other]),
            "following": (viewer, other) in rows.follows,
            "followed_by": (other, viewer) in rows.follows,
        }
        assert {k: item[k] for k in expected} == expected, (viewer, other, item)
        preview = [m["id"] for m in item["mutual_preview"]]
        assert preview == rows.mutuals(viewer, other)[:3], (viewer, other, item)
        for m in item["mutual_preview"]:
            assert (m["display_name"], m["handle"]) == (rows.names[m["id"]], rows.handles[m["id"]])
        pending = rows.pending.get(frozenset((viewer, other)))
        if pending is None:
            assert item["invitation"] is None, item
        else:
            assert item["invitation"]["id"] == pending[0], item
            direction = "sent" if pending[1] == viewer else "received"
            assert item["invitation"]["direction"] == direction, item
    return seen


async def check_mutuals(api: Api, rows: Rows, viewer: int, others: list[int]) -> int:
    """Every page of the mutual connections of ``viewer`` and each of ``others`` against the
    rows (hidden, erased, unknown: 404; the viewer: 400); returns how many had some."""
    with_some = 0
    for other in others:
        url = f"/v1/members/{other}/mutual-connections"
        if other == viewer:
            problem(await api.as_(viewer).get(url), 400, "mutual_connections_self")
            continue
        if other not in rows.adjacency or rows.hidden(viewer, other):
            problem(await api.as_(viewer).get(url), 404, "not_found")
            continue
        expected = rows.mutuals(viewer, other)
        got: list[int] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 37, **({"cursor": cursor} if cursor else {})}
            r = await api.as_(viewer).get(url, params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            assert page["total"] == len(expected), (viewer, other, page["total"])
            got += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert got == expected, (viewer, other)
        with_some += bool(expected)
    return with_some


async def check_lists(api: Api, rows: Rows, member: int, viewer: int) -> None:
    """Every page of the member's connections, seen by ``viewer``, in both orders."""
    visible = sorted(
        o for o in rows.adjacency[member] if viewer == member or not rows.hidden(viewer, o)
    )
    by_name = sorted(visible, key=lambda o: (rows.names[o].lower(), o))
    for sort, expected in (("name", by_name), ("recent", None)):
        got = await all_pages(api, viewer, member, sort=sort, limit=37)
        if expected is not None:
            assert got == expected
        else:
            assert sorted(got) == visible and len(set(got)) == len(got)
    needle = rows.names[by_name[len(by_name) // 2]].split()[-1][:4]
    matching = [
        o
        for o in by_name
        if needle.lower() in rows.names[o].lower() or needle.lower() in rows.handles[o].lower()
    ]
    assert matching
    got = await all_pages(api, viewer, member, sort="name", q=needle, limit=7)
    assert got == matching


@pytest.mark.slow
async def test_generated_network_against_breadth_first_search(api: Api, graph_source: str) -> None:
    api.rules.connection_cap = CAP
    net = generator.generate(
        generator.Params(
            members=1_500,
            avg_degree=12,
            hubs=2,
            groups=12,
            seed=7,
            rules=generator.Rules(connection_cap=CAP),
        )
    )
    await load(api, net)
    rows = await read_rows(api)
    hub1, hub2 = 1, 2
    assert len(rows.adjacency[hub1]) == len(rows.adjacency[hub2]) == CAP
    assert rows.degrees_from(hub1).get(hub2) == 3
    rng = random.Random(3)
    typical = sorted(rows.adjacency, key=lambda m: len(rows.adjacency[m]))[len(rows.adjacency) // 2]
    island = next(m for m in rows.adjacency if 0 < len(rows.degrees_from(m)) < 20)
    blocker = next(a for a, _ in sorted(rows.blocks))
    seen: dict[int | None, int] = defaultdict(int)
    with_mutuals = 0
    for viewer in (hub1, hub2, typical, island, blocker):
        ids = sample_targets(rows, viewer, rng)
        if viewer == hub1:
            ids = list(dict.fromkeys([hub2, *ids]))[:100]
        for degree, n in (await check_look_up(api, rows, viewer, ids)).items():
            seen[degree] += n
        # The list for a few of them: the viewer, unknown, then some at each degree.
        with_mutuals += await check_mutuals(api, rows, viewer, ids[:2] + ids[2::8])
    assert all(seen[d] > 0 for d in (1, 2, 3, None)), seen
    assert with_mutuals >= 10, with_mutuals
    # Two members at the cap, and hubs with members of every size.
    hub3 = max(
        (m for m in rows.adjacency if m not in (hub1, hub2)),
        key=lambda m: len(rows.adjacency[hub1] & rows.adjacency[m]),
    )
    await check_mutuals(api, rows, hub1, [hub2, hub3, typical, island])
    await check_mutuals(api, rows, typical, [hub1, hub2, hub3])
    # A pending invitation is not a connection: the invitee is no mutual of the inviter's.
    checked = 0
    for pair, (_, inviter) in sorted(rows.pending.items(), key=lambda kv: kv[1])[:20]:
        (invitee,) = pair - {inviter}
        others = sorted(rows.adjacency[invitee] - {inviter})[:2]
        checked += await check_mutuals(api, rows, inviter, others)
    assert checked > 0

    # Your own list, and a connection's view of a hub's list with a block inside it.
    await check_lists(api, rows, hub1, hub1)
    friend = min(rows.adjacency[hub1])
    other = max(rows.adjacency[hub1] - {friend})
    assert (await api.as_(friend).put(f"/v1/blocks/{other}")).status_code == 201
    # Tags: the caller's own, on some of their connections.
    tagged = sorted(rows.adjacency[hub1])[::9]
    for o in tagged:
        r = await api.as_(hub1).put(f"/v1/tags/{o}", json={"tags": ["Met at a Conference"]})
        assert r.status_code == 200, r.text
    rows = await read_rows(api)
    await check_lists(api, rows, hub1, friend)
    for sort in ("name", "recent"):
        got = await all_pages(api, hub1, hub1, sort=sort, tag="met at a conference", limit=5)
        assert sorted(got) == tagged

    # Counts on `me` against the rows.
    for viewer in (hub1, typical, blocker):
        me = (await api.as_(viewer).get("/v1/me")).json()
        assert me["connection_count"] == len(rows.adjacency[viewer])
        assert me["invitations"]["pending_outgoing"] == sum(
            1 for pair, (_, inviter) in rows.pending.items() if inviter == viewer
        )
        assert me["pending_received"] == sum(
            1 for pair, (_, inviter) in rows.pending.items() if viewer in pair and inviter != viewer
        )

    # Blocks and an erasure through the API, then every answer again.
    victim = min(rows.adjacency[typical] - {hub1, hub2})
    assert (await api.as_(typical).put(f"/v1/blocks/{victim}")).status_code == 201
    assert (await api.admin.delete(f"/v1/members/{hub2}")).status_code == 204
    rows = await read_rows(api)
    for viewer in (hub1, typical, victim):
        ids = sample_targets(rows, viewer, rng)
        ids = list(dict.fromkeys([hub2, victim, typical, *ids]))[:100]
        await check_look_up(api, rows, viewer, ids)
        await check_mutuals(api, rows, viewer, ids[:4] + ids[4::10])
    # The block inside the hub's list: its two members' mutual connections, either way.
    await check_mutuals(api, rows, friend, [other, hub1])
    await check_mutuals(api, rows, other, [friend, hub1])
    await api.assert_consistent()


@pytest.mark.slow
@pytest.mark.skipif(not SNAP.exists(), reason="shared/data is not beside the project")
async def test_ego_facebook_against_breadth_first_search(api: Api, graph_source: str) -> None:
    await load(api, generator.from_edges(generator.read_edge_list(str(SNAP))))
    rows = await read_rows(api)
    assert len(rows.adjacency) == 4_039
    assert sum(len(s) for s in rows.adjacency.values()) == 2 * 88_234
    best = max(rows.adjacency, key=lambda m: len(rows.adjacency[m]))  # node 107, 1,045
    rng = random.Random(11)
    for viewer in (best, 1, rng.choice(sorted(rows.adjacency))):
        ids = sample_targets(rows, viewer, rng)
        await check_look_up(api, rows, viewer, ids)
        assert await check_mutuals(api, rows, viewer, ids[2::6]) > 0
    # The best-connected pair of members: the largest intersection in the network.
    second = max(
        (m for m in rows.adjacency if m != best),
        key=lambda m: len(rows.adjacency[best] & rows.adjacency[m]),
    )
    await check_mutuals(api, rows, best, [second])
    await check_mutuals(api, rows, second, [best])
    await check_lists(api, rows, best, best)


# --- the model's answers against SQL's ------------------------------------------------------


async def random_network(api: Api, rng: random.Random, members: int) -> list[int]:
    """``members`` members with names that collide and differ in case, random connections
    (written as rows, as a bulk load would), a few hubs, groups and follows; then blocks and
    erasures through the API. The ids, erased ones included."""
    first = ["ann", "Ann", "bob", "Bob", "cy", "Dee", "eve", "Eve", "zed"]
    ids = [await api.member(f"{rng.choice(first)} {rng.choice('xyz')}") for _ in range(members)]
    hubs = ids[:3]
    pairs = set()
    for a in ids:
        for b in rng.sample(ids, rng.randint(0, 5)):
            if a != b:
                pairs.add((min(a, b), max(a, b)))
    for h in hubs:
        for b in rng.sample(ids, members // 2):
            if b != h:
                pairs.add((min(h, b), max(h, b)))
    now = api.clock.now()
    ordered = sorted(pairs)
    await api.sql(
        "INSERT INTO connections (member_id, other_id, created_at)"
        " SELECT u.a, u.b, :now FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[])) u(a, b)",
        a=[a for a, _ in ordered] + [b for _, b in ordered],
        b=[b for _, b in ordered] + [a for a, _ in ordered],
        now=now,
    )
    follows = sorted({(a, b) for a, b in (rng.sample(ids, 2) for _ in range(members))})
    await api.sql(
        "INSERT INTO follows (follower_id, followee_id, created_at)"
        " SELECT u.a, u.b, :now FROM unnest(CAST(:a AS bigint[]), CAST(:b AS bigint[])) u(a, b)",
        a=[a for a, _ in follows],
        b=[b for _, b in follows],
        now=now,
    )
    await api.sql(
        "UPDATE members m SET"
        " connection_count = (SELECT count(*) FROM connections c WHERE c.member_id = m.id),"
        " follower_count = (SELECT count(*) FROM follows f WHERE f.followee_id = m.id),"
        " following_count = (SELECT count(*) FROM follows f WHERE f.follower_id = m.id)"
    )
    group = await api.sql(
        "INSERT INTO groups (name, created_at, member_count) VALUES ('G', now(), 0) RETURNING id"
    )
    for m in rng.sample(ids, members // 3):
        await api.sql(
            "INSERT INTO group_members (group_id, member_id, joined_at) VALUES (:g, :m, now())",
            g=group[0][0],
            m=m,
        )
    await api.sql(
        "UPDATE groups g SET member_count ="
        " (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)"
    )
    for a, b in rng.sample([p for p in sorted(pairs) if not set(p) & set(hubs)], 2):
        r = await api.as_(a).delete(f"/v1/connections/{b}")
        assert r.status_code == 204, r.text
        await api.invited(a, b)  # a pending invitation, after a connection: a pair's history
    for a, b in {tuple(rng.sample(ids[3:], 2)) for _ in range(4)}:
        assert (await api.as_(a).put(f"/v1/blocks/{b}")).status_code in (200, 201)
    for m in rng.sample(ids[3:], 3):
        assert (await api.admin.delete(f"/v1/members/{m}")).status_code == 204
    return ids


async def answers(api: Api, viewer: int, ids: list[int], pages: list[int]) -> list[Any]:
    """The look-up of ``ids`` with and without the preview, and every page (of 2) of the mutual
    connections with each of ``pages``, as JSON."""
    got: list[Any] = []
    joined = ",".join(map(str, ids))
    for preview in ("true", "false"):
        r = await api.as_(viewer).get(
            "/v1/relationships", params={"ids": joined, "mutual_preview": preview}
        )
        got.append((r.status_code, r.json()))
    for other in pages:
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            r = await api.as_(viewer).get(f"/v1/members/{other}/mutual-connections", params=params)
            body = {k: v for k, v in r.json().items() if k != "request_id"}  # a problem's
            got.append((other, r.status_code, body))
            cursor = body.get("next_cursor") if r.status_code == 200 else None
            if cursor is None:
                break
    return got


@pytest.mark.parametrize("seed", range(2))
async def test_the_model_answers_what_sql_answers(
    api: Api, seed: int, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a random graph (hubs, blocks, erasures, names that tie), every look-up and every
    mutual-connection page answered with the graph read model is the JSON the SQL path answers;
    also with the model's ids always probed, or never, for previews and pages. None of them was
    the model's disagreement answered from SQL instead."""
    rng = random.Random(seed)
    ids = await random_network(api, rng, 60)
    feed = graph_feed.of(api.ctx)
    assert feed is not None
    for _ in range(300):
        if feed.graph is not None:
            break
        await asyncio.sleep(0.05)
    alive = [m for (m,) in await api.sql("SELECT id FROM members ORDER BY id")]
    looks = []
    for viewer in [*alive[:2], *rng.sample(alive[2:], 8)]:
        asked = [*rng.sample(ids, 40), viewer, 10**9]
        pages = rng.sample([m for m in ids if m != viewer], 6)
        looks.append((viewer, asked, pages))

    api.ctx.graph = None
    try:
        by_sql = [await answers(api, *look) for look in looks]
    finally:
        api.ctx.graph = feed
    caplog.set_level(logging.INFO, logger="connect_api.relationships")
    before = feed.answered["memory"]
    for forced in (None, True, False):
        if forced is not None:
            monkeypatch.setattr(mutuals, "probes", lambda *_, forced=forced, **__: forced)
        by_model = [await answers(api, *look) for look in looks]
        for look, sql, model in zip(looks, by_sql, by_model, strict=True):
            assert model == sql, (forced, look[0])
    assert feed.answered["memory"] > before
    assert not [r for r in caplog.records if "disagrees" in r.getMessage()]
    await api.assert_consistent()
    # The answers are about something: degrees of every kind, previews of every length.
    items = [i for answer in by_sql for i in answer[0][1]["items"]]
    assert {i["degree"] for i in items} == {1, 2, 3, None}
    assert {len(i["mutual_preview"]) for i in items} == {0, 1, 2, 3}


def bfs(adjacency: dict[int, set[int]], start: int) -> dict[int, int]:
    dist = {start: 0}
    queue = deque([start])
    while queue:
        x = queue.popleft()
        if dist[x] < 3:
            for y in adjacency.get(x, ()):
                if y not in dist:
                    dist[y] = dist[x] + 1
                    queue.append(y)
    return dist


@pytest.mark.parametrize("seed", range(6))
def test_model_facts_against_breadth_first_search(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``service.model_pairs`` on random graphs (a changed member or two in the overlay, a few
    blocks): connected, mutual connections (count and ids), degree 3, against a breadth-first
    search; with the caller's connections searched or masked, and degree 3 by the caller's
    within-two mask or by each member's own paths, in chunks of one or many."""
    rng = random.Random(seed)
    n = 80
    edges = {(a, b) for a, b in (rng.sample(range(1, n), 2) for _ in range(rng.choice([60, 200])))}
    edges |= {(1, b) for b in rng.sample(range(2, n), 30)}  # a hub
    blocks = {tuple(rng.sample(range(1, n), 2)) for _ in range(3)}
    graph = Graph(
        np.array(sorted(edges), dtype=np.int64).ravel(),
        np.array(sorted(blocks), dtype=np.int64).ravel(),
        np.zeros(0, dtype=np.int64),
    )
    for a, b in (rng.sample(range(1, n + 5), 2) for _ in range(3)):  # the overlay, new ids too
        present = rng.random() < 0.7
        graph.connect(a, b, present)
        edges = edges - {(a, b), (b, a)} | ({(a, b)} if present else set())
    adjacency: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    hidden = {(a, b) for a, b in blocks} | {(b, a) for a, b in blocks}
    ways = [
        {"_MASKED": masked, "_CHUNK": chunk, "per_member": per_member}
        for masked in (1, 1024)
        for chunk in (1, 256)
        for per_member in (True, False)
    ]
    for way in ways:
        monkeypatch.setattr(service, "_MASKED", way["_MASKED"])
        monkeypatch.setattr(service, "_CHUNK", way["_CHUNK"])
        monkeypatch.setattr(service._Mine, "_by_their_paths", lambda *_, p=way["per_member"]: p)
        for me in [1, *rng.sample(range(1, n + 5), 6)]:
            ids = [x for x in range(1, n + 6) if x != me]
            got = service.model_pairs(graph, me, ids)
            dist = bfs(adjacency, me)
            for them in ids:
                pair = got[them]
                if (me, them) in hidden or not adjacency.get(them):
                    assert pair == service.relationships.ModelPair(False, 0, (), False)
                    continue
                common = sorted(adjacency[me] & adjacency[them])
                assert pair.connected == (them in adjacency[me]), (way, me, them)
                assert pair.mutual_connections == len(common), (way, me, them)
                if pair.mutual_ids is not None:
                    assert list(pair.mutual_ids) == common, (way, me, them)
                assert pair.third_degree == (dist.get(them) == 3), (way, me, them)
