"""The primary dies, and nothing acknowledged is lost: the service against a PostgreSQL cluster
under Patroni (synchronous mode, one etcd, three nodes on loopback), with real processes.

`connect-api serve` runs on a multi-host ``DATABASE_URL`` (``target_session_attrs=read-write``)
and one replica URL per node (``target_session_attrs=standby``). 32 clients send and accept
invitations with idempotency keys, retrying a 503 or a broken connection with the same key, as
a client would, while the primary is killed again and again: its machine (Patroni and
PostgreSQL with SIGKILL, so another node is promoted) or its postmaster alone (Patroni starts
it again in place). Afterwards every acknowledged write is in the database with exactly its
one event, nothing was applied twice, no answer was a 500, and the rules hold over the whole
database. Then a planned switchover under the same load.

The cluster does not depend on the suite's database, so the run against a PostgreSQL server
(`.ci/run`'s second pass) skips this module. ``CONNECT_API_FAILOVER_KILLS`` sets the number of
kills (default 5). Each kill's figures are printed (``-s``) and written to the test's
temporary folder as ``failover.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from connect_api.kit.replicas import parse_lsn
from tests import cluster as patroni
from tests.helpers import JWT_SECRET, missing_tool, receiving, serve_env
from tests.test_processes import _free_port, _serve, _wait_ready

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the cluster is its own database: the embedded run covers it",
)

CLIENTS = 32
MEMBERS_PER_CLIENT = 24  # 276 pairs a client: more than a run takes
KILLS = int(os.environ.get("CONNECT_API_FAILOVER_KILLS", "5"))
RETRY_FOR = 90.0  # seconds a client keeps retrying one request before it gives up


@dataclass
class Service:
    cluster: patroni.Cluster
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    top: Path
    tokens: dict[int, str] = field(default_factory=dict)
    admin: str = ""
    members: list[int] = field(default_factory=list)


def _token(member_id: int, *, admin: bool = False) -> str:
    from datetime import UTC, datetime, timedelta

    from connect_api.kit.auth import TokenService
    from connect_api.kit.config import Settings

    settings = Settings(database_url="postgresql://h/d", jwt_secret=JWT_SECRET)
    return TokenService(settings, JWT_SECRET).mint(
        member_id, admin=admin, ttl=timedelta(hours=2), now=datetime.now(UTC)
    )


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    tools = patroni.find_tools()
    if isinstance(tools, str):
        missing_tool(tools, "the failover tests")
    top = Path(tempfile.mkdtemp(prefix="connect-failover-"))
    top.chmod(0o755)  # the cluster's nodes run as the postgres user when root
    with patroni.running(tools, top / "cluster") as cluster:
        env = serve_env(
            cluster.url(),
            data_dir=str(top / "data"),
            log_level="info",
            read_database_url=" ".join(
                f"postgresql://postgres@127.0.0.1:{n.pg_port}/postgres?target_session_attrs=standby"
                for n in cluster.nodes
            ),
            invitations_per_hour="100000",
            invitations_per_week="100000",
            # The background work runs, to be seen pausing and resuming.
            expiry_sweep_seconds="1",
            webhook_dispatch_seconds="0.2",
            webhook_allow_private_targets="true",
        )
        migrated = subprocess.run(
            [sys.executable, "-m", "connect_api", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr
        port = _free_port()
        log = top / "serve.log"
        proc = _serve(env, port, log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, proc, timeout=90)
            yield Service(cluster, url, proc, log, top)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert "Traceback" not in log.read_text(), log.read_text()[-5000:]


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Attempt:
    sent: float
    done: float
    outcome: str  # "2xx", "503", "error" (no answer), or the status


@dataclass
class Load:
    attempts: list[Attempt] = field(default_factory=list)
    invited: dict[int, tuple[int, int]] = field(default_factory=dict)  # acknowledged sends
    accepted: set[int] = field(default_factory=set)  # acknowledged accepts
    twice: list[str] = field(default_factory=list)  # a retry that found its write done
    failures: list[str] = field(default_factory=list)


async def _call(
    http: httpx.AsyncClient, load: Load, path: str, token: str, body: Any = None
) -> httpx.Response | None:
    """POST with an idempotency key, retried with the same key on a 503 or no answer; the
    final answer, or None when it never came within RETRY_FOR."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    deadline = time.monotonic() + RETRY_FOR
    for attempt in itertools.count(1):
        sent = time.monotonic()
        try:
            r = await http.post(path, json=body, headers=headers)
        except httpx.TransportError:
            load.attempts.append(Attempt(sent, time.monotonic(), "error"))
            outcome: str | None = "error"
            r = None
        else:
            code = r.json().get("code") if r.status_code >= 400 else None
            outcome = "2xx" if r.status_code < 300 else "503" if r.status_code == 503 else str(code)
            load.attempts.append(Attempt(sent, time.monotonic(), outcome))
            if r.status_code != 503 and code != "idempotency_key_in_use":
                if attempt > 1 and code in ("invitation_pending", "already_connected"):
                    load.twice.append(f"{path}: {code} on attempt {attempt}")
                if r.status_code >= 500:
                    load.failures.append(f"{path}: {r.status_code} {r.text[:300]}")
                return r
        if time.monotonic() > deadline:
            load.failures.append(f"{path}: no answer in {RETRY_FOR} s (last: {outcome})")
            return None
        await asyncio.sleep(0.1 if r is None else min(float(r.headers.get("retry-after", 1)), 1))
    raise AssertionError("unreachable")


async def _client(
    http: httpx.AsyncClient, load: Load, svc: Service, members: list[int], stop: asyncio.Event
) -> None:
    for a, b in itertools.combinations(members, 2):
        if stop.is_set():
            return
        r = await _call(http, load, "/v1/invitations", svc.tokens[a], {"invitee_id": b})
        if r is None or r.status_code != 201:
            if r is not None:
                load.failures.append(f"send {a}->{b}: {r.status_code} {r.text[:200]}")
            continue
        invitation = int(r.json()["id"])
        load.invited[invitation] = (a, b)
        r = await _call(http, load, f"/v1/invitations/{invitation}/accept", svc.tokens[b])
        if r is not None and r.status_code == 200:
            load.accepted.add(invitation)
        elif r is not None:
            load.failures.append(f"accept {invitation}: {r.status_code} {r.text[:200]}")
        await asyncio.sleep(0.05)  # a client's pace, not a flood: the 2 cores run the cluster too


@dataclass
class Running:
    load: Load
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]]


async def _start_load(http: httpx.AsyncClient, svc: Service, groups: list[list[int]]) -> Running:
    load, stop = Load(), asyncio.Event()
    tasks = [asyncio.create_task(_client(http, load, svc, g, stop)) for g in groups]
    return Running(load, stop, tasks)


async def _members(http: httpx.AsyncClient, svc: Service, count: int) -> list[int]:
    async def one(n: int) -> int:
        handle = f"m{uuid.uuid4().hex[:12]}"
        body = {"handle": handle, "display_name": f"Member {n}"}
        r = await http.post(
            "/v1/members", json=body, headers={"Authorization": f"Bearer {svc.admin}"}
        )
        assert r.status_code == 201, r.text
        member = int(r.json()["id"])
        svc.tokens[member] = _token(member)
        return member

    out: list[int] = []
    for start in range(0, count, 32):
        out += await asyncio.gather(*(one(n) for n in range(start, min(count, start + 32))))
    return out


@pytest.fixture(scope="module")
async def http(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    service.admin = _token(1, admin=True)
    limits = httpx.Limits(max_connections=CLIENTS + 8)
    async with httpx.AsyncClient(base_url=service.url, timeout=20, limits=limits) as client:
        yield client


async def _follow_stream(
    http: httpx.AsyncClient, token: str, seen: list[tuple[str, dict[str, Any]]]
) -> None:
    """A member's live stream, resumed with `Last-Event-ID` whenever it ends or breaks, as the
    reference button does; every event it delivers, in ``seen``."""
    last: str | None = None
    while True:
        headers = {"Authorization": f"Bearer {token}"} | ({"Last-Event-ID": last} if last else {})
        try:
            async with http.stream("GET", "/v1/me/stream", headers=headers, timeout=None) as r:
                if r.status_code != 200:
                    await asyncio.sleep(0.5)
                    continue
                kind, data = "", ""
                async for line in r.aiter_lines():
                    if line.startswith("id:"):
                        last = line[3:].strip()
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif line == "" and kind:
                        seen.append((kind, json.loads(data) if data else {}))
                        kind, data = "", ""
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)


# --- what the database holds afterwards -------------------------------------------------------


async def _check_database(svc: Service, load: Load) -> dict[str, int]:
    """Every acknowledged write is there with exactly its one event; nothing is doubled; the
    rules hold. Read on the current leader."""
    leader = await asyncio.to_thread(svc.cluster.wait_leader)
    conn = await asyncpg.connect(
        f"postgresql://postgres@127.0.0.1:{leader.pg_port}/postgres", timeout=10
    )
    try:
        rows = await conn.fetch(
            "SELECT id, inviter_id, invitee_id, status FROM invitations WHERE id = ANY($1)",
            list(load.invited),
        )
        found = {r["id"]: r for r in rows}
        missing = sorted(set(load.invited) - set(found))
        assert missing == [], f"acknowledged invitations missing: {missing[:10]}"
        wrong_pair = [i for i, (a, b) in load.invited.items() if found[i][1:3] != (a, b)]
        assert wrong_pair == []
        not_accepted = [i for i in load.accepted if found[i]["status"] != "accepted"]
        assert not_accepted == [], f"acknowledged accepts not accepted: {not_accepted[:10]}"
        events = await conn.fetch(
            """SELECT (data->>'invitation_id')::bigint AS id, type, count(*) AS n FROM events
               WHERE type IN ('invitation.created', 'invitation.accepted')
               GROUP BY 1, 2"""
        )
        per = {(r["id"], r["type"]): r["n"] for r in events}
        doubled = sorted(k for k, n in per.items() if n != 1)
        assert doubled == [], f"events written more than once: {doubled[:10]}"
        no_event = [i for i in load.invited if per.get((i, "invitation.created")) != 1]
        no_event += [i for i in load.accepted if per.get((i, "invitation.accepted")) != 1]
        assert no_event == [], f"acknowledged writes without their event: {no_event[:10]}"
        pairs = await conn.fetch(
            """SELECT least(inviter_id, invitee_id), greatest(inviter_id, invitee_id), count(*)
               FROM invitations GROUP BY 1, 2 HAVING count(*) > 1"""
        )
        assert pairs == [], f"a pair invited twice (a write applied twice): {pairs[:5]}"
        problems = await conn.fetch(
            """SELECT m.id FROM members m
               WHERE m.connection_count <> (SELECT count(*) FROM connections c
                                             WHERE c.member_id = m.id)
                  OR m.follower_count <> (SELECT count(*) FROM follows f
                                          WHERE f.followee_id = m.id)
                  OR m.following_count <> (SELECT count(*) FROM follows f
                                           WHERE f.follower_id = m.id)
                  OR m.connection_count > 30000"""
        )
        assert problems == [], f"counters differ from rows: {problems[:5]}"
        one_sided = await conn.fetchval(
            """SELECT count(*) FROM connections c WHERE NOT EXISTS
               (SELECT 1 FROM connections d WHERE d.member_id = c.other_id
                                             AND d.other_id = c.member_id)"""
        )
        assert one_sided == 0
        accepted_without_connection = await conn.fetchval(
            """SELECT count(*) FROM invitations i WHERE i.status = 'accepted' AND NOT EXISTS
               (SELECT 1 FROM connections c WHERE c.member_id = i.inviter_id
                                             AND c.other_id = i.invitee_id)"""
        )
        assert accepted_without_connection == 0
        unpublished = await conn.fetchval("SELECT count(*) FROM events WHERE position IS NULL")
        return {
            "invitations": len(found),
            "accepted": sum(1 for r in rows if r["status"] == "accepted"),
            "unpublished_events": int(unpublished),
        }
    finally:
        await conn.close()


def _window(load: Load, start: float, end: float) -> dict[str, Any]:
    """What the clients met from a kill to the next: requests by answer, and the longest
    time in it with no write answered 2xx (from the last one before the kill)."""
    inside = [a for a in load.attempts if start <= a.sent < end]
    writes = sorted(a.done for a in load.attempts if a.outcome == "2xx" and a.done < end)
    before = [d for d in writes if d < start][-1:]
    after = [d for d in writes if d >= start]
    gaps = [b - a for a, b in itertools.pairwise(before + after)]
    return {
        "sent": len(inside),
        "2xx": sum(a.outcome == "2xx" for a in inside),
        "503": sum(a.outcome == "503" for a in inside),
        "no answer": sum(a.outcome == "error" for a in inside),
        "other": sum(a.outcome not in ("2xx", "503", "error") for a in inside),
        "seconds without writes": round(max(gaps), 2) if before and after else None,
    }


def _print_table(title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    keys = list(rows[0])
    print(f"\n{title}\n| " + " | ".join(keys) + " |\n|" + " --- |" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


async def _wait_writable_again(http: httpx.AsyncClient, svc: Service) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r = await http.get("/readyz")
        if r.status_code == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the service did not become ready again")


# --- the tests --------------------------------------------------------------------------------


async def test_killing_the_primary_under_load_loses_nothing_acknowledged(
    service: Service, http: httpx.AsyncClient
) -> None:
    svc = service
    members = await _members(http, svc, CLIENTS * MEMBERS_PER_CLIENT + 2 * (KILLS + 1))
    witnesses = members[CLIENTS * MEMBERS_PER_CLIENT :]
    groups = [
        members[k * MEMBERS_PER_CLIENT : (k + 1) * MEMBERS_PER_CLIENT] for k in range(CLIENTS)
    ]
    stream_seen: list[tuple[str, dict[str, Any]]] = []
    stream = asyncio.create_task(_follow_stream(http, svc.tokens[witnesses[-1]], stream_seen))
    async with receiving() as (inbox, hook):
        running = await _start_load(http, svc, groups)
        kills: list[dict[str, Any]] = []
        positions: list[int] = []
        try:
            await asyncio.sleep(3)
            for n in range(KILLS):
                leader = await asyncio.to_thread(svc.cluster.wait_leader)
                # A member writes just before the kill, and reads it back afterwards.
                reader, invitee = witnesses[2 * n], witnesses[2 * n + 1]
                r = await http.post(
                    "/v1/invitations",
                    json={"invitee_id": invitee},
                    headers={"Authorization": f"Bearer {svc.tokens[reader]}"},
                )
                assert r.status_code == 201, r.text
                mine, position = int(r.json()["id"]), r.headers.get("connect-read-after")
                assert position is not None
                positions.append(parse_lsn(position) or 0)
                machine = n % 2 == 0  # the machine dies; else the postmaster alone
                killed = time.monotonic()
                if machine:
                    await asyncio.to_thread(svc.cluster.kill_machine, leader)
                else:
                    await asyncio.to_thread(svc.cluster.kill_postmaster, leader)
                new_leader = await asyncio.to_thread(
                    svc.cluster.wait_leader, other_than=leader.name if machine else None
                )
                elected = time.monotonic() - killed
                await _wait_writable_again(http, svc)
                # Read-your-writes across the switch: with the position the write was given.
                seen = await http.get(
                    "/v1/invitations/sent",
                    headers={
                        "Authorization": f"Bearer {svc.tokens[reader]}",
                        "Connect-Read-After": position,
                    },
                )
                assert seen.status_code == 200, seen.text
                assert mine in [i["id"] for i in seen.json()["items"]]
                if machine:
                    await asyncio.to_thread(
                        svc.cluster.start_node, leader
                    )  # it comes back, and rejoins (pg_rewind)
                # The next kill waits for a healthy cluster: two failures closer together
                # than the replicas can catch up leave no replica Patroni may promote
                # (`maximum_lag_on_failover`), by design.
                await asyncio.to_thread(svc.cluster.wait_streaming, 2)
                await asyncio.sleep(2)
                kills.append(
                    {
                        "kill": n + 1,
                        "what": "machine" if machine else "postmaster",
                        "old": leader.name,
                        "new": new_leader.name,
                        "elected after s": round(elected, 1),
                        "at": killed,
                    }
                )
        finally:
            running.stop.set()
            await asyncio.gather(*running.tasks)
        load = running.load
        ends = [k["at"] for k in kills[1:]] + [time.monotonic()]
        for kill, end in zip(kills, ends, strict=True):
            kill.update(_window(load, kill.pop("at"), end))

        # The background work came back after the kills: a webhook made now is delivered
        # (and every event is published).
        r = await http.post(
            "/v1/webhooks", json={"url": hook}, headers={"Authorization": f"Bearer {svc.admin}"}
        )
        assert r.status_code == 201, r.text
        # Positions keep growing across promotions.
        r = await http.post(
            "/v1/invitations",
            json={"invitee_id": witnesses[-1]},
            headers={"Authorization": f"Bearer {svc.tokens[witnesses[-2]]}"},
        )
        assert r.status_code == 201, r.text
        positions.append(parse_lsn(r.headers["connect-read-after"]) or 0)
        assert positions == sorted(positions), positions

        last = int(r.json()["id"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            delivered = {
                (e["type"], e["data"].get("invitation_id")) for e in inbox.events() if "data" in e
            }
            if ("invitation.created", last) in delivered:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("the webhook of the last write was not delivered")
        # A live stream opened before the kills tells its member of the last write.
        while time.monotonic() < deadline:
            if ("invitation.created", last) in {
                (kind, data.get("data", data).get("invitation_id")) for kind, data in stream_seen
            }:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"the live stream missed the last write: {stream_seen[-5:]}")
        stream.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stream
        found = await _check_database(svc, load)
        assert found["unpublished_events"] == 0

    _print_table("kills", kills)
    summary = {
        "acknowledged sends": len(load.invited),
        "acknowledged accepts": len(load.accepted),
        "in the database": found["invitations"],
        "accepted in the database": found["accepted"],
        "applied twice": len(load.twice),
        "500s": len(load.failures),
    }
    _print_table("totals", [summary])
    (svc.top / "failover.json").write_text(json.dumps({"kills": kills, "totals": summary}))
    assert load.failures == [], load.failures[:10]
    assert load.twice == [], load.twice[:10]
    assert len(kills) == KILLS
    assert all(k["other"] == 0 for k in kills), kills
    assert all(k["sent"] > 0 for k in kills), f"the load ran out of pairs: {kills}"
    assert all(k["seconds without writes"] is not None for k in kills), kills
    assert len(load.accepted) > 100


async def test_a_planned_switchover_under_load_answers_only_brief_503s(
    service: Service, http: httpx.AsyncClient
) -> None:
    svc = service
    members = await _members(http, svc, 16 * 12)
    groups = [members[k * 12 : (k + 1) * 12] for k in range(16)]
    await asyncio.to_thread(svc.cluster.wait_streaming, 2)
    running = await _start_load(http, svc, groups)
    try:
        await asyncio.sleep(2)
        leader = await asyncio.to_thread(svc.cluster.wait_leader)
        # In synchronous mode Patroni hands over to the synchronous standby only.
        candidate = svc.cluster.node(
            next(
                m["name"]
                for m in await asyncio.to_thread(svc.cluster.members)
                if m.get("role") == "sync_standby"
            )
        )
        started = time.monotonic()
        answer = await asyncio.to_thread(svc.cluster.switchover, candidate)
        assert answer["status"] == 200, answer
        new_leader = await asyncio.to_thread(svc.cluster.wait_leader, other_than=leader.name)
        assert new_leader is candidate
        await _wait_writable_again(http, svc)
        await asyncio.sleep(3)
    finally:
        running.stop.set()
        await asyncio.gather(*running.tasks)
    load = running.load
    row = {"switchover": f"{leader.name} -> {candidate.name}"} | _window(
        load, started, time.monotonic()
    )
    _print_table("switchover", [row])
    found = await _check_database(svc, load)
    assert load.failures == [], load.failures[:10]
    assert load.twice == []
    assert row["other"] == 0, row
    assert found["invitations"] >= len(load.invited)


async def test_the_old_primary_rejoins_and_serves_reads_again(
    service: Service, http: httpx.AsyncClient
) -> None:
    """After its machine died and came back, the old primary is a streaming replica again, and
    the service reads from it once it has caught up."""
    svc = service
    await asyncio.to_thread(svc.cluster.wait_streaming, 2)  # a synchronous standby to promote
    leader = await asyncio.to_thread(svc.cluster.wait_leader)
    index = svc.cluster.nodes.index(leader) + 1  # its replica entry in the service
    await asyncio.to_thread(svc.cluster.kill_machine, leader)
    await asyncio.to_thread(svc.cluster.wait_leader, other_than=leader.name)
    await _wait_writable_again(http, svc)
    await asyncio.to_thread(svc.cluster.start_node, leader)
    await asyncio.to_thread(svc.cluster.wait_streaming, 2)
    assert svc.cluster.psql(leader, "SELECT pg_is_in_recovery()") == "t"
    in_use = f'connect_api_replica_in_use{{replica="{index}"}} 1.0'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        metrics = (await http.get("/metrics")).text
        if in_use in metrics:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError(f"replica {index} ({leader.name}) not in use again")
