"""Rules that depend on time, with the clock moved (never slept).

Members are created before the clock moves: the helper's admin token lives one hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connect_api.invitations.service import expire_due
from tests.helpers import Api, problem

DAY = timedelta(days=1)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def status_of(api: Api, viewer: int, invitation: int) -> str:
    r = await api.as_(viewer).get(f"/v1/invitations/{invitation}")
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def listed(api: Api, viewer: int, box: str, status: str) -> list[int]:
    r = await api.as_(viewer).get(f"/v1/invitations/{box}", params={"status": status})
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


# --- cooldowns ------------------------------------------------------------------------------


async def test_decline_cooldown_is_21_days(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    api.clock.advance(hours=5)
    assert (await api.decline(b, inv)).status_code == 200
    declined_at = api.clock.now()

    r = await api.invite(a, b)
    body = problem(r, 409, "cooldown_active")
    assert when(body["until"]) == declined_at + 21 * DAY
    api.clock.set(declined_at + timedelta(days=20.9))
    r = await api.invite(a, b)
    body = problem(r, 409, "cooldown_active")
    assert when(body["until"]) == declined_at + 21 * DAY
    assert r.headers["retry-after"] == str(int(0.1 * 86400))
    api.clock.set(declined_at + 21 * DAY - timedelta(seconds=1))
    problem(await api.invite(a, b), 409, "cooldown_active")
    api.clock.set(declined_at + 21 * DAY)
    r = await api.invite(a, b)
    assert r.status_code == 201, r.text
    await api.assert_consistent()


async def test_decline_cooldown_binds_the_inviter_only(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    assert (await api.decline(b, inv, "ignore")).status_code == 200
    api.clock.advance(days=1)
    r = await api.invite(b, a)  # the one who declined may change their mind
    assert r.status_code == 201, r.text
    await api.assert_consistent()


async def test_cooldown_is_a_setting(api: Api) -> None:
    a, b = await api.members(2)
    api.rules.cooldown_days = 2
    inv = await api.invited(a, b)
    assert (await api.decline(b, inv)).status_code == 200
    api.clock.advance(days=1.5)
    problem(await api.invite(a, b), 409, "cooldown_active")
    api.clock.advance(days=0.5)
    assert (await api.invite(a, b)).status_code == 201


async def test_withdrawal_cooldown_applies_to_the_withdrawer(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    api.clock.advance(days=3)
    r = await api.as_(a).post(f"/v1/invitations/{inv}/withdraw")
    assert r.status_code == 200
    withdrawn_at = api.clock.now()
    api.clock.set(withdrawn_at + timedelta(days=20.9))
    body = problem(await api.invite(a, b), 409, "cooldown_active")
    assert when(body["until"]) == withdrawn_at + 21 * DAY
    api.clock.set(withdrawn_at + 21 * DAY)
    assert (await api.invite(a, b)).status_code == 201
    await api.assert_consistent()


async def test_withdrawal_does_not_bind_the_other_member(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    assert (await api.as_(a).post(f"/v1/invitations/{inv}/withdraw")).status_code == 200
    r = await api.invite(b, a)
    assert r.status_code == 201, r.text
    # And the withdrawer may accept it: the cooldown only stops sending.
    r = await api.as_(a).post(f"/v1/invitations/{r.json()['id']}/accept")
    assert r.status_code == 200, r.text
    await api.assert_consistent()


# --- throttles ------------------------------------------------------------------------------


async def test_hourly_window_reopens_when_the_oldest_ages_out(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(22)
    start = api.clock.now()
    for n in range(20):
        api.clock.set(start + timedelta(minutes=n))
        assert (await api.invite(a, others[n])).status_code == 201
    api.clock.set(start + timedelta(minutes=30))
    r = await api.invite(a, others[20])
    body = problem(r, 429, "invitation_throttled")
    assert body["window"] == "hour"
    assert r.headers["retry-after"] == "1800"
    api.clock.set(start + timedelta(hours=1) - timedelta(seconds=1))
    r = await api.invite(a, others[20])
    problem(r, 429, "invitation_throttled")
    assert r.headers["retry-after"] == "1"
    api.clock.set(start + timedelta(hours=1))
    r = await api.invite(a, others[20])
    assert r.status_code == 201, r.text
    assert r.headers["ratelimit"].startswith('"hour";r=0;t=60,')
    # Full again: the next slot frees when the second send (one minute in) ages out.
    r = await api.invite(a, others[21])
    problem(r, 429, "invitation_throttled")
    assert r.headers["retry-after"] == "60"
    await api.assert_consistent()


async def test_weekly_limit_100_across_days(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(102)
    start = api.clock.now()
    for day in range(5):
        api.clock.set(start + day * DAY)
        for n in range(20):
            r = await api.invite(a, others[day * 20 + n])
            assert r.status_code == 201, (day, n, r.text)
    assert r.headers["ratelimit"] == (f'"hour";r=0;t=3600, "week";r=0;t={3 * 86400}')
    api.clock.set(start + 5 * DAY)
    r = await api.invite(a, others[100])
    body = problem(r, 429, "invitation_throttled")
    assert body["window"] == "week"
    assert body["limit"] == 100
    assert r.headers["retry-after"] == str(2 * 86400)
    assert '"week";r=0' in r.headers["ratelimit"]
    me = (await api.as_(a).get("/v1/me")).json()
    assert me["invitations"]["week_remaining"] == 0
    assert me["invitations"]["hour_remaining"] == 20
    api.clock.set(start + 7 * DAY - timedelta(seconds=1))
    problem(await api.invite(a, others[100]), 429, "invitation_throttled")
    api.clock.set(start + 7 * DAY)
    r = await api.invite(a, others[100])
    assert r.status_code == 201, r.text
    assert '"week";r=19;' in r.headers["ratelimit"]
    await api.assert_consistent()


# --- restriction ----------------------------------------------------------------------------


async def test_restriction_ends_after_7_days(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(6)
    invs = [await api.invited(a, o) for o in others[:5]]
    for o, inv in zip(others, invs, strict=False):
        assert (await api.decline(o, inv, "dont_know")).status_code == 200
    restricted_at = api.clock.now()
    body = problem(await api.invite(a, others[5]), 403, "member_restricted")
    assert when(body["until"]) == restricted_at + 7 * DAY
    api.clock.set(restricted_at + 7 * DAY - timedelta(seconds=1))
    problem(await api.invite(a, others[5]), 403, "member_restricted")
    me = (await api.as_(a).get("/v1/me")).json()
    assert when(me["restricted_until"]) == restricted_at + 7 * DAY
    api.clock.set(restricted_at + 7 * DAY)
    assert (await api.as_(a).get("/v1/me")).json()["restricted_until"] is None
    r = await api.invite(a, others[5])
    assert r.status_code == 201, r.text
    await api.assert_consistent()


async def test_reports_older_than_30_days_do_not_count(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(6)
    invs = [await api.invited(a, o) for o in others[:5]]
    for o, inv in zip(others[:4], invs, strict=False):
        assert (await api.decline(o, inv, "spam")).status_code == 200
    api.clock.advance(days=31)
    assert (await api.decline(others[4], invs[4], "spam")).status_code == 200
    assert (await api.invite(a, others[5])).status_code == 201


# --- expiry ---------------------------------------------------------------------------------


async def test_pending_invitation_expires_after_180_days(api: Api) -> None:
    a, b, c = await api.members(3)
    start = api.clock.now()
    inv = await api.invited(a, b)
    api.clock.set(start + 180 * DAY - timedelta(seconds=1))
    assert await status_of(api, b, inv) == "pending"
    assert await listed(api, b, "received", "pending") == [inv]
    api.clock.set(start + 180 * DAY)
    for viewer in (a, b):
        r = await api.as_(viewer).get(f"/v1/invitations/{inv}")
        assert r.json()["status"] == "expired"
        assert when(r.json()["expires_at"]) == start + 180 * DAY
    assert await listed(api, b, "received", "pending") == []
    assert await listed(api, a, "sent", "pending") == []
    assert await listed(api, b, "received", "expired") == [inv]
    assert await listed(api, a, "sent", "expired") == [inv]
    assert await listed(api, a, "sent", "all") == [inv]
    me = (await api.as_(b).get("/v1/me")).json()
    assert me["pending_received"] == 0
    assert (await api.as_(a).get("/v1/me")).json()["invitations"]["pending_outgoing"] == 0

    r = await api.as_(b).post(f"/v1/invitations/{inv}/accept")
    body = problem(r, 409, "invitation_not_pending")
    assert body["invitation_status"] == "expired"
    problem(await api.decline(b, inv), 409, "invitation_not_pending")
    problem(await api.as_(a).post(f"/v1/invitations/{inv}/withdraw"), 409, "invitation_not_pending")
    assert (await api.as_(b).get("/v1/me")).json()["connection_count"] == 0

    # No cooldown after an expiry: the pair may invite again.
    r = await api.invite(a, b)
    assert r.status_code == 201, r.text
    assert await status_of(api, a, inv) == "expired"
    assert await api.sql("select count(*) from events where type = 'invitation.expired'") == [(1,)]
    # Expiry is not a refusal: it restricts no one and frees the pending slot.
    assert (await api.invite(c, a)).status_code == 201
    await api.assert_consistent()


async def test_invitee_may_invite_after_expiry(api: Api) -> None:
    a, b = await api.members(2)
    await api.invited(a, b)
    api.clock.advance(days=180)
    r = await api.invite(b, a)
    assert r.status_code == 201, r.text  # a fresh invitation, not a meeting with the dead one
    assert r.json()["inviter"]["id"] == b
    await api.assert_consistent()


async def test_expiry_is_a_setting(api: Api) -> None:
    a, b = await api.members(2)
    api.rules.invitation_expiry_days = 2
    inv = await api.invited(a, b)
    api.clock.advance(days=2)
    assert await status_of(api, a, inv) == "expired"


async def test_expiry_sweep_records_events(api: Api) -> None:
    a, b, c, d = await api.members(4)
    start = api.clock.now()
    old1 = await api.invited(a, b)
    old2 = await api.invited(c, d)
    api.clock.set(start + 10 * DAY)
    young = await api.invited(a, c)
    answered = await api.invited(b, d)
    assert (await api.decline(d, answered)).status_code == 200

    assert await api.ctx.db.run(expire_due, api.ctx) == 0
    api.clock.set(start + 180 * DAY)
    assert await api.ctx.db.run(expire_due, api.ctx) == 2
    rows = await api.sql("select id, status, responded_at, expires_at from invitations order by id")
    by_id = {row[0]: row for row in rows}
    for inv in (old1, old2):
        assert by_id[inv][1] == "expired"
        assert by_id[inv][2] == by_id[inv][3] == start + 180 * DAY
    assert by_id[young][1] == "pending"
    assert by_id[answered][1] == "declined"
    events = await api.sql(
        "select data, audience, occurred_at from events where type = 'invitation.expired' "
        "order by id"
    )
    assert [e[0]["invitation_id"] for e in events] == [old1, old2]
    assert events[0][0] == {"invitation_id": old1, "inviter_id": a, "invitee_id": b}
    assert events[0][1] == sorted([a, b])
    assert events[1][1] == sorted([c, d])
    assert all(e[2] == start + 180 * DAY for e in events)
    # Nothing left to do: a second sweep changes nothing, and a send does not expire twice.
    assert await api.ctx.db.run(expire_due, api.ctx) == 0
    assert (await api.invite(a, b)).status_code == 201
    count = await api.sql("select count(*) from events where type = 'invitation.expired'")
    assert count == [(2,)]
    assert await status_of(api, b, old1) == "expired"
    api.clock.set(start + 190 * DAY)
    assert await api.ctx.db.run(expire_due, api.ctx) == 1
    assert await status_of(api, a, young) == "expired"
    await api.assert_consistent()
