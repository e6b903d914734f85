"""Webhooks: registration (admin), signed delivery of committed events, retries, leases."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from connect_api.webhooks.service import BACKOFF, dispatch_once
from tests.helpers import Api, Receiver, problem


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


async def test_failures_are_retried_with_backoff_then_given_up(
    api: Api, receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    inbox, url = receiver
    api.ctx.settings.webhook_max_attempts = 3
    try:
        hook = await _register(api, url)
        a, b = await api.members(2)
        await api.invited(a, b)
        inbox.answers = [500, 503]

        assert await dispatch_once(api.ctx, client) == 1  # attempt 1: 500
        api.clock.advance(BACKOFF[0] - timedelta(seconds=1))
        assert await dispatch_once(api.ctx, client) == 0  # not due yet
        api.clock.advance(seconds=1)
        assert await dispatch_once(api.ctx, client) == 1  # attempt 2: 503
        api.clock.advance(BACKOFF[1])
        assert await dispatch_once(api.ctx, client) == 1  # attempt 3: 200
        ids = {headers["webhook-id"] for headers, _ in inbox.requests}
        assert len(inbox.requests) == 3 and len(ids) == 1  # one id for every attempt
        [delivery] = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
        assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)

        # An endpoint that never answers 2xx: given up after the last attempt.
        await api.invited(b, await api.member())
        inbox.answers = [500] * 5
        for wait in (timedelta(0), BACKOFF[0], BACKOFF[1]):
            api.clock.advance(wait)
            assert await dispatch_once(api.ctx, client) == 1
        api.clock.advance(BACKOFF[2])
        assert await dispatch_once(api.ctx, client) == 0
        failed = (await api.admin.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["items"][0]
        assert (failed["status"], failed["attempts"], failed["last_status_code"]) == (
            "failed",
            3,
            500,
        )
    finally:
        api.ctx.settings.webhook_max_attempts = 8


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
    api.clock.advance(BACKOFF[0])
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
    "https://user:secret@hooks.example.com/h",
    "https://token@hooks.example.com/h",
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
