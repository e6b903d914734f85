"""Where the serving process spends its CPU under send + accept (or ``--get PATH``):
``connect-api serve`` (one worker) on a seeded network of the harness's, driven over real HTTP
by ``--clients`` closed-loop clients on fresh random pairs, sampled by py-spy; prints the share
of samples per function, inclusive, for the service's and its libraries' frames.

    python -m bench.scale.write_spy --dir .bench-scale/full

Needs py-spy (in the ``bench`` extra); the process must be one py-spy may attach to.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

from bench.scale.client import Client, closed_loop, send_accept
from bench.scale.server import serving, settings_for
from connect_api.kit.auth import TokenService
from connect_api.kit.tokens import jwt_secret

SHOWN = (
    "connect_api",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "asyncpg",
    "jwt",
    "pydantic",
    "uvicorn",
    "httptools",
    "json",
    "asyncio",
)


def _worker(pid: int) -> int:
    children = psutil.Process(pid).children(recursive=True)
    busiest = max(children, key=lambda p: p.cpu_times().user) if children else None
    return busiest.pid if busiest is not None else pid


def summarise(raw: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    roots: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        seen = set()
        for frame in frames:
            name = frame.rsplit(":", 1)[0] + ")" if frame.endswith(")") else frame
            if name not in seen:
                inclusive[name] += n
                seen.add(name)
        own[frames[-1]] += n
        roots[";".join(frames[:2])[:150]] += n
    out = [f"{total:,} samples; inclusive share (frames of {', '.join(SHOWN)}):"]
    for name, n in inclusive.most_common():
        if any(s in name for s in SHOWN) and len(out) <= top:
            out.append(f"  {n / total:6.1%}  {name}")
    out.append("by thread and first frames:")
    for name, n in roots.most_common(8):
        out.append(f"  {n / total:6.1%}  {name}")
    out.append("own share (where the CPU is):")
    for name, n in own.most_common(top):
        out.append(f"  {n / total:6.1%}  {name}")
    return "\n".join(out)


async def drive(
    data_dir: Path, clients: int, seconds: float, members: int, top: int, path: str | None
) -> None:
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise SystemExit("py-spy not found: pip install py-spy")
    settings = settings_for(data_dir)
    tokens = TokenService(settings, jwt_secret(settings))
    now = datetime.now(UTC)
    rng = random.Random()
    people = rng.sample(range(1000, members), int(clients * seconds * 80) + 2000)
    pairs = [(people[2 * i], people[2 * i + 1]) for i in range(len(people) // 2)]
    minted = {m: tokens.mint(m, ttl=timedelta(hours=1), now=now) for m in people}
    with serving(data_dir, 1, data_dir / "spy-serve.log") as svc:
        client = Client("127.0.0.1", svc.port)
        statuses: Counter[str] = Counter()

        def read(a: int) -> Callable[[], Awaitable[bool]]:
            async def job() -> bool:
                r = await client.request("GET", path or "/v1/me", minted[a])
                statuses[f"GET {r.status}"] += 1
                return r.status == 200

            return job

        if path is None:
            jobs = [send_accept(client, minted, a, b, statuses) for a, b in pairs]
        else:
            jobs = [read(people[i % 500]) for i in range(int(clients * seconds * 2000))]
        await closed_loop(clients, jobs[:200])  # warm
        worker = _worker(svc.proc.pid)
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "stacks.txt"
            spying = subprocess.Popen(  # noqa: S603, ASYNC220 - py-spy runs beside the load
                [
                    spy,
                    "record",
                    "--pid",
                    str(worker),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    "--duration",
                    str(int(seconds)),
                    "--output",
                    str(raw),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started = time.perf_counter()
            result = await closed_loop(clients, jobs[200:], deadline=seconds)
            took = time.perf_counter() - started
            await asyncio.to_thread(spying.wait)
            print(
                f"{result.ok:,} {'connections' if path is None else path} in {took:.1f} s = "
                f"{result.ok / took:,.1f}/s "
                f"(one worker, {clients} clients); {dict(statuses)}"
            )
            print(summarise(raw, top))
        await client.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="a harness data directory")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--top", type=int, default=45)
    p.add_argument("--get", help="a path to GET instead of send + accept (e.g. /v1/me)")
    a = p.parse_args()
    asyncio.run(drive(a.dir, a.clients, a.seconds, a.members, a.top, a.get))


if __name__ == "__main__":
    main()
