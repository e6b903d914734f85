"""Connections (listing, privacy, removal) and members over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.helpers import Api, problem


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def listing(api: Api, viewer: int, member: int, **params: Any) -> list[int]:
    r = await api.as_(viewer).get(f"/v1/members/{member}/connections", params=params)
    assert r.status_code == 200, r.text
    return [item["member"]["id"] for item in r.json()["items"]]


async def all_pages(api: Api, viewer: int, member: int, **params: Any) -> list[int]:
    out: list[int] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = await api.as_(viewer).get(f"/v1/members/{member}/connections", params=query)
        assert r.status_code == 200, r.text
        out += [item["member"]["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


async def me(api: Api, member: int) -> dict[str, Any]:
    r = await api.as_(member).get("/v1/me")
    assert r.status_code == 200, r.text
    return r.json()


# --- visibility -----------------------------------------------------------------------------


async def test_connection_list_visible_to_member_and_first_degree_only(api: Api) -> None:
    a, b, c, d, e = await api.members(5)
    await api.connect(a, b)
    await api.connect(c, a)
    await api.connect(b, d)  # d is 2nd degree from a
    await api.invited(e, a)  # pending is not connected
    assert sorted(await listing(api, a, a)) == sorted([b, c])
    assert sorted(await listing(api, b, a)) == sorted([b, c])
    assert sorted(await listing(api, c, a)) == sorted([b, c])
    hidden = problem(await api.as_(d).get(f"/v1/members/{a}/connections"), 404, "not_found")
    problem(await api.as_(e).get(f"/v1/members/{a}/connections"), 404, "not_found")
    unknown = problem(await api.as_(a).get(f"/v1/members/{e + 50}/connections"), 404, "not_found")
    assert hidden["detail"] == unknown["detail"]  # no existence oracle
    problem(await api.as_(a).get("/v1/members/0/connections"), 422, "validation_error")
    # d sees b's list, since they are connected.
    assert sorted(await listing(api, d, b)) == sorted([a, d])
    r = await api.http.get(f"/v1/members/{a}/connections")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    await api.assert_consistent()


async def test_connection_item_shape(api: Api) -> None:
    a = await api.member("Ada Lovelace", headline="Analyst")
    b = await api.member("Grace Hopper")
    await api.connect(b, a)
    r = await api.as_(b).get(f"/v1/members/{b}/connections")
    body = r.json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["member"]["id"] == a
    assert item["member"]["display_name"] == "Ada Lovelace"
    assert item["member"]["headline"] == "Analyst"
    assert when(item["connected_at"]) == api.clock.now()


# --- sorting and filtering ------------------------------------------------------------------


async def test_sort_recent_is_newest_first(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(4)
    times = {}
    for o in (others[2], others[0], others[3], others[1]):
        api.clock.advance(minutes=5)
        if o == others[0]:
            await api.connect(o, a)
        else:
            await api.connect(a, o)
        times[o] = api.clock.now()
    expected = [others[1], others[3], others[0], others[2]]
    assert await listing(api, a, a) == expected
    assert await listing(api, a, a, sort="recent") == expected
    r = await api.as_(a).get(f"/v1/members/{a}/connections")
    assert [when(i["connected_at"]) for i in r.json()["items"]] == [times[o] for o in expected]
    problem(
        await api.as_(a).get(f"/v1/members/{a}/connections?sort=oldest"), 422, "validation_error"
    )


async def test_sort_by_name_case_insensitive(api: Api) -> None:
    (a,) = await api.members(1)
    names = ["charlie", "Alice", "bob", "Bob", "alan", "Zoë", "Émile", "dave", "İlker", "ilse"]
    ids = {}
    for name in names:
        ids[name] = await api.member(name)
    for name in names:
        await api.connect(a, ids[name])
    full = await listing(api, a, a, sort="name")
    # Case-insensitive, ties by id ("İ" lower-cases differently in Python: left out here).
    plain = [n for n in names if n != "İlker"]
    expected = [ids[n] for n in sorted(plain, key=lambda n: (n.lower(), ids[n]))]
    assert [i for i in full if i != ids["İlker"]] == expected
    # The same order page by page, whatever the page size.
    for limit in (1, 2, 3):
        assert await all_pages(api, a, a, sort="name", limit=limit) == full


async def test_q_filters_on_name_and_handle(api: Api) -> None:
    (a,) = await api.members(1)
    ann = await api.member("Ann Lee", handle="annlee")
    joanna = await api.member("Joanna Smith", handle="jsmith")
    bob = await api.member("Bob Stone", handle="robert-ann")
    zed = await api.member("Zed", handle="zzz")
    for o in (ann, joanna, bob, zed):
        await api.connect(a, o)
    assert sorted(await listing(api, a, a, q="ann")) == sorted([ann, joanna, bob])
    assert sorted(await listing(api, a, a, q="ANN")) == sorted([ann, joanna, bob])
    assert await listing(api, a, a, q="smith") == [joanna]
    assert await listing(api, a, a, q="robert-") == [bob]
    assert await listing(api, a, a, q="nobody") == []
    assert await listing(api, a, a, q="ann", sort="name") == [ann, bob, joanna]
    problem(await api.as_(a).get(f"/v1/members/{a}/connections?q="), 422, "validation_error")
    problem(
        await api.as_(a).get(f"/v1/members/{a}/connections", params={"q": "x" * 101}),
        422,
        "validation_error",
    )


async def test_q_percent_and_underscore_are_literal(api: Api) -> None:
    (a,) = await api.members(1)
    pct = await api.member("100% Pure")
    plain = await api.member("100 Pure")
    under = await api.member("snake_case")
    not_under = await api.member("snakeXcase")
    slash = await api.member("back\\slash")
    for o in (pct, plain, under, not_under, slash):
        await api.connect(a, o)
    assert await listing(api, a, a, q="%") == [pct]
    assert await listing(api, a, a, q="0% P") == [pct]
    assert await listing(api, a, a, q="e_c") == [under]
    assert await listing(api, a, a, q="_") == [under]
    assert await listing(api, a, a, q="\\") == [slash]
    assert await listing(api, a, a, q="k\\s") == [slash]


# --- pagination -----------------------------------------------------------------------------


async def test_recent_pagination_exactly_once_under_inserts(api: Api) -> None:
    (a,) = await api.members(1)
    first = await api.members(7)
    late = await api.members(4)
    for n, o in enumerate(first):
        if n % 3 == 0:
            api.clock.advance(seconds=1)  # some share a timestamp
        await api.connect(a, o)
    seen: list[int] = []
    cursor = None
    fresh = iter(late)
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await api.as_(a).get(f"/v1/members/{a}/connections", params=params)
        assert r.status_code == 200, r.text
        pages += 1
        seen += [i["member"]["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        # A new connection between page fetches.
        nxt = next(fresh, None)
        if nxt is not None:
            api.clock.advance(seconds=1)
            await api.connect(nxt, a)
    assert pages == 4
    assert len(seen) == len(set(seen))
    assert seen == list(reversed(first))  # newer ones are before the cursor: not shown
    assert len(await all_pages(api, a, a, limit=5)) == 10
    await api.assert_consistent()


async def test_name_pagination_exactly_once_under_inserts(api: Api) -> None:
    (a,) = await api.members(1)
    names = ["amy", "Ben", "cara", "Dan", "eve", "Fay", "gus", "Hal"]
    originals = {await api.member(n): n for n in names}
    for o in originals:
        await api.connect(a, o)
    inserts = iter(["aaron", "zack", "Bea", "yves"])  # before and after any cursor
    inserted: dict[int, str] = {}
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, "sort": "name"}
        if cursor:
            params["cursor"] = cursor
        r = await api.as_(a).get(f"/v1/members/{a}/connections", params=params)
        assert r.status_code == 200, r.text
        seen += [i["member"]["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        name = next(inserts, None)
        if name is not None:
            new = await api.member(name)
            inserted[new] = name
            await api.connect(a, new)
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in originals] == sorted(
        originals, key=lambda i: originals[i].lower()
    )
    # "zack" sorts after every cursor: it shows up; "aaron" came too late to.
    assert [inserted[i] for i in seen if i in inserted] == ["zack"]
    final = await all_pages(api, a, a, sort="name", limit=4)
    everyone = originals | inserted
    assert final == sorted(everyone, key=lambda i: everyone[i].lower())


async def test_cursor_is_tied_to_its_sort_and_filter(api: Api) -> None:
    (a,) = await api.members(1)
    for o in await api.members(3):
        await api.connect(a, o)
    url = f"/v1/members/{a}/connections"
    by_name = (await api.as_(a).get(url, params={"sort": "name", "limit": 1})).json()
    recent = (await api.as_(a).get(url, params={"limit": 1})).json()
    filtered = (await api.as_(a).get(url, params={"q": "member", "limit": 1})).json()
    for params in (
        {"sort": "recent", "cursor": by_name["next_cursor"]},
        {"cursor": by_name["next_cursor"]},
        {"sort": "name", "cursor": recent["next_cursor"]},
        {"q": "member", "cursor": recent["next_cursor"]},
        {"q": "other", "cursor": filtered["next_cursor"]},
        {"cursor": "garbage"},
        {"cursor": "x" * 600},
    ):
        r = await api.as_(a).get(url, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["code"] in ("invalid_cursor", "validation_error")
    r = await api.as_(a).get(url, params={"sort": "recent", "cursor": by_name["next_cursor"]})
    problem(r, 422, "invalid_cursor")
    r = await api.as_(a).get(url, params={"sort": "name", "cursor": by_name["next_cursor"]})
    assert r.status_code == 200
    r = await api.as_(a).get(url, params={"q": "member", "cursor": filtered["next_cursor"]})
    assert r.status_code == 200
    for bad in (0, 101):
        problem(await api.as_(a).get(url, params={"limit": bad}), 422, "validation_error")


# --- removal --------------------------------------------------------------------------------


async def test_remove_connection(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.connect(a, c)
    assert await api.count(a) == 2
    r = await api.as_(b).delete(f"/v1/connections/{a}")
    assert r.status_code == 204
    assert r.content == b""
    assert await api.count(a) == 1
    assert await api.count(b) == 0
    assert await listing(api, a, a) == [c]
    problem(await api.as_(b).get(f"/v1/members/{a}/connections"), 404, "not_found")
    # Silent: the only event is addressed to the remover.
    removed = await api.sql("select audience from events where type = 'connection.removed'")
    assert removed == [([b],)]
    await api.assert_consistent()


async def test_remove_when_not_connected_is_404(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.invited(a, b)
    problem(await api.as_(a).delete(f"/v1/connections/{b}"), 404, "not_found")
    problem(await api.as_(a).delete(f"/v1/connections/{c + 100}"), 404, "not_found")
    problem(await api.as_(a).delete(f"/v1/connections/{a}"), 404, "not_found")
    await api.connect(a, c)
    assert (await api.as_(c).delete(f"/v1/connections/{a}")).status_code == 204
    problem(await api.as_(a).delete(f"/v1/connections/{c}"), 404, "not_found")
    assert await api.count(a) == 0
    assert await api.count(c) == 0
    await api.assert_consistent()


async def test_no_cooldown_after_removal(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    assert (await api.as_(a).delete(f"/v1/connections/{b}")).status_code == 204
    r = await api.invite(a, b)  # the remover invites again at once
    assert r.status_code == 201, r.text
    assert (await api.as_(a).post(f"/v1/invitations/{r.json()['id']}/withdraw")).status_code == 200
    r = await api.invite(b, a)  # and so may the removed one
    assert r.status_code == 201, r.text
    assert (await api.as_(a).post(f"/v1/invitations/{r.json()['id']}/accept")).status_code == 200
    assert await api.count(a) == 1
    assert (await api.as_(b).delete(f"/v1/connections/{a}")).status_code == 204
    assert (await api.invite(b, a)).status_code == 201
    await api.assert_consistent()


# --- members --------------------------------------------------------------------------------


async def test_create_member_needs_admin(api: Api) -> None:
    (a,) = await api.members(1)
    r = await api.as_(a).post("/v1/members", json={"handle": "mallory", "display_name": "M"})
    problem(r, 403, "insufficient_scope")
    r = await api.http.post("/v1/members", json={"handle": "mallory", "display_name": "M"})
    assert r.status_code == 401
    assert await api.sql("select count(*) from members") == [(1,)]


async def test_create_member(api: Api) -> None:
    r = await api.admin.post(
        "/v1/members",
        json={"handle": "Ada.L", "display_name": "  Ada Lovelace ", "headline": "Engines"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/members/{body['id']}"
    assert body["handle"] == "Ada.L"
    assert body["display_name"] == "Ada Lovelace"
    assert body["headline"] == "Engines"
    assert body["connection_count"] == 0
    assert when(body["created_at"]) == api.clock.now()
    r = await api.as_(body["id"]).get(f"/v1/members/{body['id']}")
    assert r.json() == body


async def test_handle_taken_case_insensitively(api: Api) -> None:
    r = await api.admin.post("/v1/members", json={"handle": "grace", "display_name": "G"})
    assert r.status_code == 201
    for handle in ("grace", "GRACE", "Grace"):
        r = await api.admin.post("/v1/members", json={"handle": handle, "display_name": "H"})
        body = problem(r, 409, "handle_taken")
        assert body["handle"] == handle
    assert await api.sql("select count(*) from members") == [(1,)]


async def test_create_member_validation(api: Api) -> None:
    for body in (
        {"handle": "ab", "display_name": "X"},
        {"handle": "has space", "display_name": "X"},
        {"handle": "okhandle"},
        {"handle": "okhandle", "display_name": ""},
        {"handle": "okhandle", "display_name": "X", "connection_count": 5},
        {"handle": "okhandle", "display_name": "X", "headline": "h" * 221},
    ):
        problem(await api.admin.post("/v1/members", json=body), 422, "validation_error")
    assert await api.sql("select count(*) from members") == [(0,)]


async def test_get_member(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    r = await api.as_(a).get(f"/v1/members/{b}")
    assert r.status_code == 200
    assert r.json()["id"] == b
    assert r.json()["connection_count"] == 1
    assert "restricted_until" not in r.json()
    problem(await api.as_(a).get(f"/v1/members/{b + 100}"), 404, "not_found")
    problem(await api.as_(a).get("/v1/members/abc"), 422, "validation_error")


async def test_me_counts(api: Api) -> None:
    a, b, c, d = await api.members(4)
    mine = await me(api, a)
    assert mine["id"] == a
    assert mine["connection_count"] == 0
    assert mine["pending_received"] == 0
    assert mine["restricted_until"] is None
    assert mine["invitations"] == {
        "hour_remaining": 20,
        "week_remaining": 100,
        "pending_outgoing": 0,
        "pending_outgoing_limit": 5000,
    }
    await api.invited(a, b)
    assert (await me(api, a))["invitations"]["hour_remaining"] == 19
    await api.invited(a, c)
    mine = await me(api, a)
    assert mine["invitations"]["hour_remaining"] == 18
    assert mine["invitations"]["week_remaining"] == 98
    assert mine["invitations"]["pending_outgoing"] == 2
    assert (await me(api, b))["pending_received"] == 1
    await api.invited(d, b)
    assert (await me(api, b))["pending_received"] == 2
    await api.connect(b, c)
    assert (await me(api, b))["connection_count"] == 1
    assert (await me(api, c))["connection_count"] == 1
    # A withdrawn invitation still counts against the windows, not against pending.
    inv = (await api.as_(a).get("/v1/invitations/sent")).json()["items"][0]["id"]
    assert (await api.as_(a).post(f"/v1/invitations/{inv}/withdraw")).status_code == 200
    mine = await me(api, a)
    assert mine["invitations"]["hour_remaining"] == 18
    assert mine["invitations"]["pending_outgoing"] == 1
    api.clock.advance(hours=1)
    mine = await me(api, a)
    assert mine["invitations"]["hour_remaining"] == 20
    assert mine["invitations"]["week_remaining"] == 98
    await api.assert_consistent()
