"""The background work: the expiry sweep, the webhook dispatcher and the network refresh, run by
`serve` beside the requests or by `connect-api worker` alone."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from connect_api.graph import repository as graph_repository
from connect_api.idempotency import service as idempotency_service
from connect_api.invitations import service as invitation_service
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from connect_api.kit.database import Database, make_engine
from connect_api.kit.metrics import Metrics
from connect_api.kit.overload import Outage
from connect_api.kit.startup import open_context
from connect_api.network import service as network_service
from connect_api.webhooks import service as webhook_service

log = logging.getLogger("connect_api")


@contextlib.asynccontextmanager
async def background(ctx: AppContext) -> AsyncIterator[None]:
    """Run the expiry sweep, the webhook dispatcher and the network refresh (those of them
    whose interval is not 0)
    while the block runs, on a database pool of their own
    (``CONNECT_API_DB_BACKGROUND_POOL_SIZE``): requests holding every connection of the main
    pool cannot starve them. On the way out they are stopped, attempts in flight given up to the
    webhook timeout to finish."""
    settings = ctx.settings
    # With the graph read model the network is ranked from memory on each request: the
    # snapshots are only what SQL answers with while a model loads, and nothing keeps them.
    refresh = settings.network_refresh_seconds > 0 and settings.graph_read_model == "sql"
    if (
        settings.expiry_sweep_seconds <= 0
        and settings.webhook_dispatch_seconds <= 0
        and not refresh
    ):
        yield
        return
    engine = make_engine(
        ctx.db.url,
        settings.model_copy(
            update={
                "db_pool_size": settings.db_background_pool_size,
                "db_max_overflow": 0,
                # Background work waits its turn rather than failing.
                "db_pool_timeout": max(settings.db_pool_timeout, 30),
            }
        ),
    )
    # The hot-read pool is the main one's: nothing in the background uses it.
    jobs_ctx = dataclasses.replace(
        ctx,
        db=Database(
            engine, ctx.db.reads, acquire_timeout=30, pooler=settings.db_pooler, url=ctx.db.url
        ),
    )
    stop = asyncio.Event()
    tasks = []
    if settings.expiry_sweep_seconds > 0:
        tasks.append(asyncio.create_task(_sweep_expired(jobs_ctx, stop)))
    if settings.webhook_dispatch_seconds > 0:
        tasks.append(asyncio.create_task(webhook_service.run_dispatcher(jobs_ctx, stop)))
    if refresh:
        tasks.append(asyncio.create_task(network_service.run_refresher(jobs_ctx, stop)))
    try:
        yield
    finally:
        stop.set()
        _, late = await asyncio.wait(tasks, timeout=settings.webhook_timeout_seconds + 5)
        for task in late:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()


async def _sweep_expired(ctx: AppContext, stop: asyncio.Event) -> None:
    """Mark invitations expired as their time comes (so their events go out), and forget
    idempotency keys past their lifetime."""
    outage = Outage("expiry sweep", log)
    while not stop.is_set():
        pause = 0.0
        try:
            while await ctx.db.run(invitation_service.expire_due, ctx) > 0 and not stop.is_set():
                pass
            await ctx.db.run(idempotency_service.purge_expired, ctx)
            keep = timedelta(hours=ctx.settings.graph_changes_keep_hours)
            await ctx.db.run(graph_repository.prune, ctx.clock.now() - keep)
            outage.ok()
        except Exception as exc:
            pause = outage.failed(exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(ctx.settings.expiry_sweep_seconds, pause))


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """`connect-api worker`: the webhook dispatcher and the expiry sweep, no HTTP, until
    ``stop``."""
    metrics = Metrics()
    exporter = None
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        exporter = start_http_server(
            settings.worker_metrics_port, addr=settings.host, registry=metrics.registry
        )
    try:
        async with (
            open_context(settings, SystemClock(), metrics=metrics, tokens=False) as ctx,
            background(ctx),
        ):
            log.info("worker running")
            await stop.wait()
    finally:
        if exporter is not None:
            server, thread = exporter
            server.shutdown()
            thread.join()
