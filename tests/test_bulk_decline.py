"""Bulk decline of received invitations: listed ids or the whole inbox, one transaction."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx

from tests.helpers import Api, problem

URL = "/v1/invitations/received/decline"


async def bulk(api: Api, member: int, body: Any, key: str | None = None) -> httpx.Response:
    me = api.as_(member)
    headers = me.headers | ({"Idempotency-Key": key} if key else {})
    return await api.http.post(URL, json=body, headers=headers)


async def status_of(api: Api, *invitations: int) -> dict[int, str]:
    rows = await api.sql(
        "SELECT id, status::text FROM invitations WHERE id = ANY(:ids)", ids=list(invitations)
    )
    return {i: s for i, s in rows}


async def feed(api: Api, member: int) -> list[dict[str, Any]]:
    r = await api.as_(member).get("/v1/events", params={"limit": 100})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_decline_listed_invitations(api: Api) -> None:
    x, a, b, c = await api.members(4)
    i_a, i_b, i_c = [await api.invited(m, x) for m in (a, b, c)]
    api.clock.advance(minutes=5)

    r = await bulk(api, x, {"ids": [i_c, i_a]})
    assert r.status_code == 200, r.text
    assert r.json() == {"declined": [i_c, i_a], "not_declined": []}
    assert await status_of(api, i_a, i_b, i_c) == {
        i_a: "declined",
        i_b: "pending",
        i_c: "declined",
    }
    # Each declined invitation ends as a single decline leaves it.
    one = (await api.as_(x).get(f"/v1/invitations/{i_a}")).json()
    assert one["status"] == "declined"
    assert one["decline_reason"] == "ignore"
    assert one["responded_at"] is not None
    seen_by_inviter = (await api.as_(a).get(f"/v1/invitations/{i_a}")).json()
    assert seen_by_inviter["status"] == "declined"
    assert seen_by_inviter["decline_reason"] is None
    problem(await api.invite(a, x), 409, "cooldown_active")
    problem(await api.invite(c, x), 409, "cooldown_active")
    assert [
        i["id"] for i in (await api.as_(x).get("/v1/invitations/received")).json()["items"]
    ] == [i_b]
    await api.assert_consistent()


async def test_decline_all_pending_in_my_inbox(api: Api) -> None:
    x, old, a, b, c, d, y = await api.members(7)
    expiring = await api.invited(old, x)
    api.clock.advance(days=179)
    accepted = await api.invited(a, x)
    assert (await api.as_(x).post(f"/v1/invitations/{accepted}/accept")).status_code == 200
    waiting = [await api.invited(m, x) for m in (b, c)]
    sent_by_me = await api.invited(x, d)
    someone_elses = await api.invited(y, d)
    api.clock.advance(days=2)  # `expiring` is now past its time, the others are not

    r = await bulk(api, x, {"all": True, "reason": "dont_know"})
    assert r.status_code == 200, r.text
    assert r.json() == {"declined": sorted(waiting), "not_declined": []}
    assert await status_of(api, expiring, accepted, *waiting, sent_by_me, someone_elses) == {
        expiring: "pending",  # expired in effect; bulk decline leaves it alone
        accepted: "accepted",
        waiting[0]: "declined",
        waiting[1]: "declined",
        sent_by_me: "pending",
        someone_elses: "pending",
    }
    reasons = await api.sql(
        "SELECT DISTINCT decline_reason::text FROM invitations WHERE id = ANY(:ids)", ids=waiting
    )
    assert reasons == [("dont_know",)]
    # Nothing is left to decline; a second call is a no-op, not an error.
    r = await bulk(api, x, {"all": True})
    assert r.json() == {"declined": [], "not_declined": []}
    # `dont_know` bars the inviter for good, once the cooldown is over.
    api.clock.advance(days=22)
    problem(await api.invite(b, x), 403, "invitation_not_allowed")
    await api.assert_consistent()


async def test_mixed_ids_say_what_was_not_declined_without_an_existence_oracle(api: Api) -> None:
    x, a, b, c, d, e, f, y, z = await api.members(9)
    expired = await api.invited(e, x)
    api.clock.advance(days=181)
    pending = await api.invited(a, x)
    accepted = await api.invited(b, x)
    assert (await api.as_(x).post(f"/v1/invitations/{accepted}/accept")).status_code == 200
    withdrawn = await api.invited(c, x)
    assert (await api.as_(c).post(f"/v1/invitations/{withdrawn}/withdraw")).status_code == 200
    declined = await api.invited(d, x)
    assert (await api.decline(x, declined)).status_code == 200
    fresh = await api.invited(f, x)
    someone_elses = await api.invited(y, z)
    sent_by_me = await api.invited(x, y)
    missing = 10**12

    ids = [someone_elses, pending, accepted, missing, withdrawn, declined, expired, fresh]
    ids.append(sent_by_me)
    r = await bulk(api, x, {"ids": ids, "reason": "spam"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["declined"] == [pending, fresh]
    assert body["not_declined"] == [
        {"id": someone_elses, "code": "not_found"},
        {"id": accepted, "code": "invitation_not_pending"},
        {"id": missing, "code": "not_found"},
        {"id": withdrawn, "code": "invitation_not_pending"},
        {"id": declined, "code": "invitation_not_pending"},
        {"id": expired, "code": "invitation_not_pending"},
        {"id": sent_by_me, "code": "not_found"},
    ]
    # Others' invitations and the caller's own sent one are untouched.
    assert await status_of(api, someone_elses, sent_by_me, expired) == {
        someone_elses: "pending",
        sent_by_me: "pending",
        expired: "pending",
    }
    reasons = await api.sql(
        "SELECT id, decline_reason::text FROM invitations WHERE id = ANY(:ids) ORDER BY id",
        ids=[declined, pending, fresh],
    )
    assert dict(reasons) == {declined: "ignore", pending: "spam", fresh: "spam"}
    await api.assert_consistent()


async def test_at_most_500_ids(api: Api) -> None:
    x, a = await api.members(2)
    inv = await api.invited(a, x)
    ids = [inv, *range(10**9, 10**9 + 499)]
    r = await bulk(api, x, {"ids": ids})
    assert r.status_code == 200, r.text
    assert r.json()["declined"] == [inv]
    assert len(r.json()["not_declined"]) == 499
    problem(await bulk(api, x, {"ids": [*ids, 10**10]}), 422, "validation_error")


async def test_invalid_requests_change_nothing(api: Api) -> None:
    x, a, b = await api.members(3)
    i_a, i_b = await api.invited(a, x), await api.invited(b, x)
    bodies: list[Any] = [
        {},
        {"reason": "spam"},
        {"ids": []},
        {"ids": [i_a, i_a]},
        {"ids": [i_a], "all": True},
        {"ids": [i_a, i_b, *range(10**9, 10**9 + 499)]},
        {"ids": [i_a, 0]},
        {"ids": [i_a, -1]},
        {"ids": [i_a, 2**63]},
        {"ids": [i_a, "2"]},
        {"ids": [i_a, True]},
        {"ids": [i_a, 1.5]},
        {"ids": [i_a, None]},
        {"ids": i_a},
        {"ids": None},
        {"ids": [i_a], "reason": "rude"},
        {"ids": [i_a], "extra": 1},
        {"all": False},
        {"all": 1},
        {"all": "true"},
        {"all": None},
        {"all": True, "reason": None},
        {"all_": True},
        [i_a],
        "all",
        None,
    ]
    for body in bodies:
        r = await bulk(api, x, body)
        found = problem(r, 422, "validation_error")
        assert found["errors"], body
    # The two "exactly one of" cases say so.
    for body in ({}, {"ids": [i_a], "all": True}):
        found = problem(await bulk(api, x, body), 422, "validation_error")
        assert "exactly one of `ids`" in found["errors"][0]["message"]
    assert await status_of(api, i_a, i_b) == {i_a: "pending", i_b: "pending"}
    rows = await api.sql("SELECT count(*) FROM events WHERE type = 'invitation.declined'")
    assert rows == [(0,)]


async def test_auth_and_route(api: Api) -> None:
    x, a = await api.members(2)
    inv = await api.invited(a, x)
    r = await api.http.post(URL, json={"all": True})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    problem(await bulk(api, 10**9, {"all": True}), 401, "invalid_token")
    # The inviter can't decline through the bulk route: to them it is not in their inbox.
    r = await bulk(api, a, {"ids": [inv]})
    assert r.json() == {"declined": [], "not_declined": [{"id": inv, "code": "not_found"}]}
    # The single-invitation routes still answer for their own paths.
    problem(await api.as_(x).post("/v1/invitations/received/accept"), 422, "validation_error")
    assert (await api.as_(x).get(f"/v1/invitations/{inv}")).json()["status"] == "pending"


async def test_reports_restrict_an_inviter_once_per_batch(api: Api) -> None:
    api.rules.restriction_reports = 2
    x, m, spammer, other = await api.members(4)
    earlier = await api.invited(spammer, m)
    assert (await api.decline(m, earlier, "spam")).status_code == 200
    from_spammer = await api.invited(spammer, x)
    from_other = await api.invited(other, x)
    api.clock.advance(minutes=10)

    r = await bulk(api, x, {"ids": [from_spammer, from_other], "reason": "spam"})
    assert r.json()["declined"] == [from_spammer, from_other]
    until = api.clock.now() + api.rules.restriction
    rows = await api.sql(
        "SELECT id, restricted_until FROM members WHERE id = ANY(:ids)", ids=[spammer, other]
    )
    assert dict(rows) == {spammer: until, other: None}
    (fresh,) = await api.members(1)
    problem(await api.invite(spammer, fresh), 403, "member_restricted")
    assert (await api.invite(other, fresh)).status_code == 201
    await api.assert_consistent()


async def test_ignores_count_towards_the_decline_ratio(api: Api) -> None:
    api.rules.restriction_min_decided = 3
    x, y, inviter = await api.members(3)
    x2, x3 = await api.members(2)
    first = await api.invited(inviter, y)
    assert (await api.decline(y, first)).status_code == 200
    # One accepted, then two declined in one batch by two inboxes' worth: 2 of 3 declined.
    accepted = await api.invited(inviter, x3)
    assert (await api.as_(x3).post(f"/v1/invitations/{accepted}/accept")).status_code == 200
    second = await api.invited(inviter, x)
    assert (await bulk(api, x, {"all": True})).json()["declined"] == [second]
    rows = await api.sql("SELECT restricted_until FROM members WHERE id = :m", m=inviter)
    assert rows == [(api.clock.now() + api.rules.restriction,)]
    problem(await api.invite(inviter, x2), 403, "member_restricted")


async def test_the_inviters_never_hear_of_it(api: Api) -> None:
    x, a, b = await api.members(3)
    i_a, i_b = await api.invited(a, x), await api.invited(b, x)
    r = await bulk(api, x, {"ids": [i_a, i_b], "reason": "spam"})
    assert r.status_code == 200, r.text

    mine = [e for e in await feed(api, x) if e["type"] == "invitation.declined"]
    assert [(e["data"]["invitation_id"], e["data"]["reason"]) for e in mine] == [
        (i_a, "spam"),
        (i_b, "spam"),
    ]
    for inviter in (a, b):
        seen = await feed(api, inviter)
        assert [e["type"] for e in seen] == ["invitation.created"]
        assert "spam" not in str(seen)
    rows = await api.sql("SELECT audience FROM events WHERE type = 'invitation.declined'")
    assert sorted(rows) == [([x],), ([x],)]


async def test_retry_with_the_same_key_replays(api: Api) -> None:
    x, a, b = await api.members(3)
    i_a, i_b = await api.invited(a, x), await api.invited(b, x)
    first = await bulk(api, x, {"ids": [i_a]}, key="clear-1")
    assert first.status_code == 200, first.text
    again = await bulk(api, x, {"ids": [i_a]}, key="clear-1")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() == {"declined": [i_a], "not_declined": []}
    problem(await bulk(api, x, {"ids": [i_b]}, key="clear-1"), 422, "idempotency_key_reused")
    rows = await api.sql("SELECT count(*) FROM events WHERE type = 'invitation.declined'")
    assert rows == [(1,)]
    # Without the key the same request runs again, and finds nothing left to decline.
    r = await bulk(api, x, {"ids": [i_a]})
    assert r.json() == {
        "declined": [],
        "not_declined": [{"id": i_a, "code": "invitation_not_pending"}],
    }
    assert await status_of(api, i_b) == {i_b: "pending"}


async def test_bulk_declines_racing_accepts_and_withdrawals(api: Api) -> None:
    """Two inboxes fed by the same inviters, cleared while their invitations are accepted and
    withdrawn: every invitation ends in one state, decided by exactly one request."""
    rng = random.Random(20261201)
    for _ in range(6):
        x, x2 = await api.members(2)
        inviters = await api.members(8)
        to_x = {m: await api.invited(m, x) for m in inviters}
        to_x2 = {m: await api.invited(m, x2) for m in inviters}

        ops: list[tuple[str, int, Any]] = []
        for m, inv in to_x.items():
            pick = rng.random()
            if pick < 0.3:
                ops.append(("accept", inv, api.as_(x).post(f"/v1/invitations/{inv}/accept")))
            elif pick < 0.6:
                ops.append(("withdraw", inv, api.as_(m).post(f"/v1/invitations/{inv}/withdraw")))
        for inv in to_x2.values():
            if rng.random() < 0.4:
                ops.append(("accept", inv, api.as_(x2).post(f"/v1/invitations/{inv}/accept")))
        listed = list(to_x.values())
        rng.shuffle(listed)
        ops.append(("listed", 0, bulk(api, x, {"ids": listed, "reason": "spam"})))
        ops.append(("bulk", 0, bulk(api, x, {"all": True})))
        ops.append(("bulk", 0, bulk(api, x2, {"all": True, "reason": "dont_know"})))
        rng.shuffle(ops)
        results = await asyncio.gather(*(op for _, _, op in ops))

        codes = Counter(r.status_code for r in results)
        assert set(codes) <= {200, 409}, codes
        winners: Counter[int] = Counter()
        won_as: dict[int, str] = {}
        for (kind, inv, _), r in zip(ops, results, strict=True):
            if r.status_code != 200:
                problem(r, 409, "invitation_not_pending")
                continue
            if kind in ("bulk", "listed"):
                body = r.json()
                for declined in body["declined"]:
                    winners[declined] += 1
                    won_as[declined] = "declined"
                if kind == "listed":
                    # Every listed id is answered for, once: declined or already decided.
                    answered = body["declined"] + [n["id"] for n in body["not_declined"]]
                    assert sorted(answered) == sorted(listed)
                    assert {n["code"] for n in body["not_declined"]} <= {"invitation_not_pending"}
                else:
                    assert body["not_declined"] == []
            else:
                winners[inv] += 1
                won_as[inv] = "accepted" if kind == "accept" else "withdrawn"

        everything = [*to_x.values(), *to_x2.values()]
        # `all: true` leaves nothing pending in either inbox, and each ended exactly once.
        assert all(winners[i] == 1 for i in everything), winners
        assert await status_of(api, *everything) == won_as
    await api.assert_consistent()


async def test_expired_invitation_times_are_judged_at_the_request(api: Api) -> None:
    x, a = await api.members(2)
    inv = await api.invited(a, x)
    api.clock.advance(days=180)  # exactly at its expiry: no longer pending
    r = await bulk(api, x, {"ids": [inv]})
    assert r.json()["not_declined"] == [{"id": inv, "code": "invitation_not_pending"}]
    assert (await bulk(api, x, {"all": True})).json()["declined"] == []


async def test_a_spammed_inbox_of_7000_is_cleared_in_one_call(api: Api) -> None:
    """More invitations (and inviters to lock) than one statement could carry as separate
    parameters: ids travel as arrays, events go a thousand to a statement."""
    me = await api.member()
    now = api.clock.now()
    await api.sql(
        """WITH spammers AS (
               INSERT INTO members (handle, display_name, created_at)
               SELECT 'spam' || g, 'Spammer ' || g, :now FROM generate_series(1, 7000) g
               RETURNING id)
           INSERT INTO invitations (inviter_id, invitee_id, status, created_at, expires_at)
           SELECT id, :me, 'pending', :now, :expires FROM spammers""",
        now=now,
        me=me,
        expires=now + api.rules.invitation_expiry,
    )
    r = await bulk(api, me, {"all": True, "reason": "spam"})
    assert r.status_code == 200, r.text
    assert len(r.json()["declined"]) == 7000
    rows = await api.sql(
        "SELECT count(*) FROM events"
        " WHERE type = 'invitation.declined' AND audience = ARRAY[:me]::bigint[]",
        me=me,
    )
    assert rows == [(7000,)]
    assert (await api.as_(me).get("/v1/me")).json()["pending_received"] == 0
    await api.assert_consistent()


async def test_past_invitations_across_a_block_are_not_found(api: Api) -> None:
    me, blocker, other = await api.members(3)
    old = await api.invited(blocker, me)
    assert (await api.decline(me, old)).status_code == 200
    assert (await api.as_(blocker).put(f"/v1/blocks/{me}")).status_code == 201
    answered = await api.invited(other, me)
    assert (await api.decline(me, answered)).status_code == 200
    r = await bulk(api, me, {"ids": [old, answered]})
    assert r.json()["not_declined"] == [
        {"id": old, "code": "not_found"},  # as for a missing one: the block isn't told
        {"id": answered, "code": "invitation_not_pending"},
    ]
