"""The FastAPI application: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
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
from connect_api.edge import BodyLimit, ReadYourWrites, RequestIds, ServerErrors, UrlLimit
from connect_api.errors import PROBLEM_JSON, Problem, install_error_handlers
from connect_api.events.router import router as events_router
from connect_api.exports.router import router as exports_router
from connect_api.faults import DATABASE_UNAVAILABLE, unavailable
from connect_api.follows.router import router as follows_router
from connect_api.groups.router import router as groups_router
from connect_api.idempotency import service as idempotency_service
from connect_api.invitations import service as invitation_service
from connect_api.invitations.router import router as invitations_router
from connect_api.members.router import router as members_router
from connect_api.metrics import Metrics
from connect_api.network import service as network_service
from connect_api.network.router import router as network_router
from connect_api.notes.router import router as notes_router
from connect_api.ops.router import router as ops_router
from connect_api.pagination import Cursors, cursor_key
from connect_api.ratelimits import RateLimits
from connect_api.relationships.router import router as relationships_router
from connect_api.replicas import Replica, Replicas
from connect_api.supervisor import Supervisor
from connect_api.web import demo_router, static_router
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
* Where the service reads from replicas, a response to a write carries `Connect-Read-After`
  (a header, and a cookie of that name): send the greatest you were given back as the
  `Connect-Read-After` header (browsers send the cookie) and your reads see your writes on
  any instance.
"""

TAGS = [
    {"name": "invitations", "description": "Send, answer and withdraw connection invitations."},
    {"name": "connections", "description": "Who is connected to whom."},
    {
        "name": "relationships",
        "description": "Everything between the caller and other members: what the Connect "
        "button says and does.",
    },
    {
        "name": "network",
        "description": "The network around you: your second degree, and people you may know.",
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
            # What start-up made (modules, the app, the schema's models: ~187,000 objects) lives
            # as long as the process; frozen, no collection walks it again. Before, a full
            # collection took 95-105 ms every ~300 look-ups with previews at the cap; after,
            # collections took at most 5.6 ms and the slowest of 300 requests went from
            # 116-120 ms to 23-28 ms (in-process, a viewer at the cap, 100 ids).
            gc.freeze()
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
        # A body without a Content-Type is read as JSON, on every route (the README says so);
        # any other media type than JSON is 415. Every route needs `Authorization`, so no
        # browser sends such a request across origins without asking first.
        strict_content_type=False,
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
    app.add_middleware(ServerErrors, send_timeout=settings.send_timeout_seconds)
    if settings.read_database_url:
        # A member's position lasts as long as a replica may lag behind it, and a little more.
        app.add_middleware(
            ReadYourWrites,
            cookie_seconds=int(settings.replica_max_lag_seconds + settings.replica_check_seconds)
            + 60,
        )
    if settings.rate_limits_enabled:
        app.add_middleware(RateLimits, settings=settings)
    # Nothing else runs for a body or a request target that is too large.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(UrlLimit, max_bytes=settings.max_url_bytes)
    # Outermost, so that every answer, even those refusals, carries the request's id.
    app.add_middleware(RequestIds)
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
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
        Replica(index, await make_read_pool(url, settings, min_size=0), make_engine(url, settings))
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


@contextlib.asynccontextmanager
async def background(ctx: AppContext) -> AsyncIterator[None]:
    """Run the expiry sweep, the webhook dispatcher and the network refresh (those of them
    whose interval is not 0)
    while the block runs, on a database pool of their own
    (``CONNECT_API_DB_BACKGROUND_POOL_SIZE``): requests holding every connection of the main
    pool cannot starve them. On the way out they are stopped, attempts in flight given up to the
    webhook timeout to finish."""
    settings = ctx.settings
    if (
        settings.expiry_sweep_seconds <= 0
        and settings.webhook_dispatch_seconds <= 0
        and settings.network_refresh_seconds <= 0
    ):
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
    jobs_ctx = dataclasses.replace(
        ctx, db=Database(engine, ctx.db.reads, acquire_timeout=30, pooler=settings.db_pooler)
    )
    stop = asyncio.Event()
    tasks = []
    if settings.expiry_sweep_seconds > 0:
        tasks.append(asyncio.create_task(_sweep_expired(jobs_ctx, stop)))
    if settings.webhook_dispatch_seconds > 0:
        tasks.append(asyncio.create_task(webhook_service.run_dispatcher(jobs_ctx, stop)))
    if settings.network_refresh_seconds > 0:
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


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without the ``null`` of an optional Python type: a query string
    or a header cannot be null, a parameter is left out instead."""
    branches = schema.get("anyOf")
    if not branches or {"type": "null"} not in branches or len(branches) != 2:
        return schema
    (kept,) = [b for b in branches if b != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept, **rest}


_BIGINT_MAX = 2**63 - 1


def _by(pointer: str, param: str, *targets: str) -> dict[str, dict[str, Any]]:
    return {
        target: {"operationId": target, "parameters": {param: f"$response.body#{pointer}"}}
        for target in targets
    }


def _next_page(operation: str, cursor: str = "cursor", *path: str) -> dict[str, dict[str, Any]]:
    parameters = {cursor: "$response.body#/next_cursor"} | {p: f"$request.path.{p}" for p in path}
    return {f"{operation}_next_page": {"operationId": operation, "parameters": parameters}}


_MEMBER_OPS = (
    "get_member",
    "follow_member",
    "block_member",
    "list_connections",
    "list_followers",
    "list_following",
    "erase_member",
)
_INVITATION_OPS = (
    "get_invitation",
    "accept_invitation",
    "decline_invitation",
    "withdraw_invitation",
)
# OpenAPI links: what an answer lets a client do next (the stateful fuzzing follows them).
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("create_member", "201"): _by("/id", "member_id", *_MEMBER_OPS)
    | {
        "send_invitation": {
            "operationId": "send_invitation",
            "requestBody": {"invitee_id": "$response.body#/id"},
        }
    },
    **{
        ("send_invitation", code): _by("/id", "invitation_id", *_INVITATION_OPS)
        for code in ("200", "201")
    },
    **{
        ("follow_member", code): _by("/member/id", "member_id", "unfollow_member", "get_member")
        for code in ("200", "201")
    },
    **{
        ("block_member", code): _by("/member/id", "member_id", "unblock_member", "get_member")
        for code in ("200", "201")
    },
    **{
        ("put_note", code): _by("/member_id", "member_id", "get_note", "delete_note")
        for code in ("200", "201")
    },
    ("put_tags", "200"): _by("/member_id", "member_id", "get_tags"),
    ("create_group", "201"): _by(
        "/id", "group_id", "get_group", "join_group", "leave_group", "list_group_members"
    ),
    **{
        ("join_group", code): _by("/group/id", "group_id", "leave_group", "list_group_members")
        for code in ("200", "201")
    },
    ("list_blocks", "200"): _next_page("list_blocks"),
    ("list_groups", "200"): _next_page("list_groups"),
    ("list_group_members", "200"): _next_page("list_group_members", "cursor", "group_id"),
    ("list_followers", "200"): _next_page("list_followers", "cursor", "member_id"),
    ("list_following", "200"): _next_page("list_following", "cursor", "member_id"),
    ("read_events", "200"): _next_page("read_events", "after"),
}


def _integer_bounds(node: Any) -> None:
    """Integer bounds as integers. FastAPI's document model holds them as floats, and the
    float nearest 2^63 - 1 (a BIGINT id's bound) is 2^63, an id the service refuses."""
    if isinstance(node, list):
        for item in node:
            _integer_bounds(item)
    elif isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                value = node.get(key)
                if isinstance(value, float) and value.is_integer():
                    node[key] = min(int(value), _BIGINT_MAX)
        for value in node.values():
            _integer_bounds(value)


def _restore_examples(schemas: dict[str, Any]) -> None:
    """The models' examples as written. FastAPI drops every ``null`` from the document, those
    inside examples too, which leaves examples without fields their schema requires."""
    todo: list[type[BaseModel]] = [BaseModel]
    while todo:
        model = todo.pop()
        todo += model.__subclasses__()
        extra = model.model_config.get("json_schema_extra")
        name = model.__name__
        if isinstance(extra, dict) and "examples" in extra and name in schemas:
            schemas[name]["examples"] = extra["examples"]


def _rename_pages(doc: dict[str, Any]) -> None:
    """``Page_BlockRead_`` (pydantic's name for ``Page[BlockRead]``) becomes ``BlockPage``, a
    name that generated clients can carry."""
    schemas = doc["components"]["schemas"]
    renames = {
        old: old.removeprefix("Page_").removesuffix("_").removesuffix("Read") + "Page"
        for old in list(schemas)
        if old.startswith("Page_")
    }
    for old, new in renames.items():
        assert new not in schemas, new
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    refs = {f"#/components/schemas/{o}": f"#/components/schemas/{n}" for o, n in renames.items()}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
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
    doc["info"]["license"] = {"name": "MIT", "identifier": "MIT"}
    # Relative: the document's own origin, wherever it is served (Swagger UI's "Try it out",
    # and clients given the base URL they run against).
    doc["servers"] = [{"url": "/", "description": "The server that serves this document."}]
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    doc["components"].setdefault("securitySchemes", {})["metricsToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "`CONNECT_API_METRICS_TOKEN`, when it is set.",
    }
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _integer_bounds(doc)
    # The message's limit is a setting (`message_too_long` past it), below the model's own cap.
    message = schemas["InvitationCreate"]["properties"]["message"]["anyOf"][0]
    message["maxLength"] = min(message["maxLength"], settings.policy.message_max_length)
    for route, path in doc.get("paths", {}).items():
        for op in path.values():
            for param in op.get("parameters", []):
                param["schema"] = _not_null(param["schema"])
            for code, resp in op.get("responses", {}).items():
                if links := LINKS.get((op["operationId"], code)):
                    resp["links"] = links
                if code.isdigit() and int(code) >= 400 and route not in ("/readyz", "/healthz"):
                    examples = resp.get("content", {}).get("application/json", {}).get("examples")
                    media: dict[str, Any] = {"schema": problem_ref}
                    if examples:
                        media["examples"] = examples
                    resp["content"] = {PROBLEM_JSON: media}
    for probe in ("/healthz", "/readyz"):
        op = doc["paths"][probe]["get"]
        op["security"] = []  # open: a load balancer asks without a token
        for code, text in ((414, "request target"), (431, "request headers")):
            op["responses"][str(code)] = {
                "description": f"The {text} are too large; the connection is closed.",
                "content": {PROBLEM_JSON: {"schema": problem_ref}},
            }
    doc["paths"]["/metrics"]["get"]["security"] = [{}, {"metricsToken": []}]
    _restore_examples(schemas)
    _rename_pages(doc)
    app.openapi_schema = doc
    return doc
