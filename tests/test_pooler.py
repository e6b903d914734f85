"""The service behind a real PgBouncer in transaction mode (``CONNECT_API_DB_POOLER=transaction``):
each transaction may run on another server connection, so nothing may rest on the session."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url, text

import tests.test_concurrency as concurrency
import tests.test_events as events
import tests.test_export as export
import tests.test_idempotency as idempotency
import tests.test_network as network
import tests.test_relationships as relationships
from connect_api.app import create_app
from connect_api.graph import feed as graph_feed
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from tests.helpers import Api, missing_tool, problem
from tests.test_processes import _free_port

POOL_SIZE = 6  # server connections PgBouncer keeps: far fewer than the app's clients


def _pgbouncer() -> str:
    """Debian's PgBouncer (in /usr/sbin, often not on PATH), or a skip with the reason outside
    CI (a failure in CI)."""
    for path in (shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"):
        if path is not None and os.access(path, os.X_OK):
            return path
    missing_tool(
        "PgBouncer is not installed (`apt-get install -y pgbouncer`; .ci/run does it)",
        "the pooler tests",
    )


def test_without_pgbouncer_the_tests_skip_outside_ci_and_fail_in_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PgBouncer is not installed"):
        _pgbouncer()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the pooler tests"):
        _pgbouncer()


@pytest.fixture(scope="module")
def bouncer(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PgBouncer in transaction mode in front of the test database; its URL."""
    binary = _pgbouncer()
    url = make_url(database_url)
    host = url.query.get("host") or url.host or "127.0.0.1"
    assert isinstance(host, str)
    port, name, user = url.port or 5432, url.database, url.username or "postgres"
    here = tmp_path_factory.mktemp("pgbouncer")
    listen = _free_port()
    (here / "users.txt").write_text(f'"{user}" ""\n')
    (here / "pgbouncer.ini").write_text(
        f"""[databases]
{name} = host={host} port={port} dbname={name} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {here / "users.txt"}
pool_mode = transaction
default_pool_size = {POOL_SIZE}
max_client_conn = 500
; no ignore_startup_parameters: a client that sends a session setting is refused
"""
    )
    command = [binary, str(here / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        # As the owner of the embedded server's socket directory, or anyone for TCP.
        owner = Path(host).stat().st_uid if host.startswith("/") else None
        command[1:1] = ["-u", pwd.getpwuid(owner).pw_name if owner is not None else "nobody"]
    log = (here / "pgbouncer.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", listen)) == 0:
                    break
            assert process.poll() is None, (here / "pgbouncer.log").read_text()
            assert time.monotonic() < deadline, "PgBouncer did not start listening"
            time.sleep(0.05)
        yield url.set(host="127.0.0.1", port=listen, query={}).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextlib.asynccontextmanager
async def pooled(
    bouncer: str, settings: Settings, clock: ManualClock, **update: Any
) -> AsyncIterator[tuple[FastAPI, Api]]:
    """An app on the test database through PgBouncer, and an API client of its own."""
    changed = {"database_url": bouncer, "db_pooler": "transaction", **update}
    application = create_app(settings.model_copy(update=changed), clock=clock, migrate=False)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(
            transport=ASGITransport(app=application, raise_app_exceptions=False),
            base_url="http://testserver",
            timeout=120,
        ) as client,
    ):
        ctx: AppContext = application.state.ctx
        yield application, Api(client, ctx)


@pytest.fixture
async def api_via_bouncer(
    bouncer: str, settings: Settings, clock: ManualClock, app: FastAPI
) -> AsyncIterator[Api]:
    """``app`` is the direct one: it migrated the database, and its fixture empties the
    tables after each test. The policy is the session's own object, which it resets too."""
    async with pooled(bouncer, settings, clock) as (_, api):
        assert api.rules is app.state.ctx.settings.policy
        yield api


async def _server_prepared_statements(bouncer: str) -> list[int]:
    """How many prepared statements each of PgBouncer's server connections holds: as many
    transactions at once as it keeps server connections, so each is on another one."""
    dsn = make_url(bouncer).set(drivername="postgresql").render_as_string(hide_password=False)
    conns = [await asyncpg.connect(dsn, statement_cache_size=0) for _ in range(POOL_SIZE)]
    try:
        txs = [conn.transaction() for conn in conns]
        await asyncio.gather(*(tx.start() for tx in txs))
        counts = await asyncio.gather(
            *(c.fetchval("SELECT count(*) FROM pg_prepared_statements") for c in conns)
        )
        pids = await asyncio.gather(*(c.fetchval("SELECT pg_backend_pid()") for c in conns))
        assert len(set(pids)) == POOL_SIZE, pids
        await asyncio.gather(*(tx.rollback() for tx in txs))
        return [int(n) for n in counts]
    finally:
        await asyncio.gather(*(c.close() for c in conns))


async def test_without_the_setting_pgbouncer_refuses_the_session_settings(
    bouncer: str, settings: Settings, clock: ManualClock
) -> None:
    """The pooler is really in the way: the statement timeout as a startup parameter is
    refused, which is what ``CONNECT_API_DB_POOLER=transaction`` is for."""
    application = create_app(settings.model_copy(update={"database_url": bouncer}), clock=clock)
    with pytest.raises(Exception, match="unsupported startup parameter"):
        async with application.router.lifespan_context(application):
            pass


async def test_invite_accept_and_look_up_through_pgbouncer(
    api_via_bouncer: Api, bouncer: str
) -> None:
    api = api_via_bouncer
    a, b = await api.members(2)
    r = await api.invite(a, b, "Through the pooler.")
    assert r.status_code == 201, r.text
    received = await api.as_(b).get("/v1/invitations/received")
    assert [i["id"] for i in received.json()["items"]] == [r.json()["id"]]
    accepted = await api.as_(b).post(f"/v1/invitations/{r.json()['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    # The hot reads (their own asyncpg pool): me, the look-up, the connection list.
    me = await api.as_(a).get("/v1/me")
    assert me.status_code == 200 and me.json()["connection_count"] == 1
    button = await relationships.one(api, a, b)
    assert button["degree"] == 1 and button["action"] == "message"
    listed = await api.as_(a).get(f"/v1/members/{a}/connections")
    assert [c["member"]["id"] for c in listed.json()["items"]] == [b], listed.text
    # Degrees, mutuals, follows and groups, as on PostgreSQL itself.
    await relationships.test_degrees_mutuals_follows_and_groups(api, "memory")
    await api.assert_consistent()
    # The graph read model follows through the pooler too (by polling: it has no LISTEN).
    feed = graph_feed.of(api.ctx)
    assert feed is not None and feed.answered["memory"] > 0, "no graph answer from the model"
    # No statement outlived its use on any server connection.
    assert await _server_prepared_statements(bouncer) == [0] * POOL_SIZE


@pytest.mark.parametrize(
    ("pool", "lock"),
    [
        ("transactions", "SELECT 1 FROM members WHERE id = :a FOR UPDATE"),
        ("hot reads", "LOCK TABLE members IN ACCESS EXCLUSIVE MODE"),
    ],
)
async def test_the_statement_timeout_holds_through_pgbouncer(
    bouncer: str,
    settings: Settings,
    clock: ManualClock,
    api: Api,
    app_ctx: AppContext,
    pool: str,
    lock: str,
) -> None:
    """A request waiting on a lock longer than the statement timeout is cancelled by it and
    answered 503, on both pools, although no session setting reaches the server. A session
    ``SET`` another client left on every server connection does not loosen it."""
    a, b = await api.members(2)
    dsn = make_url(bouncer).set(drivername="postgresql").render_as_string(hide_password=False)
    others = [await asyncpg.connect(dsn, statement_cache_size=0) for _ in range(POOL_SIZE)]
    txs = [conn.transaction() for conn in others]
    await asyncio.gather(*(tx.start() for tx in txs))
    await asyncio.gather(*(c.execute("SET statement_timeout = 0") for c in others))
    await asyncio.gather(*(tx.commit() for tx in txs))  # a plain SET outlives its transaction
    await asyncio.gather(*(c.close() for c in others))
    async with pooled(bouncer, settings, clock, db_statement_timeout_ms=300) as (_, via):
        auth = {"Authorization": f"Bearer {via.token(a)}"}
        async with app_ctx.db.engine.connect() as holder:  # straight to PostgreSQL
            await holder.execute(text(lock), {"a": a})
            started = time.monotonic()
            request = (
                via.http.post("/v1/invitations", json={"invitee_id": b}, headers=auth)
                if pool == "transactions"
                else via.http.get("/v1/me", headers=auth)
            )
            answer = asyncio.ensure_future(request)
            done, _ = await asyncio.wait({answer}, timeout=4)
            await holder.rollback()
        r = await answer
        elapsed = time.monotonic() - started
        assert done, "the request waited for the lock"
        body = problem(r, 503, "service_unavailable")
        assert "longer than" in body["detail"]
        assert elapsed < 3
        r = await via.http.get("/v1/me", headers=auth)  # the pools are fine afterwards
        assert r.status_code == 200, r.text


Storm = Callable[[Api], Awaitable[None]]


@pytest.mark.parametrize(
    "storm",
    [
        concurrency.test_200_concurrent_accepts_at_29999_make_exactly_30000,
        concurrency.test_50_concurrent_crossing_invitations_make_one_connection,
        concurrency.test_40_concurrent_sends_with_hourly_limit_20_admit_exactly_20,
        concurrency.test_mixed_storm_never_fails_and_stays_consistent,
    ],
    ids=lambda storm: storm.__name__.removeprefix("test_"),
)
async def test_the_rules_hold_under_concurrency_through_pgbouncer(
    api_via_bouncer: Api, storm: Storm
) -> None:
    """The concurrency tests, with far more clients than PgBouncer has server connections:
    requests queue in the pooler, and the locks and advisory locks, all scoped to their
    transaction, still serialise what they guard."""
    await storm(api_via_bouncer)


async def second_degree_counts_and_order(api: Api) -> None:
    """The network's SQL path through the pooler (its computation's advisory lock and
    `SET LOCAL`): the graph read model stands aside for it."""
    feed, api.ctx.graph = api.ctx.graph, None
    try:
        await network.test_second_degree_counts_and_order(api, "sql")
    finally:
        api.ctx.graph = feed


@pytest.mark.parametrize(
    "flow",
    [
        idempotency.test_concurrent_retries_with_one_key_send_once,
        events.test_a_poller_during_a_storm_sees_every_event_once,
        second_degree_counts_and_order,
        export.test_the_export_is_one_snapshot,
        export.test_snapshot_is_repeatable_read_and_read_only,
    ],
    ids=lambda flow: flow.__name__.removeprefix("test_"),
)
async def test_what_holds_a_lock_or_a_snapshot_works_through_pgbouncer(
    api_via_bouncer: Api, flow: Storm
) -> None:
    """The idempotency keys and the event publisher take transaction-scoped advisory locks,
    the network computation one too and a `SET LOCAL`, and an export streams one read-only
    snapshot from server-side cursors: each inside its transaction, so on one server
    connection."""
    await flow(api_via_bouncer)


def test_seed_refuses_to_load_through_a_transaction_pooler(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its loader needs a session of its own: it says so before touching the database."""
    from connect_api.cli import main

    monkeypatch.setenv("CONNECT_API_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("CONNECT_API_DB_POOLER", "transaction")
    assert main(["seed", "--members", "10"]) == 2
    assert "point DATABASE_URL at PostgreSQL itself" in capsys.readouterr().err
    monkeypatch.setenv("CONNECT_API_DB_POOLER", "statement")  # PgBouncer's third mode: no
    assert main(["seed", "--members", "10"]) == 2
    assert "CONNECT_API_DB_POOLER" in capsys.readouterr().err
