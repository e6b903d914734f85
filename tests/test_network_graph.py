"""The second degree and the suggestions on seeded networks, checked against Python's own count
of the rows: a generated network (hubs at the cap, islands, groups, blocks, pending and decided
invitations) and SNAP ego-Facebook. Then blocks, an erasure, invitations and a `dont_know`
decline are made through the API and the answers checked again, first from the snapshot
computed before them (what the read-time checks must still catch), then from a new one.

Each runs twice (``graph_source``): answered by the graph read model, whose ranking is counted
as it is asked (so every answer is that of the rows now: no snapshot stands between), and by
SQL, from the snapshots."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from connect_api.network.service import SCORE_WEIGHTS
from connect_api_seeding import generator
from tests.helpers import Api
from tests.test_graph_answers import CAP, SNAP, Rows, load, read_rows
from tests.test_network import (
    all_second_degree,
    assert_invitable,
    refresh,
    second_degree,
    suggested,
)

KEEP = 150  # network_candidates_max in these tests: small enough for the bound to cut


@dataclass(frozen=True)
class Inv:
    id: int
    inviter: int
    invitee: int
    status: str
    reason: str | None
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None


async def read_invitations(api: Api) -> dict[frozenset[int], list[Inv]]:
    out: dict[frozenset[int], list[Inv]] = defaultdict(list)
    for row in await api.sql(
        "SELECT id, inviter_id, invitee_id, status::text, decline_reason::text, created_at,"
        " expires_at, responded_at FROM invitations ORDER BY created_at DESC, id DESC"
    ):
        inv = Inv(*row)
        out[frozenset((inv.inviter, inv.invitee))].append(inv)
    return out


def counts(rows: Rows, v: int) -> Counter[int]:
    mine = rows.adjacency[v]
    out: Counter[int] = Counter()
    for u in mine:
        for c in rows.adjacency[u]:
            if c != v and c not in mine:
                out[c] += 1
    return out


def shared(rows: Rows, v: int) -> Counter[int]:
    by_group: dict[int, set[int]] = defaultdict(set)
    for m, gs in rows.groups.items():
        for g in gs:
            by_group[g].add(m)
    out: Counter[int] = Counter()
    for g in rows.groups.get(v, set()):
        for m in by_group[g]:
            if m != v and m not in rows.adjacency[v]:
                out[m] += 1
    return out


def expected_second_degree(
    then: Rows, now: Rows, v: int, *, live: bool = False
) -> tuple[int, list[tuple[int, int]]]:
    """(reached, the list): the top ``KEEP`` as computed from ``then``, less what ``now`` hides:
    a connection made since, a block either way, an erased member. ``live``: the model's
    ranking, counted from ``now`` with the hidden left out before the top is taken."""
    if live:
        c = Counter({m: n for m, n in counts(now, v).items() if not now.hidden(v, m)})
        return len(c), sorted(c.items(), key=lambda p: (-p[1], p[0]))[:KEEP]
    c = counts(then, v)
    ranked = sorted(c.items(), key=lambda p: (-p[1], p[0]))[:KEEP]
    visible = [
        (m, n)
        for m, n in ranked
        if m in now.adjacency and m not in now.adjacency[v] and not now.hidden(v, m)
    ]
    return len(c), visible


def refused(v: int, c: int, history: list[Inv], now: datetime, cooldown: timedelta) -> str | None:
    """What keeps ``c`` from the suggestions for the pair's invitations, counted afresh."""
    if any(i.status == "pending" and i.expires_at > now for i in history):
        return "pending"
    newest = history[0] if history else None
    if (
        newest is not None
        and newest.inviter == v
        and newest.status in ("declined", "withdrawn")
        and newest.responded_at is not None
        and newest.responded_at + cooldown > now
    ):
        return "cooldown"
    reports = [
        i.responded_at
        for i in history
        if i.inviter == v and i.status == "declined" and i.reason in ("dont_know", "spam")
    ]
    if reports:
        last_report = max(r for r in reports if r is not None)
        reverse = [i.created_at for i in history if i.inviter == c]
        if not reverse or max(reverse) < last_report:
            return "reported"
    return None


def expected_suggestions(
    api: Api,
    then: Rows,
    now_rows: Rows,
    invitations: dict[frozenset[int], list[Inv]],
    v: int,
    limit: int,
    *,
    live: bool = False,
) -> list[tuple[int, int, int, int, list[int]]]:
    """(id, score, mutual connections as ranked, shared groups now, preview now) of the first
    ``limit``. ``live``: the model's ranking, counted from ``now``, the top ``KEEP`` by score
    of those no block hides."""
    m, g = counts(then, v), shared(then, v)
    cands = set(m) | set(g)
    wm, wg = SCORE_WEIGHTS
    score = {c: wm * m[c] + wg * g[c] for c in cands}
    if live:
        cands = {c for c in cands if not now_rows.hidden(v, c)}
        kept = sorted(cands, key=lambda c: (-score[c], -m[c], c))[:KEEP]
    else:
        by_mutual = sorted((c for c in cands if m[c] > 0), key=lambda c: (-m[c], c))[:KEEP]
        by_score = sorted(cands, key=lambda c: (-score[c], -m[c], c))[:KEEP]
        kept = sorted(set(by_mutual) | set(by_score), key=lambda c: (-score[c], -m[c], c))
    now, rules = api.clock.now(), api.rules
    out = []
    for c in kept:
        if c not in now_rows.adjacency or c in now_rows.adjacency[v] or now_rows.hidden(v, c):
            continue
        if len(now_rows.adjacency[c]) >= rules.connection_cap:
            continue
        if refused(v, c, invitations.get(frozenset((v, c)), []), now, rules.cooldown):
            continue
        mutual = now_rows.mutuals(v, c)  # the look-up's preview: name order, then id
        groups = len(now_rows.groups.get(v, set()) & now_rows.groups.get(c, set()))
        # The count is the ranking's (the snapshot's, or the model's now); the preview and the
        # groups are now.
        out.append((c, score[c], m[c], groups, mutual[:3]))
        if len(out) == limit:
            break
    return out


def got_suggestions(items: list[dict[str, Any]]) -> list[tuple[int, int, int, int, list[int]]]:
    return [
        (
            s["member"]["id"],
            s["score"],
            s["reasons"]["mutual_connections"]["count"],
            s["reasons"]["shared_groups"],
            [p["id"] for p in s["reasons"]["mutual_connections"]["preview"]],
        )
        for s in items
    ]


async def check(
    api: Api, then: Rows, now: Rows, viewers: list[int], limit: int = 100, *, live: bool
) -> int:
    """Every viewer's second degree (every page) and suggestions; how many suggestions.
    ``live``: the graph read model answers, and ``then`` does not matter (nothing was computed
    before ``now``)."""
    invitations = await read_invitations(api)
    if live:
        then = now
    total = 0
    for v in viewers:
        reached, listed = expected_second_degree(then, now, v, live=live)
        assert await all_second_degree(api, v, limit=37) == listed, v
        page = await second_degree(api, v)
        assert page["reached"] == reached and page["listed_at_most"] == KEEP
        items = await suggested(api, v, limit)
        want = expected_suggestions(api, then, now, invitations, v, limit, live=live)
        assert got_suggestions(items) == want
        await assert_invitable(api, v, items)
        total += len(items)
    return total


@pytest.fixture
def keep(api: Api) -> Any:
    api.ctx.settings.network_candidates_max = KEEP
    yield
    api.ctx.settings.network_candidates_max = 500


@pytest.mark.parametrize("graph_source", ["memory"], indirect=True)
async def test_live_second_degree_is_breadth_first_search(
    api: Api, keep: None, graph_source: str
) -> None:
    """Paged to its end, the model's second degree is the members breadth-first search finds at
    distance two from the rows, no block between, most mutual connections first, then id (the
    first ``KEEP``); ``reached`` counts them all. No snapshot is computed for it."""
    net = generator.generate(
        generator.Params(
            members=400,
            avg_degree=10,
            hubs=1,
            groups=4,
            seed=11,
            rules=generator.Rules(connection_cap=CAP),
        )
    )
    await load(api, net)
    rows = await read_rows(api)
    rng = random.Random(3)
    hub = 1
    island = next(m for m in rows.adjacency if 0 < len(rows.degrees_from(m)) < 20)
    blocker = next(a for a, _ in sorted(rows.blocks)) if rows.blocks else hub
    viewers = list(dict.fromkeys([hub, island, blocker, *rng.sample(sorted(rows.adjacency), 6)]))
    beyond = 0
    for v in viewers:
        at_two = [m for m, d in rows.degrees_from(v).items() if d == 2 and not rows.hidden(v, m)]
        want = sorted(
            ((m, len(rows.adjacency[v] & rows.adjacency[m])) for m in at_two),
            key=lambda p: (-p[1], p[0]),
        )
        for limit in (13, 100):
            assert await all_second_degree(api, v, limit=limit) == want[:KEEP], (v, limit)
        assert (await second_degree(api, v))["reached"] == len(want)
        beyond += len(want) > KEEP
    assert beyond, "no viewer's second degree is longer than the list"
    assert await api.sql("SELECT member_id FROM network_snapshots") == []


@pytest.mark.slow
async def test_generated_network_against_python(api: Api, keep: None, graph_source: str) -> None:
    live = graph_source == "memory"
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
    rng = random.Random(5)
    by_degree = sorted(rows.adjacency, key=lambda m: len(rows.adjacency[m]))
    typical = by_degree[len(by_degree) // 2]
    island = next(m for m in rows.adjacency if 0 < len(rows.degrees_from(m)) < 20)
    blocker = next(a for a, _ in sorted(rows.blocks))
    inviter = next(inv for _, inv in sorted(rows.pending.values()))
    viewers = [hub1, hub2, typical, island, blocker, inviter, by_degree[0]]
    viewers += rng.sample(sorted(rows.adjacency), 8)
    viewers = list(dict.fromkeys(viewers))
    assert await check(api, rows, rows, viewers, live=live) > 0

    # Changes through the API, read first from the snapshots computed before them (with the
    # model: from the graph as it is now).
    victim = min(rows.adjacency[typical] - {hub1, hub2})
    assert (await api.as_(typical).put(f"/v1/blocks/{victim}")).status_code == 201
    first = (await api.as_(typical).get("/v1/suggestions", params={"limit": 3})).json()["items"]
    for s in first:  # blocked by them, invited, and reported
        other = s["member"]["id"]
        if s is first[0]:
            assert (await api.as_(other).put(f"/v1/blocks/{typical}")).status_code == 201
        elif s is first[1]:
            await api.invited(typical, other)
        else:
            inv = await api.invited(typical, other)
            assert (await api.decline(other, inv, "dont_know")).is_success
    for someone in viewers[7:]:
        pick = await suggested(api, someone, 1)
        if pick and pick[0]["member"]["id"] not in (hub1, hub2):
            await api.invited(pick[0]["member"]["id"], someone)  # pending the other way
            break
    else:
        raise AssertionError("no random viewer has a suggestion")
    mate = next(iter(rows.adjacency[hub1] - rows.adjacency[typical] - {typical}))
    await api.connect(typical, mate)
    assert (await api.admin.delete(f"/v1/members/{hub2}")).status_code == 204
    now = await read_rows(api)
    viewers = [v for v in viewers if v != hub2]
    await check(api, rows, now, viewers, live=live)

    # And from new snapshots.
    await refresh(api, *viewers)
    await check(api, now, now, viewers, live=live)
    await api.assert_consistent()


@pytest.mark.slow
@pytest.mark.skipif(not SNAP.exists(), reason="shared/data is not beside the project")
async def test_ego_facebook_against_python(api: Api, keep: None, graph_source: str) -> None:
    await load(api, generator.from_edges(generator.read_edge_list(str(SNAP))))
    rows = await read_rows(api)
    best = max(rows.adjacency, key=lambda m: len(rows.adjacency[m]))  # node 107, 1,045
    rng = random.Random(13)
    viewers = [best, 1, *rng.sample(sorted(rows.adjacency), 3)]
    assert await check(api, rows, rows, viewers, live=graph_source == "memory") > 0
