"""SIGTERM: `/readyz` turns 503 for the drain period while requests are still served, then the
process stops."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.helpers import Api, serve_env
from tests.test_processes import _free_port, _serve, _wait_ready


def test_sigterm_drains_before_stopping(database_url: str, app: object, tmp_path: Path) -> None:
    env = serve_env(
        database_url,
        drain_seconds="3",
    )
    port = _free_port()
    proc = _serve(env, port, tmp_path / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        with httpx.Client(base_url=url, timeout=10) as client:
            proc.send_signal(signal.SIGTERM)
            ready = client.get("/readyz")
            deadline = time.monotonic() + 10
            while ready.status_code == 200 and time.monotonic() < deadline:
                time.sleep(0.05)
                ready = client.get("/readyz")
            # Before: /readyz never said 503; the process just stopped.
            assert ready.status_code == 503, ready.text
            answer = ready.json()
            assert (answer["status"], answer["detail"]) == ("unavailable", "shutting down")
            # Still serving during the drain, on a new connection too.
            assert httpx.get(url + "/healthz", timeout=10).status_code == 200
            assert proc.poll() is None
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_sigterm_under_load_cuts_no_request_it_read(
    database_url: str, api: Api, tmp_path: Path
) -> None:
    """Clients keep sending through SIGTERM, the drain and the stop: every request gets a whole
    answer (never a 500), or its connection is refused or closed before the service read it:
    no invitation whose request failed in transit exists. `/readyz` is 503 during the drain."""
    members = await api.members(60)
    pairs = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
    clients = 12  # each its own pairs: an invitation is asked for once
    drain = 2.0
    env = serve_env(
        database_url,
        invitations_per_hour="100000",
        invitations_per_week="100000",
        drain_seconds=str(drain),
    )
    port = _free_port()
    proc = _serve(env, port, tmp_path / "server.log")
    url = f"http://127.0.0.1:{port}"
    answered: Counter[int] = Counter()
    failed: Counter[str] = Counter()
    failed_writes: list[tuple[int, int]] = []
    readiness: list[tuple[float, int, str]] = []
    errors_before_stop: list[str] = []
    signalled = 0.0
    stopped = asyncio.Event()

    async def client(n: int, keep_alive: bool) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1 if keep_alive else 0)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
            refused = 0
            mine = iter(pairs[n::clients])
            while refused < 3 and not stopped.is_set():
                # Once every pair of this client has been asked for (a fast machine), reads.
                a, b = next(mine, (members[n], 0))
                write = b != 0 and (a + b) % 3 != 0
                headers = {"Authorization": f"Bearer {api.token(a)}"}
                try:
                    if write:
                        body = {"invitee_id": b}
                        r = await http.post("/v1/invitations", json=body, headers=headers)
                    else:
                        r = await http.get("/v1/me", headers=headers)
                except httpx.ConnectError:
                    refused += 1  # nothing listens any more: clean
                    failed["refused"] += 1
                    await asyncio.sleep(0.05)
                    continue
                except httpx.TransportError as exc:
                    failed[f"{type(exc).__name__} ({'kept' if keep_alive else 'new'})"] += 1
                    if write:
                        failed_writes.append((a, b))
                    if not signalled or time.monotonic() < signalled + drain - 0.2:
                        errors_before_stop.append(repr(exc))
                    continue
                r.json()  # the whole body came
                answered[r.status_code] += 1

    async def ready_poller() -> None:
        while not stopped.is_set():
            sent = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=5) as http:
                    r = await http.get(url + "/readyz")
                readiness.append((sent, r.status_code, r.json().get("detail") or ""))
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)

    try:
        await asyncio.to_thread(_wait_ready, url, proc)
        tasks = [asyncio.create_task(client(n, keep_alive=n % 4 != 3)) for n in range(clients)]
        tasks.append(asyncio.create_task(ready_poller()))
        await asyncio.sleep(1.5)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 60)
        exited = time.monotonic()
        await asyncio.sleep(0.5)
        stopped.set()
        await asyncio.gather(*tasks)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(
        f"\nSIGTERM under load: answered {dict(answered)}, failed {dict(failed)}, "
        f"stopped {exited - signalled:.1f}s after the signal"
    )
    assert code in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()
    assert answered[500] == 0 and set(answered) <= {200, 201, 409, 503}, answered
    assert errors_before_stop == [], errors_before_stop  # the drain serves everything
    during = [(s, d) for t, s, d in readiness if signalled + 0.2 < t < signalled + drain - 0.3]
    assert during and all(s == 503 and d == "shutting down" for s, d in during), readiness
    assert sum(answered.values()) > 100
    # A request that failed in transit was never read: it did nothing.
    for a, b in failed_writes:
        rows = await api.sql(
            "SELECT id FROM invitations WHERE inviter_id = :a AND invitee_id = :b", a=a, b=b
        )
        assert rows == [], f"invitation {a}->{b} was made, yet its request was cut"
