"""Erasure (spec 2.12): everything by or about a member goes, in one transaction."""

from __future__ import annotations

import asyncio

from tests.helpers import Api, problem

TABLES_ABOUT = {
    "connections": "member_id = :m OR other_id = :m",
    "invitations": "inviter_id = :m OR invitee_id = :m",
    "follows": "follower_id = :m OR followee_id = :m",
    "blocks": "blocker_id = :m OR blocked_id = :m",
    "notes": "author_id = :m OR member_id = :m",
    "connection_tags": "author_id = :m OR member_id = :m",
    "group_members": "member_id = :m",
    "idempotency_keys": "member_id = :m",
}


async def leftovers(api: Api, member: int) -> dict[str, int]:
    out = {}
    for table, where in TABLES_ABOUT.items():
        # Table names and conditions are the constants above.
        rows = await api.sql(f"SELECT count(*) FROM {table} WHERE {where}", m=member)  # noqa: S608
        out[table] = rows[0][0]
    rows = await api.sql("SELECT count(*) FROM events WHERE :m = ANY(audience)", m=member)
    out["event audiences"] = rows[0][0]
    return out


async def test_erasure_removes_everything_and_fixes_counters(api: Api) -> None:
    gone, a, b, c, d = await api.members(5)
    await api.connect(gone, a)
    await api.connect(b, gone)
    await api.invited(gone, c)
    await api.invited(d, gone)
    assert (await api.as_(c).put(f"/v1/follows/{gone}")).status_code in (200, 201)
    assert (await api.as_(gone).put(f"/v1/blocks/{d}")).status_code == 201
    await api.sql(
        "INSERT INTO notes (author_id, member_id, body, created_at, updated_at)"
        " VALUES (:g, :a, 'x', now(), now()), (:a, :g, 'y', now(), now())",
        g=gone,
        a=a,
    )
    await api.sql(
        "INSERT INTO connection_tags (author_id, member_id, key, name, created_at)"
        " VALUES (:a, :g, 'fair', 'Fair', now())",
        g=gone,
        a=a,
    )
    group = await api.sql(
        "INSERT INTO groups (name, created_at, member_count) VALUES ('G', now(), 2) RETURNING id"
    )
    await api.sql(
        "INSERT INTO group_members (group_id, member_id, joined_at)"
        " VALUES (:g, :m, now()), (:g, :a, now())",
        g=group[0][0],
        m=gone,
        a=a,
    )
    await api.connect(a, b)  # untouched by the erasure

    r = await api.admin.delete(f"/v1/members/{gone}")
    assert r.status_code == 204, r.text

    assert set((await leftovers(api, gone)).values()) == {0}, await leftovers(api, gone)
    assert (await api.sql("SELECT member_count FROM groups"))[0][0] == 1
    assert await api.count(a) == 1 and await api.count(b) == 1
    problem(await api.admin.get(f"/v1/members/{gone}"), 404, "not_found")
    problem(await api.admin.delete(f"/v1/members/{gone}"), 404, "not_found")
    # The erased member's token is dead; their former connections hear of it.
    problem(await api.as_(gone).get("/v1/me"), 401, "invalid_token")
    types = [e["type"] for e in (await api.as_(a).get("/v1/events")).json()["items"]]
    assert types[-1] == "member.erased"
    await api.assert_consistent()


async def test_a_member_may_erase_themself_but_no_one_else(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    problem(await api.as_(a).delete(f"/v1/members/{b}"), 403, "insufficient_scope")
    assert await api.count(b) == 1
    assert (await api.as_(a).delete(f"/v1/members/{a}")).status_code == 204
    assert await api.count(b) == 0
    await api.assert_consistent()


async def test_erasure_of_a_hub_racing_its_neighbours_stays_consistent(api: Api) -> None:
    for _ in range(5):
        hub, *others = await api.members(8)
        for o in others[:4]:
            await api.connect(hub, o)
        pending = [await api.invited(o, hub) for o in others[4:]]
        calls = [api.admin.delete(f"/v1/members/{hub}")]
        calls += [api.as_(hub).post(f"/v1/invitations/{i}/accept") for i in pending]
        calls += [api.as_(o).put(f"/v1/follows/{hub}") for o in others]
        calls += [api.as_(o).delete(f"/v1/connections/{hub}") for o in others[:2]]
        calls += [api.as_(o).put(f"/v1/blocks/{hub}") for o in others[2:4]]
        results = await asyncio.gather(*calls)
        assert results[0].status_code == 204, results[0].text
        assert all(r.status_code < 500 for r in results), [
            r.text for r in results if r.status_code >= 500
        ]
        assert set((await leftovers(api, hub)).values()) == {0}
        await api.assert_consistent()
