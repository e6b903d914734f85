"""Reads on a streaming replica against the primary alone (``python -m bench.scale --replica``).

The seeded network's embedded PostgreSQL is the primary; ``pg_basebackup -R`` makes a replica
of it beside it (same machine, same 2 cores: this measures what routing the reads costs and
what read-your-writes does, not the capacity a replica on its own machine would add). The same
rows run twice, each against its own ``connect-api serve`` (one process, so that its
``/metrics`` counts every read): once on the primary alone, once with
``CONNECT_API_READ_DATABASE_URL`` set to the replica. Every row says how many of its reads ran
on the replica and how many on the primary.

Then the writers: closed-loop clients that each follow or unfollow a member and at once list
whom they follow with the ``Connect-Read-After`` the write handed back. Each such read must
show the write (a read that does not is counted as a failure), and the replica's lag is
sampled from ``/readyz`` meanwhile.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

from bench.scale.client import Client, closed_loop
from bench.scale.report import Row
from bench.scale.server import serving

if TYPE_CHECKING:
    from bench.scale.harness import Choices, Harness
    from bench.scale.network import Graph


def _socket_of(url: str) -> tuple[str, int]:
    """The socket directory and port of the embedded server's URL."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0]
    port = int(query.get("port", [str(parsed.port or 5432)])[0])
    return host, port


async def _reads(client: Client) -> dict[str, float]:
    """The service's count of reads by where they ran (one process: all of them)."""
    body = (await client.request("GET", "/metrics")).body.decode()
    found = {"primary": 0.0, "replica": 0.0}
    for line in body.splitlines():
        for target in found:
            if line.startswith(f'connect_api_db_reads_total{{target="{target}"}}'):
                found[target] = float(line.rsplit(" ", 1)[1])
    return found


def _where(before: dict[str, float], after: dict[str, float]) -> str:
    replica = after["replica"] - before["replica"]
    primary = after["primary"] - before["primary"]
    if not replica and not primary:
        return "every read on the primary (no replica configured)"
    return f"{replica:,.0f} reads on the replica, {primary:,.0f} on the primary"


async def compare(
    h: Harness, url: str, graph: Graph, choices: Choices, viewers: dict[str, list[int]]
) -> None:
    from tests.replication import make_replica

    cfg = h.cfg
    where = cfg.data_dir / "replica"
    shutil.rmtree(where, ignore_errors=True)
    host, port = _socket_of(url)
    load = h.phase("replica: pg_basebackup -R of the seeded database, started")
    t0 = time.perf_counter()
    replica = await asyncio.to_thread(make_replica, host, port, where, port + 1)
    seconds = time.perf_counter() - t0
    h.add(Row("replica made (pg_basebackup -R, start)", "once", None, seconds, None, load=load))
    print(f"      replica ready in {seconds:.1f} s", flush=True)
    try:
        rows = _rows(h, graph, choices, viewers)
        for mode, env in (
            ("primary alone", {}),
            ("reads on the replica", {"CONNECT_API_READ_DATABASE_URL": replica.url}),
        ):
            log = cfg.data_dir / f"serve-{mode.replace(' ', '-')}.log"
            # One process, so that its /metrics counts every read.
            with serving(cfg.data_dir, 1, log, cfg.params.env | env) as svc:
                client = Client("127.0.0.1", svc.port)
                for path, token in [(p, t) for _, reqs, _ in rows for p, t in reqs[:20]]:
                    await client.request("GET", path, token)  # warm-up, unmeasured
                for name, reqs, rate in rows:
                    before = await _reads(client)
                    raws = [client.raw("GET", p, t) for p, t in reqs]
                    await h.open(client, f"{name}, {mode}", raws, rate)
                    h.notes.append(f"{name}, {mode}: {_where(before, await _reads(client))}")
                await _writers(h, client, choices, mode)
                await client.close()
    finally:
        await asyncio.to_thread(replica.stop, "fast")


def _rows(
    h: Harness, graph: Graph, choices: Choices, viewers: dict[str, list[int]]
) -> list[tuple[str, list[tuple[str, str]], float]]:
    from bench.scale.harness import _degrees, _distances, mixed_ids

    rows: list[tuple[str, list[tuple[str, str]], float]] = []
    for label, members in viewers.items():
        page = []
        for v in members:
            ids = mixed_ids(
                graph, _distances(choices.distances, graph, v), v, choices.member_ids, h.rng
            )
            page.append((f"/v1/relationships?ids={','.join(map(str, ids))}", h.token(v)))
        rows.append((f"relationships, 100 ids, {label} ({_degrees(graph, members)})", page, 10))
    me = [("/v1/me", h.token(v)) for v in choices.random_viewers]
    rows.append(("GET /v1/me", me, 250))
    lists = [(f"/v1/members/{hub}/connections?sort=name", h.token(hub)) for hub in choices.hubs]
    rows.append((f"connections sort=name, at the cap ({_degrees(graph, choices.hubs)})", lists, 50))
    second = [("/v1/network/second-degree?limit=20", h.token(v)) for v in choices.hubs]
    rows.append((f"second degree, first page ({_degrees(graph, choices.hubs)})", second, 10))
    return rows


async def _writers(h: Harness, client: Client, choices: Choices, mode: str) -> None:
    """Follow or unfollow, then read one's own following list with the position handed back."""
    members = [int(m) for m in choices.random_viewers[:64]]
    targets = [int(m) for m in choices.random_viewers[-64:]]
    stale = 0
    lags: list[float] = []
    reads: list[float] = []

    def job(i: int) -> Callable[[], Awaitable[bool]]:
        me, other = members[i % len(members)], targets[i % len(targets)]
        token = h.token(me)
        verb = "PUT" if (i // len(members)) % 2 == 0 else "DELETE"

        async def run() -> bool:
            nonlocal stale
            wrote = await client.request(verb, f"/v1/follows/{other}", token)
            if wrote.status not in (200, 201, 204):
                return False
            headers = {"Connect-Read-After": wrote.read_after} if wrote.read_after else None
            t0 = time.perf_counter()
            seen = await client.request(
                "GET", f"/v1/members/{me}/following?limit=100", token, headers=headers
            )
            reads.append(time.perf_counter() - t0)
            if seen.status != 200:
                return False
            following = {item["member"]["id"] for item in seen.json()["items"]}
            if (other in following) != (verb == "PUT"):
                stale += 1
                return False
            return True

        return run

    async def sample_lag(stop: asyncio.Event) -> None:
        while not stop.is_set():
            r = await client.request("GET", "/readyz")
            for replica_state in r.json().get("replicas") or []:
                if replica_state.get("lag_seconds") is not None:
                    lags.append(float(replica_state["lag_seconds"]))
            await asyncio.sleep(0.1)

    load = h.phase(f"writers: follow or unfollow, then read it back ({mode})")
    before = await _reads(client)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(stop))
    n = len(members)
    result = await closed_loop(4, [job(i) for i in range(n * 40)], deadline=h.cfg.phase)
    stop.set()
    await sampler
    where = _where(before, await _reads(client))
    h.add(
        Row(
            f"follow then read it back, {mode}",
            "4 clients",
            result.achieved,
            result.percentile(50),
            result.percentile(99),
            errors=result.errors,
            total=len(result.latencies),
            load=load,
            p90=result.percentile(90),
            max=max(result.latencies, default=None),
        )
    )
    reads.sort()
    read_p99 = reads[int(0.99 * (len(reads) - 1))] * 1e3 if reads else float("nan")
    lag = f", replica lag max {max(lags):.3f} s" if lags else ""
    note = (
        f"follow then read it back, {mode}: {result.ok:,} flows, {stale} reads without the "
        f"write, the read's p99 {read_p99:.1f} ms; {where} (the /readyz samples and these "
        f"counts included){lag}"
    )
    h.notes.append(note)
    print(f"      {note}", flush=True)
    if stale:
        h.failures.append(f"{stale} reads did not see their own write ({mode})")


def viewers_of(choices: Choices, graph: Graph) -> dict[str, list[int]]:
    from bench.scale.harness import typical_pool

    return {"typical viewers": typical_pool(choices, graph), "cap viewers": choices.hubs}
