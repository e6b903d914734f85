"""The graph read model: its arithmetic against brute force, and its following of the outbox
against the rows (commit order, rollbacks, a lost connection, a reload), and read-your-writes.

The answers the model gives through the API are tested with the answers themselves
(``graph_source``: each such test runs with the model and with SQL); the randomized test over
several `serve` processes is ``test_graph_processes.py``."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import asyncpg
import numpy as np
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url

from connect_api.app import create_app
from connect_api.graph import feed as graph_feed
from connect_api.graph.feed import GraphFeed
from connect_api.graph.model import Graph, rank_second_degree, rank_suggestions
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from tests.helpers import Api, graph_disagreements, graph_loaded

# --- the arithmetic ------------------------------------------------------------------------------


def _brute(edges: set[tuple[int, int]], x: int) -> set[int]:
    return {b for a, b in edges if a == x} | {a for a, b in edges if b == x}


@pytest.mark.parametrize("seed", range(5))
def test_the_model_answers_as_brute_force_over_random_changes(seed: int) -> None:
    rng = random.Random(seed)
    n = 60
    edges = {tuple(sorted(rng.sample(range(1, n), 2))) for _ in range(300)}
    blocks = {(a, b) for a, b in (rng.sample(range(1, n), 2) for _ in range(10))}
    groups = {(rng.randrange(1, 6), rng.randrange(1, n)) for _ in range(40)}

    def flat(pairs: set[tuple[int, int]]) -> np.ndarray:
        return np.array(sorted(pairs), dtype=np.int64).ravel()

    graph = Graph(flat(edges), flat(blocks), flat(groups))
    for _ in range(300):  # changes through the overlay, new member ids beyond the base too
        a, b = rng.sample(range(1, n + 5), 2)
        present = rng.random() < 0.5
        graph.connect(a, b, present)
        (edges.add if present else edges.discard)((min(a, b), max(a, b)))
        if rng.random() < 0.1:
            blocker, blocked = rng.sample(range(1, n), 2)
            placed = rng.random() < 0.5
            graph.block(blocker, blocked, placed)
            (blocks.add if placed else blocks.discard)((blocker, blocked))
    assert graph.connections.edges == 2 * len(edges)

    def hidden(x: int) -> set[int]:
        return {b for a, b in blocks if a == x} | {a for a, b in blocks if b == x}

    for me in range(1, n + 5):
        mine = _brute(edges, me)
        assert graph.connections.neighbours(me).tolist() == sorted(mine)
        expected: dict[int, int] = {}
        for o in mine:
            for t in _brute(edges, o):
                if t != me and t not in mine and t not in hidden(me):
                    expected[t] = expected.get(t, 0) + 1
        ids, counts = graph.second_degree_counts(me)
        assert dict(zip(ids.tolist(), counts.tolist(), strict=True)) == expected
        order = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
        paged, after = [], None
        while True:  # keyset pages of 3 give the whole order, once each
            page = rank_second_degree(ids, counts, after=after, limit=3)
            if not len(page.ids):
                break
            paged += list(zip(page.ids.tolist(), page.mutuals.tolist(), strict=True))
            after = (int(page.mutuals[-1]), int(page.ids[-1]))
        assert paged == order
        for them in range(1, n + 5):
            assert graph.mutual_count(me, them) == len(mine & _brute(edges, them))
        shared: dict[int, int] = {}
        mine_groups = {g for g, m in groups if m == me}
        for g, m in groups:
            if g in mine_groups and m != me:
                shared[m] = shared.get(m, 0) + 1
        candidates = {
            t: (2 * expected.get(t, 0) + shared.get(t, 0), expected.get(t, 0))
            for t in set(expected) | set(shared)
            if t not in mine and t not in hidden(me)
        }
        want = sorted(candidates.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
        ranked = rank_suggestions(graph, me, weights=(2, 1), after=None, limit=1000)
        got = [
            (int(i), (int(s), int(m)))
            for i, s, m in zip(ranked.ids, ranked.score, ranked.mutuals, strict=True)
        ]
        assert got == want


# --- following the outbox -----------------------------------------------------------------------


@pytest.fixture
async def feed(settings: Settings, app_ctx: AppContext) -> AsyncIterator[GraphFeed]:
    """A model of its own on the test database, loaded, following nothing by itself: each
    test says when it catches up."""
    url = app_ctx.db.engine.url.render_as_string(hide_password=False)
    own = GraphFeed(settings.model_copy(update={"graph_sync": "notify"}), url)
    await own.open()
    try:
        yield own
    finally:
        await own.close()


def _dsn(app_ctx: AppContext) -> str:
    url = app_ctx.db.engine.url.set(drivername="postgresql")
    return make_url(url).render_as_string(hide_password=False)


async def test_a_transaction_that_commits_late_is_not_stepped_over(
    api: Api, app_ctx: AppContext, feed: GraphFeed
) -> None:
    """Ids and commit order differ: a transaction that started first (its rows noted first)
    and commits after a catch-up is read by the next one, not lost behind a position."""
    a, b, c, d = await api.members(4)
    await feed.catch_up()
    early = await asyncpg.connect(_dsn(app_ctx))
    late = await asyncpg.connect(_dsn(app_ctx))
    try:
        tx = early.transaction()
        await tx.start()
        await early.execute(
            "INSERT INTO connections (member_id, other_id, created_at, other_name_key)"
            " VALUES ($1, $2, now(), 'x'), ($2, $1, now(), 'y')",
            a,
            b,
        )
        await late.execute(
            "INSERT INTO connections (member_id, other_id, created_at, other_name_key)"
            " VALUES ($1, $2, now(), 'x'), ($2, $1, now(), 'y')",
            c,
            d,
        )
        await feed.catch_up()
        assert feed.graph is not None
        assert feed.graph.connected(c, d) and not feed.graph.connected(a, b)
        await tx.commit()
        await feed.catch_up()
        assert feed.graph.connected(a, b) and feed.graph.connected(c, d)
    finally:
        await early.close()
        await late.close()
    assert await graph_disagreements(app_ctx) == []


async def test_nothing_rolled_back_reaches_the_model(
    api: Api, app_ctx: AppContext, feed: GraphFeed
) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await feed.catch_up()
    assert feed.graph is not None and feed.graph.connected(a, b)
    conn = await asyncpg.connect(_dsn(app_ctx))
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "INSERT INTO connections (member_id, other_id, created_at, other_name_key)"
            " VALUES ($1, $2, now(), 'x'), ($2, $1, now(), 'y')",
            a,
            c,
        )
        await conn.execute("DELETE FROM connections WHERE member_id IN ($1, $2)", a, b)
        await conn.execute(
            "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, now())", c, a
        )
        await feed.catch_up()  # while it is open
        await tx.rollback()
    finally:
        await conn.close()
    await feed.catch_up()
    assert feed.graph.connected(a, b) and not feed.graph.connected(a, c)
    assert feed.graph.hidden_from(a).tolist() == []
    assert await graph_disagreements(app_ctx) == []


async def test_two_changes_of_one_pair_in_one_catch_up_end_as_the_rows_say(
    api: Api, app_ctx: AppContext, feed: GraphFeed
) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.as_(a).delete(f"/v1/connections/{b}")  # connected, then removed
    await api.connect(a, c)
    r = await api.as_(a).put(f"/v1/blocks/{c}")  # connected, then blocked
    assert r.status_code in (200, 201), r.text
    await feed.catch_up()
    assert feed.graph is not None
    assert not feed.graph.connected(a, b) and not feed.graph.connected(a, c)
    assert feed.graph.hidden_from(c).tolist() == [a]


async def test_a_lost_connection_loses_nothing(
    api: Api, app_ctx: AppContext, settings: Settings
) -> None:
    """The model's own connection is terminated by the server while changes keep coming: it
    connects again and goes on from its last snapshot; nothing is missed."""
    url = app_ctx.db.engine.url.render_as_string(hide_password=False)
    own = GraphFeed(
        settings.model_copy(update={"graph_sync": "notify", "graph_poll_seconds": 0.2}), url
    )
    members = await api.members(12)
    own.start()
    try:
        await graph_loaded(own)
        killer = await asyncpg.connect(_dsn(app_ctx))
        try:
            for i in range(6):
                await api.connect(members[i], members[i + 6])
                killed = await killer.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'connect-api graph' AND datname = current_database()"
                )
                if i == 0:
                    assert killed >= 1
        finally:
            await killer.close()
        for _ in range(600):  # it connects again (backing off) and catches up
            if own.graph is not None and all(
                own.graph.connected(members[i], members[i + 6]) for i in range(6)
            ):
                break
            await asyncio.sleep(0.05)
        assert own.graph is not None
        assert all(own.graph.connected(members[i], members[i + 6]) for i in range(6))
    finally:
        await own.close()


async def test_a_truncate_makes_every_model_load_again(
    api: Api, app_ctx: AppContext, feed: GraphFeed
) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    await feed.catch_up()
    loads = feed.loads
    conn = await asyncpg.connect(_dsn(app_ctx))
    try:
        await conn.execute("TRUNCATE connections CASCADE")
    finally:
        await conn.close()
    await feed.catch_up()
    assert feed.loads == loads + 1
    assert feed.graph is not None and not feed.graph.connected(a, b)


# --- read-your-writes ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _process(
    settings: Settings, clock: ManualClock, *, wait_ms: int = 30_000
) -> AsyncIterator[FastAPI]:
    """Another app on the same database, as another process would be: a graph read model of
    its own that follows nothing by itself once loaded (its loop is stopped), so that only
    what read-your-writes asks for reaches it. It waits for a catch-up as long as it takes
    (``wait_ms``): what is tested is what it answers, not how fast a loaded machine is."""
    changes = {"graph_sync": "notify", "graph_wait_ms": wait_ms}
    app = create_app(settings.model_copy(update=changes), clock=clock)
    async with app.router.lifespan_context(app):
        feed = graph_feed.of(app.state.ctx)
        assert feed is not None
        await graph_loaded(feed)
        assert feed._task is not None
        feed._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed._task
        yield app


async def _degree(app: FastAPI, token: str, them: int, **headers: str) -> int | None:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        r = await http.get(
            "/v1/relationships",
            params={"ids": str(them)},
            headers={"Authorization": f"Bearer {token}", **headers},
        )
    assert r.status_code == 200, r.text
    degree: int | None = r.json()["items"][0]["degree"]
    return degree


async def test_a_member_sees_their_own_accept_at_once_and_elsewhere_with_the_header(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """The process that committed an accept answers its author from the model at once; another
    process does when given the accept's `Connect-Read-After`. Neither model follows by itself
    here, so what they answer comes from read-your-writes alone: a third member, who wrote
    nothing and sends no header, is still answered from the model as it was."""
    inviter, invitee, third = await api.members(3)
    await api.connect(inviter, third)  # the third member is 2nd degree to the invitee after
    invitation = await api.invited(inviter, invitee)
    async with _process(settings, clock) as one, _process(settings, clock) as other:
        feeds = [graph_feed.of(app.state.ctx) for app in (one, other)]
        assert all(f is not None for f in feeds)
        async with AsyncClient(transport=ASGITransport(app=one), base_url="http://t") as http:
            r = await http.post(
                f"/v1/invitations/{invitation}/accept",
                headers={"Authorization": f"Bearer {api.token(invitee)}"},
            )
        assert r.status_code == 200, r.text
        position = r.headers["Connect-Read-After"]
        before = [f.answered["memory"] for f in feeds if f is not None]
        # The other process, asked first by a member who wrote nothing and sends no header,
        # answers from its model as it stood: the accept is not in it (nothing follows here).
        assert await _degree(other, api.token(third), invitee) is None
        # Its author, in the process that committed it: at once.
        assert await _degree(one, api.token(invitee), inviter) == 1
        # Either member, in the other process, with the accept's position: at once too.
        header = {"Connect-Read-After": position}
        assert await _degree(other, api.token(invitee), inviter, **header) == 1
        assert await _degree(other, api.token(inviter), invitee, **header) == 1
        # Every one of those answers came from a model, none from SQL.
        after = [f.answered for f in feeds if f is not None]
        assert [a["memory"] for a in after] == [before[0] + 1, before[1] + 3]
        assert all(a["sql"] == 0 for a in after)


@pytest.mark.parametrize("seed", range(3))
async def test_a_copy_cut_anywhere_builds_the_same_rows(seed: int) -> None:
    """The loader reads the binary COPY chunk by chunk; a chunk may end inside the header, a
    row or the trailer, and one member's rows may span chunks."""
    import struct

    from connect_api.graph.repository import _CsrSink

    rng = random.Random(seed)
    rows = sorted({(rng.randrange(1, 40), rng.randrange(1, 40)) for _ in range(400)})
    stream = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    for a, b in rows:
        stream += struct.pack(">hiqiq", 2, 8, a, 8, b)
    stream += b"\xff\xff"
    sink = _CsrSink()
    at = 0
    while at < len(stream):
        step = rng.choice([1, 3, 7, 19, 26, 27, 100, 1000])
        await sink(stream[at : at + step])
        at += step
    adjacency = sink.adjacency()
    for m in range(45):
        assert adjacency.neighbours(m).tolist() == [b for a, b in rows if a == m]


async def test_the_outbox_forgets_old_changes_and_a_model_away_longer_loads_again(
    api: Api, app_ctx: AppContext, feed: GraphFeed
) -> None:
    from datetime import UTC, datetime, timedelta

    from connect_api.graph import repository

    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.sql("UPDATE graph_changes SET noted_at = now() - interval '2 hours'")
    await api.connect(a, c)
    forgotten = await app_ctx.db.run(
        repository.prune,
        datetime.now(UTC) - timedelta(hours=app_ctx.settings.graph_changes_keep_hours),
    )
    assert forgotten >= 1
    left = await api.sql("SELECT a, b FROM graph_changes WHERE kind = 'c'")
    assert [tuple(r) for r in left] == [(min(a, c), max(a, c))]
    # A model whose last catch-up is older than half the keeping time may have missed a
    # forgotten change: it loads the whole graph again instead of reading the outbox.
    loads = feed.loads
    feed.caught_up_at -= feed.settings.graph_changes_keep_hours * 3600
    await feed.catch_up()
    assert feed.loads == loads + 1
    assert feed.graph is not None and feed.graph.connected(a, b) and feed.graph.connected(a, c)


async def test_a_new_base_is_built_beside_the_serving_one_and_swapped_in(
    api: Api, app_ctx: AppContext, feed: GraphFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a share of the base in the overlay, a new base is loaded on a connection of its
    own, brought to the model's point, and put in place: the overlay is empty again and the
    model goes on from there and holds what the rows hold."""
    monkeypatch.setattr(graph_feed, "REBUILD_SHARE", 0.0)
    a, b, c = await api.members(3)
    await api.connect(a, b)
    loads = feed.loads
    await feed.catch_up()  # the overlay holds a and b now: a rebuild starts
    rebuild = feed._rebuild
    assert rebuild is not None
    await api.connect(a, c)  # while it loads, or just after
    await rebuild
    assert feed.loads == loads + 1
    await feed.catch_up()  # this model follows only when told: from the new base's point
    assert feed.graph is not None and feed.graph.connected(a, b) and feed.graph.connected(a, c)
    assert await graph_disagreements(app_ctx) == []


async def test_a_model_that_cannot_catch_up_in_time_leaves_the_answer_to_sql(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """Given no time to apply the author's own write, the process answers from SQL (right,
    and counted as such), never from the model as it stood."""
    inviter, invitee = await api.members(2)
    invitation = await api.invited(inviter, invitee)
    async with _process(settings, clock, wait_ms=0) as one:
        feed = graph_feed.of(one.state.ctx)
        assert feed is not None
        async with AsyncClient(transport=ASGITransport(app=one), base_url="http://t") as http:
            r = await http.post(
                f"/v1/invitations/{invitation}/accept",
                headers={"Authorization": f"Bearer {api.token(invitee)}"},
            )
        assert r.status_code == 200, r.text
        before = dict(feed.answered)
        assert await _degree(one, api.token(invitee), inviter) == 1
        assert feed.answered == {"memory": before["memory"], "sql": before["sql"] + 1}
