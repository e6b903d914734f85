"""Where a relationships look-up spends the service's time: cProfile of the service in this
process (ASGI, no network), on a seeded network of the harness's.

    python -m bench.scale.lookup_profile --dir /work/bench-data/full/full --ids 1
    python -m bench.scale.lookup_profile --dir /work/bench-data/full/full --ids 100 --requests 400

Random viewers and random ids (most pairs of a large network are beyond degree 2, so degree
3 is what the model computes most). The client's own cost (httpx's ASGI transport) is in the
totals; the listing keeps the service's modules, PyJWT and FastAPI's dependency solving.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from httpx import ASGITransport, AsyncClient

from bench.scale.server import in_process_settings
from connect_api.app import create_app

SHOWN = "connect_api|jwt|dependencies|encoders|pydantic"


async def profile(data_dir: Path, ids: int, requests: int, members: int) -> None:
    settings = in_process_settings(data_dir)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        for _ in range(600):  # the model loads beside the first requests
            if getattr(ctx.graph, "graph", True) is not None:
                break
            await asyncio.sleep(0.1)
        rng = random.Random(1)
        now = datetime.now(UTC)
        asked = [
            (
                ctx.tokens.mint(rng.randrange(1, members), ttl=timedelta(hours=1), now=now),
                ",".join(str(rng.randrange(1, members)) for _ in range(ids)),
            )
            for _ in range(requests + 100)
        ]
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:

            async def look(token: str, wanted: str) -> None:
                r = await http.get(
                    "/v1/relationships",
                    params={"ids": wanted},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code == 200, r.text

            for token, wanted in asked[:100]:  # warm: plans, pools, the model's pages
                await look(token, wanted)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for token, wanted in asked[100:]:
                await look(token, wanted)
            profiler.disable()
            each = (time.perf_counter() - started) / requests * 1000
    print(f"{requests} look-ups of {ids} id(s), {each:.2f} ms each (sequential, profiled)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(SHOWN, 30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="a harness data directory")
    p.add_argument("--ids", type=int, default=1, help="ids per look-up (1-100)")
    p.add_argument("--requests", type=int, default=1400)
    p.add_argument("--members", type=int, default=100_000, help="ids are drawn below this")
    args = p.parse_args()
    asyncio.run(profile(args.dir, args.ids, args.requests, args.members))


if __name__ == "__main__":
    main()
