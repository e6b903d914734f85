"""Three `serve` processes on one database, each with its own graph read model following the
outbox by notification: random programs of connects, removals, blocks, unblocks, erasures and
group changes go to random processes, and after each batch every process answers degrees,
mutual counts and the second degree's first page as the rows say, from its model.

Each check carries the batch's last `Connect-Read-After`, so a process answers only once its
model holds the whole batch (or from SQL, which the test refuses: every answer in the checks
must come from the model, as `/metrics` counts them)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from connect_api.kit.replicas import format_lsn, parse_lsn
from tests.helpers import Api, serve_env
from tests.test_processes import _free_port, _serve, _wait_ready

PROCESSES = 3
MEMBERS = 24
BATCHES = int(os.environ.get("CONNECT_API_GRAPH_BATCHES", "6"))
OPS_PER_BATCH = 30


@contextlib.contextmanager
def _serving(env: dict[str, str], tmp_path: Path) -> Iterator[list[str]]:
    ports = [_free_port() for _ in range(PROCESSES)]
    procs = [_serve(env, p, tmp_path / f"serve{n}.log") for n, p in enumerate(ports)]
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


async def _graph_answers(http: httpx.AsyncClient, url: str) -> dict[str, float]:
    text = (await http.get(url + "/metrics")).text
    found = re.findall(
        r'^connect_api_graph_answers_total\{source="(\w+)"\} ([0-9.e+]+)$', text, re.M
    )
    return {source: float(value) for source, value in found}


async def _loaded(http: httpx.AsyncClient, url: str) -> None:
    for _ in range(600):
        body = (await http.get(url + "/readyz")).json()
        if body.get("graph", {}).get("state") == "ok":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url}: the graph read model never loaded")


class Truth:
    """The rows, read with SQL: connections, blocks either way, erased members."""

    def __init__(self, connections: list[Any], blocks: list[Any], members: list[Any]) -> None:
        self.members = {m for (m,) in members}
        self.adj: dict[int, set[int]] = {m: set() for m in self.members}
        for a, b in connections:
            self.adj[a].add(b)
        self.hidden: dict[int, set[int]] = {m: set() for m in self.members}
        for a, b in blocks:
            self.hidden[a].add(b)
            self.hidden[b].add(a)

    def degree(self, me: int, them: int) -> int | None:
        if them not in self.members or them == me or them in self.hidden[me]:
            return None
        frontier, seen = {me}, {me}
        for d in (1, 2, 3):
            frontier = {n for f in frontier for n in self.adj[f]} - seen
            if them in frontier:
                return d
            seen |= frontier
        return None

    def mutual(self, me: int, them: int) -> int:
        if them not in self.members or them in self.hidden[me] or them == me:
            return 0
        return len(self.adj[me] & self.adj[them])

    def second_degree(self, me: int, limit: int) -> list[tuple[int, int]]:
        counts: dict[int, int] = {}
        for o in self.adj[me]:
            for t in self.adj[o]:
                if t != me and t not in self.adj[me] and t not in self.hidden[me]:
                    counts[t] = counts.get(t, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


async def _truth(api: Api) -> Truth:
    return Truth(
        await api.sql("SELECT member_id, other_id FROM connections"),
        await api.sql("SELECT blocker_id, blocked_id FROM blocks"),
        await api.sql("SELECT id FROM members"),
    )


async def test_every_process_model_agrees_with_the_rows_after_random_batches(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("CONNECT_API_GRAPH_SEED", "0")) or None)
    seed = rng.randrange(2**32)
    rng = random.Random(seed)
    print(f"graph processes seed: {seed} (CONNECT_API_GRAPH_SEED={seed} replays)")
    members = await api.members(MEMBERS)
    groups = []
    for n in range(3):
        r = await api.admin.post("/v1/groups", json={"name": f"Group {n}", "description": "x"})
        assert r.status_code == 201, r.text
        groups.append(int(r.json()["id"]))
    erased: set[int] = set()
    # Each check waits for its model as long as it takes: what is tested is what the models
    # answer, not how fast a loaded machine catches up (the bound has a test of its own).
    env = serve_env(database_url, graph_wait_ms="30000")
    counts: dict[str, int] = {}
    with _serving(env, tmp_path) as urls:
        async with httpx.AsyncClient(timeout=30) as http:
            for url in urls:
                await _loaded(http, url)

            def auth(member: int) -> dict[str, str]:
                return {"Authorization": f"Bearer {api.token(member)}"}

            position = 0
            for _batch in range(BATCHES):
                for _ in range(OPS_PER_BATCH):
                    live = [m for m in members if m not in erased]
                    a, b = rng.sample(live, 2)
                    url = rng.choice(urls)
                    op = rng.choices(
                        ["connect", "remove", "block", "unblock", "join", "leave", "erase"],
                        weights=[10, 3, 1, 1, 2, 1, 0.15],
                    )[0]
                    if op == "connect":
                        r = await http.post(
                            url + "/v1/invitations", json={"invitee_id": b}, headers=auth(a)
                        )
                        if r.status_code == 201:
                            r = await http.post(
                                rng.choice(urls) + f"/v1/invitations/{r.json()['id']}/accept",
                                headers=auth(b),
                            )
                    elif op == "remove":
                        r = await http.delete(url + f"/v1/connections/{b}", headers=auth(a))
                    elif op == "block":
                        r = await http.put(url + f"/v1/blocks/{b}", headers=auth(a))
                    elif op == "unblock":
                        r = await http.delete(url + f"/v1/blocks/{b}", headers=auth(a))
                    elif op in ("join", "leave"):
                        path = f"/v1/groups/{rng.choice(groups)}/members/me"
                        call = http.put if op == "join" else http.delete
                        r = await call(url + path, headers=auth(a))
                    else:
                        r = await http.delete(url + f"/v1/members/{a}", headers=auth(a))
                        if r.status_code == 204:
                            erased.add(a)
                    assert r.status_code < 500, r.text
                    key = f"{op}:{r.status_code}"
                    counts[key] = counts.get(key, 0) + 1
                    given = parse_lsn(r.headers.get("connect-read-after", ""))
                    position = max(position, given or 0)
                truth = await _truth(api)
                before = [await _graph_answers(http, url) for url in urls]
                header = {"Connect-Read-After": format_lsn(position)} if position else {}
                for url in urls:
                    for viewer in rng.sample([m for m in members if m not in erased], 4):
                        r = await http.get(
                            url + "/v1/relationships",
                            params={"ids": ",".join(map(str, members))},
                            headers=auth(viewer) | header,
                        )
                        assert r.status_code == 200, r.text
                        for item in r.json()["items"]:
                            them = item["member_id"]
                            want = (truth.degree(viewer, them), truth.mutual(viewer, them))
                            got = (item["degree"], item["mutual_connections"])
                            assert got == want, (url, viewer, them, got, want)
                        r = await http.get(
                            url + "/v1/network/second-degree",
                            params={"limit": 10},
                            headers=auth(viewer) | header,
                        )
                        assert r.status_code == 200, r.text
                        got2 = [
                            (i["member"]["id"], i["mutual_connections"]) for i in r.json()["items"]
                        ]
                        assert got2 == truth.second_degree(viewer, 10), (url, viewer)
                after = [await _graph_answers(http, url) for url in urls]
                for url, b0, a0 in zip(urls, before, after, strict=True):
                    assert a0.get("sql", 0) == b0.get("sql", 0), f"{url} answered from SQL"
                    assert a0.get("memory", 0) > b0.get("memory", 0), url
    print(f"\ngraph processes: {BATCHES} batches of {OPS_PER_BATCH}: {sorted(counts.items())}")
    assert counts.get("connect:200", 0) > BATCHES * 5
