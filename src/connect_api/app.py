"""The FastAPI application: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from connect_api import __version__, openapi
from connect_api.blocks.router import router as blocks_router
from connect_api.connections.router import router as connections_router
from connect_api.demo import demo_router, static_router
from connect_api.events import repository as events_repository
from connect_api.events.router import router as events_router
from connect_api.exports.router import router as exports_router
from connect_api.follows.router import router as follows_router
from connect_api.graph.feed import GraphFeed
from connect_api.groups.router import router as groups_router
from connect_api.invitations.router import router as invitations_router
from connect_api.kit import urls
from connect_api.kit.clock import Clock, SystemClock
from connect_api.kit.config import Settings
from connect_api.kit.errors import install_error_handlers
from connect_api.kit.http_edge import Edge
from connect_api.kit.listener import Listener
from connect_api.kit.metrics import Metrics
from connect_api.kit.ratelimits import RateLimits
from connect_api.kit.startup import open_context
from connect_api.kit.tracing import OFF as TRACING_OFF
from connect_api.kit.tracing import start as start_tracing
from connect_api.live.hub import Hub
from connect_api.live.router import router as live_router
from connect_api.members.router import router as members_router
from connect_api.network.router import router as network_router
from connect_api.notes.router import router as notes_router
from connect_api.ops.router import router as ops_router
from connect_api.relationships.router import router as relationships_router
from connect_api.webhooks.router import router as webhooks_router
from connect_api.worker import background

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

log = logging.getLogger("connect_api")


def _listener(settings: Settings, url: str) -> Listener | None:
    """The process's ``LISTEN`` connection: to ``CONNECT_API_LISTEN_DATABASE_URL``, else to the
    database itself unless that is a pooler in transaction mode (then none: everything polls)."""
    if settings.listen_database_url:
        url = settings.listen_database_url
    elif settings.db_pooler == "transaction":
        return None
    return Listener(urls.driver_dsn(url))


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """Build the app. The database is opened (and, embedded, started) in the lifespan.

    ``migrate``: upgrade the schema on start-up. Default: yes with the embedded database;
    with ``DATABASE_URL`` the service instead refuses a schema that is not at head.
    ``tracer_provider``: traces on, with this provider (else as the settings say: see
    :mod:`connect_api.kit.tracing`). Each process (each of `serve --workers`) builds its own.
    """
    settings = settings or Settings()
    clock = clock or SystemClock()
    tracing = start_tracing(settings, __version__, provider=tracer_provider)

    token = settings.metrics_token
    metrics = Metrics(token.get_secret_value() if token is not None else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_context(settings, clock, migrate=migrate, metrics=metrics) as ctx:
            app.state.ctx = ctx
            url = ctx.db.url
            # One LISTEN connection for the process: the live streams and the graph read model.
            listener = _listener(settings, url)
            hub = Hub(ctx)
            ctx.live = app.state.hub = hub
            app.state.listener = listener
            app.state.drain_hooks = [hub.drain]
            if listener is not None:
                listener.subscribe(events_repository.CHANNEL, hub.notified)
            if settings.graph_read_model == "memory":  # loads beside the first requests
                graph = GraphFeed(settings, url)
                ctx.graph = graph
                graph.start(ctx, listener)
            if listener is not None:
                listener.start()
            hub.start()
            # What start-up made (modules, the app, the schema's models: ~187,000 objects) lives
            # as long as the process; frozen, no collection walks it again. Before, a full
            # collection took 95-105 ms every ~300 look-ups with previews at the cap; after,
            # collections took at most 5.6 ms and the slowest of 300 requests went from
            # 116-120 ms to 23-28 ms (in-process, a viewer at the cap, 100 ids).
            gc.freeze()
            jobs = background(ctx) if settings.serve_dispatch else contextlib.nullcontext()
            try:
                async with jobs:
                    yield
            finally:
                await hub.close()
                if isinstance(ctx.graph, GraphFeed):
                    await ctx.graph.close()
                if listener is not None:
                    await listener.close()
                if tracing is not None:
                    await asyncio.to_thread(tracing.close)  # sends the last spans

    app = FastAPIOffline(
        title="connect-api",
        version=__version__,
        description=openapi.DESCRIPTION,
        openapi_tags=openapi.TAGS,
        lifespan=lifespan,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
        generate_unique_id_function=lambda route: route.name,
        # A body without a Content-Type is read as JSON, on every route (docs/api.md says so);
        # any other media type than JSON is 415. Every route needs `Authorization`, so no
        # browser sends such a request across origins without asking first.
        strict_content_type=False,
        telemetry=TRACING_OFF if tracing is None else tracing.telemetry(),
    )
    app.state.metrics = metrics
    install_error_handlers(app, metrics.refusals)
    # Routes are matched in order, one after another: the probes and the requests every page
    # view makes come first.
    for router in (
        ops_router,
        relationships_router,
        members_router,
        connections_router,
        invitations_router,
        follows_router,
        notes_router,
        blocks_router,
        groups_router,
        network_router,
        exports_router,
        events_router,
        live_router,
        webhooks_router,
        static_router,
    ):
        app.include_router(router)
    if settings.demo_enabled:  # off: the routes do not exist (404), tokens included
        app.include_router(demo_router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Request-ID",
                "Connect-Read-After",
                "Last-Event-ID",
            ],
            # What a browser client needs to read: limits, retries, new resources, replays.
            expose_headers=[
                "RateLimit",
                "RateLimit-Policy",
                "Retry-After",
                "Location",
                "Idempotent-Replayed",
                "X-Request-ID",
                "Connect-Read-After",
            ],
            max_age=600,
        )
    metrics.install(app)
    read_after_seconds = None
    if settings.read_database_url or settings.graph_read_model == "memory":
        # A member's position lasts as long as a replica (or another process's graph read
        # model) may lag behind it, and a little more.
        behind = (
            settings.replica_max_lag_seconds + settings.replica_check_seconds
            if settings.read_database_url
            else settings.graph_max_lag_seconds
        )
        read_after_seconds = int(behind) + 60
    # Outermost: ids, the limits on what a request may cost before any work, the rate limits,
    # read-your-writes, the answer to any failure, the metrics (see Edge for the order).
    app.add_middleware(
        Edge,
        max_url_bytes=settings.max_url_bytes,
        max_body_bytes=settings.max_body_bytes,
        send_timeout=settings.send_timeout_seconds,
        limits=RateLimits(settings) if settings.rate_limits_enabled else None,
        read_after_seconds=read_after_seconds,
        metrics=metrics,
    )
    app.openapi = lambda: openapi.document(app, settings)  # type: ignore[method-assign]
    return app
