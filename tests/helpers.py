"""Helpers shared by the tests: an API client that acts as a member, and invariants."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, NoReturn

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from connect_api.kit.clock import ManualClock
from connect_api.kit.context import AppContext

_handles = itertools.count(1)


JWT_SECRET = "test-secret-" + "x" * 52  # 64 bytes: long enough for HS512 too


async def empty_tables(engine: AsyncEngine) -> None:
    """Every row gone and the ids started again (the tables that hang off members, such as the
    network snapshots, go with them by CASCADE)."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE webhook_deliveries, webhooks, events, idempotency_keys, notes,"
                " connection_tags, connections, follows, blocks, group_members, groups,"
                " invitations, stream_tickets, members RESTART IDENTITY CASCADE"
            )
        )


# What every `connect-api serve` or `worker` a test starts runs with, unless the test says
# otherwise: the test secret, quiet logs, and no background jobs, drain or request limits.
_SERVE_DEFAULTS = {
    "jwt_secret": JWT_SECRET,
    "log_level": "warning",
    "expiry_sweep_seconds": "0",
    "webhook_dispatch_seconds": "0",
    "drain_seconds": "0",
    "rate_limits_enabled": "false",
}


def missing_tool(why: str, ci_must: str) -> NoReturn:
    """A tool the machine lacks (a browser, Node.js, PgBouncer): the test is skipped with the
    reason, except in CI (``CI`` set), which must run it and fails instead."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"{why}: CI must run {ci_must}")
    pytest.skip(why)


def serve_env(database_url: str | None, **settings: str) -> dict[str, str]:
    """The environment of a service process a test starts: this one's, on ``database_url``
    (``None``: the embedded PostgreSQL of the ``data_dir`` setting), with the defaults above
    and ``settings`` over them (setting names without the ``CONNECT_API_`` prefix)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONNECT_API_DATABASE_URL")
    }
    if database_url is not None:
        env["CONNECT_API_DATABASE_URL"] = database_url
    for name, value in (_SERVE_DEFAULTS | settings).items():
        env["CONNECT_API_" + name.upper()] = value
    return env


class As:
    """Requests made as one member (or as an admin)."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, headers=self.headers, **kw)

    async def post(self, url: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.http.post(url, json=json, headers=self.headers, **kw)

    async def put(self, url: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.http.put(url, json=json, headers=self.headers, **kw)

    async def patch(self, url: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.http.patch(url, json=json, headers=self.headers, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.delete(url, headers=self.headers, **kw)


class Api:
    def __init__(self, http: httpx.AsyncClient, ctx: AppContext) -> None:
        self.http = http
        self.ctx = ctx

    @property
    def admin(self) -> As:
        """An admin, with a token minted now: valid however far a test moved the clock."""
        return As(self.http, self.token(999_999_999, admin=True))

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.ctx.clock, ManualClock)
        return self.ctx.clock

    @property
    def rules(self):  # type: ignore[no-untyped-def]
        return self.ctx.settings.policy

    def token(self, member_id: int, *, admin: bool = False, ttl_hours: float = 1) -> str:
        return self.ctx.tokens.mint(
            member_id, admin=admin, ttl=timedelta(hours=ttl_hours), now=self.clock.now()
        )

    def as_(self, member_id: int) -> As:
        return As(self.http, self.token(member_id))

    async def member(self, name: str | None = None, **fields: Any) -> int:
        n = next(_handles)
        body = {"handle": f"member{n}", "display_name": name or f"Member {n}", **fields}
        r = await self.admin.post("/v1/members", json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def members(self, count: int) -> list[int]:
        return [await self.member() for _ in range(count)]

    async def invite(
        self, inviter: int, invitee: int, message: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"invitee_id": invitee}
        if message is not None:
            body["message"] = message
        return await self.as_(inviter).post("/v1/invitations", json=body)

    async def invited(self, inviter: int, invitee: int) -> int:
        r = await self.invite(inviter, invitee)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def connect(self, a: int, b: int) -> None:
        inv = await self.invited(a, b)
        r = await self.as_(b).post(f"/v1/invitations/{inv}/accept")
        assert r.status_code == 200, r.text

    async def decline(
        self, invitee: int, invitation: int, reason: str = "ignore"
    ) -> httpx.Response:
        return await self.as_(invitee).post(
            f"/v1/invitations/{invitation}/decline", json={"reason": reason}
        )

    async def count(self, member_id: int) -> int:
        r = await self.admin.get(f"/v1/members/{member_id}")
        return int(r.json()["connection_count"])

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.ctx.db.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def assert_consistent(self) -> None:
        """Every counter equals its rows; each connection has its mirror; no pair has two
        pending invitations; no connection, follow or pending invitation crosses a block."""
        bad_counts = await self.sql(
            """SELECT m.id,
                      m.connection_count, (SELECT count(*) FROM connections c
                                           WHERE c.member_id = m.id),
                      m.follower_count, (SELECT count(*) FROM follows f
                                         WHERE f.followee_id = m.id),
                      m.following_count, (SELECT count(*) FROM follows f
                                          WHERE f.follower_id = m.id)
               FROM members m"""
        )
        bad_counts = [r for r in bad_counts if r[1] != r[2] or r[3] != r[4] or r[5] != r[6]]
        assert bad_counts == [], (
            f"counters differ from rows (id, connections, rows, followers, rows, following, "
            f"rows): {bad_counts[:5]}"
        )
        bad_groups = await self.sql(
            """SELECT g.id, g.member_count, count(gm.member_id)
               FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id
               GROUP BY g.id HAVING g.member_count <> count(gm.member_id)"""
        )
        assert bad_groups == [], f"group counters differ from rows: {bad_groups[:5]}"
        across_blocks = await self.sql(
            """SELECT b.blocker_id, b.blocked_id FROM blocks b
               WHERE EXISTS (SELECT 1 FROM connections c
                             WHERE c.member_id = b.blocker_id AND c.other_id = b.blocked_id)
                  OR EXISTS (SELECT 1 FROM follows f
                             WHERE (f.follower_id, f.followee_id) IN
                                   ((b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id)))
                  OR EXISTS (SELECT 1 FROM invitations i WHERE i.status = 'pending'
                             AND (i.inviter_id, i.invitee_id) IN
                                 ((b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id)))"""
        )
        assert across_blocks == [], (
            f"connection, follow or invitation across a block: {across_blocks}"
        )
        unmirrored = await self.sql(
            """SELECT c.member_id, c.other_id FROM connections c
               LEFT JOIN connections r ON r.member_id = c.other_id AND r.other_id = c.member_id
               WHERE r.member_id IS NULL"""
        )
        assert unmirrored == [], f"connections without their mirror: {unmirrored[:5]}"
        pending_connected = await self.sql(
            """SELECT i.id FROM invitations i JOIN connections c
               ON c.member_id = i.inviter_id AND c.other_id = i.invitee_id
               WHERE i.status = 'pending'"""
        )
        assert pending_connected == [], (
            f"pending invitations between connected: {pending_connected}"
        )


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert ``r`` is a problem+json document with this status and code; return its body."""
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records deliveries and answers as told."""

    def __init__(self, delay: float = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        # What to answer, in order (a status code, or one with headers); then 200.
        self.answers: list[int | tuple[int, dict[str, str]]] = []
        self.delay = delay  # seconds before each answer
        self.times: list[float] = []  # when each request arrived (loop time)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append((headers, body))
        self.times.append(asyncio.get_running_loop().time())
        answer = self.answers.pop(0) if self.answers else 200
        status, extra = answer if isinstance(answer, tuple) else (answer, {})
        if self.delay:
            await asyncio.sleep(self.delay)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]


@contextlib.asynccontextmanager
async def receiving(delay: float = 0) -> AsyncIterator[tuple[Receiver, str]]:
    """A :class:`Receiver` served by uvicorn on a free port, and its URL."""
    import uvicorn

    app = Receiver(delay)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield app, f"http://127.0.0.1:{port}/hooks"
    finally:
        server.should_exit = True
        await task


def export_scope(token: str, query: bytes = b"") -> dict[str, Any]:
    """The ASGI scope of a `GET /v1/me/export` by the holder of ``token``, for tests that drive
    the app directly to read (or not read) the download at their own pace."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/me/export",
        "raw_path": b"/v1/me/export",
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }


async def graph_disagreements(ctx: AppContext, *, wait: float = 30) -> list[str]:
    """Where the process's graph read model differs from the rows, after it caught up (it is
    loaded first if it is not yet): every member's connections, blocks placed and received,
    and groups. An empty list: it agrees."""
    from connect_api.graph import feed as graph_feed

    feed = graph_feed.of(ctx)
    assert feed is not None, "the app runs no graph read model"
    await graph_loaded(feed, wait)
    await feed.catch_up()
    graph = feed.graph
    assert graph is not None
    async with ctx.db.engine.connect() as conn:
        rows = {
            "connections": (
                await conn.execute(text("SELECT member_id, other_id FROM connections"))
            ).all(),
            "blocks placed": (
                await conn.execute(text("SELECT blocker_id, blocked_id FROM blocks"))
            ).all(),
            "groups": (
                await conn.execute(text("SELECT member_id, group_id FROM group_members"))
            ).all(),
            "members": (await conn.execute(text("SELECT id FROM members"))).all(),
        }
    truth: dict[str, dict[int, set[int]]] = {
        k: {} for k in ("connections", "blocks placed", "blocks received", "groups")
    }
    for a, b in rows["connections"]:
        truth["connections"].setdefault(a, set()).add(b)
    for a, b in rows["blocks placed"]:
        truth["blocks placed"].setdefault(a, set()).add(b)
        truth["blocks received"].setdefault(b, set()).add(a)
    for m, g in rows["groups"]:
        truth["groups"].setdefault(m, set()).add(g)
    relations = {
        "connections": graph.connections,
        "blocks placed": graph.blocks_placed,
        "blocks received": graph.blocks_received,
        "groups": graph.groups_of,
    }
    everyone = {r[0] for r in rows["members"]} | set(
        range(1, max([0, *(r[0] for r in rows["members"])]) + 3)
    )
    wrong = []
    for name, relation in relations.items():
        for m in sorted(everyone):
            held = set(relation.neighbours(m).tolist())
            want = truth[name].get(m, set())
            if held != want:
                wrong.append(f"{name} of {m}: model {sorted(held)}, rows {sorted(want)}")
    return wrong


async def graph_loaded(feed: Any, seconds: float = 30) -> None:
    """Wait until the graph read model ``feed`` has loaded (it loads beside the first
    requests); fail after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while feed.graph is None:
        assert asyncio.get_running_loop().time() < deadline, "the graph was never loaded"
        await asyncio.sleep(0.05)
