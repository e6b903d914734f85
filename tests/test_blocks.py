"""Blocks (spec 2.7): one transaction cuts everything, and each side then sees the other as 404."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.helpers import Api, problem


async def follows(api: Api, a: int, b: int) -> bool:
    rows = await api.sql(
        "SELECT 1 FROM follows WHERE follower_id = :a AND followee_id = :b", a=a, b=b
    )
    return bool(rows)


async def test_block_cuts_connection_follows_notes_and_fixes_counters(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.connect(a, b)
    await api.connect(a, c)
    await api.sql(
        "INSERT INTO notes (author_id, member_id, body, created_at, updated_at)"
        " VALUES (:a, :b, 'met at a fair', now(), now()), (:b, :a, 'who?', now(), now())",
        a=a,
        b=b,
    )
    r = await api.as_(a).put(f"/v1/blocks/{b}")
    assert r.status_code == 201, r.text
    assert r.json()["member"]["id"] == b
    assert (await api.sql("SELECT count(*) FROM notes"))[0][0] == 0
    assert not await follows(api, a, b) and not await follows(api, b, a)
    assert await follows(api, a, c)  # nothing else touched
    me = (await api.as_(a).get("/v1/me")).json()
    assert me["connection_count"] == 1
    assert (await api.as_(b).get("/v1/me")).json()["connection_count"] == 0
    # Idempotent: 200 with the same time, nothing changes.
    again = await api.as_(a).put(f"/v1/blocks/{b}")
    assert again.status_code == 200
    assert again.json()["blocked_at"] == r.json()["blocked_at"]
    await api.assert_consistent()


async def test_block_removes_pending_invitations_either_way(api: Api) -> None:
    a, b, c = await api.members(3)
    sent = await api.invited(a, b)
    received = await api.invited(c, a)
    assert (await api.as_(a).put(f"/v1/blocks/{b}")).status_code == 201
    assert (await api.as_(c).put(f"/v1/blocks/{a}")).status_code == 201
    problem(await api.as_(b).get(f"/v1/invitations/{sent}"), 404, "not_found")
    problem(await api.as_(a).get(f"/v1/invitations/{received}"), 404, "not_found")
    inbox = (await api.as_(b).get("/v1/invitations/received")).json()["items"]
    assert inbox == []
    assert (await api.as_(a).get("/v1/me")).json()["pending_received"] == 0
    await api.assert_consistent()


async def test_neither_side_can_invite_follow_or_see_the_other(api: Api) -> None:
    blocker, blocked, other = await api.members(3)
    assert (await api.as_(blocker).put(f"/v1/blocks/{blocked}")).status_code == 201
    for a, b in ((blocked, blocker), (blocker, blocked)):
        nobody = problem(await api.invite(a, b), 404, "not_found")
        problem(await api.as_(a).get(f"/v1/members/{b}"), 404, "not_found")
        problem(await api.as_(a).put(f"/v1/follows/{b}"), 404, "not_found")
        # Exactly what a member who doesn't exist looks like: no oracle.
        missing = problem(await api.invite(a, 10_000_000), 404, "not_found")
        assert nobody["detail"] == missing["detail"]
    # Others see both as usual, and the admin sees everyone.
    assert (await api.as_(other).get(f"/v1/members/{blocker}")).status_code == 200
    assert (await api.admin.get(f"/v1/members/{blocked}")).status_code == 200
    # The blocked member is never told: no event addressed to them.
    events = (await api.as_(blocked).get("/v1/events")).json()["items"]
    assert [e for e in events if e["type"].startswith("member.")] == []
    mine = (await api.as_(blocker).get("/v1/events")).json()["items"]
    assert [e["type"] for e in mine] == ["member.blocked"]


async def test_unblock_allows_a_fresh_start_but_restores_nothing(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    assert (await api.as_(b).put(f"/v1/blocks/{a}")).status_code == 201
    assert (await api.as_(b).delete(f"/v1/blocks/{a}")).status_code == 204
    assert (await api.as_(b).delete(f"/v1/blocks/{a}")).status_code == 204  # idempotent
    assert (await api.as_(a).get(f"/v1/members/{b}")).status_code == 200
    assert (await api.as_(a).get("/v1/me")).json()["connection_count"] == 0
    await api.connect(a, b)  # no cooldown from the block
    await api.assert_consistent()


async def test_block_refusals_and_no_oracle(api: Api) -> None:
    a, b = await api.members(2)
    problem(await api.as_(a).put(f"/v1/blocks/{a}"), 400, "cannot_block_self")
    problem(await api.as_(a).put("/v1/blocks/99999999"), 404, "not_found")
    problem(await api.as_(a).delete("/v1/blocks/99999999"), 404, "not_found")
    problem(await api.as_(a).put("/v1/blocks/0"), 422, "validation_error")
    assert (await api.http.put(f"/v1/blocks/{b}")).status_code == 401
    # The blocked member can neither block back nor "unblock": both answer exactly as for a
    # member who doesn't exist, so neither tells them they are blocked.
    assert (await api.as_(a).put(f"/v1/blocks/{b}")).status_code == 201
    missing = problem(await api.as_(b).put("/v1/blocks/99999999"), 404, "not_found")
    blocked = problem(await api.as_(b).put(f"/v1/blocks/{a}"), 404, "not_found")
    # Only the request's own id and the path asked for differ.
    assert blocked["request_id"] != missing["request_id"]
    assert blocked == missing | {"instance": f"/v1/blocks/{a}", "request_id": blocked["request_id"]}
    problem(await api.as_(b).delete(f"/v1/blocks/{a}"), 404, "not_found")
    assert (await api.as_(a).get("/v1/blocks")).json()["items"][0]["member"]["id"] == b
    # Once a lifts the block, b may place one.
    assert (await api.as_(a).delete(f"/v1/blocks/{b}")).status_code == 204
    assert (await api.as_(b).put(f"/v1/blocks/{a}")).status_code == 201
    problem(await api.as_(a).get(f"/v1/members/{b}"), 404, "not_found")


async def test_list_blocks_is_mine_only_and_paginated(api: Api) -> None:
    me, other, *targets = await api.members(7)
    for t in targets:
        api.clock.advance(seconds=1)
        assert (await api.as_(me).put(f"/v1/blocks/{t}")).status_code == 201
    seen: list[int] = []
    cursor = None
    while True:
        r = await api.as_(me).get(
            "/v1/blocks", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.text
        seen += [item["member"]["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == targets[::-1]
    assert (await api.as_(other).get("/v1/blocks")).json()["items"] == []
    problem(await api.as_(me).get("/v1/blocks", params={"cursor": "nope"}), 422, "invalid_cursor")


async def test_block_racing_accept_never_leaves_both_blocked_and_connected(api: Api) -> None:
    outcomes: Counter[tuple[int, int]] = Counter()
    for _ in range(25):
        a, b = await api.members(2)
        invitation = await api.invited(a, b)
        accept, block = await asyncio.gather(
            api.as_(b).post(f"/v1/invitations/{invitation}/accept"),
            api.as_(a).put(f"/v1/blocks/{b}"),
        )
        assert block.status_code == 201, block.text
        assert accept.status_code in (200, 404), accept.text
        outcomes[(accept.status_code, block.status_code)] += 1
        connected = await api.sql(
            "SELECT count(*) FROM connections WHERE member_id IN (:a, :b)", a=a, b=b
        )
        assert connected[0][0] == 0
    await api.assert_consistent()
    assert sum(outcomes.values()) == 25


async def test_block_storm_with_follows_invites_and_accepts_stays_consistent(api: Api) -> None:
    people = await api.members(6)
    for i, a in enumerate(people):
        for b in people[i + 1 :: 2]:
            await api.connect(a, b)
    calls = []
    for a in people:
        for b in people:
            if a != b:
                calls += [
                    api.as_(a).put(f"/v1/blocks/{b}"),
                    api.as_(a).put(f"/v1/follows/{b}"),
                    api.invite(a, b),
                    api.as_(a).delete(f"/v1/blocks/{b}"),
                ]
    results = await asyncio.gather(*calls)
    assert all(r.status_code < 500 for r in results), [
        r.text for r in results if r.status_code >= 500
    ]
    await api.assert_consistent()


async def test_past_invitations_across_a_block_are_gone_for_both(api: Api) -> None:
    a, b = await api.members(2)
    declined = await api.invited(a, b)
    assert (await api.decline(b, declined)).status_code == 200
    assert (await api.as_(b).put(f"/v1/blocks/{a}")).status_code == 201
    for who, box in ((a, "sent"), (b, "received")):
        problem(await api.as_(who).get(f"/v1/invitations/{declined}"), 404, "not_found")
        assert (await api.as_(who).get(f"/v1/invitations/{box}")).json()["items"] == []
    problem(await api.as_(b).post(f"/v1/invitations/{declined}/accept"), 404, "not_found")
    assert (await api.as_(b).delete(f"/v1/blocks/{a}")).status_code == 204
    assert (await api.as_(a).get(f"/v1/invitations/{declined}")).status_code == 200


async def test_lists_of_others_leave_out_members_hidden_by_a_block(api: Api) -> None:
    viewer, friend, blocker, blocked, plain = await api.members(5)
    await api.connect(viewer, friend)
    for m in (blocker, blocked, plain):
        await api.connect(friend, m)
    assert (await api.as_(blocker).put(f"/v1/blocks/{viewer}")).status_code == 201
    assert (await api.as_(viewer).put(f"/v1/blocks/{blocked}")).status_code == 201
    for sort in ("recent", "name"):
        r = await api.as_(viewer).get(f"/v1/members/{friend}/connections", params={"sort": sort})
        assert sorted(i["member"]["id"] for i in r.json()["items"]) == sorted([viewer, plain])
        # The friend sees their whole list.
        r = await api.as_(friend).get(f"/v1/members/{friend}/connections", params={"sort": sort})
        assert len(r.json()["items"]) == 4
