"""Opening what every request can reach: the keys, the database (the embedded one started when
none is configured), its schema checked or upgraded, the replicas and the supervisor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from connect_api.kit.auth import TokenService
from connect_api.kit.clock import Clock
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from connect_api.kit.database import Database, make_engine, make_read_pool, make_write_pool
from connect_api.kit.embedded import start_embedded
from connect_api.kit.metrics import Metrics
from connect_api.kit.overload import DATABASE_UNAVAILABLE, unavailable
from connect_api.kit.pagination import Cursors, cursor_key
from connect_api.kit.replicas import Replica, Replicas
from connect_api.kit.schema import ensure_at_head, upgrade_to_head
from connect_api.kit.supervisor import Supervisor
from connect_api.kit.tokens import jwt_secret

log = logging.getLogger("connect_api")


@contextlib.asynccontextmanager
async def open_context(
    settings: Settings,
    clock: Clock,
    *,
    migrate: bool | None = None,
    metrics: Metrics | None = None,
    tokens: bool = True,
) -> AsyncIterator[AppContext]:
    """Open the database (starting the embedded one if none is configured), check or upgrade
    its schema, and hand out what every request can reach. ``tokens=False`` (the worker, which
    serves no requests) needs no token keys."""
    # The keys first: a missing one (`MissingCursorSecret`) stops before the database opens.
    if tokens:
        secret = jwt_secret(settings)
        token_service = TokenService(settings, secret, clock)
        cursors = Cursors(cursor_key(settings, secret))
    else:  # never asked to check a token or read a cursor: throwaway keys
        token_service = TokenService(
            settings.model_copy(update={"jwt_algorithm": "HS256"}), secrets.token_urlsafe(48)
        )
        cursors = Cursors(secrets.token_bytes(32))
    url = settings.database_url
    if url is None:
        url = await asyncio.to_thread(start_embedded, settings)
    # The embedded server is ours to restart when it dies; /healthz and /readyz ask it.
    supervisor = Supervisor.for_url(settings, url)
    do_migrate = settings.embedded if migrate is None else migrate
    engine, reads = await _open_database(url, settings, do_migrate, supervisor)
    replicas = await _open_replicas(settings, reads) if settings.read_database_url else None
    db = Database(
        engine,
        reads,
        acquire_timeout=settings.db_pool_timeout,
        pooler=settings.db_pooler,
        replicas=replicas,
        writes=await make_write_pool(url, settings),
        url=url,
    )
    watch = asyncio.create_task(supervisor.run(db)) if supervisor is not None else None
    stop = asyncio.Event()
    checks = asyncio.create_task(replicas.watch(reads, stop)) if replicas is not None else None
    try:
        yield AppContext(settings, db, clock, token_service, metrics, supervisor, cursors=cursors)
    finally:
        stop.set()
        for task in (watch, checks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await db.dispose()
        if replicas is not None:
            await replicas.close()


async def _open_replicas(settings: Settings, primary: asyncpg.Pool) -> Replicas:
    """The read replicas' pools, opened lazily (a replica that is down at start-up delays
    nothing: it is skipped until a check finds it), and a first check of them all."""
    opened = [
        Replica(index, await make_read_pool(url, settings), make_engine(url, settings))
        for index, url in enumerate(settings.read_database_url, 1)
    ]
    replicas = Replicas(
        opened,
        max_lag=settings.replica_max_lag_seconds,
        check_every=settings.replica_check_seconds,
        timeout=max(min(settings.replica_check_seconds * 2, 2.0), 0.5),
    )
    await replicas.check(primary)
    return replicas


async def _open_database(
    url: str, settings: Settings, migrate: bool, supervisor: Supervisor | None
) -> tuple[AsyncEngine, asyncpg.Pool]:
    """The engine and the read pool, the schema upgraded (``migrate``) or checked at head.

    The embedded server may die while this runs: a `--workers` process starting while another
    one's request killed it, or a kill between the check that it is up and the first statement.
    A process whose start-up failed would stop `serve` with every worker, so the supervisor
    brings the server back and the opening starts again, a bounded number of times."""
    attempts = 1 if supervisor is None else max(supervisor.attempts, 1)
    for attempt in range(1, attempts + 1):
        if supervisor is not None:
            await supervisor.ensure_up()  # a worker may start while another one restarts it
        engine = make_engine(url, settings)
        try:
            if migrate:
                await upgrade_to_head(engine)
            else:
                await ensure_at_head(engine)
            return engine, await make_read_pool(url, settings)
        except Exception as exc:
            await engine.dispose()
            if attempt == attempts or unavailable(exc) is not DATABASE_UNAVAILABLE:
                raise
            log.warning("the database went away during start-up (%s); opening it again", exc)
        except BaseException:
            await engine.dispose()
            raise
    raise AssertionError("unreachable")  # the last attempt returns or raises
