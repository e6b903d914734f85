"""Per-caller request rate limits: a quota of 20 lets exactly 20 of 50 parallel requests
through, in one process, through Redis, and across two `serve` processes sharing Redis."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from connect_api.app import create_app
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.ratelimits import cost_class
from tests.helpers import Api, problem, serve_env
from tests.test_processes import _free_port, _serve, _wait_ready, serving_two

REDIS = ("127.0.0.1", 6379)


def _redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(REDIS) == 0


needs_redis = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


async def _member_of_its_own(api: Api) -> int:
    """A member whose id no other run uses, so counters kept in Redis start at zero."""
    member_id = secrets.randbelow(2**62) + 2**40
    await api.sql(
        "INSERT INTO members (id, handle, display_name, created_at)"
        " VALUES (:id, :handle, 'Flooder', now())",
        id=member_id,
        handle=f"m{member_id}",
    )
    return member_id


async def clear_of_a_window_edge(margin: float = 10) -> None:
    """The quotas are sliding-window counters over windows aligned to the minute: a test that
    counts requests against a quota starts well inside a window, as one that straddles its
    end sees the previous window's count weighted down (3 hits become 2.9) and one request
    more let through."""
    into = time.time() % 60
    if into > 60 - margin:
        await asyncio.sleep(60 - into + 0.05)


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
async def limited(
    request: pytest.FixtureRequest, settings: Settings, clock: ManualClock, app: FastAPI
) -> AsyncIterator[AsyncClient]:
    redis_url = f"redis://{REDIS[0]}:{REDIS[1]}/0" if request.param == "redis" else None
    quota = settings.model_copy(
        update={
            "rate_limits_enabled": True,
            "rate_limit_read": "20/minute",
            "rate_limit_expensive": "3/minute",
            "rate_limit_refusal_delay_seconds": 0.2,
            "redis_url": redis_url,
        }
    )
    application = create_app(quota, clock=clock, migrate=False)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(transport=ASGITransport(app=application), base_url="http://t") as client,
    ):
        await clear_of_a_window_edge()
        yield client


async def test_exactly_the_quota_gets_through(api: Api, limited: AsyncClient) -> None:
    flooder = await _member_of_its_own(api)
    quiet = await _member_of_its_own(api)
    headers = {"Authorization": f"Bearer {api.token(flooder)}"}
    results = await asyncio.gather(*(limited.get("/v1/me", headers=headers) for _ in range(50)))
    assert Counter(r.status_code for r in results) == {200: 20, 429: 30}
    refused = next(r for r in results if r.status_code == 429)
    body = problem(refused, 429, "rate_limited")
    assert body["limit"] == 20 and body["window_seconds"] == 60
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == '"read";q=20;w=60'
    assert refused.headers["ratelimit"].startswith('"read";r=0;t=')
    # Another member is not held back by the flood; nor are the health checks.
    r = await limited.get("/v1/me", headers={"Authorization": f"Bearer {api.token(quiet)}"})
    assert r.status_code == 200, r.text
    assert (await limited.get("/readyz")).status_code == 200


async def test_expensive_requests_have_their_own_smaller_quota(
    api: Api, limited: AsyncClient
) -> None:
    member = await _member_of_its_own(api)
    headers = {"Authorization": f"Bearer {api.token(member)}"}
    many = ",".join(str(n) for n in range(1, 31))
    codes = [
        (await limited.get(f"/v1/relationships?ids={many}", headers=headers)).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    r = await limited.get("/v1/me/export", headers=headers)
    problem(r, 429, "rate_limited")
    assert r.headers["ratelimit-policy"] == '"expensive";q=3;w=60'
    r = await limited.get("/v1/relationships?ids=1,2", headers=headers)  # a cheap read
    assert r.status_code == 200


async def test_a_refusal_is_held_back_and_an_answer_is_not(api: Api, limited: AsyncClient) -> None:
    """A caller that keeps sending past its quota gets one answer per connection per delay
    (0.2 s here): five refusals in a row on one connection take a second."""
    flooder = await _member_of_its_own(api)
    headers = {"Authorization": f"Bearer {api.token(flooder)}"}
    for _ in range(20):
        assert (await limited.get("/v1/me", headers=headers)).status_code == 200
    started = time.monotonic()
    for _ in range(5):
        problem(await limited.get("/v1/me", headers=headers), 429, "rate_limited")
    refused = time.monotonic() - started
    assert refused >= 5 * 0.2, refused


def test_cost_classes() -> None:
    assert cost_class("GET", "/v1/me", b"") == "read"
    assert cost_class("POST", "/v1/invitations", b"") == "write"
    assert cost_class("GET", "/v1/me/export", b"format=csv") == "expensive"
    assert cost_class("POST", "/v1/invitations/received/decline", b"") == "expensive"
    assert cost_class("GET", "/v1/relationships", b"ids=1,2,3") == "read"
    ids = ",".join(map(str, range(21))).encode()
    assert cost_class("GET", "/v1/relationships", b"ids=" + ids) == "expensive"
    assert cost_class("GET", "/healthz", b"") is None
    assert cost_class("GET", "/readyz", b"") is None


@pytest.fixture
def two_limited_servers(database_url: str, app: object, tmp_path: Path) -> Iterator[list[str]]:
    env = serve_env(
        database_url,
        rate_limits_enabled="true",
        rate_limit_read="20/minute",
        redis_url=f"redis://{REDIS[0]}:{REDIS[1]}/0",
    )
    with serving_two(env, tmp_path) as urls:
        yield urls


@needs_redis
async def test_two_processes_share_one_quota_through_redis(
    api: Api, two_limited_servers: list[str]
) -> None:
    member = await _member_of_its_own(api)
    headers = {"Authorization": f"Bearer {api.token(member)}"}
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in two_limited_servers]
    await clear_of_a_window_edge()
    try:
        results = await asyncio.gather(
            *(clients[n % 2].get("/v1/me", headers=headers) for n in range(50))
        )
    finally:
        for c in clients:
            await c.aclose()
    assert Counter(r.status_code for r in results) == {200: 20, 429: 30}


async def test_a_token_is_decoded_once_per_request(
    api: Api, limited: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = await _member_of_its_own(api)
    tokens = limited._transport.app.state.ctx.tokens  # type: ignore[attr-defined]
    decoded = []
    real = tokens.decode
    monkeypatch.setattr(tokens, "decode", lambda token: decoded.append(token) or real(token))
    r = await limited.get("/v1/me", headers={"Authorization": f"Bearer {api.token(member)}"})
    assert r.status_code == 200, r.text
    assert len(decoded) == 1


@contextlib.contextmanager
def one_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """One `serve` process on a free port of 127.0.0.1; its URL once it is ready."""
    port = _free_port()
    proc = _serve(env, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


ANONYMOUS_QUOTA = 10


def _anonymous_env(database_url: str, **settings: str) -> dict[str, str]:
    return serve_env(
        database_url,
        rate_limits_enabled="true",
        rate_limit_anonymous=f"{ANONYMOUS_QUOTA}/minute",
        rate_limit_refusal_delay_seconds="0",
        demo="true",
        **settings,
    )


async def _statuses(url: str, forwarded_for: list[str | None]) -> Counter[int]:
    """`GET /v1/me` without a token, once with each ``X-Forwarded-For`` (``None``: none)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        answers = [
            await http.get("/v1/me", headers={} if xff is None else {"X-Forwarded-For": xff})
            for xff in forwarded_for
        ]
    return Counter(r.status_code for r in answers)


async def _demo_from(url: str) -> tuple[int, int]:
    """`/demo` from this machine: without and with a forwarding header."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        direct = await http.get("/demo")
        forwarded = await http.get("/demo", headers={"X-Forwarded-For": "127.0.0.1"})
    return direct.status_code, forwarded.status_code


async def test_forwarded_for_is_not_believed_unless_its_proxy_is_named(
    database_url: str, app: object, tmp_path: Path
) -> None:
    """By default the anonymous quota is the peer's: a client on this machine (or any client
    of a proxy nobody named) cannot pick the address it is counted by."""
    rotating = [f"203.0.113.{n}" for n in range(1, 41)]
    with one_server(_anonymous_env(database_url), tmp_path / "default.log") as url:
        await clear_of_a_window_edge()
        # The demo still sees the header, and still refuses a forwarded request (two requests
        # of the peer's quota).
        assert await _demo_from(url) == (200, 404)
        assert await _statuses(url, list(rotating)) == {
            401: ANONYMOUS_QUOTA - 2,
            429: 40 - ANONYMOUS_QUOTA + 2,
        }


async def test_a_named_proxy_gives_the_client_address(
    database_url: str, app: object, tmp_path: Path
) -> None:
    env = _anonymous_env(database_url, trusted_proxies="10.9.8.0/24, 127.0.0.1")
    with one_server(env, tmp_path / "trusted.log") as url:
        await clear_of_a_window_edge()
        # The client address is the forwarded one now: the demo is not for it either way.
        assert await _demo_from(url) == (200, 404)
        # Each forwarded address has a quota of its own...
        rotating: list[str | None] = [f"203.0.113.{n}" for n in range(1, 41)]
        assert await _statuses(url, rotating) == {401: 40}
        # ...which is counted: one address past it is refused, and the proxy's own requests
        # (no header) are counted apart.
        assert await _statuses(url, ["198.51.100.7"] * (ANONYMOUS_QUOTA + 3)) == {
            401: ANONYMOUS_QUOTA,
            429: 3,
        }
        assert await _statuses(url, [None] * 3) == {401: 3}


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8 ::1").trusted_proxies == [
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
    ]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies="proxy.internal")
