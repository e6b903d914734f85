"""Groups over HTTP: admins create them, members join and leave, counts stay exact."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import datetime
from typing import Any

from tests.helpers import Api, problem


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def make_group(api: Api, name: str, **fields: Any) -> int:
    r = await api.admin.post("/v1/groups", json={"name": name, **fields})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def member_count(api: Api, group: int) -> int:
    r = await api.admin.get(f"/v1/groups/{group}")
    assert r.status_code == 200, r.text
    return int(r.json()["member_count"])


async def pages(api: Api, viewer: int, url: str, **params: Any) -> list[list[int]]:
    out: list[list[int]] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = await api.as_(viewer).get(url, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        out.append([i["member"]["id"] if "member" in i else i["id"] for i in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


# --- create ---------------------------------------------------------------------------------


async def test_admin_creates_a_group(api: Api) -> None:
    r = await api.admin.post(
        "/v1/groups", json={"name": "  Analytical Engines  ", "description": "For computing."}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/groups/{body['id']}"
    assert body == {
        "id": body["id"],
        "name": "Analytical Engines",
        "description": "For computing.",
        "member_count": 0,
        "created_at": body["created_at"],
    }
    assert when(body["created_at"]) == api.clock.now()
    a = await api.member()
    r = await api.as_(a).get(f"/v1/groups/{body['id']}")
    assert r.status_code == 200
    assert r.json() == body
    # Without a description.
    r = await api.admin.post("/v1/groups", json={"name": "Quiet"})
    assert r.status_code == 201
    assert r.json()["description"] is None


async def test_only_admins_create_groups(api: Api) -> None:
    (a,) = await api.members(1)
    problem(await api.as_(a).post("/v1/groups", json={"name": "Mine"}), 403, "insufficient_scope")
    assert (await api.http.post("/v1/groups", json={"name": "Mine"})).status_code == 401
    assert await api.sql("SELECT count(*) FROM groups") == [(0,)]


async def test_group_names_are_unique_case_insensitively(api: Api) -> None:
    await make_group(api, "Rust Users")
    for name in ("Rust Users", "rust users", "  RUST USERS "):
        body = problem(
            await api.admin.post("/v1/groups", json={"name": name}), 409, "group_name_taken"
        )
        assert body["name"] == name.strip()
    await make_group(api, "Rust Users 2")
    assert await api.sql("SELECT count(*) FROM groups") == [(2,)]


async def test_concurrent_creates_of_one_name_make_one_group(api: Api) -> None:
    results = await asyncio.gather(
        *(
            api.admin.post("/v1/groups", json={"name": f"Same {'X' if n % 2 else 'x'}"})
            for n in range(20)
        )
    )
    assert Counter(r.status_code for r in results) == {201: 1, 409: 19}
    assert await api.sql("SELECT count(*) FROM groups") == [(1,)]


async def test_create_group_is_idempotent_with_a_key(api: Api) -> None:
    admin = api.admin
    headers = admin.headers | {"Idempotency-Key": "group-1"}

    async def post(name: str) -> Any:
        return await api.http.post("/v1/groups", json={"name": name}, headers=headers)

    first, again = await post("Once"), await post("Once")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    problem(await post("Other"), 422, "idempotency_key_reused")
    assert await api.sql("SELECT count(*) FROM groups") == [(1,)]


async def test_bad_group_input_is_422(api: Api) -> None:
    for body in (
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "nul\x00"},
        {"name": 5},
        {"name": "ok", "description": "d" * 1001},
        {"name": "ok", "description": "nul\x00"},
        {"name": "ok", "member_count": 5},
        {"name": None},
    ):
        problem(await api.admin.post("/v1/groups", json=body), 422, "validation_error")
    assert (await api.admin.post("/v1/groups", json={"name": "x" * 100})).status_code == 201
    r = await api.admin.post("/v1/groups", json={"name": "y", "description": "d" * 1000})
    assert r.status_code == 201
    assert await api.sql("SELECT count(*) FROM groups") == [(2,)]


# --- read -----------------------------------------------------------------------------------


async def test_unknown_group_is_404(api: Api) -> None:
    (a,) = await api.members(1)
    g = await make_group(api, "Real")
    for r in (
        await api.as_(a).get(f"/v1/groups/{g + 1}"),
        await api.as_(a).put(f"/v1/groups/{g + 1}/members/me"),
        await api.as_(a).delete(f"/v1/groups/{g + 1}/members/me"),
        await api.as_(a).get(f"/v1/groups/{g + 1}/members"),
    ):
        problem(r, 404, "not_found")
    problem(await api.as_(a).get("/v1/groups/0"), 422, "validation_error")
    problem(await api.as_(a).put("/v1/groups/x/members/me"), 422, "validation_error")
    assert await api.sql("SELECT count(*) FROM group_members") == [(0,)]


async def test_group_list_newest_first_with_cursors(api: Api) -> None:
    (a,) = await api.members(1)
    ids = []
    for n in range(7):
        api.clock.advance(seconds=1)
        ids.append(await make_group(api, f"Group {n}"))
    split = await pages(api, a, "/v1/groups", limit=3)
    assert split == [ids[6:3:-1], ids[3:0:-1], ids[:1]]
    assert [i for p in await pages(api, a, "/v1/groups") for i in p] == ids[::-1]
    # An admin, who is no member, reads the groups too.
    r = await api.admin.get("/v1/groups", params={"limit": 100})
    assert [g["id"] for g in r.json()["items"]] == ids[::-1]
    problem(await api.as_(a).get("/v1/groups", params={"cursor": "nope"}), 422, "invalid_cursor")
    problem(await api.as_(a).get("/v1/groups", params={"limit": 0}), 422, "validation_error")


async def test_a_token_whose_member_is_gone_is_401(api: Api) -> None:
    g = await make_group(api, "G")
    ghost = api.as_(123_456)
    for r in (
        await ghost.get("/v1/groups"),
        await ghost.get(f"/v1/groups/{g}"),
        await ghost.put(f"/v1/groups/{g}/members/me"),
        await ghost.get(f"/v1/groups/{g}/members"),
    ):
        problem(r, 401, "invalid_token")


# --- join and leave -------------------------------------------------------------------------


async def test_join_is_201_then_200_and_leave_is_idempotent(api: Api) -> None:
    a, b = await api.members(2)
    g = await make_group(api, "Engines", description="Gears")
    r = await api.as_(a).put(f"/v1/groups/{g}/members/me")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["group"]["id"] == g
    assert first["group"]["member_count"] == 1
    assert first["group"]["description"] == "Gears"
    assert when(first["joined_at"]) == api.clock.now()
    api.clock.advance(minutes=3)
    r = await api.as_(a).put(f"/v1/groups/{g}/members/me")
    assert r.status_code == 200
    assert r.json() == first
    r = await api.as_(b).put(f"/v1/groups/{g}/members/me")
    assert r.status_code == 201
    assert r.json()["group"]["member_count"] == 2
    assert await member_count(api, g) == 2

    for _ in range(2):
        r = await api.as_(a).delete(f"/v1/groups/{g}/members/me")
        assert r.status_code == 204
        assert r.content == b""
    assert await member_count(api, g) == 1
    # Never joined: still 204, nothing changes.
    (c,) = await api.members(1)
    assert (await api.as_(c).delete(f"/v1/groups/{g}/members/me")).status_code == 204
    assert await member_count(api, g) == 1
    # Joining again after leaving.
    assert (await api.as_(a).put(f"/v1/groups/{g}/members/me")).status_code == 201
    assert await member_count(api, g) == 2
    await api.assert_consistent()


async def test_group_members_newest_first_with_cursors(api: Api) -> None:
    g = await make_group(api, "Big")
    other = await make_group(api, "Other")
    people = await api.members(7)
    for n, m in enumerate(people):
        if n % 2 == 0:
            api.clock.advance(seconds=1)  # pairs share a timestamp: ties go by id
        assert (await api.as_(m).put(f"/v1/groups/{g}/members/me")).status_code == 201
    await api.as_(people[0]).put(f"/v1/groups/{other}/members/me")
    expected = sorted(people, key=lambda m: (people.index(m) // 2, m), reverse=True)
    split = await pages(api, people[0], f"/v1/groups/{g}/members", limit=2)
    assert [len(p) for p in split] == [2, 2, 2, 1]
    assert [i for p in split for i in p] == expected
    r = await api.as_(people[0]).get(f"/v1/groups/{g}/members", params={"limit": 1})
    item = r.json()["items"][0]
    assert item["member"]["id"] == people[6]
    assert set(item) == {"member", "joined_at"}
    # A cursor for one group's list is refused on another's.
    cursor = r.json()["next_cursor"]
    problem(
        await api.as_(people[0]).get(f"/v1/groups/{other}/members", params={"cursor": cursor}),
        422,
        "invalid_cursor",
    )
    assert [i for p in await pages(api, people[1], f"/v1/groups/{other}/members") for i in p] == [
        people[0]
    ]


async def test_group_members_leave_out_members_hidden_by_a_block(api: Api) -> None:
    a, b, c = await api.members(3)
    g = await make_group(api, "G")
    for m in (a, b, c):
        assert (await api.as_(m).put(f"/v1/groups/{g}/members/me")).status_code == 201
    await api.sql(
        "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (:a, :b, :now)",
        a=b,
        b=a,
        now=api.clock.now(),
    )
    seen_by = {}
    for m in (a, b, c):
        seen_by[m] = sorted(i for p in await pages(api, m, f"/v1/groups/{g}/members") for i in p)
    assert seen_by[a] == sorted([a, c])
    assert seen_by[b] == sorted([b, c])
    assert seen_by[c] == sorted([a, b, c])
    assert await member_count(api, g) == 3  # the count is the group's, not the viewer's


# --- concurrency ----------------------------------------------------------------------------


async def test_storm_of_joins_and_leaves_keeps_member_count_exact(api: Api) -> None:
    people = await api.members(12)
    groups = [await make_group(api, f"Storm {n}") for n in range(3)]
    rng = random.Random(11)
    calls = []
    for _ in range(300):
        m, g = rng.choice(people), rng.choice(groups)
        url = f"/v1/groups/{g}/members/me"
        calls.append(api.as_(m).put(url) if rng.random() < 0.6 else api.as_(m).delete(url))
    results = await asyncio.gather(*calls)
    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {200, 201, 204}, codes
    assert codes[201] > 0
    await api.assert_consistent()
    for g in groups:
        rows = await api.sql("SELECT count(*) FROM group_members WHERE group_id = :g", g=g)
        assert await member_count(api, g) == rows[0][0]


async def test_many_join_one_group_at_once(api: Api) -> None:
    people = await api.members(60)
    g = await make_group(api, "Popular")
    results = await asyncio.gather(
        *(api.as_(m).put(f"/v1/groups/{g}/members/me") for m in people for _ in range(2))
    )
    assert Counter(r.status_code for r in results) == {201: 60, 200: 60}
    assert await member_count(api, g) == 60
    results = await asyncio.gather(
        *(api.as_(m).delete(f"/v1/groups/{g}/members/me") for m in people[:30] for _ in range(2))
    )
    assert {r.status_code for r in results} == {204}
    assert await member_count(api, g) == 30
    await api.assert_consistent()
