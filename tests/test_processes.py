"""The real thing: `connect-api serve` (and `worker`) processes over TCP against one database."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import Api, Receiver, serve_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready in {timeout}s")


def _serve(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "connect_api", "serve", "--port", str(port), *extra],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "connect_api", "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


@contextlib.contextmanager
def serving_two(env: dict[str, str], tmp_path: Path) -> Iterator[list[str]]:
    """Two `serve` processes with this environment (not ``DATABASE_URL``); their URLs once
    both are ready. Both are stopped afterwards."""
    env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    ports = [_free_port(), _free_port()]
    procs = [_serve(env, p, tmp_path / f"server{n}.log") for n, p in enumerate(ports)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            _wait_ready(url, proc)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


@pytest.fixture
def two_servers(database_url: str, app: object, tmp_path: Path) -> Iterator[list[str]]:
    """Two API processes on the test database (already migrated by the ``app`` fixture)."""
    env = serve_env(
        database_url,
        webhook_dispatch_seconds="1",  # the processes deliver in the background
        webhook_allow_private_targets="true",  # the receiver is on 127.0.0.1
    )
    with serving_two(env, tmp_path) as urls:
        yield urls


async def test_two_processes_crossing_invitations_and_cap(api: Api, two_servers: list[str]) -> None:
    a, b = await api.members(2)
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in two_servers]
    try:

        def send(n: int, inviter: int, invitee: int):  # type: ignore[no-untyped-def]
            return clients[n % 2].post(
                "/v1/invitations",
                json={"invitee_id": invitee},
                headers={"Authorization": f"Bearer {api.token(inviter)}"},
            )

        results = await asyncio.gather(
            *(send(n, a, b) if n % 4 < 2 else send(n, b, a) for n in range(40))
        )
        codes = Counter(r.status_code for r in results)
        assert codes[201] == 1 and codes[200] == 1 and codes[409] == 38, codes
        assert await api.count(a) == 1 and await api.count(b) == 1

        # The cap across processes: a member one short of the cap accepts 30 at once.
        hub = await api.member()
        others = await api.members(30)
        invitations = [await api.invited(m, hub) for m in others]
        await api.sql(
            "UPDATE members SET connection_count = 29999 WHERE id = :hub", hub=hub
        )  # the servers run with the default cap of 30,000
        token = api.token(hub)
        results = await asyncio.gather(
            *(
                clients[n % 2].post(
                    f"/v1/invitations/{i}/accept", headers={"Authorization": f"Bearer {token}"}
                )
                for n, i in enumerate(invitations)
            )
        )
        assert Counter(r.status_code for r in results) == {200: 1, 409: 29}
        await api.sql(
            "UPDATE members SET connection_count = 1 WHERE id = :hub", hub=hub
        )  # restore the truth for the consistency check
        await api.assert_consistent()
    finally:
        for c in clients:
            await c.aclose()


async def test_serve_delivers_webhooks_in_the_background(
    api: Api, two_servers: list[str], receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    r = await api.admin.post("/v1/webhooks", json={"url": url})
    assert r.status_code == 201
    a, b = await api.members(2)
    async with httpx.AsyncClient(base_url=two_servers[0], timeout=30) as client:
        r = await client.post(
            "/v1/invitations",
            json={"invitee_id": b},
            headers={"Authorization": f"Bearer {api.token(a)}"},
        )
        assert r.status_code == 201
    for _ in range(100):  # the servers look for due deliveries every second
        if inbox.requests:
            break
        await asyncio.sleep(0.1)
    assert [e["type"] for e in inbox.events()] == ["invitation.created"]
    await asyncio.sleep(1.5)  # and only once, though two processes dispatch
    assert len(inbox.requests) == 1


async def test_a_worker_delivers_webhooks_beside_serve_no_dispatch(
    api: Api, database_url: str, receiver: tuple[Receiver, str], tmp_path: Path
) -> None:
    """`serve --no-dispatch` only serves; `connect-api worker` delivers, with no HTTP, and
    stops cleanly on SIGTERM."""
    inbox, url = receiver
    env = serve_env(
        database_url,
        log_level="info",
        webhook_dispatch_seconds="0.2",
        webhook_allow_private_targets="true",  # the receiver is on 127.0.0.1
        worker_metrics_port=str(metrics_port := _free_port()),
    )
    assert (await api.admin.post("/v1/webhooks", json={"url": url})).status_code == 201
    a, b = await api.members(2)
    port = _free_port()
    server = _serve(env, port, tmp_path / "serve.log", "--no-dispatch")
    worker: subprocess.Popen[bytes] | None = None
    try:
        await asyncio.to_thread(_wait_ready, f"http://127.0.0.1:{port}", server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            r = await client.post(
                "/v1/invitations",
                json={"invitee_id": b},
                headers={"Authorization": f"Bearer {api.token(a)}"},
            )
            assert r.status_code == 201
        await asyncio.sleep(1.5)  # five of its dispatch intervals: serve sends nothing
        assert inbox.requests == []

        log = tmp_path / "worker.log"
        worker = _worker(env, log)
        for _ in range(300):
            if inbox.requests or worker.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert [e["type"] for e in inbox.events()] == ["invitation.created"], log.read_text()
        delivered = 'connect_api_webhook_attempts_total{outcome="delivered"} 1.0'
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(50):  # counted once the answer is stored, just after it came
                scraped = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
                if delivered in scraped:
                    break
                await asyncio.sleep(0.1)
        assert delivered in scraped
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 20) == 0
        assert "worker stopped" in log.read_text()
    finally:
        for proc in (server, worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 20)
