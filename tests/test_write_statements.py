"""The hot writes' statements go straight to asyncpg on the session's connection
(``kit.database.driver``): they belong to the session's transaction, even when nothing else has
begun it, and a deadlock they meet is retried like any other."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.kit.config import Settings
from connect_api.kit.database import (
    Database,
    driver,
    make_engine,
    make_read_pool,
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


async def _insert(session: AsyncSession) -> None:
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


async def test_a_deadlock_met_through_the_driver_is_retried_whole(api: Api) -> None:
    before = await _count(api)
    attempts = 0

    async def deadlocks_once(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        await _insert(session)
        if attempts == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    await api.ctx.db.run(deadlocks_once)
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
