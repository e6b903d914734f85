"""What a hostile client tries: oversized bodies, odd text, odd ids and tokens. Each is refused
with a problem document, before any work is done for it, never with a 500."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI

from tests.helpers import Api, problem

# --- finding 1: bodies over the limit are 413 before anything else -----------------------


async def test_a_declared_body_over_the_limit_is_413_before_authentication(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    body = b'{"invitee_id": 2, "message": "' + b"x" * limit + b'"}'
    r = await api.http.post(
        "/v1/invitations", content=body, headers={"Content-Type": "application/json"}
    )  # no token: the size is refused first
    problem(r, 413, "payload_too_large")
    member = await api.member()
    r = await api.as_(member).post("/v1/invitations", content=body)
    problem(r, 413, "payload_too_large")


async def test_a_streamed_body_is_cut_at_the_limit(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"invitee_id": 2, "message": "'
        for _ in range(limit // 1024 + 8):
            sent += 1024
            yield b"x" * 1024
        yield b'"}'

    member = await api.member()
    r = await api.as_(member).post("/v1/invitations", content=chunks())  # chunked, no length
    problem(r, 413, "payload_too_large")


async def test_a_body_within_the_limit_is_served(api: Api) -> None:
    a, b = await api.members(2)
    r = await api.invite(a, b, message="x" * 200)
    assert r.status_code == 201, r.text


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[tuple[str, int]]:
    """The test app behind a real uvicorn on 127.0.0.1 (its lifespan already runs)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        await task


async def _exchange(host: str, port: int, head: bytes) -> bytes:
    """Send request head (and no body); read the answer until the server closes."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 30)
    finally:
        writer.close()


async def test_a_huge_declared_body_is_refused_without_being_sent(
    served: tuple[str, int],
) -> None:
    host, port = served
    head = (
        b"POST /v1/invitations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1073741824\r\n\r\n"
    )
    answer = await _exchange(host, port, head)  # before: no answer at all, waiting for 1 GB
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"payload_too_large" in answer
    assert b"connection: close" in answer.lower()
