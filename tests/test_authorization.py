"""The authorization matrix: for every route that takes an id or returns private data, another
member gets 404 (or sees only their own), and the owner's data is unchanged afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import Api, problem


@dataclass
class World:
    owner: int
    friend: int  # the owner's connection, with the owner's note and tags on it
    invitee: int  # has the owner's pending invitation
    blocked: int  # blocked by the owner
    intruder: int  # connected to nobody here
    invitation: int


async def build(api: Api) -> World:
    owner, friend, invitee, blocked, intruder = await api.members(5)
    await api.connect(owner, friend)
    me = api.as_(owner)
    r = await me.put(f"/v1/notes/{friend}", json={"body": "Met at PyCon", "how_we_met": "talk"})
    assert r.status_code == 201, r.text
    r = await me.put(f"/v1/tags/{friend}", json={"tags": ["Secret Project", "London"]})
    assert r.status_code == 200, r.text
    invitation = await api.invited(owner, invitee)
    assert (await me.put(f"/v1/blocks/{blocked}")).status_code == 201
    return World(owner, friend, invitee, blocked, intruder, invitation)


async def snapshot(api: Api, w: World) -> dict[str, Any]:
    """Everything private to the owner, as the owner reads it."""
    me = api.as_(w.owner)
    out = {}
    for url in (
        f"/v1/notes/{w.friend}",
        f"/v1/tags/{w.friend}",
        "/v1/tags",
        f"/v1/invitations/{w.invitation}",
        "/v1/invitations/sent",
        "/v1/blocks",
        f"/v1/members/{w.owner}/connections",
        "/v1/me",
    ):
        r = await me.get(url)
        assert r.status_code == 200, (url, r.text)
        out[url] = r.json()
    return out


# (method, url template, body): what the intruder tries; each must be a 404.
ATTEMPTS: list[tuple[str, str, Any]] = [
    ("GET", "/v1/invitations/{invitation}", None),
    ("POST", "/v1/invitations/{invitation}/accept", None),
    ("POST", "/v1/invitations/{invitation}/decline", {"reason": "spam"}),
    ("POST", "/v1/invitations/{invitation}/withdraw", None),
    ("GET", "/v1/members/{owner}/connections", None),
    ("GET", "/v1/members/{owner}/connections?tag=London", None),
    ("GET", "/v1/notes/{friend}", None),
    ("PUT", "/v1/notes/{friend}", {"body": "overwritten"}),
    ("DELETE", "/v1/notes/{friend}", None),
    ("GET", "/v1/tags/{friend}", None),
    ("PUT", "/v1/tags/{friend}", {"tags": []}),
    ("DELETE", "/v1/connections/{friend}", None),
    ("DELETE", "/v1/connections/{owner}", None),
]


@pytest.mark.parametrize(
    ("method", "template", "body"), ATTEMPTS, ids=[f"{m} {t}" for m, t, _ in ATTEMPTS]
)
async def test_another_member_gets_404_and_changes_nothing(
    api: Api, method: str, template: str, body: Any
) -> None:
    w = await build(api)
    before = await snapshot(api, w)
    url = template.format(**vars(w))
    r = await api.as_(w.intruder).http.request(
        method, url, json=body, headers=api.as_(w.intruder).headers
    )
    problem(r, 404, "not_found")
    assert await snapshot(api, w) == before
    await api.assert_consistent()


async def test_a_blocked_member_sees_the_owner_nowhere(api: Api) -> None:
    w = await build(api)
    before = await snapshot(api, w)
    them = api.as_(w.blocked)
    for url in (
        f"/v1/members/{w.owner}",
        f"/v1/members/{w.owner}/followers",
        f"/v1/members/{w.owner}/following",
        f"/v1/members/{w.owner}/connections",
        f"/v1/members/{w.owner}/mutual-connections",
    ):
        problem(await them.get(url), 404, "not_found")
    problem(await them.put(f"/v1/follows/{w.owner}"), 404, "not_found")
    problem(await api.invite(w.blocked, w.owner), 404, "not_found")
    [item] = (await them.get("/v1/relationships", params={"ids": w.owner})).json()["items"]
    assert item["action"] == "unavailable" and item["reason"] == "not_found"
    assert await snapshot(api, w) == before


async def test_lists_and_feeds_of_others_hold_nothing_of_the_owner(api: Api) -> None:
    w = await build(api)
    secret = ["Met at PyCon", "Secret Project", "secret project", "London", "talk"]
    # The friend is connected to the owner and may see the owner's connection list, but not
    # the owner's notes and tags on it: their own reads are their own.
    friend = api.as_(w.friend)
    problem(await friend.get(f"/v1/notes/{w.owner}"), 404, "not_found")
    assert (await friend.get(f"/v1/tags/{w.owner}")).json()["tags"] == []
    assert (await friend.get("/v1/tags")).json()["items"] == []
    r = await friend.get(f"/v1/members/{w.owner}/connections", params={"tag": "London"})
    assert r.status_code == 200 and r.json()["items"] == []
    for who in (w.friend, w.intruder, w.invitee, w.blocked):
        them = api.as_(who)
        texts = [
            (await them.get(f"/v1/members/{w.owner}/connections")).text,
            (await them.get(f"/v1/members/{w.owner}/mutual-connections")).text,
            (await them.get("/v1/blocks")).text,
            (await them.get("/v1/tags")).text,
            (await them.get("/v1/events")).text,
            (await them.get("/v1/me/export")).text,
            (await them.get("/v1/me/export", params={"kind": "connections"})).text,
            (await them.get("/v1/relationships", params={"ids": f"{w.owner},{w.friend}"})).text,
            (await them.get("/v1/invitations/sent")).text,
        ]
        for text in texts:
            assert not any(s in text for s in secret), (who, text[:300])
        assert (await them.get("/v1/blocks")).json()["items"] == []
    # The blocked member's feed never mentions the block; the invitee's shows the invitation.
    blocked_feed = (await api.as_(w.blocked).get("/v1/events")).json()["items"]
    assert all(e["type"] != "member.blocked" for e in blocked_feed)
    export = json.loads((await api.as_(w.intruder).get("/v1/me/export")).text)
    assert export["connections"] == [] and export["blocks"] == []
