"""Mutual connections: the list, its total, the look-up's count and preview, and who may ask."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from connect_api.kit.context import AppContext
from connect_api.kit.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from connect_api.relationships import mutuals, repository
from tests.helpers import Api, problem


async def mutual_page(api: Api, viewer: int, member: int, **params: Any) -> dict[str, Any]:
    r = await api.as_(viewer).get(f"/v1/members/{member}/mutual-connections", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def mutual_ids(api: Api, viewer: int, member: int, limit: int = 2) -> tuple[list[int], int]:
    """Every page, followed by cursor; the ids in order and the total (the same on every page)."""
    out: list[int] = []
    totals = set()
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await mutual_page(api, viewer, member, **params)
        assert len(page["items"]) <= limit
        out += [m["id"] for m in page["items"]]
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(totals) == 1, totals
            return out, totals.pop()


async def button(api: Api, viewer: int, member: int, **params: Any) -> dict[str, Any]:
    r = await api.as_(viewer).get("/v1/relationships", params={"ids": str(member), **params})
    assert r.status_code == 200, r.text
    item: dict[str, Any] = r.json()["items"][0]
    return item


async def agree(api: Api, viewer: int, member: int) -> list[int]:
    """List, total, the look-up's count and its preview all tell the same story."""
    ids, total = await mutual_ids(api, viewer, member)
    assert len(ids) == len(set(ids)) == total
    item = await button(api, viewer, member)
    assert item["mutual_connections"] == total, item
    assert [m["id"] for m in item["mutual_preview"]] == ids[:3], item
    return ids


async def named(api: Api, *names: str) -> list[int]:
    return [await api.member(n) for n in names]


async def bulk_connect(api: Api, member: int, count: int, prefix: str) -> None:
    """Give ``member`` ``count`` connections to fresh members, written directly for speed."""
    now = api.clock.now()
    await api.sql(
        """WITH new AS (
               INSERT INTO members (handle, display_name, created_at, connection_count)
               SELECT :prefix || g, 'Bulk ' || g, :now, 1 FROM generate_series(1, :n) g
               RETURNING id)
           INSERT INTO connections (member_id, other_id, created_at)
           SELECT :m, id, :now FROM new
           UNION ALL SELECT id, :m, :now FROM new""",
        now=now,
        n=count,
        m=member,
        prefix=prefix,
    )
    await api.sql(
        "UPDATE members SET connection_count = connection_count + :n WHERE id = :m",
        n=count,
        m=member,
    )


async def test_list_in_name_order_with_total_and_preview(api: Api, graph_source: str) -> None:
    me, them = await named(api, "Me", "Them")
    # Names that differ only in case, and two members of the same name (ordered by id).
    bob2, ann, cat, bob1, dan = await named(api, "bob", "ann", "Cat", "Bob", "dan")
    bob1_first = sorted([bob1, bob2])
    for m in (bob2, ann, cat, bob1, dan):
        await api.connect(me, m)
        await api.connect(m, them)
    mine_only, theirs_only = await named(api, "Aaron Mine", "Aaron Theirs")
    await api.connect(me, mine_only)
    await api.connect(theirs_only, them)
    expected = [ann, *bob1_first, cat, dan]

    page = await mutual_page(api, me, them)
    assert [m["id"] for m in page["items"]] == expected
    assert page["total"] == 5 and page["next_cursor"] is None
    assert page["items"][0]["display_name"] == "ann"
    assert set(page["items"][0]) == {"id", "handle", "display_name", "headline"}
    assert await agree(api, me, them) == expected
    assert await agree(api, them, me) == expected  # the same people, asked the other way

    item = await button(api, me, them)
    assert [m["display_name"] for m in item["mutual_preview"]] == ["ann", "bob", "Bob"]
    assert set(item["mutual_preview"][0]) == {"id", "handle", "display_name", "headline"}
    # Switched off: the same answer without names.
    off = await button(api, me, them, mutual_preview="false")
    assert off["mutual_preview"] == [] and off["mutual_connections"] == 5
    assert {k: v for k, v in off.items() if k != "mutual_preview"} == {
        k: v for k, v in item.items() if k != "mutual_preview"
    }
    # Connected members have mutual connections too, and a preview of them.
    item = await button(api, me, ann)
    assert item["degree"] == 1 and item["mutual_connections"] == 0 and item["mutual_preview"] == []


async def test_every_walk_gives_the_same_answer(
    api: Api, graph_source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small side probing the large one (either way round) and two sides of like size merged:
    the three ways the statement may take agree with each other and with the rows. With the
    graph read model, so do the model's ids probed in the caller's primary key (for the page
    and for the preview), whichever way :func:`mutuals.probes` would choose."""
    small, large, alike = await named(api, "Small", "Large", "Alike")
    shared = await named(api, "Xena", "Walt", "vera", "Uma")
    for m in shared:
        await api.connect(small, m)
        await api.connect(m, large)
        await api.connect(m, alike)
    await bulk_connect(api, large, 40, "large")  # large has 44: over 8 times small's 4
    await bulk_connect(api, alike, 3, "alike")  # alike has 7, like small
    expected = shared[::-1]  # Uma, vera, Walt, Xena
    for probing in (None, True, False) if graph_source == "memory" else (None,):
        if probing is not None:
            monkeypatch.setattr(mutuals, "probes", lambda *_, probing=probing, **__: probing)
        for viewer, member in ((small, large), (large, small), (small, alike), (alike, small)):
            assert await agree(api, viewer, member) == expected, (probing, viewer, member)
        assert await agree(api, large, alike) == expected, probing


async def test_who_may_ask(api: Api, app_ctx: AppContext, graph_source: str) -> None:
    me, friend, far, blocked, blocker, erased, lonely = await api.members(7)
    await api.connect(me, friend)
    for m in (blocked, blocker, erased, far):
        await api.connect(friend, m)
    assert (await api.as_(me).put(f"/v1/blocks/{blocked}")).status_code == 201
    assert (await api.as_(blocker).put(f"/v1/blocks/{me}")).status_code == 201
    assert (await api.admin.delete(f"/v1/members/{erased}")).status_code == 204

    # Anyone the caller may see, connected or not, with mutuals or none.
    assert await agree(api, me, far) == [friend]
    assert await agree(api, me, lonely) == []
    assert (await mutual_page(api, me, lonely))["next_cursor"] is None
    # Not found, alike: a block either way, erased, never existed.
    bodies = []
    for other in (blocked, blocker, erased, 10**12):
        r = await api.as_(me).get(f"/v1/members/{other}/mutual-connections")
        body = problem(r, 404, "not_found")
        bodies.append({k: body[k] for k in ("type", "title", "status", "detail", "code")})
    assert all(b == bodies[0] for b in bodies), bodies
    # The blocked member sees the blocker as not found, as everywhere.
    problem(await api.as_(blocked).get(f"/v1/members/{me}/mutual-connections"), 404, "not_found")
    problem(
        await api.as_(me).get(f"/v1/members/{me}/mutual-connections"),
        400,
        "mutual_connections_self",
    )
    # A valid token whose member is gone: 401, as on every route.
    r = await api.as_(erased).get(f"/v1/members/{far}/mutual-connections")
    assert r.status_code == 401, r.text
    # Cursors of another list are refused.
    conns = (
        await api.as_(friend).get(
            f"/v1/members/{friend}/connections", params={"limit": 1, "sort": "name"}
        )
    ).json()
    r = await api.as_(me).get(
        f"/v1/members/{far}/mutual-connections", params={"cursor": conns["next_cursor"]}
    )
    problem(r, 422, "invalid_cursor")
    problem(
        await api.as_(me).get(f"/v1/members/{far}/mutual-connections", params={"limit": 0}),
        422,
        "validation_error",
    )


async def test_blocks_either_way_leave_list_count_and_preview_agreeing(
    api: Api, graph_source: str
) -> None:
    """A block cuts the connection it stands between, so whoever a block hides from the caller
    (or from the other member) drops out of the list, the total, the count and the preview
    together, whichever way the block points."""
    me, them = await named(api, "Me", "Them")
    mutuals = await named(api, "Ann", "Ben", "Cas", "Dee", "Eve", "Fay")
    for m in mutuals:
        await api.connect(me, m)
        await api.connect(m, them)
    ann, ben, cas, dee, eve, fay = mutuals
    assert await agree(api, me, them) == mutuals
    steps = [
        (me, ann),  # the caller blocks a mutual
        (ben, me),  # a mutual blocks the caller
        (them, cas),  # the other member blocks a mutual
        (dee, them),  # a mutual blocks the other member
    ]
    left = list(mutuals)
    for blocker, blocked in steps:
        assert (await api.as_(blocker).put(f"/v1/blocks/{blocked}")).status_code == 201
        left.remove(blocked if blocked not in (me, them) else blocker)
        assert await agree(api, me, them) == left
        assert await agree(api, them, me) == left
    assert left == [eve, fay]
    # Lifting a block brings nothing back: the connection is gone.
    assert (await api.as_(me).delete(f"/v1/blocks/{ann}")).status_code == 204
    assert await agree(api, me, them) == [eve, fay]
    await api.assert_consistent()


async def test_cursor_is_a_position_stable_under_inserts(api: Api, graph_source: str) -> None:
    me, them = await named(api, "Me", "Them")
    first = await named(api, "Bea", "Cy", "Di", "Ed")
    for m in first:
        await api.connect(me, m)
        await api.connect(m, them)
    page = await mutual_page(api, me, them, limit=2)
    assert [m["id"] for m in page["items"]] == first[:2] and page["total"] == 4
    # Meanwhile: a mutual sorting before the cursor, one after, and one removed.
    before, after = await named(api, "Al", "Fi")
    for m in (before, after):
        await api.connect(me, m)
        await api.connect(m, them)
    assert (await api.as_(me).delete(f"/v1/connections/{first[2]}")).status_code == 204
    rest = await mutual_page(api, me, them, limit=2, cursor=page["next_cursor"])
    assert [m["id"] for m in rest["items"]] == [first[3], after] and rest["total"] == 5
    assert rest["next_cursor"] is None
    assert await agree(api, me, them) == [before, first[0], first[1], first[3], after]


async def test_one_statement_a_page(api: Api, app_ctx: AppContext, graph_source: str) -> None:
    me, them, *people = await api.members(12)
    for p in people:
        await api.connect(me, p)
        await api.connect(p, them)
    statements: list[str] = []
    app_ctx.db.statement_hooks.append(statements.append)
    try:
        page = await mutual_page(api, me, them, limit=4)
        await mutual_page(api, me, them, limit=4, cursor=page["next_cursor"])
        await button(api, me, them)
    finally:
        app_ctx.db.statement_hooks.remove(statements.append)
    assert len(statements) == 3, statements


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "'{" + ",".join(map(str, value)) + "}'"
    return f"'{value.isoformat()}'"


async def connections_read(app_ctx: AppContext, sql: str, types: list[str], args: list[Any]) -> int:
    """How many rows of ``connections`` the statement's generic plan reads for ``args``
    (``EXPLAIN ANALYZE`` of a statement prepared on the hot-read pool, which forces them)."""
    conn = await app_ctx.db.reads.acquire()
    try:
        await conn.execute(f"PREPARE probe_test({', '.join(types)}) AS {sql}")
        try:
            plan = await conn.fetchval(
                "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE probe_test"
                f"({', '.join(_literal(a) for a in args)})"
            )
        finally:
            await conn.execute("DEALLOCATE probe_test")
    finally:
        await app_ctx.db.reads.release(conn)

    def read(node: dict[str, Any]) -> int:
        here = 0
        if node.get("Relation Name") == "connections":
            here = int(node["Actual Rows"] * node["Actual Loops"])
        return here + sum(read(child) for child in node.get("Plans", ()))

    return read(json.loads(plan)[0]["Plan"])


async def test_the_model_ids_are_probed_not_walked(api: Api, app_ctx: AppContext) -> None:
    """With the graph read model, the ids it names are probed one by one in the caller's
    primary key, for the look-up's preview and for a page: on the generic plan, neither
    member's 300 other connections are read for the 2 they have in common (a plan that joined
    the ids to the caller's whole range would read them all; the walk merges both ranges)."""
    assert (await app_ctx.db.fetch("SHOW plan_cache_mode"))[0][0] == "force_generic_plan"
    me, them, a, b = await named(api, "Me", "Them", "Ann", "Bob")
    await bulk_connect(api, me, 300, "mine")
    await bulk_connect(api, them, 300, "theirs")
    for m in (a, b):
        await api.connect(me, m)
        await api.connect(m, them)
    now = api.clock.now()
    look_up = [me, [them], now, now, 10, True, [2], [1], [a, b]]
    types = ["bigint", "bigint[]", "timestamptz", "timestamptz", "int", "bool"]
    types += ["int[]", "int[]", "bigint[]"]
    assert await connections_read(app_ctx, repository.LOOK_UP_MODEL, types, look_up) < 20
    page = [me, them, 21, 2, [a, b]]
    types = ["bigint", "bigint", "int", "bigint", "bigint[]"]
    assert await connections_read(app_ctx, mutuals.PAGE_SQL_MODEL[False], types, page) < 20
    # Without the ids, the page walks: the two ranges merged, to their ends.
    assert (
        await connections_read(app_ctx, mutuals.PAGE_SQL_MODEL[False], types, [*page[:4], []]) > 600
    )
    items = (await mutual_page(api, me, them))["items"]
    assert [m["id"] for m in items] == [a, b]


async def test_count_and_list_agree_while_connections_change(api: Api, graph_source: str) -> None:
    """Each answer is one snapshot: while mutual connections are made and removed, every list
    holds exactly its total, and every look-up's preview is the first of its count. With the
    graph read model, a count the statement's snapshot visibly contradicts (a change committed
    between the model's catch-up and the statement) is answered from SQL instead."""
    me, them = await named(api, "Me", "Them")
    people = await named(api, *(f"Person {i:02}" for i in range(24)))
    for p in people[:12]:
        await api.connect(p, me)
        await api.connect(p, them)
    invitations = [await api.invited(p, them) for p in people[12:]]
    for p in people[12:]:
        await api.connect(p, me)

    async def change() -> None:
        for i, inv in enumerate(invitations):
            r = await api.as_(them).post(f"/v1/invitations/{inv}/accept")
            assert r.status_code == 200, r.text
            r = await api.as_(me).delete(f"/v1/connections/{people[i]}")
            assert r.status_code == 204, r.text

    async def read() -> None:
        for _ in range(12):
            page, item = await asyncio.gather(
                mutual_page(api, me, them, limit=100), button(api, me, them)
            )
            ids = [m["id"] for m in page["items"]]
            assert len(ids) == page["total"] and ids == sorted(ids), page
            preview = [m["id"] for m in item["mutual_preview"]]
            assert len(preview) == min(3, item["mutual_connections"]), item
            assert preview == sorted(preview)

    await asyncio.gather(change(), read(), read())
    assert await agree(api, me, them) == people[12:]


async def test_the_longest_cursor_is_one_the_list_accepts(api: Api, graph_source: str) -> None:
    """The cursor carries the last row's name key: with the longest display name there is, it
    still fits the declared pattern and length, and leads to the next page."""
    name = "\U0001d400" * 99 + '"'  # 4 bytes of UTF-8 each
    me, them = await named(api, "Me", "Them")
    mutuals = [await api.member(name=name) for _ in range(2)]
    for m in mutuals:
        await api.connect(me, m)
        await api.connect(m, them)
    first = await mutual_page(api, me, them, limit=1)
    cursor = first["next_cursor"]
    assert len(cursor) <= CURSOR_MAX_LENGTH and re.match(CURSOR_PATTERN, cursor), cursor
    rest = await mutual_page(api, me, them, limit=1, cursor=cursor)
    assert [m["id"] for m in first["items"] + rest["items"]] == mutuals
