"""The statements a request makes, replayed straight to PostgreSQL: the floor a route's rate is
judged against ("what the database alone does for the same answers").

``capture`` runs each request once through the service in this process (ASGI, the harness's
data directory) and records every statement it sends, with its arguments: the hot reads'
(``Database.fetch``, asyncpg) and the session's (SQLAlchemy, each transaction's statements
kept together). ``replay`` then sends those statements, request by request, from
``concurrency`` asyncpg connections for ``seconds``, each request's statements in order (a
session's in a transaction of their own, as the service runs them), and counts requests/s.
What the service answers from memory (the graph read model) sends no statement and costs the
replay nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event

from bench.scale.server import in_process_settings
from connect_api.app import create_app


@dataclass
class Captured:
    """One request's statements: ``(sql, args, in_transaction)`` in the order sent."""

    statements: list[tuple[str, tuple[Any, ...], bool]] = field(default_factory=list)


@dataclass
class Replayed:
    requests: int
    seconds: float
    statements: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def capture(data_dir: Path, requests: Sequence[tuple[str, str]]) -> list[Captured]:
    """Each ``(path, token)`` GET once through the service in this process; its statements."""
    settings = in_process_settings(data_dir)
    app = create_app(settings)
    out: list[Captured] = []
    current = Captured()
    async with app.router.lifespan_context(app):
        db = app.state.ctx.db
        original = db._fetch_on

        async def recorded(pool: asyncpg.Pool, sql: str, args: tuple[Any, ...]) -> list[Any]:
            current.statements.append((sql, tuple(args), False))
            return await original(pool, sql, args)

        db._fetch_on = recorded

        def on_execute(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            current.statements.append((statement, tuple(parameters or ()), True))

        event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
        for _ in range(600):  # the graph read model loads beside the first requests
            if getattr(app.state.ctx.graph, "graph", True) is not None:
                break
            await asyncio.sleep(0.1)
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
            for path, token in requests:
                current = Captured()
                r = await http.get(path, headers={"Authorization": f"Bearer {token}"})
                if r.status_code == 200:
                    out.append(current)
        event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    return out


async def replay(
    url: str, captured: Sequence[Captured], concurrency: int, seconds: float
) -> Replayed:
    """The captured requests, round-robin, from ``concurrency`` connections for ``seconds``."""
    conns = [await asyncpg.connect(url) for _ in range(concurrency)]
    cycle = itertools.cycle(captured)
    done = sent = 0
    deadline = time.perf_counter() + seconds

    async def one(conn: asyncpg.Connection) -> None:
        nonlocal done, sent
        while time.perf_counter() < deadline:
            request = next(cycle)
            in_tx = [s for s in request.statements if s[2]]
            for sql, args, _ in (s for s in request.statements if not s[2]):
                await conn.fetch(sql, *args)
            if in_tx:
                async with conn.transaction():
                    for sql, args, _ in in_tx:
                        await conn.fetch(sql, *args)
            done += 1
            sent += len(request.statements)

    # Warm: every statement prepared on every connection, unmeasured.
    for conn in conns:
        for request in captured[:20]:
            for sql, args, _ in request.statements:
                await conn.fetch(sql, *args)
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(one(c) for c in conns))
    took = time.perf_counter() - started
    for conn in conns:
        await conn.close()
    return Replayed(done, took, sent)
