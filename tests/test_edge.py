"""The edges of the service under abuse: request ids on every answer and log line, over-long
request lines and headers, the statement timeout, the per-caller export cap, and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text

from connect_api.app import create_app
from connect_api.events import repository as events_repository
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.database import Database, ReadPoolExhausted, make_engine, make_read_pool
from connect_api.kit.http_server import limited_protocol
from connect_api.kit.logs import RequestIdFilter
from connect_api.kit.readings import FRESH_SECONDS
from tests.helpers import Api, export_scope, problem, serve_env
from tests.test_processes import _free_port, _serve, _wait_ready

log = logging.getLogger("connect_api.test")
FRESH_ID = re.compile(r"[0-9a-f]{32}")


@contextlib.asynccontextmanager
async def own_app(
    settings: Settings, clock: ManualClock, **update: Any
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """An app of its own on the test database, with these settings changed."""
    application = create_app(settings.model_copy(update=update), clock=clock, migrate=False)

    async def boom() -> None:
        log.warning("about to fail")
        raise RuntimeError("a bug")

    async def busy() -> None:
        raise ReadPoolExhausted("no connection")

    application.add_api_route("/boom", boom)
    application.add_api_route("/busy", busy)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(
            transport=ASGITransport(app=application, raise_app_exceptions=False),
            base_url="http://testserver",
            timeout=60,
        ) as client,
    ):
        yield application, client


@pytest.fixture
async def edged(
    settings: Settings, clock: ManualClock, app: FastAPI
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    async with own_app(
        settings,
        clock,
        rate_limits_enabled=True,
        rate_limit_anonymous="2/minute",
        max_body_bytes=1_024,
        max_url_bytes=2_048,
    ) as pair:
        yield pair


async def test_every_answer_carries_a_request_id(
    api: Api, edged: tuple[FastAPI, AsyncClient]
) -> None:
    _, client = edged
    member = await api.member()
    auth = {"Authorization": f"Bearer {api.token(member)}"}
    answers: dict[str, Any] = {
        "200": await client.get("/v1/me", headers=auth),
        "404": await client.get("/v1/nowhere", headers=auth),
        "405": await client.delete("/v1/me", headers=auth),
        "413": await client.post("/v1/invitations", content=b"x" * 2_000, headers=auth),
        "414": await client.get("/v1/relationships?ids=" + "1," * 1_100, headers=auth),
        "500": await client.get("/boom", headers=auth),
        "503": await client.get("/busy", headers=auth),
    }
    await client.get("/v1/me")
    await client.get("/v1/me")
    answers["429"] = await client.get("/v1/me")  # the third anonymous request this minute
    codes = {
        "404": "not_found",
        "405": "method_not_allowed",
        "413": "payload_too_large",
        "414": "uri_too_long",
        "429": "rate_limited",
        "500": "internal_error",
        "503": "service_unavailable",
    }
    seen = set()
    for status, r in answers.items():
        rid = r.headers.get("x-request-id")  # before: no such header
        assert rid is not None and FRESH_ID.fullmatch(rid), (status, r.headers)
        seen.add(rid)
        if status != "200":
            body = problem(r, int(status), codes[status])
            assert body["request_id"] == rid, body
    assert len(seen) == len(answers)  # one id per request


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req-1234.abc:def", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("two words", False),
        ('quote"d', False),
        ("", False),
        ("naïve", False),
    ],
)
async def test_a_client_request_id_is_kept_only_when_safe(
    edged: tuple[FastAPI, AsyncClient], given: str, kept: bool
) -> None:
    _, client = edged
    r = await client.get("/v1/nowhere", headers={"X-Request-ID": given.encode("utf-8")})
    body = problem(r, 404, "not_found")
    rid = r.headers["x-request-id"]
    assert body["request_id"] == rid
    if kept:
        assert rid == given
    else:
        assert rid != given and FRESH_ID.fullmatch(rid)


async def test_log_lines_during_a_request_carry_its_id(
    edged: tuple[FastAPI, AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    _, client = edged
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    try:
        r = await client.get("/boom", headers={"X-Request-ID": "trace-42"})
        problem(r, 500, "internal_error")
        log.info("outside any request")
    finally:
        caplog.handler.removeFilter(caplog.handler.filters[-1])
    ours = [rec for rec in caplog.records if rec.name.startswith("connect_api")]
    during = [rec for rec in ours if rec.getMessage() != "outside any request"]
    assert {rec.getMessage() for rec in during} >= {"about to fail", "unhandled error on GET /boom"}
    assert {getattr(rec, "request_id", None) for rec in during} == {"trace-42"}
    outside = [rec for rec in ours if rec.getMessage() == "outside any request"]
    assert [getattr(rec, "request_id", None) for rec in outside] == ["-"]


async def test_browsers_may_send_and_read_the_request_id() -> None:
    origin = "https://app.example.com"
    app = create_app(Settings(database_url="postgresql://unused/db", cors_origins=[origin]))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        r = await client.options(
            "/v1/me",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization, X-Request-ID",
            },
        )
        assert r.status_code == 200, r.text  # before: 400, the header not allowed
        assert FRESH_ID.fullmatch(r.headers["x-request-id"])
        r = await client.get("/healthz", headers={"Origin": origin, "X-Request-ID": "b-1"})
        assert r.headers["x-request-id"] == "b-1"
        assert "X-Request-ID" in r.headers["access-control-expose-headers"]


# Over-long request lines and headers, at the HTTP protocol.


@contextlib.asynccontextmanager
async def listening(application: FastAPI, **config: Any) -> AsyncIterator[int]:
    """``application`` served by uvicorn on a free port, as `serve` runs it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **config
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def exchange(port: int, *parts: bytes, pause: float = 0) -> tuple[int, dict[str, str], bytes]:
    """Send ``parts`` (pausing between them) on a fresh connection; the response read until
    the server closes it or has sent its body. Parts the server no longer takes are dropped."""

    def run() -> tuple[int, dict[str, str], bytes]:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for part in parts:
                try:
                    sock.sendall(part)
                except OSError:
                    break
                time.sleep(pause)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65_536)
                assert chunk, data
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)
            }
            while len(body) < int(headers["content-length"]):
                chunk = sock.recv(65_536)
                assert chunk, body
                body += chunk
            return int(status_line.split()[1]), headers, body

    return await asyncio.to_thread(run)


def assert_problem(answer: tuple[int, dict[str, str], bytes], status: int, code: str) -> None:
    got, headers, body = answer
    assert got == status, (got, headers, body[:200])
    assert headers["content-type"] == "application/problem+json", headers
    assert headers["connection"] == "close"
    doc = json.loads(body)
    assert doc["code"] == code and doc["status"] == status, doc
    assert doc["request_id"] == headers["x-request-id"] and FRESH_ID.fullmatch(doc["request_id"])


def request(target: str = "/healthz", headers: bytes = b"") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: x\r\n".encode() + headers + b"\r\n"


@pytest.fixture
async def served(edged: tuple[FastAPI, AsyncClient]) -> AsyncIterator[int]:
    """The app of ``edged`` (URL limit 2,048 bytes) behind the protocol `serve` uses."""
    application, _ = edged
    async with listening(application, http=limited_protocol(2_048, 8_192)) as port:
        yield port


async def test_an_over_long_request_line_is_414_problem_json(served: int) -> None:
    target = "/healthz?" + "a" * 2_039  # 2,048 bytes: the limit
    status, _, _ = await exchange(served, request(target))
    assert status == 200
    # Before: uvicorn's plain-text "400 Invalid HTTP request received." past 64 KiB, and
    # no limit below.
    assert_problem(await exchange(served, request(target + "a")), 414, "uri_too_long")
    assert_problem(await exchange(served, request("/" + "a" * 100_000)), 414, "uri_too_long")
    # In pieces, and the request never finished: refused as soon as the limit is passed.
    line = b"GET /" + b"a" * 1_000
    assert_problem(
        await exchange(served, line, b"a" * 1_000, b"a" * 1_000, b"a" * 1_000, pause=0.05),
        414,
        "uri_too_long",
    )


async def test_an_unreadable_request_is_a_400_problem_document(served: int) -> None:
    # Before: uvicorn's plain-text "Invalid HTTP request received."
    for garbage in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"):
        assert_problem(await exchange(served, garbage), 400, "bad_request")


async def test_the_asgi_check_holds_the_same_url_limit(edged: tuple[FastAPI, AsyncClient]) -> None:
    """Behind a server whose own limit is larger (here uvicorn's h11), the app refuses the
    same targets."""
    application, client = edged
    target = "/healthz?" + "a" * 2_039
    assert (await client.get(target)).status_code == 200
    problem(await client.get(target + "a"), 414, "uri_too_long")
    async with listening(application, http="h11", h11_max_incomplete_event_size=100_000) as port:
        assert (await exchange(port, request(target)))[0] == 200
        status, headers, body = await exchange(port, request(target + "a"))
        assert status == 414 and json.loads(body)["request_id"] == headers["x-request-id"]


async def test_over_large_headers_are_431_problem_json(served: int) -> None:
    code = "request_header_fields_too_large"
    fits = b"".join(b"X-H%03d: %s\r\n" % (i, b"v" * 70) for i in range(100))  # 8,000 bytes
    status, _, _ = await exchange(served, request(headers=fits))
    assert status == 200
    # In pieces, with the parser in the middle of one header: still fine.
    whole = request(headers=fits)
    assert (await exchange(served, whole[:3_000], whole[3_000:], pause=0.05))[0] == 200
    # Before: any amount of headers was read and kept.
    assert_problem(
        await exchange(served, request(headers=fits + b"X-More: 1" * 30 + b"\r\n")), 431, code
    )
    one = b"Authorization: Bearer " + b"a" * 9_000 + b"\r\n"
    assert_problem(await exchange(served, request(headers=one)), 431, code)
    # One header that never ends, sent in reads: refused soon, not held to the end.
    start = b"GET / HTTP/1.1\r\nHost: x\r\nX-Endless: "
    pieces = [start, *([b"a" * 4_096] * 200)]
    assert_problem(await exchange(served, *pieces, pause=0.005), 431, code)


# The statement timeout.


@pytest.mark.parametrize(
    ("pool", "lock"),
    [
        ("transactions", "SELECT 1 FROM members WHERE id = :a FOR UPDATE"),
        ("hot reads", "LOCK TABLE members IN ACCESS EXCLUSIVE MODE"),
    ],
)
async def test_a_statement_past_the_timeout_is_503(
    api: Api, settings: Settings, clock: ManualClock, pool: str, lock: str
) -> None:
    """Another transaction holds a lock the request needs for longer than the statement
    timeout: the request is cancelled and answered 503, instead of waiting as long as the lock
    is held (here 4 s)."""
    a, b = await api.members(2)
    async with own_app(settings, clock, db_statement_timeout_ms=300) as (application, client):
        auth = {"Authorization": f"Bearer {api.token(a)}"}
        async with application.state.ctx.db.engine.connect() as holder:
            await holder.execute(text("SET statement_timeout = 0"))
            await holder.execute(text(lock), {"a": a})
            started = time.monotonic()
            request = (
                client.post("/v1/invitations", json={"invitee_id": b}, headers=auth)
                if pool == "transactions"
                else client.get("/v1/me", headers=auth)
            )
            answer = asyncio.ensure_future(request)
            done, _ = await asyncio.wait({answer}, timeout=4)
            await holder.rollback()
        r = await answer
        elapsed = time.monotonic() - started
        assert done, "the request waited for the lock"
        body = problem(r, 503, "service_unavailable")
        assert r.headers["retry-after"] == "1" and "longer than" in body["detail"]
        assert elapsed < 3
        r = await client.get("/v1/me", headers=auth)  # the pools are fine afterwards
        assert r.status_code == 200, r.text


# The per-caller cap on concurrent exports.


def stalled_export(application: FastAPI, token: str) -> asyncio.Task[None]:
    """An export download whose client takes the response's start and then stops reading."""
    reading = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client never says anything more
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            reading.set()
            await asyncio.Event().wait()  # and never takes the bytes

    scope = export_scope(token)
    task = asyncio.ensure_future(application(scope, receive, send))
    task.reading = reading  # type: ignore[attr-defined]
    return task


async def test_a_third_concurrent_export_is_429_until_one_ends(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    async with own_app(settings, clock, send_timeout_seconds=60) as (application, client):
        auth = {"Authorization": f"Bearer {api.token(a)}"}
        for _ in range(3):  # finished downloads give their place back
            assert (await client.get("/v1/me/export", headers=auth)).status_code == 200
        stalled = [stalled_export(application, api.token(a)) for _ in range(2)]
        try:
            for task in stalled:
                await asyncio.wait_for(task.reading.wait(), 30)  # type: ignore[attr-defined]
            r = await client.get("/v1/me/export", headers=auth)
            body = problem(r, 429, "too_many_exports")  # before: 200, a third connection held
            assert r.headers["retry-after"] == "1" and body["limit"] == 2
            other = {"Authorization": f"Bearer {api.token(b)}"}
            assert (await client.get("/v1/me/export", headers=other)).status_code == 200
            stalled[0].cancel()  # that client is cut off
            with contextlib.suppress(asyncio.CancelledError):
                await stalled[0]
            r = await client.get("/v1/me/export?kind=connections", headers=auth)
            assert r.status_code == 200, r.text
        finally:
            for task in stalled:
                task.cancel()
            await asyncio.gather(*stalled, return_exceptions=True)
        assert application.state.export_slots.running == {}


# /metrics: the pools, the webhook outbox, and the token.


def scrape(text_: str) -> dict[str, float]:
    """Samples by ``name{labels}``."""
    out = {}
    for family in text_string_to_metric_families(text_):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            out[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return out


async def test_metrics_show_the_pools_in_use(edged: tuple[FastAPI, AsyncClient]) -> None:
    application, client = edged
    db = application.state.ctx.db
    async with db.engine.connect() as conn, db.reads.acquire():
        await conn.execute(text("SELECT 1"))
        r = await client.get("/metrics")
        assert r.status_code == 200
        samples = scrape(r.text)
    assert samples['connect_api_db_pool_checked_out{pool="transactions"}'] == 1  # before: absent
    assert samples['connect_api_db_pool_checked_out{pool="reads"}'] == 1
    assert samples['connect_api_db_pool_max{pool="transactions"}'] == 40  # the tests' 20 + 20
    assert samples['connect_api_db_pool_max{pool="reads"}'] == 10
    assert samples['connect_api_db_pool_open{pool="transactions"}'] >= 1
    samples = scrape((await client.get("/metrics")).text)
    assert samples['connect_api_db_pool_checked_out{pool="transactions"}'] == 0
    assert samples['connect_api_db_pool_checked_out{pool="reads"}'] == 0


async def test_metrics_show_the_webhook_outbox_lag(
    api: Api, edged: tuple[FastAPI, AsyncClient], receiver: tuple[object, str]
) -> None:
    _, client = edged  # the tests' apps dispatch no webhooks: deliveries stay pending
    samples = scrape((await client.get("/metrics")).text)
    assert samples["connect_api_webhook_deliveries_pending"] == 0
    assert samples["connect_api_webhook_outbox_lag_seconds"] == 0
    r = await api.admin.post("/v1/webhooks", json={"url": receiver[1]})
    assert r.status_code == 201, r.text
    a, b = await api.members(2)
    await api.invited(a, b)
    assert await api.ctx.db.run(events_repository.publish, api.clock.now()) == 1  # queued
    api.clock.advance(seconds=90)
    await asyncio.sleep(FRESH_SECONDS)  # the outbox is read at most once a second
    samples = scrape((await client.get("/metrics")).text)
    assert samples["connect_api_webhook_deliveries_pending"] == 1
    assert samples["connect_api_webhook_deliveries_due"] == 1
    assert 90 <= samples["connect_api_webhook_outbox_lag_seconds"] < 100


@contextlib.asynccontextmanager
async def _database_out_of_reach(application: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The app's database swapped for one on a port nothing listens on, then put back."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    ctx = application.state.ctx
    good = ctx.db
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x"
    ctx.db = Database(make_engine(nowhere, settings), await make_read_pool(nowhere, settings))
    try:
        yield
    finally:
        await ctx.db.dispose()
        ctx.db = good


async def test_metrics_answer_while_the_database_is_down(
    edged: tuple[FastAPI, AsyncClient], settings: Settings
) -> None:
    application, client = edged
    async with _database_out_of_reach(application, settings):
        r = await client.get("/metrics")
        assert r.status_code == 200, r.text
        samples = scrape(r.text)
        assert math.isnan(samples["connect_api_webhook_outbox_lag_seconds"])
        assert samples['connect_api_db_pool_checked_out{pool="reads"}'] == 0


async def test_metrics_can_need_a_token(
    settings: Settings, clock: ManualClock, app: FastAPI, edged: tuple[FastAPI, AsyncClient]
) -> None:
    _, open_client = edged
    assert (await open_client.get("/metrics")).status_code == 200  # unset: open, as before
    async with own_app(settings, clock, metrics_token=SecretStr("s3cret-token")) as (_, client):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
            r = await client.get("/metrics", headers=headers)
            body = problem(r, 401, "unauthorized")  # before: 200 for anyone
            assert body["request_id"] == r.headers["x-request-id"]
            assert r.headers["www-authenticate"] == 'Bearer realm="metrics"'
        r = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert r.status_code == 200 and "http_requests_total" in r.text


# `serve` itself: its protocol and its JSON logs.


def test_serve_logs_json_lines_with_request_ids(
    database_url: str, app: FastAPI, tmp_path: Path
) -> None:
    env = serve_env(database_url, log_level="info", log_format="json")
    port = _free_port()
    logfile = tmp_path / "serve.log"
    proc = _serve(env, port, logfile)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc)
        r = httpx.get(f"http://127.0.0.1:{port}/v1/nowhere", headers={"X-Request-ID": "trace-7"})
        assert r.status_code == 404 and r.json()["request_id"] == "trace-7"
        too_long = asyncio.run(exchange(port, request("/" + "a" * 9_000)))
        assert_problem(too_long, 414, "uri_too_long")
        big = b"X-Big: " + b"a" * 17_000 + b"\r\n"
        too_big = asyncio.run(exchange(port, request(headers=big)))
        assert_problem(too_big, 431, "request_header_fields_too_large")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lines = [json.loads(line) for line in logfile.read_text().splitlines() if line.startswith("{")]
    assert lines, logfile.read_text()
    assert all({"time", "level", "logger", "message", "request_id"} <= ln.keys() for ln in lines)
    assert all(datetime.fromisoformat(ln["time"]).utcoffset() == timedelta(0) for ln in lines)
    assert not [ln for ln in lines if "color_message" in ln]  # no terminal escapes
    access = [ln for ln in lines if ln["logger"] == "uvicorn.access"]
    assert {"request_id": "trace-7", "path": "/v1/nowhere", "status": 404}.items() <= next(
        ln for ln in access if ln["request_id"] == "trace-7"
    ).items()
    refused = {
        ln["message"].split()[0]: ln["request_id"] for ln in lines if " from (" in ln["message"]
    }
    assert refused == {
        "uri_too_long": too_long[1]["x-request-id"],
        "request_header_fields_too_large": too_big[1]["x-request-id"],
    }


def test_a_library_warning_is_a_json_line_too() -> None:
    """asyncpg's pool logs a warning with its traceback each time it fails to reconnect (the
    database away): that too is one JSON object, not bare lines between the service's."""
    code = (
        "import logging, logging.config\n"
        "from connect_api.kit.logs import log_config\n"
        "logging.config.dictConfig(log_config('info', 'json'))\n"
        "try:\n"
        "    raise ConnectionRefusedError(111, 'Connection refused')\n"
        "except OSError:\n"
        "    logging.getLogger('asyncpg.pool').warning('Failed to reconnect', exc_info=True)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    line = json.loads(lines[0])
    assert line["logger"] == "asyncpg.pool" and line["level"] == "WARNING"
    assert "ConnectionRefusedError" in line["exc_info"]


async def test_a_slow_export_download_is_not_cut_by_the_statement_timeout(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """The timeout is per statement: an export read from server-side cursors, whose client
    takes its time, outlives it many times over."""
    a = await api.member()
    await api.sql(
        """WITH others AS (
               INSERT INTO members (handle, display_name, created_at)
               SELECT 'bulk' || n, 'Bulk ' || n, now() FROM generate_series(1, 2500) n
               RETURNING id, display_name)
           INSERT INTO connections (member_id, other_id, created_at, other_name_key)
           SELECT :a, id, now(), lower(display_name) FROM others""",
        a=a,
    )
    async with own_app(settings, clock, db_statement_timeout_ms=200, send_timeout_seconds=60) as (
        application,
        _,
    ):
        body: list[bytes] = []
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message.get("body"):
                body.append(message["body"])
                await asyncio.sleep(0.25)  # a slow reader

        scope = export_scope(api.token(a), b"kind=connections")
        started = time.monotonic()
        await asyncio.wait_for(application(scope, receive, send), 60)
        assert status == [200]
        assert time.monotonic() - started > 0.6  # several times the statement timeout
        assert b"".join(body).count(b"\n") == 2501  # the header line and every connection


# Refusals in /metrics, and probes that cost the database nothing more.


def refusal_counts(text_: str) -> dict[tuple[str, str], float]:
    """``connect_api_refusals_total`` by (status, code)."""
    return {
        (sample.labels["status"], sample.labels["code"]): sample.value
        for family in text_string_to_metric_families(text_)
        if family.name == "connect_api_refusals"
        for sample in family.samples
        if sample.name == "connect_api_refusals_total"
    }


async def test_every_problem_answer_is_counted_by_status_and_code(
    api: Api, settings: Settings, clock: ManualClock, app: FastAPI
) -> None:
    """The rate limiter's 429s and the edge's 413/414/431/400 are counted beside the routes'
    refusals (before: only those raised inside a route were, so 429 never showed)."""
    from tests.test_ratelimits import clear_of_a_window_edge

    member = await api.member()
    token = {"Authorization": f"Bearer {api.token(member)}"}
    async with own_app(
        settings,
        clock,
        rate_limits_enabled=True,
        rate_limit_anonymous="6/minute",
        rate_limit_refusal_delay_seconds=0,
        max_body_bytes=1_024,
        max_url_bytes=2_048,
    ) as (application, client):
        await clear_of_a_window_edge()
        answers = [await client.get("/v1/me") for _ in range(16)]
        assert [r.status_code for r in answers] == [401] * 6 + [429] * 10
        problem(
            await client.post("/v1/invitations", content=b"x" * 2_000, headers=token),
            413,
            "payload_too_large",
        )
        problem(await client.get("/v1/me?" + "a" * 3_000, headers=token), 414, "uri_too_long")
        problem(await client.get("/boom", headers=token), 500, "internal_error")
        problem(await client.get("/busy", headers=token), 503, "service_unavailable")
        problem(await client.get("/v1/members/999999999", headers=token), 404, "not_found")
        problem(await client.get("/v1/members/0", headers=token), 422, "validation_error")
        async with listening(application, http=limited_protocol(2_048, 8_192)) as port:
            assert_problem(await exchange(port, request("/" + "a" * 3_000)), 414, "uri_too_long")
            big = b"X-Big: " + b"b" * 9_000 + b"\r\n"
            assert_problem(
                await exchange(port, request(headers=big)), 431, "request_header_fields_too_large"
            )
            assert_problem(await exchange(port, b"NOT HTTP\r\n\r\n"), 400, "bad_request")
        counted = refusal_counts((await client.get("/metrics")).text)
    assert counted[("401", "unauthorized")] == 6
    assert counted[("429", "rate_limited")] == 10  # before: absent
    for status, code in (
        ("413", "payload_too_large"),
        ("500", "internal_error"),
        ("503", "service_unavailable"),
        ("404", "not_found"),
        ("422", "validation_error"),
        ("431", "request_header_fields_too_large"),
        ("400", "bad_request"),
    ):
        assert counted[(status, code)] == 1, (status, code, counted)
    assert counted[("414", "uri_too_long")] == 2  # the ASGI check's and the protocol's


class CountingPool:
    """A pool that counts the connections taken from it (and so the statements run)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.taken = 0

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        self.taken += 1
        return self.pool.acquire(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)


@contextlib.contextmanager
def statements_counted(application: FastAPI) -> Any:
    """Every statement the app's engine runs, and every connection taken from its read pool,
    counted while the block runs: a list holding the two counts at the end."""
    from sqlalchemy import event

    db = application.state.ctx.db
    engine_statements = [0]

    def count(*_: Any) -> None:
        engine_statements[0] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    counting = CountingPool(db.reads)
    db.reads = counting
    result: list[int] = []
    try:
        yield result
    finally:
        db.reads = counting.pool
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        result += [engine_statements[0], counting.taken]


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_a_flood_of_probes_costs_the_database_one_reading_a_second(
    settings: Settings, clock: ManualClock, app: FastAPI, path: str
) -> None:
    async with own_app(settings, clock, rate_limits_enabled=True) as (application, client):
        await asyncio.sleep(1.1)  # whatever the start-up read is stale
        with statements_counted(application) as one:
            assert (await client.get(path)).status_code == 200
        per_reading = sum(one)
        assert per_reading >= 1, one  # the probe does read the database
        await asyncio.sleep(1.1)
        started = time.monotonic()
        with statements_counted(application) as flood:
            answers = []
            for _ in range(5):
                answers += await asyncio.gather(*(client.get(path) for _ in range(100)))
        elapsed = time.monotonic() - started
    print(
        f"\n500 probes of {path} in {elapsed:.2f} s: {flood[0]} statements of the engine, "
        f"{flood[1]} connections taken from the read pool ({per_reading} for one probe)"
    )
    assert [r.status_code for r in answers] == [200] * 500
    if path == "/readyz":
        assert {r.json()["status"] for r in answers} == {"ok"}
    # One reading a second at most (before: one for each of the 500 probes).
    assert sum(flood) <= per_reading * (math.ceil(elapsed) + 1), (flood, per_reading, elapsed)


async def test_readiness_still_follows_the_database(
    edged: tuple[FastAPI, AsyncClient], settings: Settings
) -> None:
    """A reading is kept for a second, for the database it was taken from: another one (here
    unreachable) is read anew at once."""
    application, client = edged
    assert (await client.get("/readyz")).status_code == 200
    async with _database_out_of_reach(application, settings):
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["detail"] == "database unreachable"
    assert (await client.get("/readyz")).status_code == 200
