"""What one request costs, and whom: ``connect-api serve`` (one worker) on a seeded network of
the harness's, saturated by ``wrk`` on one path at a time, with the CPU time each process spent
per answered request: the serving worker, PostgreSQL (every process of the embedded server)
and ``wrk`` itself. ``/healthz`` first, as the floor every route pays; the difference between a
route and it is what the route's own work costs (the token, the statement, the answer).

    python -m bench.scale.door --dir .bench-scale/full
    python -m bench.scale.door --dir .bench-scale/full --writes   # send + accept instead

A saturated rate alone hides whose CPU a route spends: on two shared cores the worker, the
database and the load generator take turns, so a statement's cost shows up in the rate of the
service although the service never ran it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

from bench.scale import wrk
from bench.scale.client import Client, closed_loop, send_accept
from bench.scale.server import serving, settings_for
from connect_api.kit.auth import TokenService
from connect_api.kit.tokens import jwt_secret


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def _postgres(data_dir: Path) -> list[psutil.Process]:
    """Every process of the embedded server of ``data_dir`` (the postmaster and its children)."""
    pgdata = str(data_dir / "pgdata")
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if any(a == pgdata for a in cmd) and any(a.endswith("postgres") for a in cmd[:1]):
            return [p, *p.children(recursive=True)]
    return []


def measure(data_dir: Path, paths: list[str], seconds: float, connections: int) -> None:
    settings = settings_for(data_dir)
    tokens = TokenService(settings, jwt_secret(settings))
    now = datetime.now(UTC)
    rng = random.Random(7)
    viewers = rng.sample(range(1000, 100_000), 500)
    minted = [tokens.mint(m, ttl=timedelta(hours=1), now=now) for m in viewers]
    rows: list[tuple[str, float, float, float, float]] = []
    with (
        serving(data_dir, 1, data_dir / "door-serve.log") as svc,
        tempfile.TemporaryDirectory() as tmp,
    ):
        worker = psutil.Process(svc.proc.pid)
        kids = worker.children(recursive=True)
        if kids:  # `serve --workers 1` may still run the app in a child
            worker = max(kids, key=lambda p: p.cpu_times().user)
        for path in paths:
            others = [viewers[(i + 1) % len(viewers)] for i in range(len(viewers))]
            requests = [
                (path.replace("{id}", str(other)), tok)
                for other, tok in zip(others, minted, strict=True)
            ]
            wrk.run(svc.base, requests, 2, connections, Path(tmp))  # warm
            pg = _postgres(data_dir)
            before = (_cpu([worker]), _cpu(pg), resource.getrusage(resource.RUSAGE_CHILDREN))
            result = wrk.run(svc.base, requests, seconds, connections, Path(tmp))
            pg_after = _cpu(pg + [p for p in _postgres(data_dir) if p not in pg])
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            n = result.result.ok
            w = (_cpu([worker]) - before[0]) / n * 1e6
            d = (pg_after - before[1]) / n * 1e6
            g = (after.ru_utime + after.ru_stime - before[2].ru_utime - before[2].ru_stime) / n
            rows.append((path, n / result.result.duration, w, d, g * 1e6))
            print(f"  {path}: {n / result.result.duration:,.0f}/s", flush=True)
    base = rows[0]
    print(
        f"\n{'path':<28} {'req/s':>8} {'of first':>9} {'worker µs':>10} {'postgres µs':>12}"
        f" {'wrk µs':>7} {'worker - first':>15}"
    )
    for path, rate, w, d, g in rows:
        print(
            f"{path:<28} {rate:>8,.0f} {rate / base[1]:>9.0%} {w:>10.0f} {d:>12.0f} {g:>7.0f}"
            f" {w - base[2]:>15.0f}"
        )


def _wait_loaded(base: str, timeout: float = 300) -> None:
    """Until every worker's graph read model has loaded (its first load reads every connection:
    measured beside the writes, it would be most of the database's work): 30 answers in a row
    of ``/readyz`` on new connections, spread over the workers, say so."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while in_a_row < 30:
        if time.monotonic() > deadline:
            raise SystemExit("the graph read model did not load in time")
        with urllib.request.urlopen(base + "/readyz", timeout=5) as r:  # noqa: S310
            graph = json.loads(r.read()).get("graph") or {}
        in_a_row = in_a_row + 1 if graph.get("state", "ok") == "ok" else 0
        if not in_a_row:
            time.sleep(0.5)


def measure_writes(
    data_dir: Path, seconds: float, clients: int, workers: int, per_inviter: int = 1
) -> None:
    """Send + accept on fresh pairs of typical members, ``clients`` at once (the harness's
    row), with the CPU each process spent per accepted connection: every process of `serve`,
    PostgreSQL, and this driver."""
    settings = settings_for(data_dir)
    tokens = TokenService(settings, jwt_secret(settings))
    now = datetime.now(UTC)
    people = random.Random().sample(range(1000, 100_000), int(clients * seconds * 40) + 2000)
    # Each inviter sends ``per_inviter`` of them, one after another in the job list (the
    # harness's own pairs: up to 5 per inviter, so that concurrent flows share an inviter).
    step = per_inviter + 1
    pairs = [
        (people[step * i], people[step * i + j])
        for i in range(len(people) // step)
        for j in range(1, step)
    ]
    minted = {m: tokens.mint(m, ttl=timedelta(hours=1), now=now) for m in people}
    statuses: Counter[str] = Counter()
    with serving(data_dir, workers, data_dir / "door-serve.log") as svc:
        client = Client("127.0.0.1", svc.port)

        jobs = [send_accept(client, minted, a, b, statuses) for a, b in pairs]
        _wait_loaded(svc.base)
        asyncio.run(closed_loop(clients, jobs[:300]))  # warm: plans, pools
        service = [psutil.Process(svc.proc.pid), *psutil.Process(svc.proc.pid).children(True)]
        pg = _postgres(data_dir)
        before = (_cpu(service), _cpu(pg), time.process_time())
        result = asyncio.run(closed_loop(clients, jobs[300:], deadline=seconds))
        after = (_cpu(service), _cpu(pg + [p for p in _postgres(data_dir) if p not in pg]))
        driver = time.process_time() - before[2]
    n = result.ok
    rate = n / result.duration
    print(
        f"\nsend + accept, {clients} clients, `serve --workers {workers}`, {per_inviter} per "
        f"inviter: {n:,} accepted"
    )
    print(f"{rate:,.1f} connections/s; {dict(statuses)}")
    print(f"CPU per accepted connection: service {(after[0] - before[0]) / n * 1e3:.2f} ms, ")
    print(
        f"  PostgreSQL {(after[1] - before[1]) / n * 1e3:.2f} ms, driver {driver / n * 1e3:.2f} ms"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dir", type=Path, required=True, help="a harness data directory")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--writes", action="store_true", help="send + accept instead of GETs")
    p.add_argument("--clients", type=int, default=32, help="with --writes")
    p.add_argument("--workers", type=int, default=2, help="with --writes")
    p.add_argument("--per-inviter", type=int, default=1, help="with --writes: sends per inviter")
    p.add_argument(
        "paths", nargs="*", default=["/healthz", "/v1/me", "/v1/members/{id}"], metavar="PATH"
    )
    a = p.parse_args()
    if a.writes:
        measure_writes(a.dir, a.seconds, a.clients, a.workers, a.per_inviter)
    else:
        measure(a.dir, a.paths, a.seconds, a.connections)


if __name__ == "__main__":
    main()
