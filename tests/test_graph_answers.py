"""The hot reads' answers on seeded networks, checked against an independent computation.

A generated network (communities, heavy tails, two hubs at the cap that are 3rd degree to
each other, islands, groups, blocks, pending invitations) and SNAP ego-Facebook are loaded
with the seed loader; then every answer of the relationships look-up (degree by breadth-first
search, mutual connections and their preview, shared groups, follows, the pending
invitation), of `GET /v1/me`, of the connection lists (both sorts, every page, `q` and `tag`)
and of the mutual-connection lists (every page and the total, hubs at the cap among them, and
across pending invitations) is compared with what Python computes from the rows themselves.
Blocks and an erasure made through the API are followed by the same checks.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

import pytest

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
async def test_generated_network_against_breadth_first_search(api: Api) -> None:
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
async def test_ego_facebook_against_breadth_first_search(api: Api) -> None:
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
