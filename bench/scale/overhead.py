"""What the load generator itself costs: the same ``GET /healthz`` loop through this package's
client, aiohttp and httpx, one request at a time and then 32 at once, with the client process's
CPU time per request. ``python -m bench.scale --client-overhead`` prints it (the service must be
started by the harness, so the numbers come from the same kind of run)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.scale.client import Client

SEQUENTIAL, CONCURRENT, CLIENTS = 2000, 6000, 32


async def _measure(send: Callable[[], Awaitable[int]], n: int, workers: int) -> tuple[float, float]:
    """(median wall ms per request of one worker, client CPU µs per request)."""
    for _ in range(100):
        await send()
    laps: list[float] = []
    cpu0 = time.process_time()

    async def worker(count: int) -> None:
        for _ in range(count):
            t0 = time.perf_counter()
            status = await send()
            laps.append(time.perf_counter() - t0)
            assert status == 200, status

    await asyncio.gather(*(worker(n // workers) for _ in range(workers)))
    cpu = time.process_time() - cpu0
    return statistics.median(laps) * 1e3, cpu / len(laps) * 1e6


async def compare(base: str, port: int) -> list[tuple[str, str, float, float]]:
    rows: list[tuple[str, str, float, float]] = []

    ours = Client("127.0.0.1", port)
    raw = ours.raw("GET", "/healthz")

    async def send_ours() -> int:
        return (await ours.send(raw)).status

    for label, n, w in (("sequential", SEQUENTIAL, 1), (f"{CLIENTS} at once", CONCURRENT, CLIENTS)):
        rows.append(("asyncio streams (this package)", label, *await _measure(send_ours, n, w)))
    await ours.close()

    try:
        import aiohttp
    except ImportError:
        pass
    else:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:

            async def send_aiohttp() -> int:
                async with session.get(base + "/healthz") as r:
                    await r.read()
                    return r.status

            for label, n, w in (
                ("sequential", SEQUENTIAL, 1),
                (f"{CLIENTS} at once", CONCURRENT, CLIENTS),
            ):
                rows.append(("aiohttp", label, *await _measure(send_aiohttp, n, w)))

    import httpx

    async with httpx.AsyncClient(
        base_url=base, limits=httpx.Limits(max_connections=CLIENTS)
    ) as http:

        async def send_httpx() -> int:
            return (await http.get("/healthz")).status_code

        for label, n, w in (
            ("sequential", SEQUENTIAL, 1),
            (f"{CLIENTS} at once", CONCURRENT, CLIENTS),
        ):
            rows.append(("httpx", label, *await _measure(send_httpx, n, w)))
    return rows


def render(rows: list[tuple[str, str, float, float]]) -> str:
    lines = [
        f"{'client':32} {'load':12} {'p50 ms':>8} {'client CPU µs/request':>22}",
        "-" * 77,
    ]
    lines += [f"{c:32} {load:12} {p50:8.3f} {cpu:22.0f}" for c, load, p50, cpu in rows]
    return "\n".join(lines)
