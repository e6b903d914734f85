"""The event feed: who hears of what, paging, and no event skipped or invented."""

from __future__ import annotations

import asyncio

from connect_api.events import repository as events
from tests.helpers import Api, problem


async def _drain(api: Api, member: int, after: str | None = None, **params: object):  # type: ignore[no-untyped-def]
    """Read a member's feed to its end; return (event types, data, last cursor)."""
    seen: list[dict] = []
    client = api.admin if params.get("all") else api.as_(member)
    while True:
        query = {"limit": 7, **params} | ({"after": after} if after else {})
        r = await client.get("/v1/events", params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += page["items"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return seen, after


async def test_who_hears_of_what(api: Api) -> None:
    a, b, c = await api.members(3)
    inv = await api.invited(a, b)
    await api.as_(b).post(f"/v1/invitations/{inv}/accept")
    declined = await api.invited(c, b)
    await api.decline(b, declined, "spam")
    await api.as_(a).delete(f"/v1/connections/{b}")
    withdrawn = await api.invited(a, c)
    await api.as_(a).post(f"/v1/invitations/{withdrawn}/withdraw")

    seen_a, _ = await _drain(api, a)
    seen_b, _ = await _drain(api, b)
    seen_c, _ = await _drain(api, c)
    assert [e["type"] for e in seen_a] == [
        "invitation.created",
        "invitation.accepted",
        "connection.removed",
        "invitation.created",
        "invitation.withdrawn",
    ]
    assert [e["type"] for e in seen_b] == [
        "invitation.created",
        "invitation.accepted",
        "invitation.created",
        "invitation.declined",
    ]
    # The declined inviter hears nothing of the decline, nor of its reason.
    assert [e["type"] for e in seen_c] == [
        "invitation.created",
        "invitation.created",
        "invitation.withdrawn",
    ]
    assert "spam" not in str(seen_c)
    assert seen_a[1]["data"]["invitation_id"] == inv


async def test_refusals_write_no_event(api: Api) -> None:
    a, b = await api.members(2)
    await api.invited(a, b)
    problem(await api.invite(a, b), 409, "invitation_pending")
    problem(await api.invite(a, a), 400, "cannot_invite_self")
    seen, _ = await _drain(api, a)
    assert [e["type"] for e in seen] == ["invitation.created"]


async def test_polling_from_the_end_sees_only_new_events(api: Api) -> None:
    a, b, c = await api.members(3)
    await api.invited(a, b)
    first, cursor = await _drain(api, a)
    assert len(first) == 1
    again, same = await _drain(api, a, cursor)
    assert again == [] and same == cursor
    await api.invited(a, c)
    new, _ = await _drain(api, a, cursor)
    assert [e["data"]["invitee_id"] for e in new] == [c]


async def test_all_events_are_for_admins_only(api: Api) -> None:
    a, b = await api.members(2)
    await api.invited(a, b)
    problem(await api.as_(a).get("/v1/events", params={"all": "true"}), 403, "insufficient_scope")
    everything, _ = await _drain(api, a, all=True)
    assert [e["type"] for e in everything] == ["invitation.created"]
    problem(await api.as_(a).get("/v1/events", params={"after": "nonsense"}), 422, "invalid_cursor")


async def test_an_event_committed_late_is_not_skipped(api: Api) -> None:
    """A transaction that took an earlier id but commits after a reader moved on."""
    a, b = await api.members(2)
    session = api.ctx.db.sessions()
    async with session, session.begin():
        await events.record(
            session, "member.blocked", audience=(a,), data={"n": 1}, now=api.clock.now()
        )
        await session.flush()  # holds the lower id, not yet committed
        await api.invited(a, b)  # a later id, committed now
        seen, cursor = await _drain(api, a)
        assert [e["type"] for e in seen] == ["invitation.created"]
    # Now the slow one commits; reading on from the cursor finds it.
    late, _ = await _drain(api, a, cursor)
    assert [e["type"] for e in late] == ["member.blocked"]
    assert late[0]["id"] < seen[0]["id"]


async def test_a_poller_during_a_storm_sees_every_event_once(api: Api) -> None:
    api.rules.invitations_per_hour = api.rules.invitations_per_week = 1000
    hub = await api.member()
    others = await api.members(40)
    cursor: str | None = None
    seen: list[int] = []
    done = asyncio.Event()

    async def poll() -> None:
        nonlocal cursor
        while True:
            finished = done.is_set()
            page, cursor = await _drain(api, hub, cursor)
            seen.extend(e["id"] for e in page)
            if finished:
                return
            await asyncio.sleep(0)

    async def storm() -> None:
        await asyncio.gather(*(api.invite(m, hub) for m in others))
        done.set()

    await asyncio.gather(poll(), storm())
    rows = await api.sql("SELECT id FROM events WHERE audience @> ARRAY[:m]::bigint[]", m=hub)
    assert sorted(seen) == sorted(r[0] for r in rows)
    assert len(seen) == len(set(seen)) == 40
