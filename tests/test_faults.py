"""Faults and overload: 503 with ``Retry-After`` for capacity and an unreachable database, never
500; a 500 that is still possible is answered once, logged once, and keeps the connection."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from connect_api.app import create_app
from connect_api.clock import ManualClock
from connect_api.config import Settings
from connect_api.context import AppContext
from connect_api.database import Database, make_engine, make_read_pool
from tests.helpers import Api, problem


class Boom(Exception):
    pass


@pytest.fixture
async def small(
    settings: Settings, clock: ManualClock, app: FastAPI
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """An app of its own on the test database: one pooled connection, a short pool timeout and
    send timeout, and a route that fails."""
    tight = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout": 0.2,
            "db_read_pool_size": 1,
            "send_timeout_seconds": 0.2,
        }
    )
    application = create_app(tight, clock=clock, migrate=False)

    async def boom() -> None:
        raise Boom("a bug")

    application.add_api_route("/boom", boom)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(
            transport=ASGITransport(app=application, raise_app_exceptions=False),
            base_url="http://testserver",
        ) as client,
    ):
        yield application, client


def _ctx(application: FastAPI) -> AppContext:
    ctx: AppContext = application.state.ctx
    return ctx


@pytest.mark.parametrize(
    ("pool", "path"),
    [("transactions", "/v1/invitations/received"), ("hot reads", "/v1/me")],
)
async def test_an_exhausted_pool_is_503_with_retry_after(
    api: Api, small: tuple[FastAPI, AsyncClient], pool: str, path: str
) -> None:
    application, client = small
    db = _ctx(application).db
    member = await api.member()
    headers = {"Authorization": f"Bearer {api.token(member)}"}
    r = await client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    held = db.engine.connect() if pool == "transactions" else db.reads.acquire()
    async with held:  # the one connection of that pool
        r = await client.get(path, headers=headers)
        body = problem(r, 503, "service_unavailable")  # before: 500 internal_error
        assert int(r.headers["retry-after"]) >= 1
        assert "QueuePool" not in body["detail"]
    r = await client.get(path, headers=headers)
    assert r.status_code == 200, r.text


async def test_an_unreachable_database_is_503(
    api: Api, small: tuple[FastAPI, AsyncClient], settings: Settings
) -> None:
    application, client = small
    member = await api.member()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    ctx = _ctx(application)
    good = ctx.db
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x"
    ctx.db = Database(make_engine(nowhere, settings), await make_read_pool(nowhere, settings, 0))
    try:
        r = await client.get("/v1/me", headers={"Authorization": f"Bearer {api.token(member)}"})
        problem(r, 503, "database_unavailable")  # before: 500 internal_error
        assert int(r.headers["retry-after"]) >= 1
        r = await client.post(
            "/v1/invitations",
            json={"invitee_id": member + 1},
            headers={"Authorization": f"Bearer {api.token(member)}"},
        )
        problem(r, 503, "database_unavailable")
        r = await client.get("/readyz")
        assert r.status_code == 503
    finally:
        await ctx.db.dispose()
        ctx.db = good


async def test_a_stalled_download_lets_go_of_its_connection(
    api: Api, small: tuple[FastAPI, AsyncClient]
) -> None:
    """A client that stops reading an export gets cut off after the send timeout; the pooled
    connection the export held is back in the pool."""
    application, client = small
    a, b = await api.members(2)
    await api.connect(a, b)
    token = api.token(a).encode()
    received: list[str] = []
    stalled = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client never says anything more
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        received.append(message["type"])
        if message["type"] == "http.response.body" and message.get("body"):
            stalled.set()
            await asyncio.Event().wait()  # and never takes the bytes

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/me/export",
        "raw_path": b"/v1/me/export",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", b"Bearer " + token)],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    # Before: this never returned, and the export kept the only pooled connection.
    await asyncio.wait_for(application(scope, receive, send), 60)
    assert stalled.is_set() and received[0] == "http.response.start"
    pool = _ctx(application).db.engine.pool
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {api.token(b)}"})
    assert r.status_code == 200, r.text


async def test_a_500_is_answered_once_logged_once_and_keeps_the_connection(
    small: tuple[FastAPI, AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    application, _ = small
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="info", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        caplog.set_level(logging.INFO)
        async with AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            r = await client.get("/boom")
            problem(r, 500, "internal_error")
            assert "a bug" not in r.text
            first = r.extensions["network_stream"].get_extra_info("client_addr")
            # The same kept-alive connection answers the next request (before: closed).
            r = await client.get("/healthz")
            assert r.status_code == 200
            assert r.extensions["network_stream"].get_extra_info("client_addr") == first
        tracebacks = [rec for rec in caplog.records if rec.exc_info]
        assert len(tracebacks) == 1, [rec.getMessage() for rec in tracebacks]
    finally:
        server.should_exit = True
        await task


async def test_database_errors_carry_no_parameters(api: Api) -> None:
    """What gets logged of a failed statement never holds its values (finding: an invitation's
    message, tags and a fresh ``whsec_`` secret appeared in logs)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    secret = "whsec_c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw=="
    with pytest.raises(DBAPIError) as caught:
        async with api.ctx.db.engine.connect() as conn:
            await conn.execute(text("SELECT CAST(:value AS integer)"), {"value": secret})
    assert secret not in str(caught.value)
    assert "parameters hidden" in str(caught.value)
