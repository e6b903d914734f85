"""Who sees a member's network (spec 2.7, 2.11, 2.13), as a matrix of viewers.

One network around a member M, and for each viewer (the member, a 1st-degree connection, one
of their connections hidden from one of M's connections by a block, a 2nd-degree member, a
stranger who follows M, a stranger, a member M blocked, a member who blocked M, an admin) and
each value of M's ``who_may_see_connections``: which of M's connections, followers, following,
mutual connections and counts each gets, route by route; every count against the list the
same viewer pages through; and the set-algebra check that nothing a viewer who may not see M's
list is answered rebuilds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import Api, problem

LISTS = ("connections", "followers", "following")
COUNTS = {"connections": "connection_count", "followers": "follower_count"}
COUNTS["following"] = "following_count"


@dataclass
class Net:
    m: int  # the member whose network is looked at
    first: int  # a connection of M
    hidden_from_first: int  # a connection of M who blocked `first`
    second: int  # connected to `first` only: M's 2nd degree
    follower: int  # follows M, not connected
    stranger: int
    blocked: int  # M blocked them (they were connected)
    blocker: int  # blocked M (they were connected)
    group: int


async def _network(api: Api) -> Net:
    m, first, hidden, second, follower, stranger, blocked, blocker = await api.members(8)
    for other in (first, hidden, blocked, blocker):
        await api.connect(m, other)
    await api.connect(first, second)
    assert (await api.as_(follower).put(f"/v1/follows/{m}")).status_code == 201
    assert (await api.as_(m).put(f"/v1/follows/{stranger}")).status_code == 201
    r = await api.admin.post("/v1/groups", json={"name": "Engines"})
    group = r.json()["id"]
    for who in (m, first, hidden, blocked, blocker, stranger):
        assert (await api.as_(who).put(f"/v1/groups/{group}/members/me")).status_code == 201
    assert (await api.as_(hidden).put(f"/v1/blocks/{first}")).status_code in (200, 201)
    assert (await api.as_(m).put(f"/v1/blocks/{blocked}")).status_code in (200, 201)
    assert (await api.as_(blocker).put(f"/v1/blocks/{m}")).status_code in (200, 201)
    return Net(m, first, hidden, second, follower, stranger, blocked, blocker, group)


async def _all(api: Api, viewer: int | None, url: str) -> tuple[int, list[dict[str, Any]]]:
    """Every item of a list as ``viewer`` (``None``: an admin) pages through it; the status of
    the first page, and no items unless it was 200."""
    client = api.admin if viewer is None else api.as_(viewer)
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await client.get(url, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        if r.status_code != 200:
            assert not items
            return r.status_code, []
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return 200, items


def _ids(items: list[dict[str, Any]]) -> set[int]:
    return {item["member"]["id"] if "member" in item else item["id"] for item in items}


# The matrix: viewer -> (profile status, network lists seen under `connections`, under `only_me`,
# mutual connections status).
MATRIX: dict[str, tuple[int, bool, bool, int]] = {
    "member": (200, True, True, 400),
    "first": (200, True, False, 200),
    "hidden_from_first": (200, True, False, 200),
    "second": (200, False, False, 200),
    "follower": (200, False, False, 200),
    "stranger": (200, False, False, 200),
    "blocked": (404, False, False, 404),
    "blocker": (404, False, False, 404),
    "admin": (200, True, True, 200),
}


@pytest.mark.parametrize("setting", ["connections", "only_me"])
async def test_who_sees_what_of_a_members_network(api: Api, setting: str) -> None:
    net = await _network(api)
    r = await api.as_(net.m).patch("/v1/me/settings", json={"who_may_see_connections": setting})
    assert r.status_code == 200 and r.json()["who_may_see_connections"] == setting
    truth = {
        "connections": {net.first, net.hidden_from_first},
        "followers": {net.first, net.hidden_from_first, net.follower},
        "following": {net.first, net.hidden_from_first, net.stranger},
    }
    seen_table: list[tuple[str, str, int, Any]] = []
    for name, (profile_status, sees_open, sees_private, mutual_status) in MATRIX.items():
        viewer = None if name == "admin" else getattr(net, "m" if name == "member" else name)
        client = api.admin if viewer is None else api.as_(viewer)
        sees = sees_open if setting == "connections" else sees_private
        profile = await client.get(f"/v1/members/{net.m}")
        assert profile.status_code == profile_status, (name, profile.text)
        # What a block hides from this viewer among M's lists.
        hidden = {net.hidden_from_first} if name == "first" else set()
        if name == "hidden_from_first":
            hidden = {net.first}
        for kind in LISTS:
            status, items = await _all(api, viewer, f"/v1/members/{net.m}/{kind}")
            seen_table.append((name, kind, status, len(items)))
            if sees:
                assert status == 200, (name, kind)
                assert _ids(items) == truth[kind] - hidden, (name, kind)
                # The count beside the list is what this viewer pages through.
                assert profile.json()[COUNTS[kind]] == len(items), (name, kind)
            else:
                assert status == 404, (name, kind, status)
                if profile_status == 200:
                    assert profile.json()[COUNTS[kind]] is None, (name, kind)
        if name != "admin":
            r = await client.get(f"/v1/members/{net.m}/mutual-connections")
            assert r.status_code == mutual_status, (name, r.text)
            if r.status_code == 200:
                body = r.json()
                # Only the viewer's own connections: `second` shares `first` with M.
                expected = {net.first} if name == "second" else set()
                if name in ("first", "hidden_from_first"):
                    expected = set()  # they share no connection with M but each other
                assert _ids(body["items"]) == expected, name
                assert body["total"] == len(expected)
    # Each member's export is their own alone (there is no way to ask for another's).
    for who in (net.m, net.first, net.stranger):
        doc = (await api.as_(who).get("/v1/me/export")).json()
        assert doc["member"]["id"] == who


@pytest.mark.parametrize("setting", ["connections", "only_me"])
async def test_no_combination_of_answers_rebuilds_a_hidden_connection_list(
    api: Api, setting: str
) -> None:
    """The finding: connecting makes a follow each way at the same instant, so followers ∩
    following with equal timestamps spelled out the connection list to anyone. Now everything a
    viewer who may not see M's list is told about M's network is among their own connections
    (mutual connections), and no count leaks either."""
    net = await _network(api)
    await api.as_(net.m).patch("/v1/me/settings", json={"who_may_see_connections": setting})
    viewers = [net.second, net.follower, net.stranger, net.blocked, net.blocker]
    if setting == "only_me":
        viewers += [net.first, net.hidden_from_first]
    hidden_list = {net.first, net.hidden_from_first}
    for viewer in viewers:
        learned: set[int] = set()
        followed_at: dict[str, dict[int, str]] = {}
        for kind in ("followers", "following"):
            _, items = await _all(api, viewer, f"/v1/members/{net.m}/{kind}")
            followed_at[kind] = {i["member"]["id"]: i["followed_at"] for i in items}
            learned |= set(followed_at[kind])
        rebuilt = {
            k for k, at in followed_at["followers"].items() if followed_at["following"].get(k) == at
        }
        assert rebuilt == set(), viewer
        r = await api.as_(viewer).get(f"/v1/members/{net.m}/mutual-connections")
        if r.status_code == 200:
            learned |= _ids(r.json()["items"])
        own = {
            i["member"]["id"]
            for i in (await _all(api, viewer, f"/v1/members/{viewer}/connections"))[1]
        }
        assert learned <= own, (viewer, learned, own)
        assert not (learned & hidden_list) - own
        profile = await api.as_(viewer).get(f"/v1/members/{net.m}")
        if profile.status_code == 200:
            body = profile.json()
            assert body["connection_count"] is None
            assert body["follower_count"] is None
            assert body["following_count"] is None


async def test_counts_agree_with_lists_across_a_block(api: Api) -> None:
    """The finding: with member 6 blocking member 1, a group said `member_count: 3` while its
    list showed member 1 two, and member 3's profile counted 5 while member 1 (a connection of
    3) was shown 4. Each count is now what the same viewer pages through."""
    one, three, six, x, y = await api.members(5)
    for other in (one, six, x, y):
        await api.connect(three, other)
    r = await api.admin.post("/v1/groups", json={"name": "Difference Engine"})
    group = r.json()["id"]
    for who in (one, six, x):
        assert (await api.as_(who).put(f"/v1/groups/{group}/members/me")).status_code == 201
    assert (await api.as_(six).put(f"/v1/blocks/{one}")).status_code in (200, 201)
    for viewer, shown in ((one, 3), (x, 4), (three, 4)):
        profile = (await api.as_(viewer).get(f"/v1/members/{three}")).json()
        for kind in LISTS:
            _, items = await _all(api, viewer, f"/v1/members/{three}/{kind}")
            assert profile[COUNTS[kind]] == len(items) == shown, (viewer, kind)
    for viewer, shown in ((one, 2), (x, 3), (six, 2)):
        group_seen = (await api.as_(viewer).get(f"/v1/groups/{group}")).json()
        _, items = await _all(api, viewer, f"/v1/groups/{group}/members")
        assert group_seen["member_count"] == len(items) == shown, viewer
        listed = (await api.as_(viewer).get("/v1/groups")).json()["items"]
        assert [g["member_count"] for g in listed if g["id"] == group] == [shown]
    # Joining answers with the count as the joiner sees it.
    r = await api.as_(y).put(f"/v1/groups/{group}/members/me")
    assert r.status_code == 201 and r.json()["group"]["member_count"] == 4
    # An admin sees every member.
    assert (await api.admin.get(f"/v1/groups/{group}")).json()["member_count"] == 4


async def test_only_me_applies_at_once_and_back(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    assert (await api.as_(b).get(f"/v1/members/{a}/connections")).status_code == 200
    r = await api.as_(a).patch("/v1/me/settings", json={"who_may_see_connections": "only_me"})
    assert r.json() == {
        "who_may_invite": "everyone",
        "follow_first": False,
        "who_may_see_connections": "only_me",
    }
    hidden = problem(await api.as_(b).get(f"/v1/members/{a}/connections"), 404, "not_found")
    unknown = problem(await api.as_(b).get(f"/v1/members/{a + 100}/connections"), 404, "not_found")
    # Same answer as for a member who doesn't exist: no oracle.
    assert hidden["detail"] == unknown["detail"]
    for kind in ("followers", "following"):
        problem(await api.as_(b).get(f"/v1/members/{a}/{kind}"), 404, "not_found")
    # The member still sees their own, and `me` says what is set.
    assert (await api.as_(a).get(f"/v1/members/{a}/connections")).status_code == 200
    me = (await api.as_(a).get("/v1/me")).json()
    assert me["settings"]["who_may_see_connections"] == "only_me"
    assert me["connection_count"] == 1
    await api.as_(a).patch("/v1/me/settings", json={"who_may_see_connections": "connections"})
    assert (await api.as_(b).get(f"/v1/members/{a}/followers")).status_code == 200
