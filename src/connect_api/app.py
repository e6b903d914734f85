"""The FastAPI application: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from connect_api import __version__
from connect_api.auth import TokenService
from connect_api.blocks.router import router as blocks_router
from connect_api.clock import Clock, SystemClock
from connect_api.config import Settings
from connect_api.connections.router import router as connections_router
from connect_api.context import AppContext
from connect_api.database import (
    Database,
    ensure_at_head,
    jwt_secret,
    make_engine,
    make_read_pool,
    start_embedded,
    upgrade_to_head,
)
from connect_api.edge import BodyLimit, RequestIds, ServerErrors, UrlLimit
from connect_api.errors import PROBLEM_JSON, Problem, install_error_handlers
from connect_api.events.router import router as events_router
from connect_api.exports.router import router as exports_router
from connect_api.follows.router import router as follows_router
from connect_api.groups.router import router as groups_router
from connect_api.idempotency import service as idempotency_service
from connect_api.invitations import service as invitation_service
from connect_api.invitations.router import router as invitations_router
from connect_api.members.router import router as members_router
from connect_api.metrics import Metrics
from connect_api.notes.router import router as notes_router
from connect_api.ops.router import router as ops_router
from connect_api.ratelimits import RateLimits
from connect_api.relationships.router import router as relationships_router
from connect_api.supervisor import Supervisor
from connect_api.webhooks import service as webhook_service
from connect_api.webhooks.router import router as webhooks_router

log = logging.getLogger("connect_api")

DESCRIPTION = """
The service behind a professional network's **Connect button**: invitations with a personal
note, connections, and the rules around them (connection cap, cooldowns, anti-spam throttles,
restrictions).

* Authenticate with `Authorization: Bearer <JWT>`; `sub` is your member id.
* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
  documents with a stable `code` to switch on.
* Lists are cursor-paginated: pass `next_cursor` back as `cursor` until it is `null`.
"""

TAGS = [
    {"name": "invitations", "description": "Send, answer and withdraw connection invitations."},
    {"name": "connections", "description": "Who is connected to whom."},
    {
        "name": "relationships",
        "description": "Everything between the caller and other members: what the Connect "
        "button says and does.",
    },
    {"name": "follows", "description": "One-way subscriptions to a member's activity."},
    {
        "name": "notes",
        "description": "Private notes and tags on your connections; only their author sees them.",
    },
    {"name": "blocks", "description": "Hide yourself from a member, and them from you."},
    {"name": "groups", "description": "Named sets of members."},
    {"name": "members", "description": "Member profiles, erasure and your data export."},
    {"name": "events", "description": "What changed, as a feed to poll."},
    {"name": "webhooks", "description": "What changed, pushed to your endpoints (admin)."},
    {"name": "operations", "description": "Health and readiness for operators."},
]


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool | None = None,
) -> FastAPI:
    """Build the app. The database is opened (and, embedded, started) in the lifespan.

    ``migrate``: upgrade the schema on start-up. Default: yes with the embedded database;
    with ``DATABASE_URL`` the service instead refuses a schema that is not at head.
    """
    settings = settings or Settings()
    clock = clock or SystemClock()

    token = settings.metrics_token
    metrics = Metrics(token.get_secret_value() if token is not None else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_context(settings, clock, migrate=migrate, metrics=metrics) as ctx:
            app.state.ctx = ctx
            jobs = background(ctx) if settings.serve_dispatch else contextlib.nullcontext()
            async with jobs:
                yield

    app = FastAPIOffline(
        title="connect-api",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
        generate_unique_id_function=lambda route: route.name,
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
        exports_router,
        events_router,
        webhooks_router,
    ):
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            # What a browser client needs to read: limits, retries, new resources, replays.
            expose_headers=[
                "RateLimit",
                "RateLimit-Policy",
                "Retry-After",
                "Location",
                "Idempotent-Replayed",
                "X-Request-ID",
            ],
            max_age=600,
        )
    metrics.install(app)
    app.add_middleware(ServerErrors, send_timeout=settings.send_timeout_seconds)
    if settings.rate_limits_enabled:
        app.add_middleware(RateLimits, settings=settings)
    # Nothing else runs for a body or a request target that is too large.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(UrlLimit, max_bytes=settings.max_url_bytes)
    # Outermost, so that every answer, even those refusals, carries the request's id.
    app.add_middleware(RequestIds)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


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
    url = settings.database_url
    if url is None:
        url = await asyncio.to_thread(start_embedded, settings)
    # The embedded server is ours to restart when it dies; /healthz and /readyz ask it.
    supervisor = Supervisor.for_url(settings, url)
    if supervisor is not None:
        await supervisor.ensure_up()  # a worker may start while another one restarts it
    engine = make_engine(url, settings)
    try:
        do_migrate = settings.embedded if migrate is None else migrate
        if do_migrate:
            await upgrade_to_head(engine)
        else:
            await ensure_at_head(engine)
    except BaseException:
        await engine.dispose()
        raise
    if tokens:
        token_service = TokenService(settings, jwt_secret(settings), clock)
    else:  # never asked to check a token: a throwaway key
        token_service = TokenService(
            settings.model_copy(update={"jwt_algorithm": "HS256"}), secrets.token_urlsafe(48)
        )
    db = Database(
        engine,
        await make_read_pool(url, settings),
        acquire_timeout=settings.db_pool_timeout,
    )
    watch = asyncio.create_task(supervisor.run(db)) if supervisor is not None else None
    try:
        yield AppContext(settings, db, clock, token_service, metrics, supervisor)
    finally:
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        await db.dispose()


@contextlib.asynccontextmanager
async def background(ctx: AppContext) -> AsyncIterator[None]:
    """Run the expiry sweep and the webhook dispatcher (those of them whose interval is not 0)
    while the block runs, on a database pool of their own
    (``CONNECT_API_DB_BACKGROUND_POOL_SIZE``): requests holding every connection of the main
    pool cannot starve them. On the way out they are stopped, attempts in flight given up to the
    webhook timeout to finish."""
    settings = ctx.settings
    if settings.expiry_sweep_seconds <= 0 and settings.webhook_dispatch_seconds <= 0:
        yield
        return
    engine = make_engine(
        ctx.db.engine.url.render_as_string(hide_password=False),
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
    jobs_ctx = dataclasses.replace(ctx, db=Database(engine, ctx.db.reads, acquire_timeout=30))
    stop = asyncio.Event()
    tasks = []
    if settings.expiry_sweep_seconds > 0:
        tasks.append(asyncio.create_task(_sweep_expired(jobs_ctx, stop)))
    if settings.webhook_dispatch_seconds > 0:
        tasks.append(asyncio.create_task(webhook_service.run_dispatcher(jobs_ctx, stop)))
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
    while not stop.is_set():
        try:
            while await ctx.db.run(invitation_service.expire_due, ctx) > 0 and not stop.is_set():
                pass
            await ctx.db.run(idempotency_service.purge_expired, ctx)
        except Exception:
            log.exception("expiry sweep failed; will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ctx.settings.expiry_sweep_seconds)


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


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with errors typed as problem+json and the validation schema ours."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for route, path in doc.get("paths", {}).items():
        for op in path.values():
            for code, resp in op.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400 and route not in ("/readyz", "/healthz"):
                    examples = resp.get("content", {}).get("application/json", {}).get("examples")
                    media: dict[str, Any] = {"schema": problem_ref}
                    if examples:
                        media["examples"] = examples
                    resp["content"] = {PROBLEM_JSON: media}
    app.openapi_schema = doc
    return doc
