"""Follows over HTTP: following, unfollowing, removing a follower, the lists, the counters."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import datetime
from typing import Any

from tests.helpers import Api, problem


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def counts(api: Api, member: int) -> tuple[int, int]:
    r = await api.admin.get(f"/v1/members/{member}")
    assert r.status_code == 200, r.text
    return r.json()["follower_count"], r.json()["following_count"]


async def follows(api: Api, follower: int, followee: int) -> bool:
    rows = await api.sql(
        "SELECT 1 FROM follows WHERE follower_id = :a AND followee_id = :b", a=follower, b=followee
    )
    return bool(rows)


async def pages(api: Api, viewer: int, url: str, **params: Any) -> list[list[int]]:
    out: list[list[int]] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = await api.as_(viewer).get(url, params=query)
        assert r.status_code == 200, r.text
        out.append([item["member"]["id"] for item in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


async def listed(api: Api, viewer: int, url: str, **params: Any) -> list[int]:
    return [i for page in await pages(api, viewer, url, **params) for i in page]


async def event_rows(api: Api, type_: str) -> list[tuple[Any, ...]]:
    rows = await api.sql("SELECT audience, data FROM events WHERE type = :t ORDER BY id", t=type_)
    return [tuple(r) for r in rows]


# --- follow ---------------------------------------------------------------------------------


async def test_follow_is_201_then_200_with_the_same_body(api: Api) -> None:
    a = await api.member()
    b = await api.member("Ada Lovelace", headline="Analyst")
    r = await api.as_(a).put(f"/v1/follows/{b}")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["member"] == {
        "id": b,
        "handle": first["member"]["handle"],
        "display_name": "Ada Lovelace",
        "headline": "Analyst",
    }
    assert when(first["followed_at"]) == api.clock.now()
    api.clock.advance(minutes=5)
    r = await api.as_(a).put(f"/v1/follows/{b}")
    assert r.status_code == 200, r.text
    assert r.json() == first  # the original followed_at
    assert await follows(api, a, b)
    assert not await follows(api, b, a)  # one-way, no consent
    assert await counts(api, a) == (0, 1)
    assert await counts(api, b) == (1, 0)
    assert await event_rows(api, "follow.created") == [
        ([a, b] if a < b else [b, a], {"follower_id": a, "followee_id": b})
    ]
    await api.assert_consistent()


async def test_me_and_member_show_follow_counts(api: Api) -> None:
    a, b, c = await api.members(3)
    for f in (b, c):
        assert (await api.as_(f).put(f"/v1/follows/{a}")).status_code == 201
    me = (await api.as_(a).get("/v1/me")).json()
    assert (me["follower_count"], me["following_count"]) == (2, 0)
    # A follower who is not a connection may not see a's lists, so neither their counts.
    other = (await api.as_(b).get(f"/v1/members/{a}")).json()
    assert (other["follower_count"], other["following_count"]) == (None, None)
    me_b = (await api.as_(b).get("/v1/me")).json()
    assert (me_b["follower_count"], me_b["following_count"]) == (0, 1)
    # A connection sees them (connecting made a follow each way).
    d = await api.member()
    await api.connect(a, d)
    seen = (await api.as_(d).get(f"/v1/members/{a}")).json()
    assert (seen["follower_count"], seen["following_count"]) == (3, 1)


async def test_cannot_follow_self(api: Api) -> None:
    (a,) = await api.members(1)
    problem(await api.as_(a).put(f"/v1/follows/{a}"), 400, "cannot_follow_self")
    assert await counts(api, a) == (0, 0)
    await api.assert_consistent()


async def test_follow_unknown_member_is_404(api: Api) -> None:
    (a,) = await api.members(1)
    problem(await api.as_(a).put(f"/v1/follows/{a + 100}"), 404, "not_found")
    problem(await api.as_(a).delete(f"/v1/follows/{a + 100}"), 404, "not_found")
    problem(await api.as_(a).delete(f"/v1/followers/{a + 100}"), 404, "not_found")
    problem(await api.as_(a).put("/v1/follows/0"), 422, "validation_error")
    problem(await api.as_(a).put("/v1/follows/abc"), 422, "validation_error")
    r = await api.http.put(f"/v1/follows/{a}")
    assert r.status_code == 401
    await api.assert_consistent()


async def _block(api: Api, blocker: int, blocked: int) -> None:
    """A block written directly: the blocks endpoints are not what is tested here."""
    await api.sql(
        "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (:a, :b, :now)",
        a=blocker,
        b=blocked,
        now=api.clock.now(),
    )


async def test_block_either_way_hides_the_member(api: Api) -> None:
    a, b, c = await api.members(3)
    await _block(api, a, b)
    for x, y in ((a, b), (b, a)):
        hidden = problem(await api.as_(x).put(f"/v1/follows/{y}"), 404, "not_found")
        unknown = problem(await api.as_(x).put(f"/v1/follows/{c + 100}"), 404, "not_found")
        # Only the path asked for and the request's own id differ.
        assert hidden == unknown | {
            "instance": hidden["instance"],
            "request_id": hidden["request_id"],
        }
        problem(await api.as_(x).delete(f"/v1/follows/{y}"), 404, "not_found")
        problem(await api.as_(x).delete(f"/v1/followers/{y}"), 404, "not_found")
        problem(await api.as_(x).get(f"/v1/members/{y}/followers"), 404, "not_found")
        problem(await api.as_(x).get(f"/v1/members/{y}/following"), 404, "not_found")
    # A third member is untouched by the block.
    assert (await api.as_(c).put(f"/v1/follows/{a}")).status_code == 201
    assert await counts(api, a) == (1, 0)
    await api.assert_consistent()


async def test_lists_leave_out_members_hidden_by_a_block(api: Api) -> None:
    a, b, c, d = await api.members(4)
    for f in (b, c, d):
        await api.connect(a, f)  # a follow each way with each: a's lists are theirs to see
    await _block(api, c, b)  # c blocked b: b no longer sees c, and c no longer sees b
    assert sorted(await listed(api, b, f"/v1/members/{a}/followers")) == sorted([b, d])
    assert sorted(await listed(api, b, f"/v1/members/{a}/following")) == sorted([b, d])
    assert sorted(await listed(api, c, f"/v1/members/{a}/followers")) == sorted([c, d])
    assert sorted(await listed(api, a, f"/v1/members/{a}/followers")) == sorted([b, c, d])
    # The counts beside the lists say the same (spec 2.11: no gap that says "a block").
    for viewer, shown in ((b, 2), (c, 2), (d, 3), (a, 3)):
        profile = (await api.as_(viewer).get(f"/v1/members/{a}")).json()
        assert profile["follower_count"] == profile["following_count"] == shown, viewer
        assert profile["connection_count"] == shown, viewer


# --- unfollow and remove a follower ---------------------------------------------------------


async def test_unfollow_is_idempotent(api: Api) -> None:
    a, b = await api.members(2)
    assert (await api.as_(a).put(f"/v1/follows/{b}")).status_code == 201
    for _ in range(2):
        r = await api.as_(a).delete(f"/v1/follows/{b}")
        assert r.status_code == 204
        assert r.content == b""
    assert not await follows(api, a, b)
    assert await counts(api, b) == (0, 0)
    assert await counts(api, a) == (0, 0)
    # Never followed, and self: nothing to remove, still 204.
    assert (await api.as_(b).delete(f"/v1/follows/{a}")).status_code == 204
    assert (await api.as_(a).delete(f"/v1/follows/{a}")).status_code == 204
    # One event, to the follower only, for the one follow actually removed.
    assert await event_rows(api, "follow.removed") == [([a], {"follower_id": a, "followee_id": b})]
    # Following again works.
    assert (await api.as_(a).put(f"/v1/follows/{b}")).status_code == 201
    await api.assert_consistent()


async def test_remove_a_follower_without_blocking(api: Api) -> None:
    a, b, c = await api.members(3)
    assert (await api.as_(b).put(f"/v1/follows/{a}")).status_code == 201
    assert (await api.as_(a).put(f"/v1/follows/{b}")).status_code == 201
    assert (await api.as_(c).put(f"/v1/follows/{a}")).status_code == 201
    for _ in range(2):
        assert (await api.as_(a).delete(f"/v1/followers/{b}")).status_code == 204
    assert not await follows(api, b, a)
    assert await follows(api, a, b)  # a's own follow of b stays
    assert await follows(api, c, a)
    assert await counts(api, a) == (1, 1)
    assert await counts(api, b) == (1, 0)
    assert await api.sql("SELECT count(*) FROM blocks") == [(0,)]
    assert await event_rows(api, "follow.removed") == [([a], {"follower_id": b, "followee_id": a})]
    # Not a block: b may follow again.
    assert (await api.as_(b).put(f"/v1/follows/{a}")).status_code == 201
    await api.assert_consistent()


# --- connections and follows ----------------------------------------------------------------


async def test_connecting_makes_both_follow_and_unfollow_keeps_the_connection(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    assert await follows(api, a, b) and await follows(api, b, a)
    assert await counts(api, a) == (1, 1)
    assert await counts(api, b) == (1, 1)
    # Following someone you are connected to is a 200: the follow is already there.
    assert (await api.as_(a).put(f"/v1/follows/{b}")).status_code == 200

    assert (await api.as_(a).delete(f"/v1/follows/{b}")).status_code == 204
    assert await api.count(a) == 1  # still connected
    assert await counts(api, a) == (1, 0)
    assert await counts(api, b) == (0, 1)

    # Removing the connection removes the remaining follow; follows may begin again afterwards.
    assert (await api.as_(b).delete(f"/v1/connections/{a}")).status_code == 204
    assert await api.sql("SELECT count(*) FROM follows") == [(0,)]
    assert await counts(api, a) == (0, 0)
    assert (await api.as_(a).put(f"/v1/follows/{b}")).status_code == 201
    assert await counts(api, b) == (1, 0)
    await api.assert_consistent()


async def test_removing_a_connection_removes_both_follows(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    assert (await api.as_(c).put(f"/v1/follows/{a}")).status_code == 201
    assert (await api.as_(a).delete(f"/v1/connections/{b}")).status_code == 204
    assert not await follows(api, a, b) and not await follows(api, b, a)
    assert await follows(api, c, a)  # others' follows are untouched
    assert await counts(api, a) == (1, 0)
    assert await counts(api, b) == (0, 0)
    await api.assert_consistent()


# --- lists ----------------------------------------------------------------------------------


async def test_lists_newest_first_and_item_shape(api: Api) -> None:
    a = await api.member()
    others = await api.members(3)
    times = {}
    for o in (others[1], others[2], others[0]):
        api.clock.advance(minutes=1)
        assert (await api.as_(o).put(f"/v1/follows/{a}")).status_code == 201
        assert (await api.as_(a).put(f"/v1/follows/{o}")).status_code == 201
        times[o] = api.clock.now()
    expected = [others[0], others[2], others[1]]
    for path in ("followers", "following"):
        r = await api.as_(a).get(f"/v1/members/{a}/{path}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["next_cursor"] is None
        assert [i["member"]["id"] for i in body["items"]] == expected
        assert [when(i["followed_at"]) for i in body["items"]] == [times[o] for o in expected]
        assert set(body["items"][0]["member"]) == {"id", "handle", "display_name", "headline"}
    # The other side's lists.
    assert await listed(api, others[0], f"/v1/members/{others[0]}/followers") == [a]
    assert await listed(api, others[0], f"/v1/members/{others[0]}/following") == [a]
    problem(await api.as_(a).get(f"/v1/members/{a + 100}/followers"), 404, "not_found")
    problem(await api.as_(a).get(f"/v1/members/{a + 100}/following"), 404, "not_found")


async def test_pagination_across_pages_exactly_once(api: Api) -> None:
    a = await api.member()
    fans = await api.members(9)
    for n, f in enumerate(fans):
        if n % 3 == 0:
            api.clock.advance(seconds=1)  # some share a timestamp: ties go by id
        assert (await api.as_(f).put(f"/v1/follows/{a}")).status_code == 201
        assert (await api.as_(a).put(f"/v1/follows/{f}")).status_code == 201
    newest_first = sorted(fans, key=lambda f: ((fans.index(f) // 3), f), reverse=True)
    for path in ("followers", "following"):
        split = await pages(api, a, f"/v1/members/{a}/{path}", limit=2)
        assert [len(p) for p in split] == [2, 2, 2, 2, 1]
        assert [i for p in split for i in p] == newest_first
        assert await listed(api, a, f"/v1/members/{a}/{path}", limit=9) == newest_first
        assert await listed(api, a, f"/v1/members/{a}/{path}", limit=100) == newest_first


async def test_pagination_stable_under_new_follows(api: Api) -> None:
    a = await api.member()
    first = await api.members(6)
    late = await api.members(3)
    for f in first:
        api.clock.advance(seconds=1)
        assert (await api.as_(f).put(f"/v1/follows/{a}")).status_code == 201
    seen: list[int] = []
    cursor = None
    fresh = iter(late)
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await api.as_(a).get(f"/v1/members/{a}/followers", params=params)
        assert r.status_code == 200, r.text
        seen += [i["member"]["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        nxt = next(fresh, None)
        if nxt is not None:
            api.clock.advance(seconds=1)
            assert (await api.as_(nxt).put(f"/v1/follows/{a}")).status_code == 201
    assert seen == list(reversed(first))
    await api.assert_consistent()


async def test_cursor_is_tied_to_its_list(api: Api) -> None:
    a, b = await api.members(2)
    for f in await api.members(3):
        assert (await api.as_(f).put(f"/v1/follows/{a}")).status_code == 201
        assert (await api.as_(f).put(f"/v1/follows/{b}")).status_code == 201
        assert (await api.as_(a).put(f"/v1/follows/{f}")).status_code == 201
    followers = (await api.as_(a).get(f"/v1/members/{a}/followers", params={"limit": 1})).json()
    cursor = followers["next_cursor"]
    assert cursor
    r = await api.as_(a).get(f"/v1/members/{a}/followers", params={"cursor": cursor})
    assert r.status_code == 200
    for url in (f"/v1/members/{a}/following", f"/v1/members/{b}/followers"):
        problem(await api.as_(a).get(url, params={"cursor": cursor}), 422, "invalid_cursor")
    problem(
        await api.as_(a).get(f"/v1/members/{a}/followers", params={"cursor": "garbage"}),
        422,
        "invalid_cursor",
    )
    for bad in (0, 101):
        problem(
            await api.as_(a).get(f"/v1/members/{a}/followers", params={"limit": bad}),
            422,
            "validation_error",
        )


# --- concurrency ----------------------------------------------------------------------------


async def test_storm_of_follows_and_unfollows_keeps_counters_exact(api: Api) -> None:
    people = await api.members(10)
    rng = random.Random(7)
    calls = []
    for _ in range(300):
        a, b = rng.sample(people, 2)
        kind = rng.choice(["follow", "follow", "unfollow", "remove"])
        if kind == "follow":
            calls.append(api.as_(a).put(f"/v1/follows/{b}"))
        elif kind == "unfollow":
            calls.append(api.as_(a).delete(f"/v1/follows/{b}"))
        else:
            calls.append(api.as_(a).delete(f"/v1/followers/{b}"))
    results = await asyncio.gather(*calls)
    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {200, 201, 204}, codes
    assert codes[201] > 0
    await api.assert_consistent()
    # Each 201 is one follow made, and each made follow has its event.
    created = await api.sql("SELECT count(*) FROM events WHERE type = 'follow.created'")
    assert created == [(codes[201],)]


async def test_concurrent_follows_of_one_member(api: Api) -> None:
    star = await api.member()
    fans = await api.members(40)
    results = await asyncio.gather(
        *(api.as_(f).put(f"/v1/follows/{star}") for f in fans for _ in range(2))
    )
    assert Counter(r.status_code for r in results) == {201: 40, 200: 40}
    assert await counts(api, star) == (40, 0)
    await api.assert_consistent()


async def test_follows_racing_a_connection_removal(api: Api) -> None:
    pairs = [tuple(await api.members(2)) for _ in range(8)]
    for a, b in pairs:
        await api.connect(a, b)
    calls = []
    for a, b in pairs:
        calls.append(api.as_(a).delete(f"/v1/connections/{b}"))
        calls += [api.as_(a).put(f"/v1/follows/{b}"), api.as_(b).put(f"/v1/follows/{a}")]
        calls += [api.as_(b).delete(f"/v1/follows/{a}"), api.as_(a).put(f"/v1/follows/{b}")]
    rng = random.Random(3)
    rng.shuffle(calls)
    results = await asyncio.gather(*calls)
    assert all(r.status_code < 500 for r in results), [
        r.text for r in results if r.status_code >= 500
    ]
    assert all(r.status_code in (200, 201, 204) for r in results), Counter(
        r.status_code for r in results
    )
    assert await api.sql("SELECT count(*) FROM connections") == [(0,)]
    await api.assert_consistent()
