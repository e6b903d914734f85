"""Where a send + accept spends its time: the service in this process (ASGI, no network) on a
seeded network of the harness's, first one flow at a time under cProfile (the service's CPU per
flow), then ``--concurrency`` flows at once while PostgreSQL's sessions are sampled every 10 ms
(what the database is doing or waiting on, by statement).

    python -m bench.scale.write_profile --dir .bench-scale/full
    python -m bench.scale.write_profile --dir .bench-scale/full --flows 300 --concurrency 16

Pairs are drawn at random among typical members, each member once (a random pair of a large
network is almost never connected, invited or blocked); refusals are counted, not profiled away.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from httpx import ASGITransport, AsyncClient

from bench.scale.server import in_process_settings
from connect_api.app import create_app

SHOWN = "connect_api|jwt|dependencies|encoders|pydantic|sqlalchemy|asyncpg"


def _statement(query: str) -> str:
    one = re.sub(r"\s+", " ", query).strip()
    return one[:110]


async def _sample(url: str, stop: asyncio.Event, seen: Counter[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            for r in await conn.fetch(
                """SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity
                   WHERE application_name LIKE 'connect-api%' AND state <> 'idle'
                     AND pid <> pg_backend_pid()"""
            ):
                wait = f"{r['wait_event_type']}:{r['wait_event']}" if r["wait_event"] else "CPU"
                seen[f"{r['state']:<19} {wait:<28} {_statement(r['query'])}"] += 1
            await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def profile(data_dir: Path, flows: int, concurrency: int, members: int) -> None:
    settings = in_process_settings(data_dir)
    app = create_app(settings)
    rng = random.Random()
    people = rng.sample(range(1000, members), 4 * flows + 400)
    pairs = [(people[2 * i], people[2 * i + 1]) for i in range(len(people) // 2)]
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        url = ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        now = datetime.now(UTC)

        def token(m: int) -> str:
            return str(ctx.tokens.mint(m, ttl=timedelta(hours=1), now=now))

        outcomes: Counter[str] = Counter()
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:

            async def flow(a: int, b: int) -> None:
                r = await http.post(
                    "/v1/invitations",
                    json={"invitee_id": b},
                    headers={"Authorization": f"Bearer {token(a)}"},
                )
                if r.status_code != 201:
                    outcomes[f"send {r.status_code}"] += 1
                    return
                r = await http.post(
                    f"/v1/invitations/{r.json()['id']}/accept",
                    headers={"Authorization": f"Bearer {token(b)}"},
                )
                outcomes[f"accept {r.status_code}"] += 1

            for a, b in pairs[:100]:  # warm: plans, pools
                await flow(a, b)
            outcomes.clear()
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for a, b in pairs[100 : 100 + flows]:
                await flow(a, b)
            profiler.disable()
            each = (time.perf_counter() - started) / flows * 1000
            print(f"{flows} flows one at a time, {each:.2f} ms each (profiled); {dict(outcomes)}")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(SHOWN, 25)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats("connect_api", 30)

            outcomes.clear()
            rest = pairs[100 + flows :]
            seen: Counter[str] = Counter()
            stop = asyncio.Event()
            sampler = asyncio.create_task(_sample(url, stop, seen))
            queue = iter(rest)

            async def client() -> None:
                for a, b in queue:
                    await flow(a, b)

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(concurrency)))
            seconds = time.perf_counter() - started
            stop.set()
            await sampler
            print(
                f"\n{len(rest)} flows, {concurrency} at once: {len(rest) / seconds:,.1f}/s "
                f"in this one process; {dict(outcomes)}"
            )
            total = sum(seen.values()) or 1
            print("PostgreSQL sessions of the service, sampled every 10 ms (share of samples):")
            for what, n in seen.most_common(25):
                print(f"  {n / total:6.1%}  {what}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="a harness data directory")
    p.add_argument("--flows", type=int, default=300, help="flows profiled one at a time")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--members", type=int, default=100_000, help="members are drawn below this")
    args = p.parse_args()
    asyncio.run(profile(args.dir, args.flows, args.concurrency, args.members))


if __name__ == "__main__":
    main()
