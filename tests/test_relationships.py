"""The relationships look-up: what the Connect button says, and that it agrees with the
invitation endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from connect_api.kit.context import AppContext
from tests.helpers import Api, problem


async def look(api: Api, me: int, *ids: int) -> list[dict[str, Any]]:
    r = await api.as_(me).get("/v1/relationships", params={"ids": ",".join(map(str, ids))})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    assert [i["member_id"] for i in items] == list(dict.fromkeys(ids))
    return items


async def one(api: Api, me: int, other: int) -> dict[str, Any]:
    return (await look(api, me, other))[0]


async def test_degrees_mutuals_follows_and_groups(api: Api, graph_source: str) -> None:
    me, a, b, c, d, far, lone = await api.members(7)
    await api.connect(me, a)
    await api.connect(me, b)
    await api.connect(a, c)
    await api.connect(b, c)  # c: 2nd degree, two mutuals
    await api.connect(c, d)  # d: 3rd degree
    await api.connect(d, far)  # far: 4th, out of network
    assert (await api.as_(lone).put(f"/v1/follows/{me}")).status_code == 201
    group = await api.sql(
        "INSERT INTO groups (name, created_at, member_count) VALUES ('G', now(), 2) RETURNING id"
    )
    await api.sql(
        "INSERT INTO group_members (group_id, member_id, joined_at)"
        " VALUES (:g, :me, now()), (:g, :d, now())",
        g=group[0][0],
        me=me,
        d=d,
    )
    got = {r["member_id"]: r for r in await look(api, me, a, c, d, far, lone)}
    assert {k: v["degree"] for k, v in got.items()} == {a: 1, c: 2, d: 3, far: None, lone: None}
    assert got[a]["connected"] and got[a]["connected_at"] is not None
    assert got[a]["following"] and got[a]["followed_by"]  # connecting made both follow
    assert got[a]["action"] == "message" and got[a]["reason"] == "already_connected"
    assert got[c]["mutual_connections"] == 2 and got[c]["action"] == "connect"
    assert got[d]["shared_groups"] == 1 and got[d]["mutual_connections"] == 0
    assert got[lone]["followed_by"] and not got[lone]["following"]
    assert got[far]["can_invite"] and got[far]["reason"] is None


async def test_pending_invitation_either_way(api: Api) -> None:
    me, a, b = await api.members(3)
    sent = await api.invited(me, a)
    received = await api.invited(b, me)
    got = {r["member_id"]: r for r in await look(api, me, a, b)}
    assert got[a]["invitation"]["id"] == sent and got[a]["invitation"]["direction"] == "sent"
    assert got[a]["action"] == "pending" and got[a]["reason"] == "invitation_pending"
    assert got[b]["invitation"]["id"] == received
    assert got[b]["invitation"]["direction"] == "received"
    assert got[b]["action"] == "accept" and got[b]["can_invite"]


async def test_blocked_erased_and_unknown_look_the_same(api: Api, graph_source: str) -> None:
    me, blocked, blocker, erased, plain = await api.members(5)
    await api.connect(me, blocked)
    assert (await api.as_(me).put(f"/v1/blocks/{blocked}")).status_code == 201
    assert (await api.as_(blocker).put(f"/v1/blocks/{me}")).status_code == 201
    assert (await api.admin.delete(f"/v1/members/{erased}")).status_code == 204
    items = await look(api, me, blocked, blocker, erased, 99_999_999, plain, me)
    hidden = [{k: v for k, v in i.items() if k != "member_id"} for i in items[:4]]
    assert all(h == hidden[0] for h in hidden), hidden
    assert hidden[0]["action"] == "unavailable" and hidden[0]["reason"] == "not_found"
    assert items[4]["action"] == "connect"
    assert items[5]["action"] == "unavailable" and items[5]["reason"] == "cannot_invite_self"


async def test_bad_ids_are_refused(api: Api) -> None:
    me = await api.member()
    problem(
        await api.as_(me).get(
            "/v1/relationships", params={"ids": ",".join(map(str, range(1, 102)))}
        ),
        422,
        "too_many_ids",
    )
    for bad in ("", "1,,2", "a", "1;2", "0", "-1", "99999999999999999999"):
        r = await api.as_(me).get("/v1/relationships", params={"ids": bad})
        problem(r, 422, "validation_error")
    problem(await api.as_(me).get("/v1/relationships"), 422, "validation_error")
    # At most 100 ids, as the document declares (`maxItems`); a repeated one is answered once.
    many = ",".join(map(str, [*range(1, 100), 1]))
    r = await api.as_(me).get("/v1/relationships", params={"ids": many})
    assert r.status_code == 200 and len(r.json()["items"]) == 99
    many = ",".join(map(str, [*range(1, 101), 1]))
    problem(await api.as_(me).get("/v1/relationships", params={"ids": many}), 422, "too_many_ids")
    r = await api.as_(me).get("/v1/relationships", params={"ids": f"{2**63 - 1},0001"})
    assert r.status_code == 200 and [i["member_id"] for i in r.json()["items"]] == [2**63 - 1, 1]
    for bad in (str(2**63), "+1", " 1", "\u0661", "1.0"):
        r = await api.as_(me).get("/v1/relationships", params={"ids": bad})
        problem(r, 422, "validation_error")


async def test_one_statement_for_any_number_of_ids(
    api: Api, app_ctx: AppContext, graph_source: str
) -> None:
    """One statement on either path: the model's answers go into it as parameters."""
    me, *people = await api.members(120)
    for p in people[:30]:
        await api.connect(p, me)
    for i, b in enumerate(people[30:90]):
        await api.connect(people[i % 30], b)
    await api.invited(people[100], me)
    await api.invited(me, people[101])

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app_ctx.db.engine.sync_engine
    counts = {}
    for n in (1, 10, 100):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        app_ctx.db.statement_hooks.append(statements.append)
        try:
            await look(api, me, *people[-n:])
        finally:
            event.remove(engine, "before_cursor_execute", count)
            app_ctx.db.statement_hooks.remove(statements.append)
        counts[n] = len(statements)
    print("statements per look-up:", counts)
    assert counts == {1: 1, 10: 1, 100: 1}, counts


# --- the button agrees with the invitation endpoint ------------------------------------------

Setup = Callable[[Api, int, int], Awaitable[None]]


async def nothing(api: Api, me: int, them: int) -> None:
    return None


async def connected(api: Api, me: int, them: int) -> None:
    await api.connect(them, me)


async def pending_sent(api: Api, me: int, them: int) -> None:
    await api.invited(me, them)


async def pending_received(api: Api, me: int, them: int) -> None:
    await api.invited(them, me)


async def pending_received_while_restricted(api: Api, me: int, them: int) -> None:
    await api.invited(them, me)
    await restricted(api, me, them)


async def expired_pending(api: Api, me: int, them: int) -> None:
    await api.invited(me, them)
    api.clock.advance(api.rules.invitation_expiry + timedelta(seconds=1))


async def declined(api: Api, me: int, them: int) -> None:
    assert (await api.decline(them, await api.invited(me, them))).status_code == 200


async def withdrawn(api: Api, me: int, them: int) -> None:
    inv = await api.invited(me, them)
    assert (await api.as_(me).post(f"/v1/invitations/{inv}/withdraw")).status_code == 200


async def after_cooldown(api: Api, me: int, them: int) -> None:
    await declined(api, me, them)
    api.clock.advance(api.rules.cooldown + timedelta(seconds=1))


async def reported(api: Api, me: int, them: int) -> None:
    assert (await api.decline(them, await api.invited(me, them), "spam")).status_code == 200
    api.clock.advance(api.rules.cooldown + timedelta(seconds=1))


async def throttled(api: Api, me: int, them: int) -> None:
    api.rules.invitations_per_hour = 1
    await api.invited(me, await api.member())


async def too_many_pending(api: Api, me: int, them: int) -> None:
    api.rules.pending_outgoing_max = 1
    await api.invited(me, await api.member())


async def restricted(api: Api, me: int, them: int) -> None:
    await api.sql(
        "UPDATE members SET restricted_until = :t WHERE id = :m",
        t=api.clock.now() + timedelta(days=3),
        m=me,
    )


async def me_at_cap(api: Api, me: int, them: int) -> None:
    api.rules.connection_cap = 1
    await api.connect(me, await api.member())


async def them_at_cap(api: Api, me: int, them: int) -> None:
    api.rules.connection_cap = 1
    await api.connect(them, await api.member())


async def i_blocked(api: Api, me: int, them: int) -> None:
    assert (await api.as_(me).put(f"/v1/blocks/{them}")).status_code == 201


async def they_blocked(api: Api, me: int, them: int) -> None:
    assert (await api.as_(them).put(f"/v1/blocks/{me}")).status_code == 201


async def erased(api: Api, me: int, them: int) -> None:
    assert (await api.admin.delete(f"/v1/members/{them}")).status_code == 204


SITUATIONS: list[tuple[Setup, str, str | None]] = [
    (nothing, "connect", None),
    (connected, "message", "already_connected"),
    (pending_sent, "pending", "invitation_pending"),
    (pending_received, "accept", None),
    (pending_received_while_restricted, "accept", None),
    (expired_pending, "connect", None),
    (declined, "follow", "cooldown_active"),
    (withdrawn, "follow", "cooldown_active"),
    (after_cooldown, "connect", None),
    (reported, "follow", "invitation_not_allowed"),
    (throttled, "follow", "invitation_throttled"),
    (too_many_pending, "follow", "too_many_pending_invitations"),
    (restricted, "follow", "member_restricted"),
    (me_at_cap, "follow", "connection_limit_reached"),
    (them_at_cap, "follow", "connection_limit_reached"),
    (i_blocked, "unavailable", "not_found"),
    (they_blocked, "unavailable", "not_found"),
    (erased, "unavailable", "not_found"),
]


@pytest.mark.parametrize(
    ("setup", "action", "reason"), SITUATIONS, ids=[s[0].__name__ for s in SITUATIONS]
)
async def test_button_agrees_with_the_invitation_endpoint(
    api: Api, setup: Setup, action: str, reason: str | None, graph_source: str
) -> None:
    me, them = await api.members(2)
    await setup(api, me, them)
    button = await one(api, me, them)
    assert (button["action"], button["reason"]) == (action, reason), button
    assert button["can_invite"] is (reason is None)
    if reason in ("cooldown_active", "member_restricted"):
        assert button["can_invite_after"] is not None

    r = await api.invite(me, them)
    if button["can_invite"]:
        assert r.status_code == (200 if action == "accept" else 201), r.text
        if action == "accept":
            assert r.json()["status"] == "accepted"
    else:
        body = r.json()
        assert body["code"] == reason, body
        if button["can_invite_after"] is not None:
            assert body["until"] == button["can_invite_after"]


async def test_self_agrees_too(api: Api) -> None:
    me = await api.member()
    button = await one(api, me, me)
    assert (button["action"], button["reason"], button["can_invite"]) == (
        "unavailable",
        "cannot_invite_self",
        False,
    )
    problem(await api.invite(me, me), 400, "cannot_invite_self")
