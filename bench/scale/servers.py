"""The same app behind two ASGI servers, in one run: ``connect-api serve --workers 2`` (uvicorn
with httptools and uvloop, the service's own protocol limits) and Granian (Rust, ``--interface
asgi --loop uvloop``, two workers), each saturated by wrk on ``/healthz`` and ``GET /v1/me`` of
random members of a harness data directory.

    python -m bench.scale.servers --dir .bench-scale/full

Granian is not a dependency of the service: ``pip install granian`` first (the run says so if
it is missing). Both servers read the same settings; the harness's database must be seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.scale import wrk
from bench.scale.server import (
    SERVICE_ENV,
    clean_env,
    connect_api_bin,
    free_port,
    settings_for,
    start_database,
)
from connect_api.kit.auth import TokenService
from connect_api.kit.tokens import jwt_secret


def _granian() -> str | None:
    return shutil.which("granian") or shutil.which("granian", path=str(Path(sys.executable).parent))


@contextmanager
def _running(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} not ready in 120 s")
            time.sleep(0.2)
        time.sleep(2)  # the graph read model loads beside the first requests
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def compare(data_dir: Path, seconds: float, connections: int, members: int) -> None:
    url = start_database(data_dir)
    settings = settings_for(data_dir)
    tokens = TokenService(settings, jwt_secret(settings))
    now = datetime.now(UTC)
    rng = random.Random(1)
    me = [
        ("/v1/me", tokens.mint(rng.randrange(1, members), ttl=timedelta(hours=1), now=now))
        for _ in range(500)
    ]
    env = clean_env(data_dir) | SERVICE_ENV
    env["CONNECT_API_DATABASE_URL"] = "postgresql+asyncpg://" + url.split("://", 1)[1]
    env["CONNECT_API_JWT_SECRET"] = str(jwt_secret(settings))  # the data directory's own
    servers: list[tuple[str, list[str]]] = []
    port = free_port()
    servers.append(
        (
            "uvicorn (connect-api serve --workers 2)",
            [connect_api_bin(), "serve", "--workers", "2", "--port", str(port)],
        )
    )
    granian = _granian()
    if granian is None:
        print("granian is not installed (pip install granian): only uvicorn is measured")
    else:
        servers.append(
            (
                "granian --interface asgi --workers 2 --loop uvloop",
                [
                    granian,
                    "--interface",
                    "asgi",
                    "--factory",
                    "--workers",
                    "2",
                    "--loop",
                    "uvloop",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "connect_api.app:create_app",
                ],
            )
        )
    rows: list[tuple[str, str, wrk.WrkResult]] = []
    for name, argv in servers:
        with _running(argv, env, port, data_dir / "servers.log") as base:
            for label, requests in (("/healthz", [("/healthz", "")]), ("GET /v1/me", me)):
                res = await asyncio.to_thread(
                    wrk.run, base, requests, seconds, connections, data_dir / "wrk", 2, 5
                )
                rows.append((name, label, res))
                print(
                    f"  {name}: {label} {res.result.achieved:,.0f} req/s, "
                    f"p50 {res.p50 * 1e3:.1f} ms, p99 {res.p99 * 1e3:.1f} ms, "
                    f"errors {dict(res.result.errors) or 0}",
                    flush=True,
                )
    print()
    print(f"{'server':<52} {'path':<12} {'req/s':>9} {'p99 ms':>8} {'of its /healthz':>16}")
    healthz: dict[str, float] = {}
    for name, label, res in rows:
        if label == "/healthz":
            healthz[name] = res.result.achieved
        share = res.result.achieved / healthz[name] if healthz.get(name) else 1.0
        print(
            f"{name:<52} {label:<12} {res.result.achieved:>9,.0f} {res.p99 * 1e3:>8.1f} "
            f"{share:>16.0%}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="a harness data directory")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--members", type=int, default=100_000, help="members are drawn below this")
    a = p.parse_args()
    asyncio.run(compare(a.dir, a.seconds, a.connections, a.members))


if __name__ == "__main__":
    main()
