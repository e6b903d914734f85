"""Bulk withdrawal of sent invitations: listed ids or those older than n days, one transaction."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx

from connect_api.kit.ratelimits import cost_class
from tests.helpers import Api, problem

URL = "/v1/invitations/sent/withdraw"


async def bulk(api: Api, member: int, body: Any, key: str | None = None) -> httpx.Response:
    me = api.as_(member)
    headers = me.headers | ({"Idempotency-Key": key} if key else {})
    return await api.http.post(URL, json=body, headers=headers)


async def status_of(api: Api, *invitations: int) -> dict[int, str]:
    rows = await api.sql(
        "SELECT id, status::text FROM invitations WHERE id = ANY(:ids)", ids=list(invitations)
    )
    return {i: s for i, s in rows}


async def test_withdraw_listed_invitations(api: Api) -> None:
    x, a, b, c = await api.members(4)
    i_a, i_b, i_c = [await api.invited(x, m) for m in (a, b, c)]
    api.clock.advance(minutes=5)

    r = await bulk(api, x, {"ids": [i_c, i_a]})
    assert r.status_code == 200, r.text
    assert r.json() == {"withdrawn": [i_c, i_a], "not_withdrawn": []}
    assert await status_of(api, i_a, i_b, i_c) == {
        i_a: "withdrawn",
        i_b: "pending",
        i_c: "withdrawn",
    }
    # Each ends as a single withdrawal leaves it: its time, its cooldown, its event to both.
    one = (await api.as_(a).get(f"/v1/invitations/{i_a}")).json()
    assert one["status"] == "withdrawn" and one["responded_at"] is not None
    problem(await api.invite(x, a), 409, "cooldown_active")
    problem(await api.invite(x, c), 409, "cooldown_active")
    rows = await api.sql(
        "SELECT (data->>'invitation_id')::bigint, audience FROM events"
        " WHERE type = 'invitation.withdrawn' ORDER BY id"
    )
    assert rows == [(i_c, [x, c]), (i_a, [x, a])]
    assert (await api.as_(x).get("/v1/me")).json()["invitations"]["pending_outgoing"] == 1
    # The cooldown runs from the withdrawal, as after a single one.
    api.clock.advance(api.rules.cooldown)
    assert (await api.invite(x, a)).status_code == 201
    await api.assert_consistent()


async def test_withdraw_everything_older_than(api: Api) -> None:
    x, a, b, c, d, y = await api.members(6)
    old = await api.invited(x, a)
    api.clock.advance(days=10)
    middle = await api.invited(x, b)
    accepted_old = await api.invited(x, d)
    assert (await api.as_(d).post(f"/v1/invitations/{accepted_old}/accept")).status_code == 200
    api.clock.advance(days=20)
    recent = await api.invited(x, c)
    someone_elses = await api.invited(y, a)
    received = await api.invited(y, x)
    api.clock.advance(days=1)
    # `old` is 31 days old, `middle` 21, `recent` 1.

    r = await bulk(api, x, {"older_than_days": 21})
    assert r.status_code == 200, r.text
    assert r.json() == {"withdrawn": [old], "not_withdrawn": []}
    r = await bulk(api, x, {"older_than_days": 20})
    assert r.json() == {"withdrawn": [middle], "not_withdrawn": []}
    assert await status_of(api, recent, someone_elses, received, accepted_old) == {
        recent: "pending",
        someone_elses: "pending",
        received: "pending",
        accepted_old: "accepted",
    }
    assert (await bulk(api, x, {"older_than_days": 0})).json()["withdrawn"] == [recent]
    assert (await bulk(api, x, {"older_than_days": 0})).json() == {
        "withdrawn": [],
        "not_withdrawn": [],
    }
    await api.assert_consistent()


async def test_mixed_ids_say_what_was_not_withdrawn_without_an_existence_oracle(api: Api) -> None:
    x, a, b, c, d, e, y, z = await api.members(8)
    expired = await api.invited(x, e)
    api.clock.advance(days=181)
    pending = await api.invited(x, a)
    accepted = await api.invited(x, b)
    assert (await api.as_(b).post(f"/v1/invitations/{accepted}/accept")).status_code == 200
    withdrawn = await api.invited(x, c)
    assert (await api.as_(x).post(f"/v1/invitations/{withdrawn}/withdraw")).status_code == 200
    declined = await api.invited(x, d)
    assert (await api.decline(d, declined)).status_code == 200
    someone_elses = await api.invited(y, z)
    received = await api.invited(y, x)
    missing = 10**12

    ids = [someone_elses, pending, accepted, missing, withdrawn, declined, expired, received]
    r = await bulk(api, x, {"ids": ids})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "withdrawn": [pending],
        "not_withdrawn": [
            {"id": someone_elses, "code": "not_found"},
            {"id": accepted, "code": "invitation_not_pending"},
            {"id": missing, "code": "not_found"},
            {"id": withdrawn, "code": "invitation_not_pending"},
            {"id": declined, "code": "invitation_not_pending"},
            {"id": expired, "code": "invitation_not_pending"},
            {"id": received, "code": "not_found"},
        ],
    }
    assert await status_of(api, someone_elses, received, expired) == {
        someone_elses: "pending",
        received: "pending",
        expired: "pending",
    }
    await api.assert_consistent()


async def test_at_most_500_ids(api: Api) -> None:
    x, a = await api.members(2)
    inv = await api.invited(x, a)
    ids = [inv, *range(10**9, 10**9 + 499)]
    r = await bulk(api, x, {"ids": ids})
    assert r.status_code == 200, r.text
    assert r.json()["withdrawn"] == [inv]
    assert len(r.json()["not_withdrawn"]) == 499
    problem(await bulk(api, x, {"ids": [*ids, 10**10]}), 422, "validation_error")


async def test_invalid_requests_change_nothing(api: Api) -> None:
    x, a, b = await api.members(3)
    i_a, i_b = await api.invited(x, a), await api.invited(x, b)
    bodies: list[Any] = [
        {},
        {"ids": []},
        {"ids": [i_a, i_a]},
        {"ids": [i_a], "older_than_days": 3},
        {"ids": [i_a, 0]},
        {"ids": [i_a, "2"]},
        {"ids": [i_a, True]},
        {"ids": [i_a, 1.5]},
        {"ids": None},
        {"ids": i_a},
        {"ids": [i_a], "extra": 1},
        {"ids": [i_a], "reason": "spam"},
        {"older_than_days": -1},
        {"older_than_days": 3651},
        {"older_than_days": 1.5},
        {"older_than_days": "30"},
        {"older_than_days": True},
        {"older_than_days": None},
        {"all": True},
        [i_a],
        None,
    ]
    for body in bodies:
        found = problem(await bulk(api, x, body), 422, "validation_error")
        assert found["errors"], body
    for body in ({}, {"ids": [i_a], "older_than_days": 1}):
        found = problem(await bulk(api, x, body), 422, "validation_error")
        assert "exactly one of `ids`" in found["errors"][0]["message"]
    # A number is not an integer for being whole: `30.0` and `3e1` are refused as well.
    for days in (b"30.0", b"3e1"):
        r = await api.http.post(
            "/v1/invitations/sent/withdraw",
            content=b'{"older_than_days": %s}' % days,
            headers={**api.as_(x).headers, "Content-Type": "application/json"},
        )
        problem(r, 422, "validation_error")
    assert (await bulk(api, x, {"older_than_days": 30})).status_code == 200
    assert await status_of(api, i_a, i_b) == {i_a: "pending", i_b: "pending"}
    rows = await api.sql("SELECT count(*) FROM events WHERE type = 'invitation.withdrawn'")
    assert rows == [(0,)]


async def test_auth_route_and_cost(api: Api) -> None:
    x, a = await api.members(2)
    inv = await api.invited(x, a)
    r = await api.http.post(URL, json={"older_than_days": 0})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    problem(await bulk(api, 10**9, {"older_than_days": 0}), 401, "invalid_token")
    # The invitee can't withdraw through the bulk route: to them it is not in their outbox.
    r = await bulk(api, a, {"ids": [inv]})
    assert r.json() == {"withdrawn": [], "not_withdrawn": [{"id": inv, "code": "not_found"}]}
    assert (await api.as_(x).get(f"/v1/invitations/{inv}")).json()["status"] == "pending"
    assert cost_class("POST", URL, b"") == "expensive"


async def test_retry_with_the_same_key_replays(api: Api) -> None:
    x, a, b = await api.members(3)
    i_a, i_b = await api.invited(x, a), await api.invited(x, b)
    first = await bulk(api, x, {"ids": [i_a]}, key="tidy-1")
    assert first.status_code == 200, first.text
    again = await bulk(api, x, {"ids": [i_a]}, key="tidy-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() == {"withdrawn": [i_a], "not_withdrawn": []}
    problem(await bulk(api, x, {"ids": [i_b]}, key="tidy-1"), 422, "idempotency_key_reused")
    rows = await api.sql("SELECT count(*) FROM events WHERE type = 'invitation.withdrawn'")
    assert rows == [(1,)]
    r = await bulk(api, x, {"ids": [i_a]})
    assert r.json() == {
        "withdrawn": [],
        "not_withdrawn": [{"id": i_a, "code": "invitation_not_pending"}],
    }


async def test_past_invitations_across_a_block_are_not_found(api: Api) -> None:
    me, blocker = await api.members(2)
    inv = await api.invited(me, blocker)
    assert (await api.as_(blocker).put(f"/v1/blocks/{me}")).status_code == 201
    r = await bulk(api, me, {"ids": [inv]})
    assert r.json()["not_withdrawn"] == [{"id": inv, "code": "not_found"}]


async def test_bulk_withdrawals_racing_accepts_and_declines(api: Api) -> None:
    """Outboxes tidied while their invitations are accepted and declined: every invitation ends
    in exactly one state, decided by exactly one request, and the counters and events agree."""
    rng = random.Random(20261202)
    for _ in range(6):
        x = await api.member()
        invitees = await api.members(10)
        sent = {m: await api.invited(x, m) for m in invitees}
        api.clock.advance(days=2)

        ops: list[tuple[str, int, Any]] = []
        for m, inv in sent.items():
            pick = rng.random()
            if pick < 0.4:
                ops.append(("accept", inv, api.as_(m).post(f"/v1/invitations/{inv}/accept")))
            elif pick < 0.6:
                ops.append(("decline", inv, api.decline(m, inv)))
        listed = list(sent.values())
        rng.shuffle(listed)
        ops.append(("listed", 0, bulk(api, x, {"ids": listed})))
        ops.append(("older", 0, bulk(api, x, {"older_than_days": 1})))
        rng.shuffle(ops)
        results = await asyncio.gather(*(op for _, _, op in ops))

        codes = Counter(r.status_code for r in results)
        assert set(codes) <= {200, 409}, [r.text for r in results]
        winners: Counter[int] = Counter()
        won_as: dict[int, str] = {}
        for (kind, inv, _), r in zip(ops, results, strict=True):
            if r.status_code != 200:
                problem(r, 409, "invitation_not_pending")
                continue
            if kind in ("listed", "older"):
                body = r.json()
                for w in body["withdrawn"]:
                    winners[w] += 1
                    won_as[w] = "withdrawn"
                if kind == "listed":
                    answered = body["withdrawn"] + [n["id"] for n in body["not_withdrawn"]]
                    assert sorted(answered) == sorted(listed)
                    assert {n["code"] for n in body["not_withdrawn"]} <= {"invitation_not_pending"}
                else:
                    assert body["not_withdrawn"] == []
            else:
                winners[inv] += 1
                won_as[inv] = "accepted" if kind == "accept" else "declined"

        assert all(winners[i] == 1 for i in sent.values()), winners
        assert await status_of(api, *sent.values()) == won_as
        accepted = sum(s == "accepted" for s in won_as.values())
        assert await api.count(x) == accepted
        rows = await api.sql(
            "SELECT type, count(*) FROM events WHERE (data->>'inviter_id')::bigint = :x"
            " AND type <> 'invitation.created' GROUP BY type",
            x=x,
        )
        by_type = dict(rows)
        for state in ("accepted", "declined", "withdrawn"):
            assert by_type.get(f"invitation.{state}", 0) == sum(
                s == state for s in won_as.values()
            ), (state, by_type)
    await api.assert_consistent()


async def test_an_outbox_of_3000_is_tidied_in_one_call(api: Api) -> None:
    me = await api.member()
    now = api.clock.now()
    await api.sql(
        """WITH targets AS (
               INSERT INTO members (handle, display_name, created_at)
               SELECT 'target' || g, 'Target ' || g, :now FROM generate_series(1, 3000) g
               RETURNING id)
           INSERT INTO invitations (inviter_id, invitee_id, status, created_at, expires_at)
           SELECT :me, id, 'pending', :now, :expires FROM targets""",
        now=now,
        me=me,
        expires=now + api.rules.invitation_expiry,
    )
    api.clock.advance(days=31)
    r = await bulk(api, me, {"older_than_days": 30})
    assert r.status_code == 200, r.text
    assert len(r.json()["withdrawn"]) == 3000
    rows = await api.sql("SELECT count(*) FROM events WHERE type = 'invitation.withdrawn'")
    assert rows == [(3000,)]
    assert (await api.as_(me).get("/v1/me")).json()["invitations"]["pending_outgoing"] == 0
    await api.assert_consistent()
