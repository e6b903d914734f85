"""Read replicas (``CONNECT_API_READ_DATABASE_URL``) against a real streaming replica: a second
PostgreSQL 18 made from the primary by ``pg_basebackup -R``, its replay paused and resumed.

Both servers are the embedded package's, started for this module, whatever database the rest
of the suite runs on (a replica of a server we do not own cannot be made: that takes a
replication login in its ``pg_hba.conf``). Two apps on the pair stand for two ``serve``
processes: each remembers only its own members' writes, so what crosses them is the
``Connect-Read-After`` header."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

import tests.test_relationships as relationships
from connect_api.app import create_app
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from connect_api.kit.replicas import HEADER, Replicas, format_lsn, parse_lsn
from tests.helpers import Api, As, empty_tables
from tests.replication import Pair, primary_and_replica


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_replica() as started:
        yield started


def _settings(settings: Settings, pair: Pair, **update: Any) -> Settings:
    return settings.model_copy(
        update={
            "database_url": pair.primary.url,
            "read_database_url": [pair.replica.url],
            "replica_check_seconds": 0.05,
            "replica_max_lag_seconds": 60,
            **update,
        }
    )


class Process:
    """One app on the pair (as one `serve` process would be) and a browser per member: an
    HTTP client whose cookie jar is that member's alone."""

    def __init__(self, app: FastAPI, stack: AsyncExitStack) -> None:
        self.app = app
        self.stack = stack
        self.ctx: AppContext = app.state.ctx
        self._browsers: dict[int, AsyncClient] = {}

    @property
    def replicas(self) -> Replicas:
        assert self.ctx.db.replicas is not None
        return self.ctx.db.replicas

    async def client(self) -> AsyncClient:
        return await self.stack.enter_async_context(
            AsyncClient(
                transport=ASGITransport(app=self.app, raise_app_exceptions=False),
                base_url="http://testserver",
                timeout=60,
            )
        )

    async def as_(self, member: int, api: Api) -> As:
        if member not in self._browsers:
            self._browsers[member] = await self.client()
        return As(self._browsers[member], api.token(member))

    async def settled(self, pair: Pair, within: float = 20) -> float:
        """Wait until this process knows its replica has replayed everything the primary had
        now; the seconds it took."""
        target = parse_lsn(pair.primary.sql("SELECT pg_current_wal_lsn()"))
        assert target is not None
        started = time.monotonic()
        while any(r.replay < target or r.state != "ok" for r in self.replicas.replicas):
            assert time.monotonic() - started < within, self.replicas.report()
            await asyncio.sleep(0.01)
        return time.monotonic() - started


@pytest.fixture(scope="module")
async def processes(
    pair: Pair, settings: Settings, clock: ManualClock
) -> AsyncIterator[tuple[Process, Process]]:
    async with AsyncExitStack() as stack:
        made = []
        for migrate in (True, False):  # the first migrates the primary, as `serve` would
            app = create_app(_settings(settings, pair), clock=clock, migrate=migrate)
            await stack.enter_async_context(app.router.lifespan_context(app))
            made.append(Process(app, stack))
        yield made[0], made[1]


@pytest.fixture
async def one(processes: tuple[Process, Process], pair: Pair) -> AsyncIterator[Process]:
    first = processes[0]
    await first.settled(pair)
    yield first
    await empty_tables(first.ctx.db.engine)
    pair.resume_replay()  # a failed test may have left it paused


@pytest.fixture
async def api(one: Process) -> Api:
    """Setting up (members, invitations) through the first process, as an admin."""
    return Api(await one.client(), one.ctx)


async def _get(who: As, url: str, headers: dict[str, str], **kw: Any) -> Any:
    return await who.http.get(url, headers={**who.headers, **headers}, **kw)


async def _look_up(process: Process, api: Api, me: int, other: int, **headers: str) -> Any:
    viewer = await process.as_(me, api)
    r = await _get(viewer, "/v1/relationships", params={"ids": str(other)}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def test_lsns_are_read_and_written_as_postgresql_does() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert format_lsn(parse_lsn("16/B374D848") or 0) == "16/B374D848"
    assert parse_lsn("0/0") == 0
    for bad in ("", "16", "/1", "1/", "x/1", "1/2/3", "123456789/1", "1/-2"):
        assert parse_lsn(bad) is None, bad


def test_several_replicas_are_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECT_API_READ_DATABASE_URL", "postgresql://r1/db, postgres://r2:5433/db")
    assert Settings().read_database_url == [
        "postgresql+asyncpg://r1/db",
        "postgresql+asyncpg://r2:5433/db",
    ]
    monkeypatch.delenv("CONNECT_API_READ_DATABASE_URL")
    assert Settings().read_database_url == []


async def test_the_writer_sees_their_accept_while_replay_is_paused_and_then_everyone_agrees(
    pair: Pair, one: Process, processes: tuple[Process, Process], api: Api
) -> None:
    other_process = processes[1]
    a, b = await api.members(2)
    invitation = await api.invited(a, b)
    await one.settled(pair)
    await other_process.settled(pair)
    reads = dict(one.replicas.reads)

    pair.pause_replay()
    invitee = await one.as_(b, api)
    t0 = time.monotonic()
    accepted = await invitee.post(f"/v1/invitations/{invitation}/accept")
    assert accepted.status_code == 200, accepted.text
    position = accepted.headers[HEADER]
    assert parse_lsn(position) is not None
    assert f"connect_read_after={position}" in accepted.headers["set-cookie"]
    # The writer, in the same process (its cookie, and the process's memory of it): connected.
    mine = await _look_up(one, api, b, a)
    seen_after = time.monotonic() - t0
    assert (mine["degree"], mine["connected"], mine["action"]) == (1, True, "message")
    listed = await invitee.get(f"/v1/members/{b}/connections")
    assert [c["member"]["id"] for c in listed.json()["items"]] == [a]
    # In another process, with the header the accept handed back: connected too.
    there = await _look_up(other_process, api, b, a, **{HEADER: position})
    assert there["connected"] is True
    # The inviter, who wrote nothing since: the replica's state, the invitation still pending.
    theirs = await _look_up(one, api, a, b)
    assert theirs["connected"] is False and theirs["invitation"]["direction"] == "sent"
    inviter = await one.as_(a, api)
    assert (await inviter.get(f"/v1/members/{a}/connections")).json()["items"] == []
    # The rule is the primary's: inviting again, whatever the replica says, is refused.
    again = await inviter.post("/v1/invitations", json={"invitee_id": b})
    assert again.status_code == 409 and again.json()["code"] == "already_connected", again.text
    assert one.replicas.reads["replica"] > reads["replica"]
    # /readyz says how far behind the replica is; it is still in use (below the lag bound).
    await asyncio.sleep(0.2)
    ready = await (await one.client()).get("/readyz")
    assert ready.status_code == 200
    [replica] = ready.json()["replicas"]
    assert replica["state"] == "ok" and replica["lag_seconds"] > 0.1, replica

    pair.resume_replay()
    caught_up = await one.settled(pair)
    print(
        f"\nreplay paused: the writer saw their accept {seen_after * 1e3:.1f} ms after sending "
        f"it (the accept and the look-up); the replica was {replica['lag_seconds']:.3f} s "
        f"behind at /readyz; after resuming, this process saw it caught up in "
        f"{caught_up * 1e3:.1f} ms"
    )
    on_replica = one.replicas.reads["replica"]
    assert (await _look_up(one, api, a, b))["connected"] is True
    assert (await _look_up(one, api, b, a))["connected"] is True
    assert one.replicas.reads["replica"] == on_replica + 2  # both read from the replica now


async def test_a_replica_too_far_behind_is_skipped_and_used_again_once_caught_up(
    pair: Pair, api: Api, settings: Settings, clock: ManualClock
) -> None:
    async with AsyncExitStack() as stack:
        app = create_app(
            _settings(settings, pair, replica_max_lag_seconds=0.3), clock=clock, migrate=False
        )
        await stack.enter_async_context(app.router.lifespan_context(app))
        strict = Process(app, stack)
        a, b = await api.members(2)
        await strict.settled(pair)
        pair.pause_replay()
        follows = await api.as_(a).put(f"/v1/follows/{b}")  # through the other process
        assert follows.status_code == 201
        deadline = time.monotonic() + 10
        while strict.replicas.replicas[0].state != "lagging":
            assert time.monotonic() < deadline, strict.replicas.report()
            await asyncio.sleep(0.02)
        ready = (await (await strict.client()).get("/readyz")).json()
        assert ready["status"] == "ok" and ready["replicas"][0]["state"] == "lagging"
        # Someone else's read goes to the primary: the follow is there.
        seen = await _look_up(strict, api, b, a)
        assert seen["followed_by"] is True
        pair.resume_replay()
        await strict.settled(pair)
        assert strict.replicas.replicas[0].state == "ok"


async def test_a_replica_that_is_down_is_skipped_and_nothing_fails(
    pair: Pair, one: Process, api: Api
) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    await one.settled(pair)
    pair.replica.stop("immediate")
    try:
        answers = await asyncio.gather(*(_look_up(one, api, a, b) for _ in range(20)))
        assert all(x["connected"] for x in answers)
        listed = await (await one.as_(a, api)).get(f"/v1/members/{a}/connections")
        assert listed.status_code == 200 and len(listed.json()["items"]) == 1
        exported = await (await one.as_(a, api)).get("/v1/me/export")
        assert exported.status_code == 200 and exported.json()["connections"], exported.text
        ready = (await (await one.client()).get("/readyz")).json()
        assert ready["status"] == "ok" and ready["replicas"][0]["state"] == "down", ready
    finally:
        pair.replica.start()
    await one.settled(pair)
    assert (await _look_up(one, api, a, b))["connected"] is True


async def test_many_members_read_their_own_writes_in_another_process(
    pair: Pair, processes: tuple[Process, Process], one: Process, api: Api
) -> None:
    """40 members at once each follow someone through one process and then, with the header
    they were handed, list whom they follow through the other: every one sees their follow,
    with replay paused (all from the primary) and running (from the replica once it has it)."""
    writer, reader = processes
    members = await api.members(41)
    target = members[0]
    await reader.settled(pair)

    async def follow_then_read(member: int, verb: str) -> bool:
        me = await writer.as_(member, api)
        url = f"/v1/follows/{target}"
        r = await (me.put(url) if verb == "PUT" else me.delete(url))
        assert r.status_code in (200, 201, 204), r.text
        position = r.headers[HEADER]
        seen = await _get(
            await reader.as_(member, api),
            f"/v1/members/{member}/following",
            headers={HEADER: position},
        )
        assert seen.status_code == 200, seen.text
        return [f["member"]["id"] for f in seen.json()["items"]] == [target]

    pair.pause_replay()
    followed = await asyncio.gather(*(follow_then_read(m, "PUT") for m in members[1:]))
    assert all(followed)
    # Without the header, in the other process, the replica's old state is what is read.
    stale = await (await reader.client()).get(
        f"/v1/members/{members[1]}/following",
        headers={"Authorization": f"Bearer {api.token(members[1])}"},
    )
    assert stale.json()["items"] == []
    pair.resume_replay()
    before = reader.replicas.reads["replica"]
    unfollowed = await asyncio.gather(*(follow_then_read(m, "DELETE") for m in members[1:]))
    assert not any(unfollowed)  # each saw their own unfollow: an empty list
    assert reader.replicas.reads["replica"] >= before  # some may have been caught up already


async def test_the_look_up_suite_through_the_replica(one: Process, api: Api) -> None:
    """The relationships suite (degrees, mutuals, follows, groups) with its reads on the
    replica: one client, whose cookie carries its writes' position."""
    await relationships.test_degrees_mutuals_follows_and_groups(api, "sql")
    assert one.replicas.reads["replica"] > 0


async def test_metrics_show_the_replica(one: Process) -> None:
    body = (await (await one.client()).get("/metrics")).text
    assert 'connect_api_replica_lag_seconds{replica="1"}' in body
    assert 'connect_api_replica_in_use{replica="1"} 1.0' in body
    assert 'connect_api_db_reads_total{target="replica"}' in body


async def test_a_position_that_is_not_an_lsn_is_ignored(one: Process, api: Api) -> None:
    a, b = await api.members(2)
    for given in ("garbage", "1/-2", "99999999999/0", "", "0/0"):
        seen = await _look_up(one, api, a, b, **{HEADER: given})
        assert seen["degree"] is None, given
    fresh = await one.client()
    fresh.cookies.set("connect_read_after", "not-an-lsn")
    r = await fresh.get(
        "/v1/relationships",
        params={"ids": str(b)},
        headers={"Authorization": f"Bearer {api.token(a)}"},
    )
    assert r.status_code == 200 and HEADER not in r.headers  # a read hands out no position


FORGED = "FFFFFFFF/FFFFFFFF"


async def test_a_made_up_position_does_not_keep_reads_on_the_primary(
    pair: Pair, one: Process, api: Api
) -> None:
    """A position past anything the primary has (header or cookie) is cut down to the
    primary's: once the replica has that, the reads go to it (before: 50 of 50 on the
    primary, for as long as the client kept sending it)."""
    a, b = await api.members(2)
    await one.settled(pair)
    me = await one.as_(a, api)
    before = dict(one.replicas.reads)
    for _ in range(50):
        r = await _get(me, "/v1/me", headers={HEADER: FORGED})
        assert r.status_code == 200 and r.json()["id"] == a, r.text
    in_browser = await one.client()
    in_browser.cookies.set("connect_read_after", FORGED)
    for _ in range(50):
        r = await in_browser.get("/v1/me", headers={"Authorization": f"Bearer {api.token(a)}"})
        assert r.status_code == 200, r.text
    assert one.replicas.reads["replica"] - before["replica"] == 100
    assert one.replicas.reads["primary"] == before["primary"]

    # A write with it hands back the primary's position, not the made-up one.
    wrote = await me.http.put(f"/v1/follows/{b}", headers={**me.headers, HEADER: FORGED})
    assert wrote.status_code == 201, wrote.text
    after = parse_lsn(pair.primary.sql("SELECT pg_current_wal_lsn()"))
    given = parse_lsn(wrote.headers[HEADER])
    assert given is not None and after is not None
    assert given <= after, (wrote.headers[HEADER], format_lsn(after))  # before: FFFFFFFF/...
    assert f"connect_read_after={wrote.headers[HEADER]};" in wrote.headers["set-cookie"]
    in_browser.cookies.set("connect_read_after", FORGED)
    wrote = await in_browser.delete(
        f"/v1/follows/{b}", headers={"Authorization": f"Bearer {api.token(a)}"}
    )
    assert wrote.status_code == 204, wrote.text
    after = parse_lsn(pair.primary.sql("SELECT pg_current_wal_lsn()"))
    given = parse_lsn(wrote.headers[HEADER])
    assert given is not None and after is not None and given <= after
    # What it handed back is honoured: the member reads their unfollow, from the replica once
    # it has replayed it.
    await one.settled(pair)
    before = dict(one.replicas.reads)
    following = await _get(me, f"/v1/members/{a}/following", headers={HEADER: format_lsn(given)})
    assert following.json()["items"] == []
    assert one.replicas.reads["replica"] == before["replica"] + 1


async def test_a_position_newer_than_the_last_check_still_counts_whole(
    pair: Pair, one: Process, api: Api, settings: Settings, clock: ManualClock
) -> None:
    """A process that has not checked the primary since another one committed is handed that
    commit's position: it is the primary's, so it is honoured whole (the read goes to the
    primary while the replica lacks it), not cut down to the last position this process saw."""
    async with AsyncExitStack() as stack:
        app = create_app(
            _settings(settings, pair, replica_check_seconds=3600), clock=clock, migrate=False
        )
        await stack.enter_async_context(app.router.lifespan_context(app))
        idle = Process(app, stack)  # checked once, at start-up
        a, b = await api.members(2)
        pair.wait_caught_up()
        await idle.replicas.check(idle.ctx.db.reads)  # the replica has everything so far
        assert idle.replicas.replicas[0].state == "ok"
        pair.pause_replay()
        try:
            wrote = await (await one.as_(a, api)).put(f"/v1/follows/{b}")
            assert wrote.status_code == 201, wrote.text
            position = wrote.headers[HEADER]
            assert parse_lsn(position) > idle.replicas.known  # type: ignore[operator]
            seen = await _get(
                await idle.as_(a, api), f"/v1/members/{a}/following", headers={HEADER: position}
            )
            assert [f["member"]["id"] for f in seen.json()["items"]] == [b]
            assert idle.replicas.reads == {"primary": 1, "replica": 0}
        finally:
            pair.resume_replay()


def test_which_replica_failures_run_again_on_the_primary() -> None:
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    from connect_api.kit.replicas import falls_back, unreachable

    conflict = asyncpg.exceptions.SerializationError("canceling statement due to conflict")
    behind = asyncpg.exceptions.UndefinedColumnError("column does not exist")
    broken = asyncpg.exceptions.UniqueViolationError("duplicate key")
    for exc, again, gone in (
        (ConnectionRefusedError(), True, True),
        (TimeoutError(), True, True),
        (asyncpg.exceptions.AdminShutdownError("shutting down"), True, True),
        (conflict, True, False),
        (behind, True, False),
        (DBAPIError("SELECT", None, conflict), True, False),
        (broken, False, False),
        (ValueError("a bug"), False, False),
    ):
        assert (falls_back(exc), unreachable(exc)) == (again, gone), exc
