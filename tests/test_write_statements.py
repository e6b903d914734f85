"""The hot writes' statements go straight to asyncpg on the session's connection
(``kit.database.driver``): they belong to the session's transaction, even when nothing else has
begun it, and a deadlock they meet is retried like any other."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.kit.database import driver
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
