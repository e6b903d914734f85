"""Member controls (spec 2.13): who may invite a member, and Follow as their primary button.

The settings are read and changed on `/v1/me`; the invitation endpoint enforces who may invite,
and the relationships look-up and the suggestions answer exactly what it would do."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.helpers import Api, problem

SETTINGS = "/v1/me/settings"


async def settings(api: Api, member: int, body: Any) -> dict[str, Any]:
    r = await api.as_(member).patch(SETTINGS, json=body)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def look(api: Api, me: int, other: int) -> dict[str, Any]:
    r = await api.as_(me).get("/v1/relationships", params={"ids": str(other)})
    assert r.status_code == 200, r.text
    item: dict[str, Any] = r.json()["items"][0]
    return item


async def group_of(api: Api, *members: int) -> int:
    r = await api.admin.post("/v1/groups", json={"name": f"Group of {members}"})
    assert r.status_code == 201, r.text
    group = int(r.json()["id"])
    for m in members:
        assert (await api.as_(m).put(f"/v1/groups/{group}/members/me")).status_code == 201
    return group


async def follow(api: Api, follower: int, followee: int) -> None:
    assert (await api.as_(follower).put(f"/v1/follows/{followee}")).status_code == 201


# --- the settings ------------------------------------------------------------------------------


async def test_defaults_shown_on_me_and_a_partial_update(api: Api) -> None:
    me = await api.member()
    got = (await api.as_(me).get("/v1/me")).json()
    assert got["settings"] == {
        "who_may_invite": "everyone",
        "follow_first": False,
        "who_may_see_connections": "connections",
    }

    assert await settings(api, me, {"who_may_invite": "network"}) == {
        "who_may_invite": "network",
        "follow_first": False,
        "who_may_see_connections": "connections",
    }
    assert await settings(api, me, {"follow_first": True}) == {
        "who_may_invite": "network",
        "follow_first": True,
        "who_may_see_connections": "connections",
    }
    # The same again changes nothing (idempotent); `{}` changes nothing and says what is set.
    assert await settings(api, me, {"follow_first": True}) == {
        "who_may_invite": "network",
        "follow_first": True,
        "who_may_see_connections": "connections",
    }
    assert await settings(api, me, {}) == {
        "who_may_invite": "network",
        "follow_first": True,
        "who_may_see_connections": "connections",
    }
    got = (await api.as_(me).get("/v1/me")).json()
    assert got["settings"] == {
        "who_may_invite": "network",
        "follow_first": True,
        "who_may_see_connections": "connections",
    }
    # Another member's settings are untouched, and nobody else ever sees mine.
    other = await api.member()
    assert (await api.as_(other).get("/v1/me")).json()["settings"]["who_may_invite"] == "everyone"
    assert "settings" not in (await api.as_(other).get(f"/v1/members/{me}")).json()
    # No event: settings are the member's own business.
    rows = await api.sql("SELECT count(*) FROM events WHERE :me = ANY(audience)", me=me)
    assert rows == [(0,)]


async def test_invalid_settings_change_nothing(api: Api) -> None:
    me = await api.member()
    bodies: list[Any] = [
        {"who_may_invite": "friends"},
        {"who_may_invite": "Everyone"},
        {"who_may_invite": None},
        {"who_may_invite": 1},
        {"follow_first": "true"},
        {"follow_first": 1},
        {"follow_first": None},
        {"follow_first": True, "theme": "dark"},
        {"who_may_see_connections": "nobody"},
        {"who_may_see_connections": "Only_me"},
        {"who_may_see_connections": None},
        {"who_may_see_connections": True},
        {"invite_policy": "nobody"},
        [],
        "nobody",
        None,
    ]
    for body in bodies:
        found = problem(await api.as_(me).patch(SETTINGS, json=body), 422, "validation_error")
        assert found["errors"], body
    got = (await api.as_(me).get("/v1/me")).json()
    assert got["settings"] == {
        "who_may_invite": "everyone",
        "follow_first": False,
        "who_may_see_connections": "connections",
    }


async def test_auth(api: Api) -> None:
    r = await api.http.patch(SETTINGS, json={"follow_first": True})
    assert r.status_code == 401
    problem(await api.as_(10**9).patch(SETTINGS, json={"follow_first": True}), 401, "invalid_token")


# --- enforcement, and the look-up's agreement ---------------------------------------------------

RELATIONS = (
    "degree1",
    "degree2",
    "degree3",
    "out",
    "followed",  # the invitee follows the inviter (out of network)
    "group",  # the two share a group (out of network)
    "pending_sent",  # the inviter's invitation to the invitee is pending (out of network)
    "pending_received",  # the invitee's invitation to the inviter is pending (out of network)
    "following",  # the inviter follows the invitee (no help: the invitee's choice counts)
)

# Under each setting, whether an inviter so related may invite (pending ones aside).
ADMITTED = {
    "everyone": {"degree2", "degree3", "out", "followed", "group", "following"},
    "network": {"degree2", "degree3", "followed", "group"},
    "nobody": {"followed", "group"},
}


async def related(api: Api, target: int, relation: str) -> int:
    """A new member related to ``target`` as ``relation`` says."""
    (inviter,) = await api.members(1)
    if relation == "degree1":
        await api.connect(inviter, target)
    elif relation == "degree2":
        (m,) = await api.members(1)
        await api.connect(inviter, m)
        await api.connect(m, target)
    elif relation == "degree3":
        a, b = await api.members(2)
        await api.connect(inviter, a)
        await api.connect(a, b)
        await api.connect(b, target)
    elif relation == "followed":
        await follow(api, target, inviter)
    elif relation == "group":
        await group_of(api, inviter, target)
    elif relation == "pending_sent":
        await api.invited(inviter, target)
    elif relation == "pending_received":
        await api.invited(target, inviter)
    elif relation == "following":
        await follow(api, inviter, target)
    return inviter


@pytest.mark.parametrize("follow_first", [False, True])
@pytest.mark.parametrize("setting", ["everyone", "network", "nobody"])
async def test_the_look_up_agrees_with_the_endpoint(
    api: Api, setting: str, follow_first: bool, graph_source: str
) -> None:
    target = await api.member()
    inviters = {rel: await related(api, target, rel) for rel in RELATIONS}
    # Relations are made first (a pending invitation from before the setting stays pending).
    await settings(api, target, {"who_may_invite": setting, "follow_first": follow_first})

    for rel, inviter in inviters.items():
        seen = await look(api, inviter, target)
        r = await api.invite(inviter, target)
        if seen["can_invite"]:
            assert r.status_code in (200, 201), (rel, r.text)
            assert seen["reason"] is None
        else:
            problem(r, r.status_code, seen["reason"])
        # What the endpoint did, as the setting says.
        if rel == "degree1":
            problem(r, 409, "already_connected")
            assert seen["action"] == "message"
        elif rel == "pending_sent":
            problem(r, 409, "invitation_pending")
            assert seen["action"] == "pending"
        elif rel == "pending_received":
            # They asked first: the send meets their invitation whatever their setting.
            assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
            assert seen["action"] == "accept"
        elif rel in ADMITTED[setting]:
            assert r.status_code == 201, (setting, rel, r.text)
            assert seen["action"] == ("follow" if follow_first else "connect"), (setting, rel)
        else:
            problem(r, 403, "invitation_not_allowed")
            assert seen["action"] == "follow"
            assert seen["can_invite"] is False
            assert setting not in str(r.json())  # nothing says which setting, or that it is one
    await api.assert_consistent()


async def test_a_refusal_reads_as_a_reports_bar(api: Api) -> None:
    """The controls' refusal and a `dont_know` report's lasting bar read the same: neither the
    answer nor the button tells them apart."""
    reported, shut, inviter = await api.members(3)
    inv = await api.invited(inviter, reported)
    assert (await api.decline(reported, inv, "dont_know")).status_code == 200
    api.clock.advance(days=22)
    await settings(api, shut, {"who_may_invite": "nobody"})
    a = await api.invite(inviter, reported)
    b = await api.invite(inviter, shut)
    assert a.status_code == b.status_code == 403
    strip = ("instance", "request_id")
    assert {k: v for k, v in a.json().items() if k not in strip} == {
        k: v for k, v in b.json().items() if k not in strip
    }
    seen_a, seen_b = await look(api, inviter, reported), await look(api, inviter, shut)
    for key in ("can_invite", "reason", "action"):
        assert seen_a[key] == seen_b[key]


async def test_a_pending_invitation_from_before_stays_and_can_be_accepted(api: Api) -> None:
    target, inviter = await api.members(2)
    inv = await api.invited(inviter, target)
    await settings(api, target, {"who_may_invite": "nobody"})
    assert (await look(api, inviter, target))["action"] == "pending"
    assert (await api.as_(target).post(f"/v1/invitations/{inv}/accept")).status_code == 200


async def test_changes_of_follows_groups_and_degree_apply_at_once(
    api: Api, graph_source: str
) -> None:
    target, inviter, m = await api.members(3)
    await settings(api, target, {"who_may_invite": "network"})
    assert (await look(api, inviter, target))["can_invite"] is False
    await api.connect(inviter, m)
    await api.connect(target, m)  # now 2nd degree
    assert (await look(api, inviter, target))["can_invite"] is True
    assert (await api.as_(m).delete(f"/v1/connections/{target}")).status_code == 204
    assert (await look(api, inviter, target))["can_invite"] is False
    problem(await api.invite(inviter, target), 403, "invitation_not_allowed")
    await follow(api, target, inviter)
    assert (await look(api, inviter, target))["can_invite"] is True
    assert (await api.invite(inviter, target)).status_code == 201


async def test_follow_first_keeps_an_invitation_possible(api: Api) -> None:
    target, viewer, connected = await api.members(3)
    await api.connect(connected, target)
    await settings(api, target, {"follow_first": True})
    seen = await look(api, viewer, target)
    assert seen["action"] == "follow" and seen["can_invite"] is True and seen["reason"] is None
    assert (await look(api, connected, target))["action"] == "message"
    inv = await api.invited(viewer, target)
    assert (await look(api, viewer, target))["action"] == "pending"
    assert (await look(api, target, viewer))["action"] == "accept"
    # Only the member's own button changes: theirs on others is as before.
    (other,) = await api.members(1)
    assert (await look(api, target, other))["action"] == "connect"
    assert inv


# --- suggestions follow the same rule ----------------------------------------------------------


async def suggested(api: Api, member: int) -> list[int]:
    r = await api.as_(member).get("/v1/suggestions")
    assert r.status_code == 200, r.text
    return [s["member"]["id"] for s in r.json()["items"]]


async def test_suggestions_leave_out_whom_the_setting_refuses(api: Api, graph_source: str) -> None:
    me, m, second, grouped = await api.members(4)
    await api.connect(me, m)
    await api.connect(m, second)  # 2nd degree to me
    await group_of(api, me, grouped)  # out of network, a group in common
    assert sorted(await suggested(api, me)) == sorted([second, grouped])

    await settings(api, second, {"who_may_invite": "nobody"})
    await settings(api, grouped, {"who_may_invite": "nobody"})
    # A group in common admits under every setting; the 2nd degree only under `network`.
    assert await suggested(api, me) == [grouped]
    await settings(api, second, {"who_may_invite": "network"})
    assert sorted(await suggested(api, me)) == sorted([second, grouped])
    await settings(api, second, {"who_may_invite": "nobody"})
    await follow(api, second, me)
    assert sorted(await suggested(api, me)) == sorted([second, grouped])
    for s in await suggested(api, me):
        assert (await look(api, me, s))["can_invite"] is True


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "status"), [("everyone", "nobody", 403)])
async def test_a_send_waits_for_a_settings_change_in_progress(
    api: Api, before: str, after: str, status: int
) -> None:
    """A send to a member whose settings are being changed waits for the change and is judged
    on the new setting (the send reads it from the member's locked row), never on the old."""
    for old, new, expected in ((before, after, status), (after, before, 201)):
        target, inviter = await api.members(2)
        await settings(api, target, {"who_may_invite": old})
        async with api.ctx.db.engine.connect() as conn:
            tx = await conn.begin()
            await conn.exec_driver_sql(
                "UPDATE members SET invite_policy = $1 WHERE id = $2", (new, target)
            )
            sending = asyncio.ensure_future(api.invite(inviter, target))
            await asyncio.sleep(0.3)
            assert not sending.done()  # it waits for the member's row
            await tx.commit()
        r = await sending
        assert r.status_code == expected, (old, new, r.text)


async def test_sends_racing_settings_changes(api: Api) -> None:
    """Many inviters send while the member flips their setting: every send is judged on one
    setting, nothing fails, and what was created is consistent with its events."""
    target = await api.member()
    inviters = await api.members(24)
    flips = [{"who_may_invite": p} for p in ["nobody", "everyone", "network", "everyone"] * 3]

    async def flip_all() -> None:
        for body in flips:
            await settings(api, target, body)

    results = await asyncio.gather(*(api.invite(i, target) for i in inviters), flip_all())
    sends = results[:-1]
    assert {r.status_code for r in sends} <= {201, 403}, [r.text for r in sends]
    for r in sends:
        if r.status_code == 403:
            problem(r, 403, "invitation_not_allowed")
    created = sum(r.status_code == 201 for r in sends)
    rows = await api.sql(
        "SELECT count(*), (SELECT count(*) FROM events WHERE type = 'invitation.created')"
        " FROM invitations WHERE invitee_id = :t",
        t=target,
    )
    assert rows == [(created, created)]
    await api.assert_consistent()
