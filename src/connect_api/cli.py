"""The `connect-api` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what every command needs is imported here: `--help` and `token` answer without
# importing FastAPI, SQLAlchemy or the app (each command imports what it uses).
if TYPE_CHECKING:
    from connect_api.kit.config import Settings


class StartupError(Exception):
    """A mistake in the set-up, told in one line (with what to do) instead of a traceback."""


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from connect_api.kit.embedded import start_embedded
    from connect_api.kit.schema import SchemaNotAtHead
    from connect_api.kit.supervisor import failed_marker, postmaster_alive, refresh_handle
    from connect_api.kit.tokens import jwt_secret
    from connect_api.kit.tracing import require as require_tracing

    _check_keys(settings)
    require_tracing(settings)  # before the database starts; each worker sets up its own
    host, port = args.host or settings.host, args.port or settings.port
    _check_port(host, port)

    if args.no_dispatch:
        settings = settings.model_copy(update={"serve_dispatch": False})
        os.environ["CONNECT_API_SERVE_DISPATCH"] = "false"  # for --workers' fresh processes
    embedded = settings.embedded
    if embedded:
        # uvicorn re-raises SIGTERM/SIGINT once it has shut down; exit normally then (or with
        # 1 if the embedded PostgreSQL died for good), so that it is stopped by its exit hook
        # instead of being left running.
        data_dir = settings.data_dir

        def _exit_quietly(signum: int, frame: object) -> None:
            raise SystemExit(_embedded_status(data_dir))

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_quietly)
        failed_marker(data_dir).unlink(missing_ok=True)
        url = start_embedded(settings)
        print(f"embedded PostgreSQL running; data in {settings.pgdata}", file=sys.stderr)
        asyncio.run(_migrate(url, settings))
        update: dict[str, str] = {"database_url": url}
        secret = jwt_secret(settings)
        if secret is not None and settings.jwt_secret is None:
            update["jwt_secret"] = secret
        if settings.cursor_secret is None and not settings.jwt_algorithm.startswith("HS"):
            from connect_api.kit.pagination import embedded_cursor_secret

            # With RS256/ES256 the cursor key has no JWT secret to come from: the one kept
            # in the data directory, for every worker.
            update["cursor_secret"] = embedded_cursor_secret(settings)
        # With the URL set the database no longer looks embedded: the demo's `auto` is
        # decided now, while it still does.
        update["demo"] = "true" if settings.demo_enabled else "false"
        parsed: dict[str, object] = {**update, "demo": settings.demo_enabled}
        if "cursor_secret" in update:
            from pydantic import SecretStr

            parsed["cursor_secret"] = SecretStr(update["cursor_secret"])
        settings = settings.model_copy(update=parsed)  # model_copy does not parse
        # Workers are fresh processes: they find the running server and the secret here.
        os.environ.update({f"CONNECT_API_{k.upper()}": v for k, v in update.items()})
    else:
        try:
            asyncio.run(_check_schema(settings))
        except SchemaNotAtHead as exc:
            print(f"connect-api: {exc}", file=sys.stderr)
            return 1
    try:
        _run_server(args, settings, host, port)
    finally:
        if embedded:
            refresh_handle(settings.pgdata)  # a worker may have restarted it
    if embedded and not postmaster_alive(settings.pgdata):
        # The server stopped by itself (no signal: those exit through _exit_quietly) with its
        # database down: with --workers, uvicorn stops when a worker cannot start, which a
        # database killed under a starting worker does, before any supervisor has given up.
        print(
            "connect-api: the embedded PostgreSQL is down and could not be restarted before "
            "the service stopped",
            file=sys.stderr,
        )
        return 1
    return _embedded_status(settings.data_dir) if embedded else 0


def _check_port(host: str, port: int) -> None:
    """Refuse at once, in one line, a port that is taken: before the database starts, not
    after a page of uvicorn's start-up log."""
    import errno
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise StartupError(f"cannot listen on {host!r}: {exc.strerror}; check --host") from None
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(
                    f"port {port} on {host} is already in use (another `connect-api serve`?): "
                    "stop it, or choose another port with --port or CONNECT_API_PORT"
                ) from None
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _check_keys(settings: Settings) -> None:
    if settings.jwt_algorithm.startswith("HS"):
        if settings.jwt_secret is None and not settings.embedded:
            raise StartupError(
                f"{settings.jwt_algorithm} with DATABASE_URL needs CONNECT_API_JWT_SECRET "
                "(at least 32 random bytes, e.g. `openssl rand -base64 48`)"
            )
    elif not settings.jwt_public_key:
        raise StartupError(
            f"CONNECT_API_JWT_ALGORITHM={settings.jwt_algorithm} needs "
            "CONNECT_API_JWT_PUBLIC_KEY (the PEM public key tokens are checked with)"
        )
    elif settings.cursor_secret is None and not settings.embedded:
        from connect_api.kit.pagination import MissingCursorSecret

        raise StartupError(str(MissingCursorSecret(settings.jwt_algorithm)))


def _embedded_status(data_dir: Path) -> int:
    """1 if the embedded PostgreSQL could not be restarted, else 0."""
    from connect_api.kit.supervisor import failed_marker

    return 1 if failed_marker(data_dir).exists() else 0


def _proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's reading of ``X-Forwarded-For``/``X-Forwarded-Proto``: only from the proxies
    named in ``CONNECT_API_TRUSTED_PROXIES``; with none, never (uvicorn's own default believes
    any local process, so every client behind it, or anyone on the machine, could pick the
    address its anonymous quota is counted by)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def _raise_file_limit() -> None:
    """Each live stream holds a connection, so a file descriptor: the soft limit (often 1,024)
    goes up to the hard one the system allows (the workers inherit it)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _run_server(args: argparse.Namespace, settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from connect_api.app import create_app
    from connect_api.kit.http_server import DrainingServer, limited_protocol
    from connect_api.kit.logs import log_config

    logging = log_config(settings.log_level, settings.log_format)
    _raise_file_limit()
    if args.workers > 1:
        uvicorn.run(
            "connect_api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_level=settings.log_level,
            log_config=logging,
            # Workers are fresh processes: the protocol reads its limits from the settings.
            http="connect_api.kit.http_server:LimitedHttpProtocol",
            **_proxy_options(settings),
            # Without the drain of one process, the live streams still open at a stop are
            # cut after this long rather than held open for ever.
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )
    else:
        app = create_app(settings, migrate=False)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=settings.log_level,
            log_config=logging,
            http=limited_protocol(settings.max_url_bytes, settings.max_header_bytes),
            **_proxy_options(settings),
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )
        DrainingServer(config, app, settings.drain_seconds).run()


async def _check_schema(settings: Settings) -> None:
    from connect_api.kit.database import make_engine
    from connect_api.kit.schema import ensure_at_head

    assert settings.database_url is not None
    engine = make_engine(settings.database_url, settings)
    try:
        await ensure_at_head(engine)
    finally:
        await engine.dispose()


async def _migrate(url: str, settings: Settings) -> None:
    from connect_api.kit.database import make_engine
    from connect_api.kit.schema import upgrade_to_head

    engine = make_engine(url, settings)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from connect_api.kit.embedded import start_embedded
    from connect_api.kit.tokens import jwt_secret

    url = settings.database_url or start_embedded(settings)
    asyncio.run(_migrate(url, settings))
    jwt_secret(settings)  # embedded: the secret `serve` and `token` use, made once
    print("schema at head", file=sys.stderr)
    return 0


def _cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """The webhook dispatcher and the expiry sweep without HTTP, until SIGTERM or SIGINT."""
    import logging

    from connect_api.kit.schema import SchemaNotAtHead
    from connect_api.worker import run_worker

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per delivery

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    try:
        asyncio.run(main())
    except SchemaNotAtHead as exc:
        print(f"connect-api: {exc}", file=sys.stderr)
        return 1
    print("worker stopped", file=sys.stderr)
    return 0


def _cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from connect_api.kit.tokens import MissingSecret, jwt_secret, mint

    if settings.jwt_algorithm.startswith("HS"):
        try:
            # Only `serve` and `migrate` make a secret: one made here would not be the server's.
            key = jwt_secret(settings, create=False)
        except MissingSecret as exc:
            raise StartupError(str(exc)) from None
        if key is None:
            raise StartupError(
                "CONNECT_API_JWT_SECRET is not set (with DATABASE_URL it is not generated): "
                "set the one the server uses"
            )
    else:
        key = settings.jwt_private_key
        if not key:
            raise StartupError(
                f"CONNECT_API_JWT_ALGORITHM={settings.jwt_algorithm}: set "
                "CONNECT_API_JWT_PRIVATE_KEY (PEM) to mint tokens"
            )
    ttl = timedelta(hours=args.hours)
    print(mint(settings, key, args.member, admin=args.admin, ttl=ttl, now=datetime.now(UTC)))
    return 0


def _cmd_openapi(args: argparse.Namespace, settings: Settings) -> int:
    from connect_api.app import create_app

    text = openapi_text(create_app(settings))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def openapi_text(app) -> str:  # type: ignore[no-untyped-def]
    import json

    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def _cmd_expire(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        from connect_api.app import create_app
        from connect_api.invitations.service import expire_due

        app = create_app(settings.model_copy(update={"serve_dispatch": False}))
        total = 0
        async with app.router.lifespan_context(app):
            ctx = app.state.ctx
            while n := await ctx.db.run(expire_due, ctx):
                total += n
        return total

    print(f"expired {asyncio.run(run())} invitations", file=sys.stderr)
    return 0


def _cmd_suggestions(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> str:
        from connect_api.app import create_app
        from connect_api.network.service import refresh

        app = create_app(settings.model_copy(update={"serve_dispatch": False}))
        async with app.router.lifespan_context(app):
            report = await refresh(app.state.ctx, members=args.member or None, everyone=args.all)
        return (
            f"computed the networks of {report.members} members in {report.seconds:.1f} s "
            f"(slowest {report.slowest:.2f} s); forgot {report.purged} unused"
        )

    print(asyncio.run(run()), file=sys.stderr)
    return 0


def _cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from connect_api.kit.embedded import start_embedded

    try:  # its own package, with tqdm: never imported by the service
        from connect_api_seeding import command
    except ImportError as exc:
        raise StartupError(
            f"`connect-api seed` needs the seed extra ({exc.name} is missing): "
            "pip install 'connect-api[seed]'"
        ) from None

    if settings.db_pooler == "transaction":
        # Its loader session sets memory and commit settings for the session, and VACUUMs.
        raise StartupError(
            "`connect-api seed` needs a session of its own: point DATABASE_URL at PostgreSQL "
            "itself, not at the transaction pooler, and unset CONNECT_API_DB_POOLER"
        )
    url = settings.database_url or start_embedded(settings)
    asyncio.run(_migrate(url, settings))
    return command.main(args, settings, url)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connect-api",
        description="The Connect button service. Settings come from CONNECT_API_* variables "
        "(and DATABASE_URL); see docs/operations.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="serve the API (starts the embedded PostgreSQL when no DATABASE_URL is set)"
    )
    serve.add_argument("--host", help="listen address (default: CONNECT_API_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: CONNECT_API_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--no-dispatch",
        action="store_true",
        help="neither deliver webhooks nor run the expiry sweep here (run `connect-api worker`)",
    )
    serve.set_defaults(func=_serve)

    worker = sub.add_parser(
        "worker",
        help="deliver webhooks and run the expiry sweep, without serving HTTP",
        description="The webhook dispatcher and the expiry sweep alone, until SIGTERM or "
        "SIGINT (attempts in flight get the webhook timeout to finish). Any number may run, "
        "beside `serve --no-dispatch` processes.",
    )
    worker.set_defaults(func=_cmd_worker)

    migrate = sub.add_parser("migrate", help="upgrade the database schema to head")
    migrate.set_defaults(func=_cmd_migrate)

    token = sub.add_parser("token", help="mint a bearer token for local use")
    token.add_argument("--member", type=int, required=True, help="member id (the `sub` claim)")
    token.add_argument("--admin", action="store_true", help="grant the `admin` scope")
    token.add_argument("--hours", type=float, default=24, help="lifetime in hours (default 24)")
    token.set_defaults(func=_cmd_token)

    openapi = sub.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument(
        "-o", "--output", default="openapi/openapi.json", help="file, or - for stdout"
    )
    openapi.set_defaults(func=_cmd_openapi)

    expire = sub.add_parser("expire", help="mark overdue pending invitations expired now")
    expire.set_defaults(func=_cmd_expire)

    suggestions = sub.add_parser(
        "suggestions",
        help="the suggestions' and second degree's precomputed networks",
    )
    what = suggestions.add_subparsers(dest="action", required=True, metavar="ACTION")
    refresh = what.add_parser(
        "refresh",
        help="compute members' networks now",
        description="Compute the second degree and suggestion ranking of the members the "
        "background refresh keeps fresh (at least CONNECT_API_NETWORK_REFRESH_MIN_CONNECTIONS "
        "connections), of every member (--all) or of the given ones (--member), then forget "
        "the networks nobody asked for in two CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS.",
    )
    refresh.add_argument(
        "--member", type=int, action="append", metavar="ID", help="this member (repeatable)"
    )
    refresh.add_argument("--all", action="store_true", help="every member")
    refresh.set_defaults(func=_cmd_suggestions)

    seed = sub.add_parser(
        "seed",
        help="fill an empty database with a generated network (or an edge list) using COPY",
        description="Generate a network with heavy-tailed degrees and communities, hubs at the "
        "connection cap, groups, blocks and invitations, or load an edge list, straight into "
        "the configured database. Refuses a database that has members unless --replace.",
    )
    source = seed.add_mutually_exclusive_group(required=True)
    source.add_argument("--members", type=int, metavar="N", help="members to generate")
    source.add_argument(
        "--edges",
        metavar="FILE",
        help="an edge list: `a b` a line, `#` comments; node n becomes member n+1",
    )
    seed.add_argument(
        "--avg-degree", type=float, default=50, metavar="D", help="mean connections (default 50)"
    )
    seed.add_argument(
        "--hubs",
        type=int,
        default=0,
        metavar="H",
        help="members 1..H get exactly the cap (default 0)",
    )
    seed.add_argument(
        "--groups", type=int, metavar="G", help="groups (default: one per 200 members)"
    )
    seed.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    seed.add_argument("--replace", action="store_true", help="empty every member table first")
    seed.set_defaults(func=_cmd_seed)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command. A mistake in the set-up (a setting, the database, a key) is one line on
    stderr saying what to do, and exit status 2; anything else is a bug and keeps its traceback."""
    args = build_parser().parse_args(argv)
    try:
        settings = _settings()
        if args.command not in ("token", "openapi"):
            _check_database_url(settings)
        result: int = args.func(args, settings)
    except StartupError as exc:
        print(f"connect-api: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        message = _startup_failure(exc)
        if message is None:
            raise
        print(f"connect-api: {message}", file=sys.stderr)
        return 2
    return result


def _settings() -> Settings:
    from pydantic import ValidationError

    from connect_api.kit.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{_setting_name(err['loc'])}: {err['msg']}"
            + ("" if _secret(err["loc"]) else f" (got {err.get('input')!r})")
            for err in exc.errors()
        )
        raise StartupError(f"{problems}; fix the setting (docs/operations.md, Settings)") from None


def _check_database_url(settings: Settings) -> None:
    from connect_api.kit.urls import is_postgres as postgres

    if settings.database_url is not None and not postgres(settings.database_url):
        raise StartupError(
            "DATABASE_URL is not a PostgreSQL URL: use postgresql://user:password@host:port/"
            "database (or unset it for the embedded PostgreSQL)"
        )
    for number, url in enumerate(settings.read_database_url, 1):
        if not postgres(url):
            raise StartupError(
                f"CONNECT_API_READ_DATABASE_URL: replica {number} is not a PostgreSQL URL: use "
                "postgresql://user:password@host:port/database, several separated by commas"
            )


def _secret(loc: tuple[int | str, ...]) -> bool:
    """A setting whose value is never echoed back, even when it is wrong."""
    return any(
        str(part)
        in ("jwt_secret", "jwt_private_key", "metrics_token", "read_database_url", "cursor_secret")
        for part in loc
    )


def _setting_name(loc: tuple[int | str, ...]) -> str:
    if loc and loc[0] == "database_url":
        return "DATABASE_URL"
    field = str(loc[-1]) if loc and loc[0] == "policy" else str(loc[0]) if loc else "?"
    return f"CONNECT_API_{field.upper()}"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "orig", None)]
        todo += list(getattr(e, "exceptions", ()))
    return seen


def _startup_failure(exc: BaseException) -> str | None:
    """One line for the database mistakes people make (and traces asked for that cannot be
    had), or None for anything else."""
    import socket

    from connect_api.kit.schema import SchemaNotAtHead
    from connect_api.kit.tracing import TracingUnavailable

    where = _database_where()
    for e in _chain(exc):
        name = type(e).__name__
        if isinstance(e, SchemaNotAtHead | TracingUnavailable):
            return str(e)
        if name == "InvalidCatalogNameError":
            return f"{e} at {where}; create it (`createdb`) or fix DATABASE_URL"
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return f"the database at {where} refused the login ({e}); fix DATABASE_URL"
        if isinstance(e, socket.gaierror):
            return f"cannot resolve the database host of {where} ({e}); fix DATABASE_URL"
        if isinstance(e, ConnectionRefusedError | TimeoutError) or (
            isinstance(e, OSError) and "Connect call failed" in str(e)
        ):
            return (
                f"cannot connect to the database at {where} ({e.strerror or e}); start it, "
                "or fix DATABASE_URL (unset: the embedded PostgreSQL)"
            )
    return None


def _database_where() -> str:
    from connect_api.kit.urls import redacted

    url = os.environ.get("CONNECT_API_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return redacted(url) if url else "(embedded)"


if __name__ == "__main__":
    raise SystemExit(main())
