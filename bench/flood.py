"""``python -m bench.flood``: what one flooding member costs everyone else.

One ``connect-api serve`` process (one worker, as a small deployment runs it) on the quick
network of ``bench.scale``. A quiet member asks for ``/v1/me`` at a steady open-loop rate while
one other member floods ``GET /v1/relationships`` with 100 ids from many keep-alive
connections. The same phases run with the per-caller rate limits off (the service before they
existed) and on (as shipped), in the same run, and the quiet member's percentiles are printed
beside its percentiles with no flood at all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.scale.__main__ import PROJECT
from bench.scale.client import Client, Result, closed_loop, open_loop
from bench.scale.network import SeedParams, ensure_network
from bench.scale.report import render
from bench.scale.server import serving, settings_for, start_database
from connect_api.kit.auth import TokenService
from connect_api.kit.clock import SystemClock
from connect_api.kit.tokens import jwt_secret

QUICK = SeedParams(members=5000, avg_degree=30, hubs=4, groups=None, seed=1, cap=1500)


async def quick_network() -> tuple[Path, str, TokenService]:
    """The quick network of bench-scale (seeded, or reused from .bench-scale/quick): its data
    directory, how it was had (seeded or reused), and a minter of its members' tokens."""
    data_dir = (PROJECT / ".bench-scale" / "quick").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    how, _ = await ensure_network(data_dir, QUICK, start_database(data_dir))
    settings = settings_for(data_dir)
    return data_dir, how, TokenService(settings, jwt_secret(settings))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


async def _phase(
    port: int, quiet: list[bytes], flood: list[bytes] | None, rate: float, seconds: float
) -> tuple[Result, Result | None, Counter[int]]:
    quiet_client = Client("127.0.0.1", port)
    flood_client = Client("127.0.0.1", port, max_connections=64)
    flooding: asyncio.Task[Result] | None = None
    flood_statuses: Counter[int] = Counter()
    if flood is not None:
        pending = iter(flood * 1_000_000)

        async def one() -> bool:
            status = (await flood_client.send(next(pending))).status
            flood_statuses[status] += 1
            return status == 200

        flooding = asyncio.create_task(closed_loop(64, [one] * 10_000_000, deadline=seconds + 1.0))
        await asyncio.sleep(1.0)  # the flood is at full strength before the quiet member asks
    result = await open_loop(quiet_client, quiet, rate, seconds, give_up=10.0)
    flood_result = await flooding if flooding is not None else None
    await quiet_client.close()
    await flood_client.close()
    return result, flood_result, flood_statuses


async def run(seconds: float, rate: float) -> int:
    data_dir, how, tokens = await quick_network()
    now = SystemClock().now()
    rng = random.Random(1)
    quiet_member, flooder = 11, 12
    quiet_token = tokens.mint(quiet_member, ttl=timedelta(hours=1), now=now)
    flood_token = tokens.mint(flooder, ttl=timedelta(hours=1), now=now)
    print(f"bench.flood: network {how} ({QUICK.members:,} members), {os.cpu_count()} cores")

    rows: list[list[str]] = []
    for limits in (False, True):
        env = QUICK.env | {"CONNECT_API_RATE_LIMITS_ENABLED": "true" if limits else "false"}
        log = data_dir / f"flood-serve-{'on' if limits else 'off'}.log"
        with serving(data_dir, 1, log, env) as svc:
            probe = Client("127.0.0.1", svc.port)
            quiet = [probe.raw("GET", "/v1/me", quiet_token)]
            flood = []
            for _ in range(50):
                ids = ",".join(str(rng.randint(1, QUICK.members)) for _ in range(100))
                flood.append(probe.raw("GET", f"/v1/relationships?ids={ids}", flood_token))
            await probe.close()
            label = "on" if limits else "off"
            for flooding in (False, True):
                quiet_result, flood_result, flood_statuses = await _phase(
                    svc.port, quiet, flood if flooding else None, rate, seconds
                )
                flood_text = "-"
                if flood_result is not None:
                    per_s = sum(flood_statuses.values()) / flood_result.duration
                    answers = ", ".join(f"{k}: {n:,}" for k, n in sorted(flood_statuses.items()))
                    flood_text = f"{per_s:,.0f}/s: {answers}"
                rows.append(
                    [
                        label,
                        "yes" if flooding else "no",
                        _ms(quiet_result.percentile(50)),
                        _ms(quiet_result.percentile(99)),
                        " ".join(f"{k}: {v}" for k, v in sorted(quiet_result.statuses.items())),
                        flood_text,
                    ]
                )
                print(f"  limits {label}, flood {'yes' if flooding else 'no'}: done", flush=True)
            print(f"  service log: {log} ({svc.error_lines()} error lines)")
    header = [
        "rate limits",
        "flood",
        "quiet p50 ms",
        "quiet p99 ms",
        "quiet answers",
        "flooder (64 connections)",
    ]
    print()
    print(f"quiet member: GET /v1/me at {rate:g}/s for {seconds:g} s, open loop")
    print(render(header, rows, right={2, 3}))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__)
    p.add_argument("--seconds", type=float, default=10, help="length of each phase (10)")
    p.add_argument("--rate", type=float, default=20, help="the quiet member's requests/s (20)")
    a = p.parse_args(argv)
    started = time.perf_counter()
    code = asyncio.run(run(a.seconds, a.rate))
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
