"""Cursors are minted by the service only: every paged route refuses a forged or edited cursor
as `422 invalid_cursor`, never a 500, and a genuine one still pages."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connect_api.kit.config import Settings
from connect_api.kit.pagination import (
    CURSOR_MAX_LENGTH,
    Cursors,
    InvalidCursor,
    MissingCursorSecret,
    cursor_key,
)
from connect_api.network import service as network_service
from tests.helpers import JWT_SECRET, Api, problem

MAC_BYTES = 16

# Values a client could write into a cursor that must never reach the database.
BAD_VALUES: list[Any] = [
    "\ud800",  # a lone surrogate: UTF-8 cannot carry it
    "a\x00b",  # PostgreSQL text cannot hold NUL
    "9999-12-31T23:59:59.999999-23:59",  # overflows once made UTC
    "0001-01-01T00:00:00+14:00",  # likewise, below year 1
    "2026-01-01T00:00:00",  # no time zone
    "not a date",
    2**63,  # past bigint
    -(2**63) - 1,
    1.5,
    True,
    None,
    [1],
]


def _open(cursor: str) -> tuple[list[Any], bytes]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return json.loads(raw[:-MAC_BYTES]), raw[-MAC_BYTES:]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unsigned(payload: list[Any]) -> str:
    """The payload as the service would write it, without the MAC (the old format)."""
    return _b64(json.dumps(payload, separators=(",", ":")).encode())


def _with_mac(payload: list[Any], mac: bytes) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return _b64(raw + mac)


def _shown(cursor: str) -> str:
    try:
        return repr(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return repr(cursor)


@dataclass
class Route:
    name: str
    url: str
    params: dict[str, Any]
    param: str = "cursor"
    admin: bool = False


async def _network(api: Api) -> tuple[int, list[Route]]:
    """A member with two or more entries on every paged list there is."""
    me = await api.member("Ada")
    friends = [await api.member(f"Friend {n}") for n in range(3)]
    for f in friends:
        await api.connect(me, f)
        r = await api.as_(me).put(f"/v1/tags/{f}", json={"tags": ["London"]})
        assert r.status_code == 200, r.text
    other = await api.member("Other")  # shares every friend with me: mutual connections
    far = [await api.member(f"Far {n}") for n in range(3)]  # second degree
    for f in friends:
        await api.connect(other, f)
        for x in far:
            await api.connect(f, x)
    for _ in range(2):
        await api.invited(me, await api.member())
        await api.invited(await api.member(), me)
    for _ in range(2):
        r = await api.as_(me).put(f"/v1/blocks/{await api.member()}")
        assert r.status_code == 201, r.text
    groups = []
    for n in range(2):
        r = await api.admin.post("/v1/groups", json={"name": f"Group {n}"})
        assert r.status_code == 201, r.text
        groups.append(r.json()["id"])
    for m in (me, *friends):
        r = await api.as_(m).put(f"/v1/groups/{groups[0]}/members/me")
        assert r.status_code in (200, 201), r.text
    hooks = []
    for n in range(2):
        r = await api.admin.post("/v1/webhooks", json={"url": f"http://127.0.0.1:9/hook{n}"})
        assert r.status_code == 201, r.text
        hooks.append(r.json()["id"])
    for f in far:  # events for the webhooks' deliveries
        r = await api.as_(me).put(f"/v1/follows/{f}")
        assert r.status_code == 201, r.text
    await network_service.refresh(api.ctx, members=[me])
    routes = [
        Route("connections recent", f"/v1/members/{me}/connections", {"sort": "recent"}),
        Route("connections name", f"/v1/members/{me}/connections", {"sort": "name"}),
        Route("connections q", f"/v1/members/{me}/connections", {"sort": "name", "q": "Fri"}),
        Route("connections tag", f"/v1/members/{me}/connections", {"tag": "london"}),
        Route("followers", f"/v1/members/{me}/followers", {}),
        Route("following", f"/v1/members/{me}/following", {}),
        Route("group members", f"/v1/groups/{groups[0]}/members", {}),
        Route("groups", "/v1/groups", {}),
        Route("sent invitations", "/v1/invitations/sent", {}),
        Route("received invitations", "/v1/invitations/received", {}),
        Route("blocks", "/v1/blocks", {}),
        Route("mutual connections", f"/v1/members/{other}/mutual-connections", {}),
        Route("second degree", "/v1/network/second-degree", {}),
        Route("events", "/v1/events", {}, param="after"),
        Route("webhooks", "/v1/webhooks", {}, admin=True),
        Route("deliveries", f"/v1/webhooks/{hooks[0]}/deliveries", {}, admin=True),
    ]
    return me, routes


async def _get(api: Api, me: int, route: Route, cursor: str | None, limit: int = 1) -> Any:
    who = api.admin if route.admin else api.as_(me)
    params = {**route.params, "limit": limit}
    if cursor is not None:
        params[route.param] = cursor
    return await who.get(route.url, params=params)


async def _genuine(api: Api, me: int, route: Route) -> tuple[str, list[Any]]:
    r = await _get(api, me, route, None)
    assert r.status_code == 200, (route.name, r.text)
    cursor = r.json()["next_cursor"]
    assert cursor, (route.name, r.json())
    return cursor, r.json()["items"]


def _fits(genuine: Any, value: Any) -> bool:
    """Whether ``value`` is a good value where ``genuine`` stands: any text where a name key
    stands (a display name may be a date), nothing else of ``BAD_VALUES``."""
    if isinstance(genuine, str) and isinstance(value, str):
        try:
            datetime.fromisoformat(genuine)
        except ValueError:
            return "\x00" not in value and "\ud800" not in value
    return False


def _forgeries(api: Api, cursor: str, other_kind: str, someone_else: int) -> list[str]:
    """Every way of editing ``cursor``: each value made bad, signed with the service's own key
    (so only the value checks stand in the way) and not; the list named another; the MAC left
    off, flipped or kept over an edited payload; a final newline."""
    codec: Cursors = api.ctx.cursors
    payload, mac = _open(cursor)
    kind, values = payload[0], payload[1:]
    out = []
    for i in range(len(values)):
        for bad in BAD_VALUES:
            edited = [*values[:i], bad, *values[i + 1 :]]
            if not _fits(values[i], bad):
                out.append(codec.encode(kind, *edited))  # a genuine MAC over a bad value
            out.append(_with_mac([kind, *edited], mac))
            out.append(_unsigned([kind, *edited]))
        if isinstance(values[i], int) and not isinstance(values[i], bool):
            out.append(_with_mac([kind, *values[:i], values[i] + 1, *values[i + 1 :]], mac))
    # Another member's list (the member or group a kind names), another list's kind.
    kinds = [other_kind]
    if ":" in kind and kind.split(":", 1)[1].isdigit():
        kinds.append(f"{kind.split(':', 1)[0]}:{someone_else}")
    for k in kinds:
        out += [codec.encode(k, *values), _with_mac([k, *values], mac), _unsigned([k, *values])]
    out.append(_unsigned(payload))  # re-encoded without the MAC
    flipped = bytes([mac[0] ^ 1]) + mac[1:]
    out.append(_with_mac(payload, flipped))
    out.append(cursor[:-1] + ("A" if cursor[-1] != "A" else "B"))  # a changed last character
    out.append(cursor + "\n")
    out.append(Cursors(b"k" * 32).encode(kind, *values))  # another deployment's key
    out.append(codec.encode(kind, *values, 1))  # one value too many
    out.append(codec.encode(kind))  # none
    return out


async def test_every_paged_route_refuses_every_forged_cursor(api: Api) -> None:
    me, routes = await _network(api)
    genuine = {route.name: await _genuine(api, me, route) for route in routes}
    kinds = {name: _open(cursor)[0][0] for name, (cursor, _) in genuine.items()}
    names = list(genuine)
    for n, route in enumerate(routes):
        cursor, first = genuine[route.name]
        # Another list's kind: the next route's (one whose kind differs).
        other_kind = next(
            kinds[m] for m in names[n + 1 :] + names[:n] if kinds[m] != kinds[route.name]
        )
        forged = _forgeries(api, cursor, other_kind, someone_else=me + 1)
        if route.name == "events":
            # A feed position kept from before cursors were signed still reads: it names only
            # a place in the caller's own feed. Edited, it is refused like any other.
            legacy = _unsigned(_open(cursor)[0])
            forged.remove(legacy)
            r = await _get(api, me, route, legacy)
            assert r.status_code == 200, r.text
            assert r.json()["items"] == (await _get(api, me, route, cursor)).json()["items"]
        for bad in forged:
            r = await _get(api, me, route, bad)
            assert r.status_code == 422, (route.name, _shown(bad), r.text)
            problem(r, 422, "invalid_cursor")
        # The genuine cursor still pages: the next page is another item.
        r = await _get(api, me, route, cursor)
        assert r.status_code == 200, (route.name, r.text)
        assert r.json()["items"] and r.json()["items"] != first, route.name


async def test_a_genuine_cursor_pages_through_to_the_end(api: Api) -> None:
    me, routes = await _network(api)
    for route in routes:
        r = await _get(api, me, route, None, limit=100)
        everything = r.json()["items"]
        seen: list[Any] = []
        cursor = None
        while True:
            r = await _get(api, me, route, cursor)
            assert r.status_code == 200, (route.name, r.text)
            seen += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor or not r.json()["items"] or len(seen) > len(everything):
                break
        assert seen == everything, route.name


async def test_forged_cursors_log_no_error(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    me, routes = await _network(api)
    genuine = {route.name: await _genuine(api, me, route) for route in routes}
    answers = []
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for route in routes:
            payload, _ = _open(genuine[route.name][0])
            for i in range(1, len(payload)):
                for bad in BAD_VALUES:
                    edited = [*payload[:i], bad, *payload[i + 1 :]]
                    forgeries = [_unsigned(edited)]
                    if not _fits(payload[i], bad):
                        forgeries.append(api.ctx.cursors.encode(*edited))
                    for forged in forgeries:
                        answers.append(await _get(api, me, route, forged))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    for r in answers:
        problem(r, 422, "invalid_cursor")


def test_cursors_stay_opaque_url_safe_and_within_the_declared_length() -> None:
    codec = Cursors(b"k" * 32)
    longest = codec.encode("cn:" + "A" * 16, '"\U0001d400' * 100, 2**63 - 1)
    assert len(longest) <= CURSOR_MAX_LENGTH
    assert set(longest) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert codec.decode(longest, "cn:" + "A" * 16, str, int) == ('"\U0001d400' * 100, 2**63 - 1)
    with pytest.raises(InvalidCursor):
        codec.decode("A" * (CURSOR_MAX_LENGTH + 1), "cn:", str, int)


def test_datetimes_come_back_in_utc() -> None:
    from datetime import UTC, timedelta, timezone

    codec = Cursors(b"k" * 32)
    at = datetime(2026, 12, 6, 15, 0, tzinfo=timezone(timedelta(hours=-5)))
    (back,) = codec.decode(codec.encode("x", at), "x", datetime)
    assert back == at and back.tzinfo is UTC


def test_the_cursor_key_is_never_the_jwt_secret(tmp_path: Path) -> None:
    hs = Settings(database_url="postgresql://h/d", jwt_secret=JWT_SECRET)
    key = cursor_key(hs, JWT_SECRET)
    assert JWT_SECRET.encode() not in key and key != JWT_SECRET.encode()[: len(key)]
    assert cursor_key(hs, JWT_SECRET) == key  # every process makes the same
    other = Settings(database_url="postgresql://h/d", jwt_secret=JWT_SECRET + "y")
    assert cursor_key(other, JWT_SECRET + "y") != key
    own = hs.model_copy(update={"cursor_secret": SecretStr("c" * 48)})
    assert cursor_key(own, JWT_SECRET) != key  # a cursor secret, when set, is the one

    # RS256 without a cursor secret: kept in the data directory when embedded, else refused.
    rs = Settings(data_dir=tmp_path / "data", database_url=None, jwt_algorithm="RS256")
    first = cursor_key(rs, None)
    assert (tmp_path / "data" / "cursor-secret").exists()
    assert cursor_key(rs, None) == first
    with pytest.raises(MissingCursorSecret, match="CONNECT_API_CURSOR_SECRET"):
        cursor_key(rs.model_copy(update={"database_url": "postgresql://h/d"}), None)
