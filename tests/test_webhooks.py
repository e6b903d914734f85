"""Webhooks: registration (admin), signed delivery of committed events, retries, leases."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks import Webhook as Verifier

from connect_api.app import create_app
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.context import AppContext
from connect_api.webhooks.service import dispatch_once, next_delay, run_dispatcher
from tests.helpers import Api, Receiver, problem, receiving


@contextlib.contextmanager
def tuned(ctx: AppContext, **values: Any) -> Iterator[None]:
    """Settings of the shared app changed for one test."""
    before = {k: getattr(ctx.settings, k) for k in values}
    for k, v in values.items():
        setattr(ctx.settings, k, v)
    try:
        yield
    finally:
        for k, v in before.items():
            setattr(ctx.settings, k, v)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


async def _register(api: Api, url: str, **extra: Any) -> dict[str, Any]:
    r = await api.admin.post("/v1/webhooks", json={"url": url, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_registration_is_for_admins_and_validated(api: Api) -> None:
    member = await api.member()
    url = "https://hooks.example.com/x"
    problem(
        await api.as_(member).post("/v1/webhooks", json={"url": url}), 403, "insufficient_scope"
    )
    problem(await api.admin.post("/v1/webhooks", json={"url": "ftp://x"}), 422, "validation_error")
    problem(
        await api.admin.post("/v1/webhooks", json={"url": url, "event_types": ["nope"]}),
        422,
        "validation_error",
    )
    hook = await _register(api, url, event_types=["invitation.accepted"])
    assert hook["secret"].startswith("whsec_")
    listed = (await api.admin.get("/v1/webhooks")).json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    assert (await api.admin.delete(f"/v1/webhooks/{hook['id']}")).status_code == 204
    problem(await api.admin.delete(f"/v1/webhooks/{hook['id']}"), 404, "not_found")


async def test_committed_events_are_delivered_signed(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    hook = await _register(api, url)
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    problem(await api.invite(a, b), 409, "invitation_pending")  # rolled back: no event
    await api.as_(b).post(f"/v1/invitations/{inv}/accept")

    assert await dispatch_once(api.ctx, client) == 2
    assert [e["type"] for e in inbox.events()] == ["invitation.created", "invitation.accepted"]
    verifier = Verifier(hook["secret"])
    for headers, body in inbox.requests:
        verifier.verify(body, headers)  # raises on a bad signature
        assert headers["webhook-id"].startswith("evt_")
    assert inbox.events()[1]["data"]["invitation_id"] == inv
    assert await dispatch_once(api.ctx, client) == 0  # nothing delivered twice

    deliveries = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]


async def test_event_type_filter(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    await _register(api, url, event_types=["invitation.accepted"])
    a, b = await api.members(2)
    await api.connect(a, b)
    await dispatch_once(api.ctx, client)
    assert [e["type"] for e in inbox.events()] == ["invitation.accepted"]


async def test_failures_are_retried_on_the_schedule_then_given_up(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    with tuned(api.ctx, webhook_retry_schedule=[0, 5, 300], webhook_retry_jitter=0):
        hook = await _register(api, url)
        a, b = await api.members(2)
        await api.invited(a, b)
        inbox.answers = [500, 503]

        assert await dispatch_once(api.ctx, client) == 1  # attempt 1, at once: 500
        api.clock.advance(seconds=4)
        assert await dispatch_once(api.ctx, client) == 0  # not due yet
        api.clock.advance(seconds=1)
        assert await dispatch_once(api.ctx, client) == 1  # attempt 2, 5 s later: 503
        api.clock.advance(seconds=299)
        assert await dispatch_once(api.ctx, client) == 0
        api.clock.advance(seconds=1)
        assert await dispatch_once(api.ctx, client) == 1  # attempt 3, 5 min later: 200
        ids = {headers["webhook-id"] for headers, _ in inbox.requests}
        assert len(inbox.requests) == 3 and len(ids) == 1  # one id for every attempt
        [delivery] = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
        assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)

        # An endpoint that never answers 2xx: given up after the schedule's last attempt.
        await api.invited(b, await api.member())
        inbox.answers = [500] * 5
        for wait in (0, 5, 300):
            api.clock.advance(seconds=wait)
            assert await dispatch_once(api.ctx, client) == 1
        api.clock.advance(days=2)
        assert await dispatch_once(api.ctx, client) == 0
        failed = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"][0]
        assert (failed["status"], failed["attempts"], failed["last_status_code"]) == (
            "failed",
            3,
            500,
        )
        assert failed["next_attempt_at"] is None


def test_the_default_schedule_is_the_standard_webhooks_one_with_jitter(app_ctx: AppContext) -> None:
    standard = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert defaults.webhook_retry_schedule == standard
    assert defaults.webhook_retry_jitter == 0.1
    ctx = dataclasses.replace(app_ctx, settings=defaults)
    for attempt in range(1, 10):  # after failed attempt n, the delay of attempt n + 1
        delays = {next_delay(ctx, attempt, None) for _ in range(50)}
        wanted = standard[attempt]
        assert all(
            timedelta(seconds=wanted * 0.9) <= d <= timedelta(seconds=wanted * 1.1)
            for d in delays
            if d is not None
        ), (attempt, delays)
        assert len(delays) > 1  # spread, not one value
    assert next_delay(ctx, 10, None) is None  # ten attempts, then given up
    # A Retry-After later than the schedule wins, up to the longest one honoured.
    assert next_delay(ctx, 1, 3600.0) == timedelta(hours=1)
    assert next_delay(ctx, 1, 10 * 86400.0) == timedelta(days=1)


async def test_retry_after_is_honoured_on_429_502_503_504(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    hook = await _register(api, url)
    deliveries = f"/v1/webhooks/{hook['id']}/deliveries"
    with tuned(
        api.ctx,
        webhook_retry_schedule=[0, 5, 5, 5, 5, 5],
        webhook_retry_jitter=0,
        webhook_retry_after_max_seconds=7200,
    ):
        a, b = await api.members(2)
        await api.invited(a, b)
        api.clock.set(api.clock.now().replace(microsecond=0))  # HTTP-dates are in seconds
        # The second attempt comes 120 s from now; it is asked to wait an hour from then.
        in_an_hour = format_datetime(api.clock.now() + timedelta(seconds=3720), usegmt=True)
        inbox.answers = [
            (503, {"retry-after": "120"}),
            (429, {"retry-after": in_an_hour}),
            (502, {"retry-after": "999999"}),  # capped at the longest honoured
            (500, {"retry-after": "600"}),  # not a status that asks to wait: the schedule
            (504, {"retry-after": "soon"}),  # unreadable: the schedule
        ]
        expected = [120, 3600, 7200, 5, 5]
        for wait in expected:
            assert await dispatch_once(api.ctx, client) == 1
            [d] = (await api.admin.get(deliveries)).json()["items"]
            assert _at(d["next_attempt_at"]) - api.clock.now() == timedelta(seconds=wait), d
            api.clock.advance(seconds=wait - 1)
            assert await dispatch_once(api.ctx, client) == 0  # no earlier than asked
            api.clock.advance(seconds=1)
        assert await dispatch_once(api.ctx, client) == 1
        [d] = (await api.admin.get(deliveries)).json()["items"]
        assert (d["status"], d["attempts"]) == ("delivered", 6)


async def _disabled_events(api: Api) -> list[dict[str, Any]]:
    r = await api.admin.get("/v1/events", params={"all": "true", "limit": 100})
    return [e for e in r.json()["items"] if e["type"] == "webhook.disabled"]


async def test_an_endpoint_that_answers_410_is_disabled(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    hook = await _register(api, url)
    a, b, c = await api.members(3)
    await api.invited(a, b)
    await api.invited(a, c)
    inbox.answers = [410, 500]
    with tuned(api.ctx, webhook_endpoint_concurrency=1):
        assert await dispatch_once(api.ctx, client) == 1  # one at a time: the first says 410
    read = (await api.admin.get(f"/v1/webhooks/{hook['id']}")).json()
    assert (read["status"], read["disabled_reason"]) == ("disabled", "gone")
    assert read["disabled_at"] is not None
    items = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
    assert [(d["status"], d["last_status_code"], d["last_error"]) for d in items] == [
        ("failed", None, "endpoint disabled"),  # the other one, given up with it
        ("failed", 410, "HTTP 410"),
    ]
    [event] = await _disabled_events(api)
    assert event["data"] == {"webhook_id": hook["id"], "reason": "gone"}

    # Nothing more goes to it, nor is queued for it.
    await api.invited(b, c)
    api.clock.advance(days=1)
    assert await dispatch_once(api.ctx, client) == 0
    assert len(inbox.requests) == 1
    assert len((await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]) == 2

    # Enabled again by an admin: events from then on are delivered.
    r = await api.admin.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["disabled_reason"], r.json()["disabled_at"]) == (
        "enabled",
        None,
        None,
    )
    await api.invited(c, await api.member())
    assert await dispatch_once(api.ctx, client) == 1
    assert inbox.events()[-1]["type"] == "invitation.created"


async def test_an_endpoint_failing_for_five_days_is_disabled_with_an_event(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    hook = await _register(api, url)
    other_inbox_url = url  # a second webhook, subscribed to the disabled events, hears of it
    watcher = await _register(api, other_inbox_url, event_types=["webhook.disabled"])
    a = await api.member()
    start = api.clock.now()
    inbox.answers = [500] * 100

    async def fail_one_more() -> None:
        await api.invited(a, await api.member())
        assert await dispatch_once(api.ctx, client) >= 1

    await fail_one_more()
    read = (await api.admin.get(f"/v1/webhooks/{hook['id']}")).json()
    assert read["status"] == "enabled" and _at(read["failing_since"]) == start

    # A success in between starts the count again.
    api.clock.advance(days=3)
    inbox.answers = []
    await fail_one_more()
    assert (await api.admin.get(f"/v1/webhooks/{hook['id']}")).json()["failing_since"] is None

    inbox.answers = [500] * 100
    api.clock.advance(days=1)
    restart = api.clock.now()
    await fail_one_more()
    api.clock.advance(days=4, hours=23)
    await fail_one_more()
    read = (await api.admin.get(f"/v1/webhooks/{hook['id']}")).json()
    assert read["status"] == "enabled" and _at(read["failing_since"]) == restart
    assert await _disabled_events(api) == []

    api.clock.advance(hours=1)  # five days of nothing but failures
    await fail_one_more()
    read = (await api.admin.get(f"/v1/webhooks/{hook['id']}")).json()
    assert (read["status"], read["disabled_reason"]) == ("disabled", "failing")
    [event] = await _disabled_events(api)
    assert event["data"] == {"webhook_id": hook["id"], "reason": "failing"}
    pending = [
        d
        for d in (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
        if d["status"] == "pending"
    ]
    assert pending == []
    watched = (await api.admin.get(f"/v1/webhooks/{watcher['id']}/deliveries")).json()["items"]
    assert len(watched) == 1  # the watcher's delivery of `webhook.disabled` is queued


async def test_an_admin_disables_and_enables_a_webhook(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    hook = await _register(api, url, description="before")
    path = f"/v1/webhooks/{hook['id']}"
    member = await api.member()
    problem(await api.as_(member).patch(path, json={"enabled": False}), 403, "insufficient_scope")
    problem(await api.admin.patch("/v1/webhooks/999999", json={"enabled": False}), 404, "not_found")
    problem(await api.admin.patch(path, json={"url": "https://x.example"}), 422, "validation_error")
    problem(await api.admin.patch(path, json={"event_types": ["nope"]}), 422, "validation_error")
    for lax in ("true", 1, "false", 0):  # the schema says boolean: only true and false
        problem(await api.admin.patch(path, json={"enabled": lax}), 422, "validation_error")

    a, b = await api.members(2)
    await api.invited(a, b)
    inbox.answers = [500]
    await dispatch_once(api.ctx, client)
    r = await api.admin.patch(path, json={"enabled": False, "description": "paused"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["disabled_reason"], body["description"]) == (
        "disabled",
        "manual",
        "paused",
    )
    [d] = (await api.admin.get(f"{path}/deliveries")).json()["items"]
    assert d["status"] == "failed"
    api.clock.advance(days=1)
    assert await dispatch_once(api.ctx, client) == 0
    assert await _disabled_events(api) == []  # only the dispatcher's own disabling is an event

    r = await api.admin.patch(path, json={"enabled": True, "event_types": ["invitation.accepted"]})
    assert (r.json()["status"], r.json()["event_types"]) == ("enabled", ["invitation.accepted"])
    assert r.json()["failing_since"] is None
    listed = (await api.admin.get("/v1/webhooks")).json()["items"]
    assert listed[0]["status"] == "enabled"


async def test_unreachable_endpoint_is_an_error_not_a_crash(
    api: Api, client: httpx.AsyncClient
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/gone"
    hook = await _register(api, dead)
    a, b = await api.members(2)
    await api.invited(a, b)
    assert await dispatch_once(api.ctx, client) == 1
    [delivery] = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
    assert delivery["status"] == "pending" and delivery["last_error"] == "could not connect"
    assert delivery["last_status_code"] is None


async def test_the_delivery_log_records_only_the_kind_of_failure(api: Api) -> None:
    """Status codes, and otherwise a kind, never the socket's message (no errno, address or
    port) nor the answer's body: the log is no probe of the network."""
    async with receiving(delay=3) as (_, slow_url), receiving() as (answering, url):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused = f"http://127.0.0.1:{s.getsockname()[1]}/gone"
        hooks = [await _register(api, u) for u in (refused, slow_url, url)]
        answering.answers = [(500, {"x-internal": "db-7.corp:5432"})]
        a, b = await api.members(2)
        await api.invited(a, b)
        async with httpx.AsyncClient() as client:
            with tuned(api.ctx, webhook_timeout_seconds=1):
                assert await dispatch_once(api.ctx, client) == 3
        errors = []
        for hook in hooks:
            r = await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")
            [d] = r.json()["items"]
            errors.append((d["last_status_code"], d["last_error"]))
    assert errors == [(None, "could not connect"), (None, "timed out"), (500, "HTTP 500")]


async def _until(check: Any, seconds: float) -> float:
    """Wait until ``check()`` holds (or ``seconds`` pass); how long it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not check() and loop.time() - start < seconds:  # noqa: ASYNC110 - polls a receiver
        await asyncio.sleep(0.01)
    return loop.time() - start


async def test_a_slow_endpoint_does_not_hold_up_another(api: Api) -> None:
    """One endpoint answers only after the timeout; another's deliveries and retries go on
    meanwhile, each as soon as it is due."""
    async with receiving(delay=6) as (slow, slow_url), receiving() as (fast, fast_url):
        await _register(api, slow_url)
        await _register(api, fast_url)
        timeout = 4.0  # a dispatcher that waited for the slow endpoint would wait this long
        ctx = dataclasses.replace(
            api.ctx,
            settings=api.ctx.settings.model_copy(
                update={
                    "webhook_dispatch_seconds": 0.05,
                    "webhook_timeout_seconds": timeout,
                    "webhook_retry_schedule": [0, 0, 0],
                    "webhook_retry_jitter": 0,
                }
            ),
        )
        a, b, c = await api.members(3)
        fast.answers = [500]  # its first attempt fails, and is retried at once
        stop = asyncio.Event()
        dispatcher = asyncio.create_task(run_dispatcher(ctx, stop))
        try:
            await api.invited(a, b)
            took = await _until(lambda: len(fast.requests) == 2, timeout)
            assert len(fast.requests) == 2 and took < timeout - 1, took  # retried, not waiting
            await api.invited(a, c)  # while the slow endpoint still holds its first attempt
            took = await _until(lambda: len(fast.requests) == 3, timeout)
            assert len(fast.requests) == 3 and took < timeout - 1, took
            await _until(lambda: len(slow.requests) == 2, 1)
            assert len(slow.requests) == 2  # one attempt for each event, still unanswered
        finally:
            stop.set()
            await dispatcher
    assert [e["type"] for e in fast.events()] == ["invitation.created"] * 3


async def test_deliveries_go_out_while_requests_hold_every_connection(
    api: Api, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    """The dispatcher has a pool of its own: a process whose request pool is exhausted (every
    connection held by an open transaction) still delivers."""
    from sqlalchemy import text

    inbox, url = receiver
    await _register(api, url)
    own = settings.model_copy(
        update={
            "db_pool_size": 2,
            "db_max_overflow": 0,
            "db_pool_timeout": 0.5,
            "webhook_dispatch_seconds": 0.05,
            "expiry_sweep_seconds": 0.05,
            "db_background_pool_size": 1,
        }
    )
    app = create_app(own, clock=ManualClock(api.clock.now()), migrate=False)
    a, b = await api.members(2)
    async with app.router.lifespan_context(app):
        engine = app.state.ctx.db.engine
        held = [await engine.connect() for _ in range(2)]
        # The hot writes' pool too (the send below is one of them).
        writes = app.state.ctx.db.writes
        held_writes = [await writes.acquire() for _ in range(2)]
        try:
            for conn in held:
                await conn.begin()
                await conn.execute(text("SELECT 1"))
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as http:
                r = await http.post(
                    "/v1/invitations",
                    json={"invitee_id": b},
                    headers={"Authorization": f"Bearer {api.token(a)}"},
                )
            problem(r, 503, "service_unavailable")  # requests: no connection to be had
            await api.invited(a, b)  # (through the test app, on a pool of its own)
            await _until(lambda: bool(inbox.requests), 10)
            assert [e["type"] for e in inbox.events()] == ["invitation.created"]  # still held
        finally:
            for conn in held:
                await conn.close()
            for raw in held_writes:
                await writes.release(raw)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_webhook_outcomes_are_counted_in_the_metrics(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver

    async def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        r = await api.http.get("/metrics")
        assert r.status_code == 200
        return _samples(r.text)

    def attempts(outcome: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return ("connect_api_webhook_attempts_total", (("outcome", outcome),))

    gone = ("connect_api_webhook_endpoints_disabled_total", (("reason", "gone"),))
    before = await scrape()
    await _register(api, url)
    a = await api.member()
    with tuned(api.ctx, webhook_retry_schedule=[0, 5], webhook_retry_jitter=0):
        inbox.answers = [500, 200, 500, 500, 410]
        await api.invited(a, await api.member())
        await dispatch_once(api.ctx, client)  # 500: retrying
        api.clock.advance(seconds=5)
        await dispatch_once(api.ctx, client)  # 200: delivered
        await api.invited(a, await api.member())
        await dispatch_once(api.ctx, client)  # 500: retrying
        api.clock.advance(seconds=5)
        await dispatch_once(api.ctx, client)  # 500: given up
        await api.invited(a, await api.member())
        await dispatch_once(api.ctx, client)  # 410: given up, and the endpoint disabled
    after = await scrape()
    delta = {k: after[k] - before.get(k, 0) for k in after}
    assert delta[attempts("delivered")] == 1
    assert delta[attempts("retrying")] == 2
    assert delta[attempts("given_up")] == 2
    assert delta[gone] == 1
    assert after[("connect_api_webhook_attempts_in_flight", ())] == 0


async def test_concurrent_dispatchers_send_each_delivery_once(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    await _register(api, url)
    await _register(api, url)
    api.rules.invitations_per_hour = 100
    a = await api.member()
    for b in await api.members(30):
        await api.invited(a, b)
    counts = await asyncio.gather(*(dispatch_once(api.ctx, client) for _ in range(4)))
    while await dispatch_once(api.ctx, client):
        pass
    assert sum(counts) <= 60
    assert len(inbox.requests) == 60  # 30 events x 2 webhooks, each exactly once
    assert len({h["webhook-id"] for h, _ in inbox.requests}) == 30


async def test_deleting_a_webhook_stops_its_retries(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    hook = await _register(api, url)
    a, b = await api.members(2)
    await api.invited(a, b)
    inbox.answers = [500]
    await dispatch_once(api.ctx, client)
    await api.admin.delete(f"/v1/webhooks/{hook['id']}")
    api.clock.advance(hours=1)
    assert await dispatch_once(api.ctx, client) == 0
    assert len(inbox.requests) == 1


async def test_an_attempt_cut_short_is_retried_when_its_lease_ends(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    """A process that claimed a delivery and died before sending it."""
    from connect_api.events import repository as events
    from connect_api.webhooks import repository as webhooks
    from connect_api.webhooks.service import LEASE

    inbox, url = receiver
    await _register(api, url)
    a, b = await api.members(2)
    await api.invited(a, b)
    now = api.clock.now()
    await api.ctx.db.run(lambda s: events.publish(s, now))
    claimed = await api.ctx.db.run(webhooks.claim_due, now, now + LEASE, 10)
    assert len(claimed) == 1  # ...and then nothing: the process is gone
    assert await dispatch_once(api.ctx, client) == 0  # leased: nobody else takes it
    api.clock.advance(LEASE)
    assert await dispatch_once(api.ctx, client) == 1
    assert len(inbox.requests) == 1


# --- SSRF: webhook targets ----------------------------------------------------------------

UNSAFE_URLS = [
    "http://127.0.0.1/h",
    "http://localhost:8000/h",
    "http://LOCALHOST./h",
    "http://10.0.0.5/h",
    "http://172.16.1.1/h",
    "http://192.168.1.1/h",
    "http://100.64.0.1/h",  # shared address space
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/h",
    "http://224.0.0.1/h",
    "http://240.0.0.1/h",
    "http://[::1]/h",
    "http://[::]/h",
    "http://[fd00::1]/h",
    "http://[fe80::1]/h",
    "http://[::ffff:127.0.0.1]/h",
    "http://[::ffff:7f00:1]/h",
    "http://2130706433/h",
    "http://0x7f000001/h",
    "http://017700000001/h",
    "http://127.1/h",
    "http://%31%32%37.0.0.1/h",
    "http://\u2460\u2461\u2466.0.0.1/h",  # circled digits: ①②⑦.0.0.1
    "http://0/h",  # 0.0.0.0
    "http://0177.0.0.1/h",
    "http://0x7f.1/h",
    "http://2852039166/h",  # 169.254.169.254
    "http://0251.0376.0251.0376/h",  # 169.254.169.254
    "http://169.254.169.254./h",
    "http://[::ffff:169.254.169.254]/h",
    "http://[::127.0.0.1]/h",
    "http://[64:ff9b::7f00:1]/h",  # NAT64 of 127.0.0.1
    "http://[2002:7f00:1::]/h",  # 6to4 of 127.0.0.1
    "http://[fec0::1]/h",
    "http://[ff02::1]/h",
    "http://198.18.0.1/h",
    "http://255.255.255.255/h",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/h",  # fullwidth digits
    "http://127\u30020\u30020\u30021/h",  # ideographic full stops
    "http://metadata.google.internal/computeMetadata/v1/",
    "HTTP://127.0.0.1/h",
    "https://user:secret@hooks.example.com/h",
    "https://token@hooks.example.com/h",
    "http://hooks.example.com@127.0.0.1/h",
    "http://127.0.0.1:80@hooks.example.com/h",
]


@pytest.mark.parametrize("url", UNSAFE_URLS)
async def test_unsafe_webhook_urls_are_refused(api: Api, url: str) -> None:
    api.ctx.settings.webhook_allow_private_targets = False
    try:
        r = await api.admin.post("/v1/webhooks", json={"url": url})
    finally:
        api.ctx.settings.webhook_allow_private_targets = True
    problem(r, 422, "webhook_url_not_allowed")
    assert (await api.admin.get("/v1/webhooks")).json()["items"] == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "javascript:alert(1)", "//x.com"]
)
async def test_only_http_and_https_webhook_urls_are_accepted(api: Api, url: str) -> None:
    problem(await api.admin.post("/v1/webhooks", json={"url": url}), 422, "validation_error")


async def test_a_public_webhook_url_is_accepted(api: Api) -> None:
    api.ctx.settings.webhook_allow_private_targets = False
    try:
        r = await api.admin.post("/v1/webhooks", json={"url": "https://hooks.example.com/h"})
    finally:
        api.ctx.settings.webhook_allow_private_targets = True
    assert r.status_code == 201, r.text


async def test_a_name_that_resolves_to_loopback_at_send_time_is_not_delivered_to(
    api: Api, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    """Registered under a name (``hooks.test`` is not a local name by its spelling), resolved
    at delivery to 127.0.0.1, where a receiver listens: nothing is sent."""
    inbox, url = receiver
    port = httpx.URL(url).port
    hook = await _register(api, f"http://hooks.test:{port}/hooks")
    a, b = await api.members(2)
    await api.invited(a, b)
    api.ctx.settings.webhook_allow_private_targets = False
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def rebinding(host: object, *args: object, **kw: object) -> object:
        if host == "hooks.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return await real(host, *args, **kw)  # type: ignore[arg-type]

    loop.getaddrinfo = rebinding  # type: ignore[method-assign, assignment]
    try:
        assert await dispatch_once(api.ctx, client) == 1
    finally:
        loop.getaddrinfo = real  # type: ignore[method-assign]
        api.ctx.settings.webhook_allow_private_targets = True
    assert inbox.requests == []
    [delivery] = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
    assert delivery["status"] == "pending" and delivery["last_error"] == "address not allowed"
