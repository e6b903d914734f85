"""The hot writes' statements go straight to asyncpg (``kit.database.driver``): in a plain
asyncpg transaction (``Database.write``) or on a session's connection, in the session's
transaction even when nothing else has begun it. Either way the transaction commits whole or
not at all, a deadlock met is retried whole, and a connection a failure left broken is never
lent out again."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.kit.config import Settings
from connect_api.kit.database import (
    Database,
    PoolExhausted,
    Tx,
    Work,
    driver,
    make_engine,
    make_read_pool,
    make_write_pool,
)
from connect_api.kit.overload import unavailable
from connect_api.kit.replicas import unreachable
from tests.helpers import Api

MARK = "test.driver_statement"


async def _count(api: Api) -> int:
    async def read(session: AsyncSession) -> int:
        return int(
            await session.scalar(text("SELECT count(*) FROM events WHERE type = :t"), {"t": MARK})
            or 0
        )

    return await api.ctx.db.run(read)


async def _insert(session: Work) -> None:
    await (await driver(session)).execute(
        "INSERT INTO events (type, occurred_at, audience, data) VALUES ($1, now(), '{}', '{}')",
        MARK,
    )


async def test_a_statement_sent_first_through_the_driver_rolls_back_with_the_transaction(
    api: Api,
) -> None:
    before = await _count(api)

    async def write_then_fail(session: AsyncSession) -> None:
        await _insert(session)  # the transaction's first statement
        raise RuntimeError("refused after the write")

    with pytest.raises(RuntimeError):
        await api.ctx.db.run(write_then_fail)
    assert await _count(api) == before

    async def write(session: AsyncSession) -> None:
        await _insert(session)
        # The same transaction as the session's own statements.
        seen = await session.scalar(
            text("SELECT count(*) FROM events WHERE type = :t"), {"t": MARK}
        )
        assert seen == before + 1

    await api.ctx.db.run(write)
    assert await _count(api) == before + 1


@pytest.mark.parametrize("transaction", ["session", "plain"])
async def test_a_deadlock_met_through_the_driver_is_retried_whole(
    api: Api, transaction: str
) -> None:
    before = await _count(api)
    attempts = 0

    async def deadlocks_once(session: Work) -> None:
        nonlocal attempts
        attempts += 1
        await _insert(session)
        if attempts == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    await (api.ctx.db.run if transaction == "session" else api.ctx.db.write)(deadlocks_once)
    assert attempts == 2
    assert await _count(api) == before + 1  # the first attempt's write rolled back


@pytest.mark.parametrize("how", ["cancelled mid-statement", "closed under it"])
async def test_a_connection_a_statement_left_broken_never_goes_back_to_the_pool(
    database_url: str, settings: Settings, how: str
) -> None:
    """A statement sent through the driver that fails with its connection (the server gone, a
    statement abandoned mid-flight) must not leave that connection in the pool: the next
    transaction on a pool of one would otherwise meet it (an `InternalClientError`, a 500)."""
    one = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    engine = make_engine(database_url, one)
    reads = await make_read_pool(database_url, one)
    db = Database(engine, reads)
    try:

        async def break_it(session: AsyncSession) -> None:
            raw = await driver(session)
            if how == "closed under it":
                raw.terminate()
                await raw.fetchval("SELECT 1")
            task = asyncio.ensure_future(raw.fetchval("SELECT pg_sleep(2)"))
            await asyncio.sleep(0.2)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await raw.fetchval("SELECT 1")  # the protocol is still busy with the one above

        with pytest.raises(Exception):  # noqa: B017 - whichever the driver raises
            await db.run(break_it)

        async def read(session: AsyncSession) -> int:
            return int(await (await driver(session)).fetchval("SELECT 41 + 1"))

        assert await db.run(read) == 42
    finally:
        await db.dispose()


def test_a_driver_left_mid_operation_is_the_database_being_unavailable() -> None:
    """What a restarted database leaves on a pooled connection (asyncpg's protocol waiting for
    an end the dead server never sent) is answered 503 `database_unavailable`, and the
    connection is not lent out again."""
    stuck = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    )
    wrapped = RuntimeError("translated by the adapter")
    wrapped.__cause__ = stuck
    for exc in (stuck, wrapped):
        found = unavailable(exc)
        assert found is not None and found.code == "database_unavailable"
        assert unreachable(exc)
    refused = asyncpg.exceptions.UniqueViolationError("duplicate key")
    assert unavailable(refused) is None and not unreachable(refused)
    assert unreachable(asyncpg.exceptions.AdminShutdownError("terminating connection"))


async def test_a_plain_transaction_commits_whole_or_not_at_all(api: Api) -> None:
    assert api.ctx.db.writes is not None
    before = await _count(api)

    async def write_then_fail(tx: Tx) -> None:
        assert isinstance(tx, Tx)
        await _insert(tx)
        raise RuntimeError("refused after the write")

    with pytest.raises(RuntimeError):
        await api.ctx.db.write(write_then_fail)
    assert await _count(api) == before

    async def write_twice(tx: Tx) -> int:
        await _insert(tx)
        await _insert(tx)
        return int(await tx.conn.fetchval("SELECT count(*) FROM events WHERE type = $1", MARK) or 0)

    assert await api.ctx.db.write(write_twice) == before + 2  # one transaction sees its own
    assert await _count(api) == before + 2


async def test_what_a_plain_transaction_notes_is_handed_on_only_after_its_commit(
    api: Api,
) -> None:
    heard: list[dict[object, object]] = []

    async def hook(info: dict[object, object]) -> None:
        heard.append(dict(info))

    api.ctx.db.commit_hooks.append(hook)
    try:

        async def noted_then_fail(tx: Tx) -> None:
            tx.info["test.noted"] = 1
            raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await api.ctx.db.write(noted_then_fail)
        assert heard == []

        async def noted(tx: Tx) -> None:
            tx.info["test.noted"] = 2

        await api.ctx.db.write(noted)
        assert heard == [{"test.noted": 2}]
    finally:
        api.ctx.db.commit_hooks.remove(hook)


async def _plain_db(database_url: str, settings: Settings, acquire_timeout: float = 30) -> Database:
    one = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    return Database(
        make_engine(database_url, one),
        await make_read_pool(database_url, one),
        writes=await make_write_pool(database_url, one),
        acquire_timeout=acquire_timeout,
    )


@pytest.mark.parametrize("how", ["cancelled mid-statement", "closed under it"])
async def test_a_plain_connection_a_statement_left_broken_never_goes_back_to_the_pool(
    database_url: str, settings: Settings, how: str
) -> None:
    db = await _plain_db(database_url, settings)
    try:

        async def break_it(tx: Tx) -> None:
            if how == "closed under it":
                tx.conn.terminate()
                await tx.conn.fetchval("SELECT 1")
            task = asyncio.ensure_future(tx.conn.fetchval("SELECT pg_sleep(2)"))
            await asyncio.sleep(0.2)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await tx.conn.fetchval("SELECT 1")  # the protocol is still busy with the one above

        with pytest.raises(Exception):  # noqa: B017 - whichever the driver raises
            await db.write(break_it)

        async def read(tx: Tx) -> int:
            return int(await tx.conn.fetchval("SELECT 41 + 1"))

        assert await db.write(read) == 42  # on a new connection: the pool holds one
    finally:
        await db.dispose()


async def test_no_free_connection_for_a_write_is_the_service_at_capacity(
    database_url: str, settings: Settings
) -> None:
    db = await _plain_db(database_url, settings, acquire_timeout=0.2)
    held = asyncio.Event()
    done = asyncio.Event()
    try:

        async def hold(tx: Tx) -> None:
            held.set()
            await done.wait()

        holder = asyncio.create_task(db.write(hold))
        await held.wait()

        async def nothing(tx: Tx) -> None:
            return None

        with pytest.raises(PoolExhausted) as refused:
            await db.write(nothing)
        found = unavailable(refused.value)
        assert found is not None and found.code == "service_unavailable"
        done.set()
        await holder
        await db.write(nothing)  # free again
    finally:
        done.set()
        await db.dispose()


async def test_send_and_the_answers_run_in_plain_transactions(api: Api) -> None:
    """The routes of the hot writes take their connection from the write pool, not from a
    session (whose engine pool they leave alone)."""
    writes = api.ctx.db.writes
    assert writes is not None
    a, b, c = await api.members(3)
    checkouts = 0

    def counted(*_: object) -> None:
        nonlocal checkouts
        checkouts += 1

    engine_pool = api.ctx.db.engine.pool
    event.listen(engine_pool, "checkout", counted)
    try:
        await api.connect(a, b)  # send, accept
        declined = await api.decline(c, await api.invited(a, c))
        assert declined.status_code == 200, declined.text
        withdrawn = await api.as_(c).post(f"/v1/invitations/{await api.invited(c, b)}/withdraw")
        assert withdrawn.status_code == 200, withdrawn.text
    finally:
        event.remove(engine_pool, "checkout", counted)
    assert checkouts == 0
    assert writes.get_size() >= 1
