"""Rules under concurrency: many simultaneous requests, each on its own database connection."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from tests.helpers import Api, problem


async def _bulk_connect(api: Api, hub: int, count: int) -> None:
    """Give ``hub`` ``count`` connections to fresh members, written directly for speed."""
    now = api.clock.now()
    await api.sql(
        """WITH new AS (
               INSERT INTO members (handle, display_name, created_at, connection_count)
               SELECT 'bulk' || g, 'Bulk ' || g, :now, 1 FROM generate_series(1, :n) g
               RETURNING id)
           INSERT INTO connections (member_id, other_id, created_at)
           SELECT :hub, id, :now FROM new
           UNION ALL SELECT id, :hub, :now FROM new""",
        now=now,
        n=count,
        hub=hub,
    )
    await api.sql(
        "UPDATE members SET connection_count = connection_count + :n WHERE id = :hub",
        n=count,
        hub=hub,
    )
    # As after any bulk load: the planner learns the tables' new sizes now, not whenever
    # autovacuum gets to them (a check over every connection, planned for the old sizes, ran
    # past the statement timeout on a loaded machine).
    await api.sql("ANALYZE members, connections")


async def test_200_concurrent_accepts_at_29999_make_exactly_30000(api: Api) -> None:
    hub = await api.member("Hub")
    await _bulk_connect(api, hub, 29_999)
    inviters = await api.members(200)
    invitations = [await api.invited(m, hub) for m in inviters]

    me = api.as_(hub)
    results = await asyncio.gather(*(me.post(f"/v1/invitations/{i}/accept") for i in invitations))

    codes = Counter(r.status_code for r in results)
    assert codes == {200: 1, 409: 199}, codes
    for r in results:
        if r.status_code == 409:
            problem(r, 409, "connection_limit_reached")
    assert await api.count(hub) == 30_000
    rows = await api.sql("SELECT count(*) FROM connections WHERE member_id = :m", m=hub)
    assert rows[0][0] == 30_000
    await api.assert_consistent()


async def test_200_concurrent_accepts_by_different_members_of_a_hub_at_cap_minus_one(
    api: Api,
) -> None:
    """The other side of the cap: the hub is the inviter, 200 invitees accept at once."""
    api.rules.connection_cap = 300
    hub = await api.member("Hub")
    await _bulk_connect(api, hub, 299)
    invitees = await api.members(200)
    api.rules.invitations_per_hour = api.rules.invitations_per_week = 1000
    invitations = [await api.invited(hub, m) for m in invitees]

    results = await asyncio.gather(
        *(
            api.as_(m).post(f"/v1/invitations/{i}/accept")
            for m, i in zip(invitees, invitations, strict=True)
        )
    )
    assert Counter(r.status_code for r in results) == {200: 1, 409: 199}
    assert await api.count(hub) == 300
    await api.assert_consistent()


async def test_50_concurrent_crossing_invitations_make_one_connection(api: Api) -> None:
    a, b = await api.members(2)
    sends = [api.invite(a, b) if n % 2 else api.invite(b, a) for n in range(50)]
    results = await asyncio.gather(*sends)

    codes = Counter(r.status_code for r in results)
    assert codes[500] == 0, codes
    # One send creates the invitation, one crossing send meets it; the rest are refused.
    assert codes[201] == 1 and codes[200] == 1, codes
    assert codes[409] == 48, codes
    for r in results:
        if r.status_code == 409:
            assert r.json()["code"] in ("invitation_pending", "already_connected")
        if r.status_code == 200:
            assert r.json()["status"] == "accepted"
    assert await api.count(a) == 1 and await api.count(b) == 1
    pending = await api.sql("SELECT count(*) FROM invitations WHERE status = 'pending'")
    assert pending[0][0] == 0
    await api.assert_consistent()


async def test_40_concurrent_sends_with_hourly_limit_20_admit_exactly_20(api: Api) -> None:
    inviter = await api.member()
    invitees = await api.members(40)
    results = await asyncio.gather(*(api.invite(inviter, m) for m in invitees))

    codes = Counter(r.status_code for r in results)
    assert codes == {201: 20, 429: 20}, codes
    for r in results:
        if r.status_code == 429:
            problem(r, 429, "invitation_throttled")
            assert int(r.headers["Retry-After"]) > 0
    sent = await api.sql("SELECT count(*) FROM invitations WHERE inviter_id = :m", m=inviter)
    assert sent[0][0] == 20


async def test_pending_limit_holds_under_concurrency(api: Api) -> None:
    api.rules.pending_outgoing_max = 7
    inviter = await api.member()
    invitees = await api.members(30)
    results = await asyncio.gather(*(api.invite(inviter, m) for m in invitees))
    codes = Counter(r.status_code for r in results)
    assert codes == {201: 7, 429: 23}, codes


async def test_mixed_storm_never_fails_and_stays_consistent(api: Api) -> None:
    """Invites both ways, accepts, declines, withdrawals and removals over a small, dense group.

    Any deadlock or unexpected conflict would surface as a 500 here.
    """
    api.rules.invitations_per_hour = api.rules.invitations_per_week = 10_000
    api.rules.cooldown_days = 0
    people = await api.members(8)
    rng = random.Random(20261125)

    async def one_round() -> list[int]:
        ops = []
        for _ in range(60):
            a, b = rng.sample(people, 2)
            kind = rng.random()
            if kind < 0.5:
                ops.append(api.invite(a, b))
            elif kind < 0.8:
                ops.append(_answer_any(api, a, rng.choice(["accept", "decline", "withdraw"])))
            else:
                ops.append(api.as_(a).delete(f"/v1/connections/{b}"))
        return [r.status_code for r in await asyncio.gather(*ops) if r is not None]

    statuses: Counter[int] = Counter()
    for _ in range(5):
        statuses.update(await one_round())
    assert statuses[500] == 0, statuses
    assert set(statuses) <= {200, 201, 204, 403, 404, 409, 429}, statuses
    await api.assert_consistent()


async def _answer_any(api: Api, member: int, action: str):  # type: ignore[no-untyped-def]
    """Answer (or withdraw) whichever pending invitation the member sees first, if any."""
    box = "sent" if action == "withdraw" else "received"
    r = await api.as_(member).get(f"/v1/invitations/{box}", params={"limit": 1})
    items = r.json()["items"]
    if not items:
        return None
    return await api.as_(member).post(f"/v1/invitations/{items[0]['id']}/{action}")


async def test_accept_decline_and_withdraw_race_on_one_invitation(api: Api) -> None:
    for _ in range(10):
        a, b = await api.members(2)
        inv = await api.invited(a, b)
        results = await asyncio.gather(
            api.as_(b).post(f"/v1/invitations/{inv}/accept"),
            api.as_(b).post(f"/v1/invitations/{inv}/decline", json={"reason": "spam"}),
            api.as_(a).post(f"/v1/invitations/{inv}/withdraw"),
            api.as_(b).post(f"/v1/invitations/{inv}/accept"),
        )
        codes = Counter(r.status_code for r in results)
        assert codes == {200: 1, 409: 3}, codes
        winner = next(r.json()["status"] for r in results if r.status_code == 200)
        connected = await api.count(a)
        assert connected == (1 if winner == "accepted" else 0)
    await api.assert_consistent()


async def test_both_sides_removing_at_once_remove_once(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    results = await asyncio.gather(
        *(api.as_(x).delete(f"/v1/connections/{y}") for x, y in [(a, b), (b, a)] * 5)
    )
    assert Counter(r.status_code for r in results) == {204: 1, 404: 9}
    assert await api.count(a) == 0 and await api.count(b) == 0
    await api.assert_consistent()


async def test_concurrent_reports_restrict_the_inviter_once(api: Api) -> None:
    api.rules.invitations_per_hour = 100
    spammer = await api.member()
    targets = await api.members(12)
    invitations = [await api.invited(spammer, t) for t in targets]
    results = await asyncio.gather(
        *(api.decline(t, i, "spam") for t, i in zip(targets, invitations, strict=True))
    )
    assert all(r.status_code == 200 for r in results)
    rows = await api.sql("SELECT restricted_until FROM members WHERE id = :m", m=spammer)
    assert rows[0][0] == api.clock.now() + api.rules.restriction
    other = await api.member()
    problem(await api.invite(spammer, other), 403, "member_restricted")


async def test_no_window_between_decline_and_cooldown(api: Api) -> None:
    """Re-invites racing a decline (or the inviter's own withdrawal) never get through."""
    for answer in ("decline", "withdraw"):
        a, b = await api.members(2)
        inv = await api.invited(a, b)
        answering = (
            api.decline(b, inv, "ignore")
            if answer == "decline"
            else api.as_(a).post(f"/v1/invitations/{inv}/withdraw")
        )
        results = await asyncio.gather(answering, *(api.invite(a, b) for _ in range(15)))
        assert results[0].status_code == 200, results[0].text
        codes = Counter(r.json()["code"] for r in results[1:])
        assert set(codes) <= {"invitation_pending", "cooldown_active"}, codes
        pending = await api.sql(
            "SELECT count(*) FROM invitations WHERE status = 'pending' AND inviter_id = :a", a=a
        )
        assert pending[0][0] == 0
