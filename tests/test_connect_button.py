"""The reference Connect button (`/static/connect-button.js`) and the demo page (`/demo`), in a
real headless Chromium (Debian's, driven by Playwright), against the service on a real port.

Screenshots of each state land in tests/artifacts/connect-button/ (ignored by git); those of the
docs (the invitee's page at 390 and 1280 px, in English and French) in pytest's tmp_path, and in
$CONNECT_API_SCREENSHOTS_DIR too when it is set (docs/img/ holds a set)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI

from connect_api.app import create_app
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import PolicySettings, Settings
from tests.a11y import axe_version, axe_violations, describe_violations, horizontal_overflow
from tests.helpers import Api, missing_tool, problem

ARTIFACTS = Path(__file__).parent / "artifacts" / "connect-button"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOURLY = 2  # the demo server's invitations per hour, so that the third is refused


def _chromium() -> str:
    """Debian's Chromium, or a skip with the reason outside CI (a failure in CI)."""
    why = None
    path = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        why = "Python Playwright is not installed (pip install -e '.[dev]')"
    if path is None:
        why = "Chromium is not installed (`apt-get install -y chromium`; .ci/run does it)"
    if why is not None:
        missing_tool(why, "the browser test")
    assert path is not None
    return path


def test_without_chromium_the_browser_test_skips_outside_ci_and_fails_in_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        _chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        _chromium()


# --- the setting, and the routes when the demo is off or asked from elsewhere -----------------


def test_the_demo_is_on_by_default_only_with_the_embedded_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DATABASE_URL", "CONNECT_API_DATABASE_URL", "CONNECT_API_DEMO"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().demo_enabled
    assert not Settings(database_url="postgresql://db/connect").demo_enabled
    assert Settings(database_url="postgresql://db/connect", demo=True).demo_enabled
    assert not Settings(demo=False).demo_enabled
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/connect")
    for value, on in (("true", True), ("false", False), ("auto", False), ("", False)):
        monkeypatch.setenv("CONNECT_API_DEMO", value)
        assert Settings().demo_enabled is on, value


async def test_without_the_demo_its_routes_do_not_exist(api: Api) -> None:
    """The suite's app has DATABASE_URL and no CONNECT_API_DEMO: the demo is off."""
    assert not api.ctx.settings.demo_enabled
    member = await api.member()
    for method, path in (("GET", "/demo"), ("GET", "/demo/members"), ("POST", "/demo/token")):
        r = await api.http.request(method, path, json={"member_id": member})
        problem(r, 404, "not_found")
    # The component is served all the same: it is the reference client, not the demo.
    r = await api.http.get("/static/connect-button.js")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/javascript")
    assert 'customElements.define("connect-button"' in r.text
    again = await api.http.get(
        "/static/connect-button.js", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    problem(await api.http.get("/static/demo.html"), 404, "not_found")
    problem(await api.http.get("/static/..%2Fapp.py"), 404, "not_found")


@contextlib.asynccontextmanager
async def demo_app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    """The service with the demo on, on the suite's database, at most HOURLY sends an hour."""
    application = create_app(
        settings.model_copy(
            update={"demo": True, "policy": PolicySettings(invitations_per_hour=HOURLY)}
        ),
        clock=clock,
        migrate=False,
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_demo_tokens_are_for_this_machine_only(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    ada = await api.member("Ada Lovelace")
    async with demo_app(settings, clock) as application:
        paths = application.openapi()["paths"]
        assert not [p for p in paths if p.startswith(("/demo", "/static"))]

        async def ask(client: tuple[str, int], **headers: str) -> httpx.Response:
            transport = httpx.ASGITransport(app=application, client=client)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:8000"
            ) as http:
                return await http.post("/demo/token", json={"member_id": ada}, headers=headers)

        # Another machine, or this one through a proxy: as if there were no such route.
        problem(await ask(("203.0.113.7", 40000)), 404, "not_found")
        problem(
            await ask(("127.0.0.1", 40000), **{"X-Forwarded-For": "203.0.113.7"}), 404, "not_found"
        )
        problem(await ask(("127.0.0.1", 40000), Forwarded="for=203.0.113.7"), 404, "not_found")

        problem(await ask(("::ffff:192.0.2.1", 40000)), 404, "not_found")
        assert (await ask(("::1", 40000))).status_code == 200
        assert (await ask(("::ffff:127.0.0.1", 40000))).status_code == 200
        r = await ask(("127.0.0.1", 40000))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["member"]["id"] == ada and body["expires_in"] == 3600
        principal = api.ctx.tokens.decode(body["token"])
        assert principal.member_id == ada and not principal.is_admin
        claims = jwt.decode(body["token"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 3600
        me = await api.http.get("/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200 and me.json()["id"] == ada
        # Never an admin's: it cannot create members.
        r = await api.http.post(
            "/v1/members",
            json={"handle": "sneaky", "display_name": "Sneaky"},
            headers={"Authorization": f"Bearer {body['token']}"},
        )
        problem(r, 403, "insufficient_scope")
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            problem(
                await http.post("/demo/token", json={"member_id": ada + 1000}), 404, "not_found"
            )
            page = await http.get("/demo")
            assert (
                page.status_code == 200 and '<script src="/static/connect-button.js">' in page.text
            )
            listed = (await http.get("/demo/members")).json()["items"]
            assert [m["id"] for m in listed] == [ada]


# What a page of another site sends once its name resolves to 127.0.0.1 (DNS rebinding), or
# what a page of another origin on this machine sends: (Host, Origin or None).
REBOUND = [
    ("attacker.example:8000", "http://attacker.example:8000"),
    ("attacker.example:8000", None),
    ("localhost.attacker.example:8000", "http://localhost.attacker.example:8000"),
    ("127.0.0.1.nip.io:8000", "http://127.0.0.1.nip.io:8000"),
    ("127.0.0.1.nip.io", None),
    ("127.0.0.1:8000", "null"),  # a sandboxed frame, a data: or file: page
    ("127.0.0.1:8000", "http://127.0.0.1:9000"),  # another port: another origin
    ("127.0.0.1:8000", "http://localhost:8000"),
    ("127.0.0.1:8000", "https://127.0.0.1:8000"),
    ("127.0.0.1:8000", "http://127.0.0.1.nip.io:8000"),
    ("127.0.0.1:9000", "http://127.0.0.1:9000"),  # not the port the service is on
    ("127.0.0.1:8000x", None),
    ("127.0.0.1:", None),
    ("[::1", None),
    ("", None),
]
# A browser on this machine, at the service's own address.
AT_HOME = [
    ("127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("127.0.0.1:8000", None),
    ("localhost:8000", "http://localhost:8000"),
    ("LocalHost:8000", None),
    ("[::1]:8000", "http://[::1]:8000"),
    ("localhost", None),
]


async def test_the_demo_answers_only_its_own_origin_not_a_rebound_name(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """A page of another site whose name is made to resolve to 127.0.0.1 reaches the service
    from a loopback peer with no proxy header: only ``Host`` and ``Origin`` tell it apart."""
    ada = await api.member("Ada Lovelace")
    async with demo_app(settings, clock) as application:
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:

            async def each_route(host: str, origin: str | None) -> list[httpx.Response]:
                headers = {"Host": host} | ({"Origin": origin} if origin is not None else {})
                return [
                    await http.get("/demo", headers=headers),
                    await http.get("/demo/members", headers=headers),
                    await http.post("/demo/token", json={"member_id": ada}, headers=headers),
                ]

            for host, origin in REBOUND:
                for r in await each_route(host, origin):
                    problem(r, 404, "not_found")
                    assert "token" not in r.json(), (host, origin)
            for host, origin in AT_HOME:
                answers = await each_route(host, origin)
                assert [r.status_code for r in answers] == [200, 200, 200], (host, origin)
                assert answers[2].json()["member"]["id"] == ada
            # Nothing of the request is looked at first: a malformed body or query from
            # elsewhere is the same 404, not a 422 that says the route exists.
            elsewhere = {"Host": "attacker.example:8000", "Origin": "http://attacker.example:8000"}
            problem(
                await http.post("/demo/token", content=b"{", headers=elsewhere), 404, "not_found"
            )
            problem(await http.get("/demo/members?limit=x", headers=elsewhere), 404, "not_found")
            # At home, the demo's integers are as strict as the API's.
            home = {"Host": "127.0.0.1:8000"}
            for query in ("limit=8.0", "after=1e1", "limit=8%0A"):
                r = await http.get(f"/demo/members?{query}", headers=home)
                problem(r, 422, "validation_error")
            for member_id in (f"{ada}.0", f'"{ada}"'):
                r = await http.post(
                    "/demo/token", content=f'{{"member_id": {member_id}}}', headers=home
                )
                problem(r, 422, "validation_error")


async def test_the_demo_refuses_a_rebound_name_on_a_real_port(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """The same through uvicorn on a real port, with the headers Chromium sends for a page
    and for the page's fetch of a token."""
    ada = await api.member("Ada Lovelace")
    async with demo_app(settings, clock) as application, serving(application) as base:
        port = int(base.rsplit(":", 1)[1])
        async with httpx.AsyncClient(base_url=base) as http:
            for name in ("attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io"):
                host = f"{name}:{port}"
                page = await http.get("/demo", headers={"Host": host, "Sec-Fetch-Site": "none"})
                problem(page, 404, "not_found")
                token = await http.post(
                    "/demo/token",
                    json={"member_id": ada},
                    headers={
                        "Host": host,
                        "Origin": f"http://{host}",
                        "Sec-Fetch-Site": "same-origin",
                    },
                )
                problem(token, 404, "not_found")
            other_port = {"Origin": f"http://127.0.0.1:{port + 1}"}
            problem(
                await http.post("/demo/token", json={"member_id": ada}, headers=other_port),
                404,
                "not_found",
            )
            problem(
                await http.post("/demo/token", json={"member_id": ada}, headers={"Origin": "null"}),
                404,
                "not_found",
            )
            assert (await http.get("/demo")).status_code == 200
            same = {"Origin": base}
            r = await http.post("/demo/token", json={"member_id": ada}, headers=same)
            assert r.status_code == 200 and r.json()["member"]["id"] == ada, r.text
            r = await http.get("/demo", headers={"Host": f"localhost:{port}"})
            assert r.status_code == 200


# --- in the browser ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(application: FastAPI) -> AsyncIterator[str]:
    """``application`` served by uvicorn on a free port of 127.0.0.1, in this event loop."""
    config = uvicorn.Config(
        application, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


SETTLED = """(id) => document.body.dataset.actingAs === String(id)
    && document.querySelectorAll('connect-button').length > 0
    && [...document.querySelectorAll('connect-button')].every(
        b => !['loading', null].includes(b.getAttribute('state'))
             && b.getAttribute('aria-busy') === 'false')"""


async def _cast(api: Api, ben_headline: str | None = None) -> tuple[int, int, int, int, list[int]]:
    """Ana and Ben with three mutual connections, and Cleo and Dev, strangers to all."""
    ana = await api.member("Ana Arbor", headline="Analyst")
    ben = await api.member("Ben Babbage", **({"headline": ben_headline} if ben_headline else {}))
    cleo = await api.member("Cleo Clarke")
    dev = await api.member("Dev Dijkstra")
    mutuals = [await api.member(n) for n in ("Mia Mirzakhani", "Max Planck", "Moe Moser")]
    for m in mutuals:
        await api.connect(m, ana)
        await api.connect(m, ben)
    return ana, ben, cleo, dev, mutuals


async def test_the_button_in_a_browser(api: Api, settings: Settings, clock: ManualClock) -> None:
    chromium = _chromium()
    from playwright.async_api import async_playwright, expect

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)

    # Ana is the member acting; Ben, Cleo and Dev are in her "Other members"; Max, Mia and Moe
    # are connected to both Ana and Ben. They invited Ana and Ben (and were accepted), so
    # Ana has sent nothing yet this hour.
    ana, ben, cleo, dev, mutuals = await _cast(api)

    async with (
        demo_app(settings, clock) as application,
        serving(application) as base,
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        lookups: list[list[int]] = []
        errors: list[str] = []

        def on_request(request: Any) -> None:
            if "/v1/relationships" in request.url:
                ids = re.search(r"[?&]ids=([0-9,]+)", request.url)
                assert ids is not None, request.url
                lookups.append([int(i) for i in ids.group(1).split(",")])

        page.on("request", on_request)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # This test counts look-ups: the page's live stream, whose events bring look-ups of
        # their own at moments of their own, is kept from opening (its tickets are refused).
        # test_the_live_button_in_two_browsers has it open.
        await page.route("**/v1/me/stream-tickets", lambda route: route.abort())

        def button(member_id: int) -> Any:
            return page.locator(f'connect-button[member-id="{member_id}"]')

        async def act_as(member_id: int, shot: str | None = None) -> list[int]:
            """Switch the demo to this member; the one look-up that drew the page."""
            before = len(lookups)
            if page.url.startswith(base):
                await page.select_option("#as", str(member_id))
            else:
                await page.goto(f"{base}/demo#as={member_id}")
            await page.wait_for_function(SETTLED, arg=member_id, timeout=10_000)
            await page.wait_for_timeout(150)  # a second look-up would have gone by now
            on_page = await page.eval_on_selector_all(
                "connect-button", "bs => bs.map(b => Number(b.getAttribute('member-id')))"
            )
            assert len(lookups) == before + 1, lookups[before:]
            assert sorted(lookups[-1]) == sorted(set(on_page)), (lookups[-1], on_page)
            if shot:
                await page.screenshot(path=ARTIFACTS / shot, full_page=True)
            return on_page

        async def refreshed(member_id: int, count: int) -> None:
            """The action's own look-up: that member only."""
            await page.wait_for_function(
                f"() => document.querySelector('connect-button[member-id=\"{member_id}\"]')"
                ".getAttribute('aria-busy') === 'false'"
            )
            assert len(lookups) == count + 1 and lookups[-1] == [member_id], lookups

        # One look-up draws every button on the page.
        on_page = await act_as(ana, "01-ana.png")
        assert {ben, cleo, dev, *mutuals} <= set(on_page)
        await expect(button(ben).locator(".mutual")).to_have_text(
            "Max, Mia and 1 other mutual connection"
        )
        await expect(button(ben).locator(".degree [aria-hidden]")).to_have_text("· 2nd")
        await expect(button(mutuals[0])).to_have_attribute("state", "message")
        await expect(button(cleo).locator(".mutual")).to_be_hidden()

        # Invite Ben with a note: the dialog counts down from 300.
        await button(ben).get_by_role("button", name="Connect").click()
        dialog = button(ben).locator("dialog")
        await expect(dialog).to_be_visible()
        count = dialog.locator(".count")
        await expect(count).to_have_text("300 characters left")
        note = "We met at the engines meetup."
        await dialog.locator("textarea").press_sequentially(note[:6])
        await expect(count).to_have_text("294 characters left")
        await dialog.locator("textarea").fill("é" * 301)
        await expect(count).to_have_text("1 character too many")
        await expect(dialog.get_by_role("button", name="Send")).to_be_disabled()
        await dialog.locator("textarea").fill(note)
        await expect(count).to_have_text(f"{300 - len(note)} characters left")
        await page.screenshot(path=ARTIFACTS / "02-note.png")
        n = len(lookups)
        await dialog.get_by_role("button", name="Send").click()
        await expect(button(ben)).to_have_attribute("state", "pending")
        await refreshed(ben, n)
        await expect(button(ben).get_by_role("status")).to_have_text("Invitation sent.")
        sent = (await api.as_(ana).get("/v1/invitations/sent")).json()["items"]
        assert [(i["invitee"]["id"], i["message"]) for i in sent] == [(ben, note)]

        # Cleo without a note: the hour's second and last.
        await button(cleo).get_by_role("button", name="Connect").click()
        await button(cleo).locator("dialog").get_by_role("button", name="Send").click()
        await expect(button(cleo)).to_have_attribute("state", "pending")

        # Dev's button still offers Connect (drawn before); the service refuses, in words.
        n = len(lookups)
        await button(dev).get_by_role("button", name="Connect").click()
        await button(dev).locator("dialog").get_by_role("button", name="Send").click()
        status = button(dev).get_by_role("status")
        await expect(status).to_have_text(
            re.compile(
                r"^You've reached the hourly invitation limit\. "
                # "at 14:05" the same day, "on Dec 2, 2026, 00:19" across midnight
                r"You can send more invitations (?:at|on) .+\.$"
            )
        )
        await refreshed(dev, n)
        moment = await status.locator("time").get_attribute("datetime")
        assert moment is not None
        wait = datetime.fromisoformat(moment) - datetime.now(UTC)
        assert timedelta(minutes=55) < wait <= timedelta(hours=1, seconds=5), wait
        await expect(button(dev)).to_have_attribute("state", "follow")
        await expect(button(dev).locator(".hint")).to_have_text(
            "You've reached your invitation limit for now."
        )
        await page.screenshot(path=ARTIFACTS / "03-throttled.png", full_page=True)

        # Ben accepts: his page has Ana under "Invitations to you".
        await act_as(ben)
        await expect(page.locator("#invitations connect-button")).to_have_attribute(
            "member-id", str(ana)
        )
        await expect(button(ana)).to_have_attribute("state", "accept")
        await page.screenshot(path=ARTIFACTS / "04-ben-invited.png", full_page=True)
        await button(ana).get_by_role("button", name="Accept").click()
        await expect(button(ana)).to_have_attribute("state", "message")
        await expect(button(ana).get_by_role("status")).to_have_text(
            "You're now connected to Ana Arbor."
        )
        await expect(button(ana).locator(".degree [aria-hidden]")).to_have_text("· 1st")
        await page.screenshot(path=ARTIFACTS / "05-ben-connected.png", full_page=True)
        await button(ana).get_by_role("button", name="Message").click()
        await expect(page.locator("#toast")).to_contain_text("the conversation with Ana Arbor")

        # Cleo ignores hers.
        await act_as(cleo)
        await button(ana).get_by_role("button", name="Ignore").click()
        await expect(button(ana).get_by_role("status")).to_have_text("Invitation ignored.")
        await expect(button(ana)).to_have_attribute("state", "connect")

        # Back as Ana: Ben is a connection; Cleo's cooldown is said with its date.
        await act_as(ana, "06-ana-after.png")
        await expect(page.locator(f'#connections connect-button[member-id="{ben}"]')).to_have_count(
            1
        )
        await expect(button(ben)).to_have_attribute("state", "message")
        looked = (await api.as_(ana).get(f"/v1/relationships?ids={cleo}")).json()["items"][0]
        assert looked["reason"] == "cooldown_active"
        hint = button(cleo).locator(".hint")
        await expect(hint).to_have_text(re.compile(r"^You can invite Cleo Clarke again on .+\.$"))
        shown = await hint.locator("time").get_attribute("datetime")
        assert shown is not None
        until = datetime.fromisoformat(looked["can_invite_after"])
        assert abs(datetime.fromisoformat(shown) - until) < timedelta(milliseconds=1)

        # Follow and unfollow.
        await button(cleo).get_by_role("button", name="Follow").click()
        await expect(button(cleo).get_by_role("button", name="Following")).to_have_attribute(
            "aria-pressed", "true"
        )
        following = (await api.as_(ana).get(f"/v1/relationships?ids={cleo}")).json()
        assert following["items"][0]["following"] is True
        await button(cleo).get_by_role("button", name="Following").click()
        await expect(button(cleo).get_by_role("button", name="Follow")).to_have_attribute(
            "aria-pressed", "false"
        )
        await expect(button(cleo).get_by_role("status")).to_have_text(
            "You've unfollowed Cleo Clarke."
        )
        await page.screenshot(path=ARTIFACTS / "07-ana-cooldown.png", full_page=True)

        # The other refusals, as the button says them.
        said = await page.evaluate(
            "(cases) => cases.map(([p, name, id]) => ConnectButton.describe(p, name, id))",
            [
                [{"code": "invitation_not_allowed"}, "Ben", ben],
                [
                    {"code": "connection_limit_reached", "limit": 30000, "member_id": ben},
                    "Ben",
                    ben,
                ],
                [
                    {"code": "connection_limit_reached", "limit": 30000, "member_id": ana},
                    "Ben",
                    ben,
                ],
                [{"code": "too_many_pending_invitations", "limit": 5000}, "Ben", ben],
                [{"code": "not_found"}, "Ben", ben],
                [{"code": "invitation_pending", "invitation_id": 1}, None, ben],
                [{"code": "invitation_not_pending", "invitation_status": "withdrawn"}, None, ben],
                [{"code": "unauthorized"}, None, ben],
                [{"code": "something_new", "detail": "Said by the service."}, None, ben],
            ],
        )
        assert said == [
            "You can't invite Ben. You can still follow them.",
            "Ben has reached the limit of 30,000 connections.",
            "You've reached the limit of 30,000 connections.",
            "You have too many invitations waiting for an answer. Withdraw some to send more.",
            "Ben isn't available.",
            "You've already invited this member.",
            "This invitation was withdrawn already.",
            "Sign in to connect.",
            "Said by the service.",
        ]
        restricted = await page.evaluate(
            "() => ConnectButton.describe({code: 'member_restricted', until: "
            "'2030-01-02T03:04:05Z'})"
        )
        assert restricted.startswith("You can't send invitations until ") and "2030" in restricted

        # Dev invites Ana and thinks better of it: withdrawn, and then the cooldown.
        await act_as(dev)
        await button(ana).get_by_role("button", name="Connect").click()
        await button(ana).locator("dialog").get_by_role("button", name="Send").click()
        await expect(button(ana)).to_have_attribute("state", "pending")
        n = len(lookups)
        await button(ana).get_by_role("button", name="Withdraw").click()
        await expect(button(ana).get_by_role("status")).to_have_text("Invitation withdrawn.")
        await refreshed(ana, n)
        await expect(button(ana)).to_have_attribute("state", "follow")
        await expect(button(ana).locator(".hint")).to_have_text(
            re.compile(r"^You can invite Ana Arbor again on .+\.$")
        )
        await page.screenshot(path=ARTIFACTS / "08-dev-withdrew.png", full_page=True)
        assert errors == [], errors
        await browser.close()
    await api.assert_consistent()


LIVE_MS = 2_000  # how soon what one member does shows on the other's page, without a reload


async def test_the_live_button_in_two_browsers(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """Ana's and Ben's demo pages side by side, each with one live stream however many buttons
    it has: what one of them does (or anyone else does) shows on the other's page within 2 s
    without a reload, the badge of new invitations too; a stream cut by the server resumes
    with a new ticket after the last event id."""
    chromium = _chromium()
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("live-*.png"):
        old.unlink()

    ana = await api.member("Ana Arbor", headline="Analyst")
    ben = await api.member("Ben Babbage")
    cleo = await api.member("Cleo Clarke")
    dev = await api.member("Dev Dijkstra")

    async with (
        demo_app(settings, clock) as application,
        serving(application) as base,
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        pages: dict[int, Any] = {}
        streams: dict[int, list[str]] = {}  # each page's stream requests
        errors: list[str] = []
        for member in (ana, ben):
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda e: errors.append(str(e)))
            streams[member] = []

            def on_request(request: Any, seen: list[str] = streams[member]) -> None:
                if "/v1/me/stream?" in request.url:
                    seen.append(request.url)

            page.on("request", on_request)
            await page.goto(f"{base}/demo#as={member}")
            await page.wait_for_function(SETTLED, arg=member, timeout=10_000)
            # Open once its first `counts` came; a mark to tell that the page was not reloaded.
            await page.wait_for_function("() => ConnectButton.counts !== null", timeout=10_000)
            await page.evaluate("() => { window.notReloaded = true; }")
            pages[member] = page
        a_page, b_page = pages[ana], pages[ben]
        badge = b_page.locator("#badge")

        def button(page: Any, member_id: int) -> Any:
            return page.locator(f'connect-button[member-id="{member_id}"]')

        async def shot(page: Any, name: str) -> None:
            await page.screenshot(path=ARTIFACTS / name, full_page=True)

        assert await a_page.locator("connect-button").count() == 3
        await expect(button(b_page, ana)).to_have_attribute("state", "connect")
        await expect(badge).to_have_text("")

        # Ana invites Ben: his page turns her button into Accept, and the badge says so.
        await button(a_page, ben).get_by_role("button", name="Connect").click()
        await button(a_page, ben).locator("dialog").get_by_role("button", name="Send").click()
        await expect(button(a_page, ben)).to_have_attribute("state", "pending")
        await expect(button(a_page, ben).get_by_role("status")).to_have_text("Invitation sent.")
        await expect(button(b_page, ana)).to_have_attribute("state", "accept", timeout=LIVE_MS)
        await expect(button(b_page, ana).get_by_role("button", name="Accept")).to_be_visible()
        await expect(badge).to_have_text("1 new", timeout=LIVE_MS)
        await shot(a_page, "live-1-a-invited-b.png")
        await shot(b_page, "live-2-b-sees-invitation.png")

        # Cleo (not in a browser) invites Ben, then withdraws: his page follows both.
        invitation = await api.invited(cleo, ben)
        await expect(button(b_page, cleo)).to_have_attribute("state", "accept", timeout=LIVE_MS)
        await expect(badge).to_have_text("2 new", timeout=LIVE_MS)
        withdrawn = await api.as_(cleo).post(f"/v1/invitations/{invitation}/withdraw")
        assert withdrawn.status_code == 200, withdrawn.text
        await expect(button(b_page, cleo)).to_have_attribute("state", "connect", timeout=LIVE_MS)
        await expect(badge).to_have_text("1 new", timeout=LIVE_MS)
        await shot(b_page, "live-3-b-after-withdrawal.png")

        # Ben opens his invitations from the badge: seen, and Ana's is on the list now.
        inbox = b_page.get_by_role("button", name=re.compile(r"^Invitations"))
        await inbox.click()
        await expect(badge).to_have_text("")
        await expect(b_page.locator("#invitations connect-button")).to_have_attribute(
            "member-id", str(ana)
        )
        me = (await api.as_(ben).get("/v1/me")).json()
        assert (me["pending_received"], me["unseen_received"]) == (1, 0)
        await shot(b_page, "live-4-b-seen.png")

        # Ben accepts: Ana's button for him says Message.
        await button(b_page, ana).get_by_role("button", name="Accept").click()
        await expect(button(b_page, ana)).to_have_attribute("state", "message")
        await expect(button(b_page, ana).get_by_role("status")).to_have_text(
            "You're now connected to Ana Arbor."
        )
        await expect(button(a_page, ben)).to_have_attribute("state", "message", timeout=LIVE_MS)
        await expect(button(a_page, ben).get_by_role("button", name="Message")).to_be_visible()
        # What Ana's button said of her invitation is past: Ben's answer changed it.
        await expect(button(a_page, ben).locator(".status")).to_be_empty()
        await shot(a_page, "live-5-a-sees-accepted.png")
        await shot(b_page, "live-6-b-accepted.png")
        await b_page.wait_for_function(
            "() => JSON.stringify(ConnectButton.counts)"
            " === JSON.stringify({pending_received: 0, unseen_received: 0})",
            timeout=LIVE_MS,
        )

        # The server cuts Ben's stream (as a client too slow to read it) and Dev invites him
        # meanwhile: the page asks for another ticket and resumes after the last event id.
        assert len(streams[ben]) == 1
        clock.advance(seconds=1)  # after the inbox was marked seen: Dev's invitation is new
        hub = application.state.hub
        for stream in list(hub.members.get(ben, ())):
            stream.close("overflow")
        await api.invited(dev, ben)
        await expect(button(b_page, dev)).to_have_attribute("state", "accept", timeout=5_000)
        await expect(badge).to_have_text("1 new", timeout=LIVE_MS)
        first, again = (parse_qs(urlsplit(url).query) for url in streams[ben])
        assert first["ticket"] != again["ticket"], streams[ben]
        assert "after" not in first and re.fullmatch(r"[1-9][0-9]*", again["after"][0]), again
        await shot(b_page, "live-7-b-resumed.png")

        # One stream per page however many buttons; neither page was reloaded.
        assert len(streams[ana]) == 1
        for page in pages.values():
            assert await page.evaluate("() => window.notReloaded") is True

        # Without the option the stream closes; a button with `live` opens it again (resuming).
        await a_page.evaluate("() => ConnectButton.configure({live: false})")
        async with a_page.expect_request(lambda r: "/v1/me/stream?" in r.url) as opened:
            await a_page.evaluate(
                "(id) => { const b = document.createElement('connect-button');"
                " b.setAttribute('member-id', id); b.setAttribute('live', '');"
                " document.body.append(b); }",
                str(cleo),
            )
        resumed = parse_qs(urlsplit((await opened.value).url).query)
        assert re.fullmatch(r"[1-9][0-9]*", resumed["after"][0]), resumed
        assert errors == [], errors
        await browser.close()
    await api.assert_consistent()


# --- for everyone: names, notes, narrow screens, languages, axe -------------------------------

PHONE_WIDTHS = (360, 390)


def _axe() -> None:
    """axe-core, as axe-playwright-python bundles it: a skip outside CI when it is missing."""
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        missing_tool(
            "axe-playwright-python is not installed (pip install -e '.[dev]')",
            "the accessibility test",
        )


def _screenshot_dirs(tmp_path: Path) -> list[Path]:
    """pytest's tmp_path, and $CONNECT_API_SCREENSHOTS_DIR when set."""
    dirs = [tmp_path / "screenshots"]
    if os.environ.get("CONNECT_API_SCREENSHOTS_DIR"):
        dirs.append(Path(os.environ["CONNECT_API_SCREENSHOTS_DIR"]))
    for folder in dirs:
        folder.mkdir(parents=True, exist_ok=True)
    return dirs


async def test_the_button_for_everyone(
    api: Api, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    """Every button names its person; degrees read as words; the invitee reads the note; the
    demo holds from 360 px up, its cards keep their own heights and its header's counts follow
    an Accept; axe-core finds no WCAG 2.1 A/AA violation in any state (in the component's
    shadow DOM too), in English or in French."""
    chromium = _chromium()
    _axe()
    from playwright.async_api import async_playwright, expect

    assert tuple(int(n) for n in axe_version().split(".")[:2]) >= (4, 8), axe_version()
    shots = _screenshot_dirs(tmp_path)
    note = "We met at the analytical engines meetup in Leeds — lovely to meet you!"
    ana, ben, cleo, dev, mutuals = await _cast(api, "Engineer of difference engines")

    async with (
        demo_app(settings, clock) as application,
        serving(application) as base,
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        note_reads: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                note_reads.append(r.url) if re.search(r"/v1/invitations/\d+$", r.url) else None
            ),
        )
        audited: dict[str, int] = {}

        def button(member_id: int) -> Any:
            return page.locator(f'connect-button[member-id="{member_id}"]')

        async def audit(state: str) -> None:
            """axe-core on the page as it is: no WCAG 2.1 A/AA violation."""
            found = await axe_violations(page)
            audited[state] = len(found)
            assert not found, f"{state}:\n{describe_violations(found)}"

        async def holds_on_phones() -> None:
            size = page.viewport_size
            for width in PHONE_WIDTHS:
                await page.set_viewport_size({"width": width, "height": 844})
                scroll, viewport = await horizontal_overflow(page)
                assert scroll <= viewport, (width, scroll, viewport)
            await page.set_viewport_size(size)

        async def act_as(member_id: int) -> None:
            if page.url.startswith(base):
                await page.select_option("#as", str(member_id))
            else:
                await page.goto(f"{base}/demo#as={member_id}")
            await page.wait_for_function(SETTLED, arg=member_id, timeout=10_000)

        async def shoot(name: str, width: int) -> None:
            await page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
            await page.evaluate("() => window.scrollTo(0, 0)")
            image = await page.screenshot()
            for folder in shots:
                (folder / name).write_bytes(image)

        # Ana's page: every button names its person, no two alike.
        await act_as(ana)
        await expect(
            button(ben).get_by_role("button", name="Connect with Ben Babbage", exact=True)
        ).to_be_visible()
        await expect(
            button(ben).get_by_role("button", name="Follow Ben Babbage", exact=True)
        ).to_have_attribute("aria-pressed", "false")
        await expect(
            button(mutuals[0]).get_by_role("button", name="Message Mia Mirzakhani", exact=True)
        ).to_be_visible()
        names = await page.evaluate(
            """() => [...document.querySelectorAll('connect-button')].flatMap((b) =>
                [...b.shadowRoot.querySelectorAll('button, a')].map(
                    (c) => c.getAttribute('aria-label') || c.textContent))"""
        )
        assert len(names) >= 12 and len(set(names)) == len(names), names
        # "· 2nd" to the eye, "2nd-degree connection" to a screen reader; no stray dot.
        await expect(button(ben).locator(".degree [aria-hidden]")).to_have_text("· 2nd")
        tree = await button(ben).aria_snapshot()
        assert "2nd-degree connection" in tree and "·" not in tree, tree
        assert "Max, Mia and 1 other mutual connection" in tree, tree
        header = await page.locator("header").aria_snapshot()
        assert "·" not in header, header
        # Ana has no invitations: that card is as tall as its words, not as its neighbour.
        empty = await page.locator("#invitations").bounding_box()
        beside = await page.locator("#suggestions").bounding_box()
        assert empty is not None and beside is not None
        assert empty["y"] == beside["y"], (empty, beside)  # side by side at 1280 px
        assert empty["height"] < beside["height"] - 20, (empty, beside)
        await holds_on_phones()
        await audit("loaded")

        # The note dialog.
        await button(ben).get_by_role("button", name="Connect with Ben Babbage").click()
        dialog = button(ben).locator("dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_have_accessible_name("Invite Ben Babbage to connect")
        await dialog.get_by_role("textbox", name="Add a note (optional)").fill(note)
        await audit("note dialog")
        await dialog.get_by_role("button", name="Send").click()
        await expect(button(ben)).to_have_attribute("state", "pending")
        await expect(
            button(ben).get_by_role(
                "button", name="Withdraw your invitation to Ben Babbage", exact=True
            )
        ).to_be_visible()
        await audit("pending")

        # A refusal: the hour's third invitation.
        for member in (cleo, dev):
            await button(member).get_by_role("button", name=re.compile("^Connect with")).click()
            await button(member).locator("dialog").get_by_role("button", name="Send").click()
        await expect(button(dev).get_by_role("status")).to_contain_text(
            "You've reached the hourly invitation limit."
        )
        await audit("refusal")

        # Ben's page: Ana's note beside Accept and Ignore, which name her; the live badge.
        await act_as(ben)
        invitations = page.locator("#invitations")
        await expect(invitations.locator("connect-button")).to_have_attribute("state", "accept")
        await expect(button(ana).locator(".note")).to_contain_text(note)
        accept = button(ana).get_by_role("button", name="Accept Ana Arbor's invitation", exact=True)
        await expect(accept).to_have_accessible_description(re.compile(re.escape(note)))
        await expect(
            button(ana).get_by_role("button", name="Ignore Ana Arbor's invitation", exact=True)
        ).to_be_visible()
        assert note_reads == [], note_reads  # the page passed its invitations: no request
        await expect(page.locator("#badge")).to_have_text("1 new")
        await expect(page.locator("#me")).to_have_text(
            re.compile(rf"^Member {ben}\b.*\b3 connections$")
        )
        await holds_on_phones()
        await audit("invitee, note and live badge")
        await page.set_viewport_size({"width": 390, "height": 844})
        await audit("invitee, at 390 px")
        await page.set_viewport_size({"width": 1280, "height": 800})
        await shoot("button-en-1280.png", 1280)
        await shoot("button-en-390.png", 390)

        # In French, from the picker: the page's words and the buttons'.
        await page.select_option("#lang", "fr")
        await expect(page.locator("html")).to_have_attribute("lang", "fr")
        await expect(page.locator("#invitations h2")).to_have_text("Invitations reçues")
        await expect(
            button(ana).get_by_role(
                "button", name="Accepter l\u2019invitation de Ana Arbor", exact=True
            )
        ).to_be_visible()
        await expect(button(ana).locator(".note")).to_contain_text(f"« {note} »")
        await expect(page.locator("#badge")).to_have_text("1 nouvelle")
        await expect(page.locator("#me")).to_have_text(
            re.compile(rf"^Membre {ben}\b.*\b3 relations$")
        )
        await holds_on_phones()
        await audit("invitee, in French")
        await shoot("button-fr-390.png", 390)
        await shoot("button-fr-1280.png", 1280)
        await page.select_option("#lang", "en")
        await expect(accept).to_be_visible()

        # Accept: Message names her, and the header counts one more connection.
        await accept.click()
        await expect(button(ana)).to_have_attribute("state", "message")
        await expect(
            button(ana).get_by_role("button", name="Message Ana Arbor", exact=True)
        ).to_be_visible()
        await expect(page.locator("#me")).to_have_text(
            re.compile(rf"^Member {ben}\b.*\b4 connections$")
        )
        await audit("accepted")

        # A button with show-note whose invitation the page did not pass reads it, once.
        clock.advance(seconds=1)
        r = await api.invite(cleo, ben, "Hello from Cleo")
        assert r.status_code == 201, r.text
        cleos = button(cleo).first
        await expect(cleos).to_have_attribute("state", "accept", timeout=LIVE_MS)
        await cleos.evaluate("(b) => b.setAttribute('show-note', '')")
        await expect(cleos.locator(".note")).to_have_text("Cleo Clarke's note: “Hello from Cleo”")
        assert [urlsplit(u).path for u in note_reads] == [f"/v1/invitations/{r.json()['id']}"]
        await expect(page.locator("#badge")).to_have_text("1 new", timeout=LIVE_MS)
        await audit("second invitation, its note read")
        assert errors == [], errors
        await browser.close()

    assert all(count == 0 for count in audited.values()), audited
    for name in ("button-en-390.png", "button-en-1280.png", "button-fr-390.png"):
        assert (shots[0] / name).stat().st_size > 10_000, name


async def test_the_buttons_words_come_from_a_messages_table(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """English, French and German ship, each with every message; a page adds a language or
    replaces words; plurals follow Intl.PluralRules (Polish's few and many too); refusals, dates
    and numbers are said in the locale; the demo opens in the language its address asks for."""
    chromium = _chromium()
    _axe()
    from playwright.async_api import async_playwright, expect

    ana = await api.member("Ana Arbor")
    ben = await api.member("Ben Babbage")
    async with (
        demo_app(settings, clock) as application,
        serving(application) as base,
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{base}/demo#as={ana}&lang=de")
        await page.wait_for_function(SETTLED, arg=ana, timeout=10_000)
        ben_button = page.locator(f'connect-button[member-id="{ben}"]')

        # The demo in German, from its address: the page's words and the buttons'.
        await expect(page.locator("html")).to_have_attribute("lang", "de")
        await expect(page.locator("#lang")).to_have_value("de")
        await expect(page.locator("#everyone h2")).to_have_text("Weitere Mitglieder")
        await expect(
            ben_button.get_by_role("button", name="Mit Ben Babbage vernetzen", exact=True)
        ).to_be_visible()
        assert await ben_button.evaluate("(b) => b.shadowRoot.querySelector('.body').lang") == "de"
        found = await axe_violations(page)
        assert not found, describe_violations(found)

        # Every language has every message; a plural one has `other` and only its own forms.
        languages, gaps = await page.evaluate(
            """() => {
                const table = ConnectButton.messages;
                const gaps = [];
                for (const [lang, words] of Object.entries(table)) {
                    const forms = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
                    for (const [key, english] of Object.entries(table.en)) {
                        const said = words[key];
                        if (said == null || typeof said !== typeof english) {
                            gaps.push(lang + ':' + key);
                        }
                        else if (typeof said === 'object' && (!('other' in said)
                                 || Object.keys(said).some((form) => !forms.includes(form)))) {
                            gaps.push(lang + ':' + key + ' forms');
                        }
                    }
                }
                return [Object.keys(table).sort(), gaps];
            }"""
        )
        assert languages == ["de", "en", "fr"] and gaps == [], (languages, gaps)

        async def say(key: str, values: dict[str, Any], locale: str) -> str:
            said: str = await page.evaluate(
                "([k, v, l]) => ConnectButton.say(k, v, l)", [key, values, locale]
            )
            return said

        two = {"a": "Max", "b": "Mia"}
        assert await say("mutualTwoAndOthers", {**two, "count": 1}, "en") == (
            "Max, Mia and 1 other mutual connection"
        )
        assert await say("mutualTwoAndOthers", {**two, "count": 12}, "en") == (
            "Max, Mia and 12 other mutual connections"
        )
        assert await say("mutualTwoAndOthers", {**two, "count": 1}, "fr") == (
            "Max, Mia et 1 autre relation en commun"
        )
        assert await say("mutualTwoAndOthers", {**two, "count": 12}, "fr-CA") == (
            "Max, Mia et 12 autres relations en commun"
        )
        assert await say("mutualTwoAndOthers", {**two, "count": 12}, "de") == (
            "Max, Mia und 12 weitere gemeinsame Kontakte"
        )
        # Numbers in the locale's digits.
        assert await say("mutualCount", {"count": 1200}, "en") == "1,200 mutual connections"
        assert await say("mutualCount", {"count": 1200}, "de") == "1.200 gemeinsame Kontakte"
        assert await say("mutualCount", {"count": 1200}, "fr") == "1\u202f200 relations en commun"

        # A language with more plural forms, added by the page; what it lacks is English.
        await page.evaluate(
            """() => ConnectButton.addMessages('pl', {charactersLeft: {
                one: 'Został {count} znak', few: 'Zostały {count} znaki',
                many: 'Zostało {count} znaków', other: 'Zostało {count} znaku'}})"""
        )
        assert [await say("charactersLeft", {"count": n}, "pl") for n in (1, 3, 5, 22, 1.5)] == [
            "Został 1 znak",
            "Zostały 3 znaki",
            "Zostało 5 znaków",
            "Zostały 22 znaki",
            "Zostało 1,5 znaku",
        ]
        assert await say("connect", {}, "pl") == "Connect"

        # Every refusal in each language, through the table: no English left, nothing unfilled.
        problems: list[dict[str, Any]] = [
            {"code": "cooldown_active", "until": "2030-01-02T12:00:00Z"},
            {"code": "cooldown_active"},
            {"code": "invitation_throttled"},
            {"code": "invitation_throttled", "window": "hour"},
            {"code": "invitation_throttled", "window": "week", "retry_after": 172800},
            {"code": "too_many_pending_invitations", "limit": 5000},
            {"code": "member_restricted", "until": "2030-01-02T12:00:00Z"},
            {"code": "member_restricted"},
            {"code": "invitation_not_allowed"},
            {"code": "connection_limit_reached", "limit": 30000, "member_id": ben},
            {"code": "connection_limit_reached", "limit": 30000, "member_id": ana},
            {"code": "connection_limit_reached", "member_id": ben},
            {"code": "already_connected"},
            {"code": "invitation_pending", "invitation_id": 1},
            *(
                {"code": "invitation_not_pending", "invitation_status": status}
                for status in ("accepted", "declined", "withdrawn", "expired", None)
            ),
            {"code": "not_found"},
            {"code": "cannot_invite_self"},
            {"code": "cannot_follow_self"},
            {"code": "message_too_long", "max_length": 300},
            {"code": "unauthorized"},
            {"code": "invalid_token"},
            {"code": "rate_limited", "retry_after": 30},
            {"code": "rate_limited"},
            {"code": "idempotency_key_in_use"},
            {"code": "service_unavailable"},
            {"code": "database_unavailable"},
            {"code": "network_error"},
            {"code": "something_new", "detail": "Said by the service."},
            {"code": "http_500"},
        ]
        said = await page.evaluate(
            """([problems, id]) => Object.fromEntries(['en', 'fr', 'de'].map((lang) => [lang,
                problems.map((p) => ConnectButton.describe(p, 'Ben', id, lang))]))""",
            [problems, ben],
        )
        for lang in ("fr", "de"):
            for problem_, english, theirs in zip(problems, said["en"], said[lang], strict=True):
                assert theirs != english and not re.search(r"[{}]|_", theirs), (problem_, theirs)
        assert said["en"][0] == "You can invite Ben again on January 2, 2030."
        assert said["fr"][0] == "Vous pourrez de nouveau inviter Ben le 2 janvier 2030."
        assert said["de"][0] == "Sie können Ben am 2. Januar 2030 wieder einladen."
        assert said["de"][9] == "Ben hat das Limit von 30.000 Kontakten erreicht."
        assert said["en"][11] == "Ben has reached their limit of connections."
        assert said["en"][-2] == "Said by the service."

        # configure(): the locale and replaced words redraw every button at once.
        await page.evaluate(
            "() => ConnectButton.configure({locale: 'en', messages: "
            "{connect: 'Link up', connectLabel: 'Link up with {name}'}})"
        )
        await expect(
            ben_button.get_by_role("button", name="Link up with Ben Babbage", exact=True)
        ).to_have_text("Link up")
        await page.evaluate("() => ConnectButton.configure({locale: 'fr', messages: null})")
        await expect(
            ben_button.get_by_role("button", name="Se connecter avec Ben Babbage", exact=True)
        ).to_be_visible()
        # Without a locale, a button speaks the language of its closest `lang`.
        await page.evaluate(
            """(id) => { ConnectButton.configure({locale: undefined});
                const box = document.createElement('div'); box.lang = 'de';
                const b = document.createElement('connect-button');
                b.setAttribute('member-id', id); b.setAttribute('member-name', 'Ben Babbage');
                b.id = 'in-german'; box.append(b); document.body.append(box);
                document.documentElement.lang = 'fr'; }""",
            str(ben),
        )
        await expect(
            page.locator("#in-german").get_by_role(
                "button", name="Mit Ben Babbage vernetzen", exact=True
            )
        ).to_be_visible()
        assert errors == [], errors
        await browser.close()
