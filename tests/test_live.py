"""The live streams (`GET /v1/me/stream`, `GET /v1/events/stream`), their tickets and the
badge, against the suite's app on a real port and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from connect_api.live.hub import Hub
from tests.helpers import Api, problem, serve_env
from tests.live import Event, Sse, on_a_port, streaming
from tests.test_processes import _free_port, _serve, _wait_ready, two_servers

__all__ = ["two_servers"]  # the fixture


@pytest.fixture
async def url(app: FastAPI) -> AsyncIterator[str]:
    async with on_a_port(app) as served:
        yield served


@pytest.fixture
async def client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


def hub_of(api: Api) -> Hub:
    hub = api.ctx.live
    assert isinstance(hub, Hub)
    return hub


def bearer(api: Api, member: int, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(member, **kw)}"}


@contextlib.asynccontextmanager
async def member_stream(
    client: httpx.AsyncClient, api: Api, member: int, **headers: str
) -> AsyncIterator[Sse]:
    """The member's stream, read past its first `counts` event."""
    async with streaming(client, "/v1/me/stream", headers=bearer(api, member) | headers) as sse:
        first = await sse.event()
        assert first.event == "counts", first
        yield sse


async def feed(api: Api, member: int) -> list[dict[str, Any]]:
    """The member's whole feed (`GET /v1/events`)."""
    seen: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        r = await api.as_(member).get(
            "/v1/events", params={"limit": 100} | ({"after": after} if after else {})
        )
        assert r.status_code == 200, r.text
        page = r.json()
        seen += page["items"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return seen


def items(events: list[Event]) -> list[tuple[int, str]]:
    """The feed items among a stream's events, as (event id, type)."""
    return [(e.json["id"], e.event or "") for e in events if e.event not in ("counts", None)]


async def settle(api: Api, *streams: Sse, seconds: float = 1.0) -> list[list[Event]]:
    """What each stream receives until it has been quiet for ``seconds``."""
    return list(await asyncio.gather(*(s.quiet(seconds) for s in streams)))


# --- addressing: each member's stream is their feed ------------------------------------------


async def test_each_members_stream_shows_exactly_their_feed(
    api: Api, client: httpx.AsyncClient
) -> None:
    """Every event type and every addressing rule: an `ignore` is never announced to the
    inviter, a decline of any reason neither, a block hides the blocker's side from the blocked
    member, a removal is told to the remover only, an erasure to the former connections."""
    a, b, c, d, e = await api.members(5)
    async with contextlib.AsyncExitStack() as stack:
        streams = {
            m: await stack.enter_async_context(member_stream(client, api, m))
            for m in (a, b, c, d, e)
        }
        accepted = await api.invited(a, b)
        assert (await api.as_(b).post(f"/v1/invitations/{accepted}/accept")).status_code == 200
        ignored = await api.invited(c, b)
        assert (await api.decline(b, ignored, "ignore")).status_code == 200
        spam = await api.invited(d, b)
        assert (await api.decline(b, spam, "spam")).status_code == 200
        withdrawn = await api.invited(a, c)
        assert (await api.as_(a).post(f"/v1/invitations/{withdrawn}/withdraw")).status_code == 200
        await api.invited(e, a)  # left pending, then expired below
        assert (await api.as_(a).delete(f"/v1/connections/{b}")).status_code == 204
        assert (await api.as_(c).put(f"/v1/follows/{d}")).status_code in (200, 201)
        assert (await api.as_(c).delete(f"/v1/follows/{d}")).status_code == 204
        await api.connect(c, d)
        assert (await api.as_(d).put(f"/v1/blocks/{c}")).status_code in (200, 201)
        assert (await api.as_(d).delete(f"/v1/blocks/{c}")).status_code == 204
        api.clock.advance(days=api.rules.invitation_expiry_days + 1)
        from connect_api.invitations import service as invitations

        assert await api.ctx.db.run(invitations.expire_due, api.ctx) == 1
        await api.connect(b, e)
        assert (await api.admin.delete(f"/v1/members/{e}")).status_code == 204

        received = dict(
            zip(streams, await settle(api, *streams.values(), seconds=1.5), strict=True)
        )
        # The erased member's stream ends (it was open when the member went).
        closing = [x for x in received[e] if x.event == "close"]
        assert closing and closing[-1].json == {"reason": "erased"}
        for member in (a, b, c, d):
            shown = items(received[member])
            expected = [(x["id"], x["type"]) for x in await feed(api, member)]
            assert shown == expected, (member, shown, expected)
            # In feed order, each with its feed position as `id`.
            ids = [int(x.id or 0) for x in received[member] if x.event not in ("counts", None)]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)

        types = {m: [t for _, t in items(received[m])] for m in (a, b, c, d)}
        # The inviter of an ignore, and of a spam decline, hears nothing of it.
        assert "invitation.declined" not in types[c] + types[d]
        assert types[b].count("invitation.declined") == 2
        # The removal is told to the remover only.
        assert "connection.removed" in types[a] and "connection.removed" not in types[b]
        # The blocked member hears nothing of the block nor of its lifting.
        assert "member.blocked" in types[d] and "member.unblocked" in types[d]
        assert not {"member.blocked", "member.unblocked"} & set(types[c])
        # The expiry reaches both sides; the erasure the former connection.
        assert "invitation.expired" in types[a]
        assert "member.erased" in types[b]


async def test_a_storm_of_writes_reaches_every_stream_as_its_feed(
    api: Api, client: httpx.AsyncClient
) -> None:
    """Many requests at once from many members: each stream still shows its feed, once each,
    in order."""
    holders = await api.members(8)
    senders = await api.members(8)
    async with contextlib.AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(member_stream(client, api, m)) for m in holders]
        results = await asyncio.gather(*(api.invite(s, h) for s in senders for h in holders))
        assert all(r.status_code == 201 for r in results)
        received = await settle(api, *streams, seconds=1.5)
    for member, got in zip(holders, received, strict=True):
        expected = [(x["id"], x["type"]) for x in await feed(api, member)]
        assert len(expected) == len(senders)
        assert items(got) == expected


# --- resuming ----------------------------------------------------------------------------------


async def test_resuming_replays_every_missed_event_once_in_order(
    api: Api, client: httpx.AsyncClient
) -> None:
    """Away, then back with `Last-Event-ID` while more changes commit during the replay: every
    event once, none twice, in feed order, then live."""
    me, *others = await api.members(13)
    async with streaming(client, "/v1/me/stream", headers=bearer(api, me)) as sse:
        mark = (await sse.event()).id  # the counts event carries the position reached
    assert mark is not None
    for other in others[:6]:  # missed while away
        await api.invited(other, me)
    during = asyncio.gather(*(api.invite(o, me) for o in others[6:]))  # while it replays
    headers = bearer(api, me) | {"Last-Event-ID": mark}
    async with streaming(client, "/v1/me/stream", headers=headers) as sse:
        assert all(r.status_code == 201 for r in await during)
        got = await sse.quiet(1.5)
    expected = [(x["id"], x["type"]) for x in await feed(api, me)]
    assert len(expected) == 12
    assert items(got) == expected
    # The same with `?after=` (a new EventSource cannot set the header).
    async with streaming(client, f"/v1/me/stream?after={mark}", headers=bearer(api, me)) as sse:
        assert items(await sse.quiet(1.0)) == expected


async def test_a_position_past_the_replay_window_or_the_feed_is_refused_before_streaming(
    api: Api, client: httpx.AsyncClient
) -> None:
    me, other = await api.members(2)
    async with streaming(client, "/v1/me/stream", headers=bearer(api, me)) as sse:
        mark = (await sse.event()).id
    assert mark is not None
    await api.invited(other, me)
    api.clock.advance(hours=api.ctx.settings.stream_replay_hours + 1)
    r = await client.get("/v1/me/stream", headers=bearer(api, me) | {"Last-Event-ID": mark})
    problem(r, 410, "stream_position_expired")
    # From the newest position it is fine; from past the end, or not a number, it is not.
    last = await api.sql("SELECT max(position) AS p FROM events")
    newest = str(last[0].p or 0)
    async with streaming(
        client, "/v1/me/stream", headers=bearer(api, me) | {"Last-Event-ID": newest}
    ) as sse:
        assert (await sse.event()).event == "counts"
    for bad in (str(int(newest) + 1), "abc", "-1", "1.5", "٣"):
        r = await client.get("/v1/me/stream", headers=bearer(api, me), params={"after": bad})
        problem(r, 400, "invalid_last_event_id")


# --- only what committed -------------------------------------------------------------------------


async def test_nothing_rolled_back_is_ever_streamed(api: Api, client: httpx.AsyncClient) -> None:
    """A refused accept, a rule violation, an explicit rollback and a transaction killed before
    its commit write nothing a stream shows; the next committed change arrives alone."""
    me, other, third = await api.members(3)
    dsn = api.ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with member_stream(client, api, me) as sse:
        inv = await api.invited(other, me)
        assert items(await sse.quiet(0.8)) == [(x["id"], x["type"]) for x in await feed(api, me)]
        assert (await api.as_(me).post(f"/v1/invitations/{inv}/accept")).status_code == 200
        await sse.quiet(0.8)
        problem(
            await api.as_(me).post(f"/v1/invitations/{inv}/accept"), 409, "invitation_not_pending"
        )
        problem(await api.invite(me, me), 400, "cannot_invite_self")
        problem(await api.invite(other, me), 409, "already_connected")
        insert = (
            "INSERT INTO events (type, occurred_at, audience, data)"
            " VALUES ('follow.created', now(), ARRAY[$1::bigint], '{}')"
        )
        rolled = await asyncpg.connect(dsn)
        try:
            tx = rolled.transaction()
            await tx.start()
            await rolled.execute(insert, me)
            await tx.rollback()
        finally:
            await rolled.close()
        killed = await asyncpg.connect(dsn)
        killer = await asyncpg.connect(dsn)
        try:
            await killed.execute("BEGIN")
            await killed.execute(insert, me)
            await killer.execute("SELECT pg_terminate_backend($1)", killed.get_server_pid())
        finally:
            killed.terminate()
            await killer.close()
        assert await sse.quiet(1.0) == []
        before = len(await feed(api, me))
        await api.as_(third).put(f"/v1/follows/{me}")
        got = items(await sse.quiet(1.0))
        everything = await feed(api, me)
        assert len(everything) == before + 1
        assert got == [(everything[-1]["id"], "follow.created")]


# --- the badge ----------------------------------------------------------------------------------


async def test_the_badge_counts_unseen_invitations_until_the_inbox_is_seen(
    api: Api, client: httpx.AsyncClient
) -> None:
    me, ana, ben = await api.members(3)

    async def badge() -> tuple[int, int]:
        body = (await api.as_(me).get("/v1/me")).json()
        return body["pending_received"], body["unseen_received"]

    async with member_stream(client, api, me) as sse:
        from_ana = await api.invited(ana, me)
        seen = await sse.until("counts")
        assert [e.event for e in seen] == ["invitation.created", "counts"]
        assert seen[-1].json == {"pending_received": 1, "unseen_received": 1}
        assert seen[-1].id == seen[0].id  # the position the stream has reached
        assert await badge() == (1, 1)

        r = await api.as_(me).post("/v1/invitations/received/seen")
        assert r.status_code == 200 and r.json() == {"pending_received": 1, "unseen_received": 0}
        assert (await sse.event()).json == {"pending_received": 1, "unseen_received": 0}
        assert await badge() == (1, 0)

        api.clock.advance(seconds=1)
        await api.invited(ben, me)
        assert (await sse.until("counts"))[-1].json == {"pending_received": 2, "unseen_received": 1}
        assert (await api.decline(me, from_ana)).status_code == 200
        assert (await sse.until("counts"))[-1].json == {"pending_received": 1, "unseen_received": 1}
        # Seen twice is seen once; the numbers never go below what is pending.
        for _ in range(2):
            r = await api.as_(me).post("/v1/invitations/received/seen")
            assert r.json() == {"pending_received": 1, "unseen_received": 0}
        assert await badge() == (1, 0)


async def test_marking_seen_concurrently_and_an_erased_member(api: Api) -> None:
    me, *others = await api.members(6)
    for other in others:
        await api.invited(other, me)
    results = await asyncio.gather(
        *(api.as_(me).post("/v1/invitations/received/seen") for _ in range(20))
    )
    assert {r.status_code for r in results} == {200}
    assert {tuple(r.json().values()) for r in results} == {(5, 0)}
    assert (await api.admin.delete(f"/v1/members/{me}")).status_code == 204
    problem(await api.as_(me).post("/v1/invitations/received/seen"), 401, "invalid_token")


# --- tickets ------------------------------------------------------------------------------------


async def mint(api: Api, member: int, **kw: Any) -> str:
    r = await api.http.post("/v1/me/stream-tickets", headers=bearer(api, member, **kw))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (
        body["expires_in"] == 60 and body["stream_url"] == f"/v1/me/stream?ticket={body['ticket']}"
    )
    return str(body["ticket"])


async def test_a_ticket_opens_its_members_stream_once(api: Api, client: httpx.AsyncClient) -> None:
    me, other = await api.members(2)
    ticket = await mint(api, me)
    async with streaming(client, f"/v1/me/stream?ticket={ticket}") as sse:
        assert (await sse.event()).event == "counts"
        await api.invited(other, me)
        created = await sse.event()
        assert created.event == "invitation.created" and created.json["data"]["invitee_id"] == me
    # Used up.
    problem(await client.get(f"/v1/me/stream?ticket={ticket}"), 401, "invalid_ticket")
    # Expired after a minute, unused.
    late = await mint(api, me)
    api.clock.advance(seconds=61)
    problem(await client.get(f"/v1/me/stream?ticket={late}"), 401, "invalid_ticket")
    # Made up.
    for forged in ("st_" + "A" * 43, "nope", ""):
        r = await client.get("/v1/me/stream", params={"ticket": forged})
        problem(r, 401, "invalid_ticket")


async def test_a_ticket_is_its_members_and_never_a_bearer_token(
    api: Api, client: httpx.AsyncClient
) -> None:
    me, other = await api.members(2)
    ticket = await mint(api, me)
    # With another member's token beside it: refused (and used up).
    r = await client.get(f"/v1/me/stream?ticket={ticket}", headers=bearer(api, other))
    problem(r, 403, "ticket_not_yours")
    problem(await client.get(f"/v1/me/stream?ticket={ticket}"), 401, "invalid_ticket")
    # No route takes it as a bearer token, nor from the query.
    ticket = await mint(api, me)
    for path in ("/v1/me", "/v1/me/stream", "/v1/events"):
        r = await client.get(path, headers={"Authorization": f"Bearer {ticket}"})
        problem(r, 401, "invalid_token")
    problem(await client.get(f"/v1/me?ticket={ticket}"), 401, "unauthorized")
    # Still good for its stream (none of the above used it).
    async with streaming(client, f"/v1/me/stream?ticket={ticket}") as sse:
        assert (await sse.event()).event == "counts"


async def test_a_stream_ends_when_the_token_that_opened_it_expires(
    api: Api, client: httpx.AsyncClient
) -> None:
    me = await api.member()
    short = {"ttl_hours": 1.5 / 3600}
    ticket = await mint(api, me, **short)
    for how in ({"headers": bearer(api, me, **short)}, {"ticket": ticket}):
        path = f"/v1/me/stream?ticket={how['ticket']}" if "ticket" in how else "/v1/me/stream"
        async with streaming(client, path, headers=how.get("headers")) as sse:  # type: ignore[arg-type]
            assert (await sse.event()).event == "counts"
            closing = await sse.event(seconds=5)
            assert closing.event == "close" and closing.json == {"reason": "token_expired"}
            assert await sse.next() is None


def test_tickets_are_never_logged() -> None:
    import logging

    from connect_api.kit.logs import RequestIdFilter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/me/stream?after=7&ticket=st_secret&x=1", "1.1", 200),
        None,
    )
    assert RequestIdFilter().filter(record)
    line = record.getMessage()
    assert "st_secret" not in line and "ticket=[redacted]" in line and "after=7" in line
    assert "st_secret" not in str(record.__dict__)


# --- the service stream -------------------------------------------------------------------------


async def test_the_service_stream_is_every_event_for_admins_only(
    api: Api, client: httpx.AsyncClient
) -> None:
    a, b, c = await api.members(3)
    r = await client.get("/v1/events/stream", headers=bearer(api, a))
    problem(r, 403, "insufficient_scope")
    admin = {"Authorization": f"Bearer {api.token(999_999_999, admin=True)}"}
    async with streaming(client, "/v1/events/stream", headers=admin) as sse:
        inv = await api.invited(a, b)
        await api.decline(b, inv, "ignore")
        await api.as_(c).put(f"/v1/blocks/{a}")
        got = await sse.quiet(1.0)
    everything = (await api.admin.get("/v1/events", params={"all": "true", "limit": 100})).json()
    assert [(e.json["id"], e.event) for e in got] == [
        (x["id"], x["type"]) for x in everything["items"]
    ]
    assert "counts" not in {e.event for e in got}


# --- limits -------------------------------------------------------------------------------------


async def test_a_member_holds_at_most_five_streams_and_a_process_its_cap(
    api: Api, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, other = await api.members(2)
    async with contextlib.AsyncExitStack() as stack:
        held = [
            await stack.enter_async_context(member_stream(client, api, me))
            for _ in range(api.ctx.settings.stream_per_member)
        ]
        r = await client.get("/v1/me/stream", headers=bearer(api, me))
        body = problem(r, 429, "too_many_streams")
        assert body["limit"] == 5 and r.headers["Retry-After"] == "5"
        # Another member is not held back by it.
        async with member_stream(client, api, other):
            pass
        # One closed, one more may open.
        await held[0].response.aclose()
        for _ in range(100):
            if len(hub_of(api).members.get(me, ())) < 5:
                break
            await asyncio.sleep(0.02)
        async with member_stream(client, api, me):
            pass
    monkeypatch.setattr(api.ctx.settings, "stream_max_per_process", 1)
    async with member_stream(client, api, me):
        r = await client.get("/v1/me/stream", headers=bearer(api, other))
        problem(r, 503, "streams_at_capacity")
        assert r.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("buffer", "events", "pad", "why"),
    [(600, 3000, 2_000, "overflow"), (5_000, 300, 20_000, "stalled")],
    ids=["its-queue-fills", "its-writes-wait"],
)
async def test_a_reader_that_stops_reading_is_cut_and_frees_its_place(
    api: Api,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    buffer: int,
    events: int,
    pad: int,
    why: str,
) -> None:
    """A client that opens its stream and reads no more, while megabytes of events are
    addressed to it: cut (when its queue is full, or when a write has waited the stall
    limit), its queue emptied, its connection dropped; it never held a database connection
    meanwhile."""
    monkeypatch.setattr(api.ctx.settings, "stream_stall_seconds", 1.0)
    monkeypatch.setattr(api.ctx.settings, "stream_buffer_events", buffer)
    me = await api.member()
    hub = hub_of(api)
    cut_before = sum(hub.cut.values())
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    request = (
        f"GET /v1/me/stream HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {api.token(me)}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = await asyncio.wait_for(loop.sock_recv(sock, 1024), 10)
    assert head.startswith(b"HTTP/1.1 200"), head
    for _ in range(100):
        if hub.members.get(me):
            break
        await asyncio.sleep(0.02)
    [stream] = hub.members[me]
    await api.sql(
        "INSERT INTO events (type, occurred_at, audience, data)"
        " SELECT 'follow.created', now(), ARRAY[:me ::bigint],"
        " jsonb_build_object('pad', repeat('x', :pad)) FROM generate_series(1, :n)",
        me=me,
        pad=pad,
        n=events,
    )
    in_use = api.ctx.db.reads.get_size() - api.ctx.db.reads.get_idle_size()
    for _ in range(500):
        if me not in hub.members:
            break
        await asyncio.sleep(0.02)
    assert me not in hub.members, "the stalled stream is still held"
    assert sum(hub.cut.values()) == cut_before + 1 and hub.cut[why] >= 1
    assert stream.closed == why and not stream.frames
    assert api.ctx.db.reads.get_size() - api.ctx.db.reads.get_idle_size() <= max(in_use, 1)
    # Its connection was dropped: reading what is left ends in an end of file or a reset.
    sock.setblocking(True)
    sock.settimeout(10)
    with contextlib.suppress(ConnectionResetError):
        while sock.recv(65536):
            pass
    sock.close()


async def test_a_lost_listening_connection_comes_back_and_nothing_is_lost(
    api: Api, client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process's LISTEN connection killed by `pg_terminate_backend`: it connects again, and
    what committed while it was away reaches the stream (not by polling: the hub polls only
    every 60 s here)."""
    monkeypatch.setattr(api.ctx.settings, "stream_poll_seconds", 60)
    await asyncio.sleep(1.2)  # the hub's current wait (1 s) ends; the next is 60 s
    listener = app.state.listener
    me, *others = await api.members(4)
    async with member_stream(client, api, me) as sse:
        before = listener.connections
        pid = listener.backend_pid
        assert pid is not None
        await api.sql("SELECT pg_terminate_backend(:pid)", pid=pid)
        for _ in range(200):
            if not listener.connected.is_set():
                break
            await asyncio.sleep(0.01)
        for other in others:  # committed while nobody listens
            await api.invited(other, me)
        got = []
        while len(items(got)) < len(others):
            got += await sse.quiet(0.5) or [await sse.event(seconds=10)]
        assert listener.connections == before + 1 and listener.backend_pid not in (None, pid)
        assert items(got) == [(x["id"], x["type"]) for x in await feed(api, me)]
        # And it listens again: the next change comes at once.
        await api.as_(others[0]).put(f"/v1/follows/{me}")
        assert (await sse.event(seconds=5)).event == "follow.created"


# --- processes ----------------------------------------------------------------------------------


async def test_a_write_through_one_process_reaches_a_stream_held_by_another(
    api: Api, two_servers: list[str]
) -> None:
    a, b, c = await api.members(3)
    clients = [httpx.AsyncClient(base_url=u, timeout=30) for u in two_servers]
    try:
        async with (
            member_stream(clients[0], api, a) as on_first,
            member_stream(clients[1], api, b) as on_second,
        ):
            r = await clients[1].post(
                "/v1/invitations", json={"invitee_id": a}, headers=bearer(api, c)
            )
            assert r.status_code == 201, r.text
            r = await clients[0].post(
                "/v1/invitations", json={"invitee_id": b}, headers=bearer(api, c)
            )
            assert r.status_code == 201, r.text
            first, second = await settle(api, on_first, on_second)
        for member, got in ((a, first), (b, second)):
            assert items(got) == [(x["id"], x["type"]) for x in await feed(api, member)]
            assert [e.event for e in got] == ["invitation.created", "counts"]
    finally:
        for http in clients:
            await http.aclose()


async def test_sigterm_ends_streams_with_a_retry_hint_during_the_drain(
    database_url: str, api: Api, tmp_path: Path
) -> None:
    """The stream ends at once with `retry:` and `event: close` (`shutdown`), while the
    process goes on draining (a new stream is refused: it belongs on another process)."""
    env = serve_env(database_url, drain_seconds="3", stream_retry_ms="250")
    port = _free_port()
    proc = _serve(env, port, tmp_path / "server.log")
    url = f"http://127.0.0.1:{port}"
    me = await api.member()
    try:
        await asyncio.to_thread(_wait_ready, url, proc)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            async with member_stream(http, api, me) as sse:
                signalled = asyncio.get_running_loop().time()
                proc.send_signal(signal.SIGTERM)
                closing = await sse.event(seconds=5)
                took = asyncio.get_running_loop().time() - signalled
                assert closing.event == "close" and closing.json == {"reason": "shutdown"}
                assert closing.retry == 250
                assert await sse.next(seconds=5) is None
            assert took < 2, took  # within the drain (3 s), not at its end
            r = await http.get("/v1/me/stream", headers=bearer(api, me))
            problem(r, 503, "streams_at_capacity")
            assert proc.poll() is None  # still draining
        assert await asyncio.to_thread(proc.wait, 30) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
