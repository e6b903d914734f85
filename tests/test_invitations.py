"""The invitation lifecycle over HTTP, each rule both allowed and refused with its exact code."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import JWT_SECRET
from tests.helpers import Api, problem

HOUR_POLICY = '"hour";q=20;w=3600, "week";q=100;w=604800'


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def accept(api: Api, invitee: int, invitation: int) -> httpx.Response:
    return await api.as_(invitee).post(f"/v1/invitations/{invitation}/accept")


async def withdraw(api: Api, inviter: int, invitation: int) -> httpx.Response:
    return await api.as_(inviter).post(f"/v1/invitations/{invitation}/withdraw")


async def ids(api: Api, member: int, box: str, **params: Any) -> list[int]:
    r = await api.as_(member).get(f"/v1/invitations/{box}", params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


# --- send -----------------------------------------------------------------------------------


async def test_send_returns_201_location_and_rate_headers(api: Api) -> None:
    a, b = await api.members(2)
    r = await api.invite(a, b, "We met at PyCon.")
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/invitations/{body['id']}"
    assert r.headers["ratelimit-policy"] == HOUR_POLICY
    assert r.headers["ratelimit"] == '"hour";r=19;t=3600, "week";r=99;t=604800'
    assert body["inviter"]["id"] == a
    assert body["invitee"]["id"] == b
    assert body["direction"] == "sent"
    assert body["status"] == "pending"
    assert body["message"] == "We met at PyCon."
    assert body["decline_reason"] is None
    assert body["responded_at"] is None
    assert when(body["created_at"]) == api.clock.now()
    assert when(body["expires_at"]) == api.clock.now() + timedelta(days=180)

    api.clock.advance(minutes=10)
    c = await api.member()
    r = await api.invite(a, c)
    assert r.status_code == 201, r.text
    assert r.json()["message"] is None
    # The hour frees its first slot when the first send ages out, 50 minutes from now.
    assert r.headers["ratelimit"] == '"hour";r=18;t=3000, "week";r=98;t=604200'
    await api.assert_consistent()


async def test_message_is_stored_as_given_and_shown_to_both_parties(api: Api) -> None:
    a, b, c = await api.members(3)
    message = "  Hi Bob,\n\tremember the <b>meetup</b>? 🚀  "
    inv = (await api.invite(a, b, message)).json()["id"]
    for who in (a, b):
        r = await api.as_(who).get(f"/v1/invitations/{inv}")
        assert r.status_code == 200
        assert r.json()["message"] == message
    problem(await api.as_(c).get(f"/v1/invitations/{inv}"), 404, "not_found")
    await api.assert_consistent()


async def test_message_limit_is_300_characters(api: Api) -> None:
    a, b, c = await api.members(3)
    r = await api.invite(a, b, "x" * 301)
    body = problem(r, 422, "message_too_long")
    assert body["max_length"] == 300
    # Characters, not bytes: 300 emoji fit.
    r = await api.invite(a, b, "é" * 299 + "🚀")
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "é" * 299 + "🚀"
    r = await api.invite(a, c, "y" * 300)
    assert r.status_code == 201, r.text
    assert await api.sql("select count(*) from invitations") == [(2,)]
    await api.assert_consistent()


async def test_message_limit_is_a_setting(api: Api) -> None:
    a, b = await api.members(2)
    api.rules.message_max_length = 5
    problem(await api.invite(a, b, "123456"), 422, "message_too_long")
    assert (await api.invite(a, b, "12345")).status_code == 201


async def test_cannot_invite_self(api: Api) -> None:
    (a,) = await api.members(1)
    problem(await api.invite(a, a), 400, "cannot_invite_self")
    assert await api.sql("select count(*) from invitations") == [(0,)]


async def test_invite_unknown_member_is_404(api: Api) -> None:
    (a,) = await api.members(1)
    problem(await api.invite(a, a + 1000), 404, "not_found")
    await api.assert_consistent()


async def test_already_connected(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    problem(await api.invite(a, b), 409, "already_connected")
    problem(await api.invite(b, a), 409, "already_connected")
    await api.assert_consistent()


async def test_invitation_pending_names_the_invitation(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    body = problem(await api.invite(a, b, "again"), 409, "invitation_pending")
    assert body["invitation_id"] == inv
    assert await api.sql("select count(*) from invitations") == [(1,)]
    await api.assert_consistent()


async def test_crossing_invitations_meet(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    r = await api.invite(b, a, "and you!")
    assert r.status_code == 200, r.text
    assert "location" not in r.headers
    body = r.json()
    assert body["id"] == inv
    assert body["status"] == "accepted"
    assert body["inviter"]["id"] == a
    assert body["invitee"]["id"] == b
    assert body["direction"] == "received"
    assert body["responded_at"] is not None
    assert await api.count(a) == 1
    assert await api.count(b) == 1
    assert await api.sql("select count(*) from invitations") == [(1,)]
    assert await api.sql("select count(*) from connections") == [(2,)]
    r = await api.as_(a).get(f"/v1/invitations/{inv}")
    assert r.json()["status"] == "accepted"
    problem(await api.invite(a, b), 409, "already_connected")
    await api.assert_consistent()


# --- inbox / outbox -------------------------------------------------------------------------


async def test_inbox_and_outbox_by_status(api: Api) -> None:
    a, b, c, d, e, f = await api.members(6)
    # a's outbox: pending (b), accepted (c), declined (d), withdrawn (e); f invites a.
    i_b = await api.invited(a, b)
    api.clock.advance(minutes=1)
    i_c = await api.invited(a, c)
    api.clock.advance(minutes=1)
    i_d = await api.invited(a, d)
    api.clock.advance(minutes=1)
    i_e = await api.invited(a, e)
    api.clock.advance(minutes=1)
    i_f = await api.invited(f, a)
    assert (await accept(api, c, i_c)).status_code == 200
    assert (await api.decline(d, i_d, "spam")).status_code == 200
    assert (await withdraw(api, a, i_e)).status_code == 200

    assert await ids(api, a, "sent") == [i_b]  # pending by default
    assert await ids(api, a, "sent", status="pending") == [i_b]
    assert await ids(api, a, "sent", status="accepted") == [i_c]
    assert await ids(api, a, "sent", status="declined") == [i_d]
    assert await ids(api, a, "sent", status="withdrawn") == [i_e]
    assert await ids(api, a, "sent", status="expired") == []
    assert await ids(api, a, "sent", status="all") == [i_e, i_d, i_c, i_b]
    assert await ids(api, a, "received") == [i_f]
    assert await ids(api, a, "received", status="all") == [i_f]
    assert await ids(api, b, "received") == [i_b]
    assert await ids(api, b, "sent", status="all") == []
    assert await ids(api, d, "received", status="declined") == [i_d]
    assert await ids(api, e, "received") == []
    assert await ids(api, e, "received", status="withdrawn") == [i_e]

    r = await api.as_(a).get("/v1/invitations/sent", params={"status": "all"})
    items = {i["id"]: i for i in r.json()["items"]}
    assert {i["direction"] for i in items.values()} == {"sent"}
    assert items[i_d]["status"] == "declined"
    assert items[i_d]["decline_reason"] is None  # never shown to the inviter
    assert r.json()["next_cursor"] is None
    r = await api.as_(d).get("/v1/invitations/received", params={"status": "declined"})
    assert r.json()["items"][0]["decline_reason"] == "spam"
    assert r.json()["items"][0]["direction"] == "received"

    problem(await api.as_(a).get("/v1/invitations/sent?status=bogus"), 422, "validation_error")
    await api.assert_consistent()


async def test_inbox_pagination_through_pages(api: Api) -> None:
    inviters = await api.members(7)
    (me,) = await api.members(1)
    sent = []
    for n, inviter in enumerate(inviters):
        if n % 2:
            api.clock.advance(seconds=1)  # some share a timestamp, some not
        sent.append(await api.invited(inviter, me))
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = await api.as_(me).get("/v1/invitations/received", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        assert len(page["items"]) <= 3
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(sent))

    # Exactly a page's worth: no empty trailing page.
    r = await api.as_(me).get("/v1/invitations/received", params={"limit": 7})
    assert len(r.json()["items"]) == 7
    assert r.json()["next_cursor"] is None


async def test_outbox_pagination_and_cursor_checks(api: Api) -> None:
    (me,) = await api.members(1)
    others = await api.members(5)
    sent = [await api.invited(me, o) for o in others]
    r = await api.as_(me).get("/v1/invitations/sent", params={"limit": 2})
    first = r.json()
    assert [i["id"] for i in first["items"]] == sent[::-1][:2]
    cursor = first["next_cursor"]
    assert isinstance(cursor, str)
    r = await api.as_(me).get("/v1/invitations/sent", params={"limit": 2, "cursor": cursor})
    assert [i["id"] for i in r.json()["items"]] == sent[::-1][2:4]

    # A new invitation after the first page does not shift the next pages.
    (late,) = await api.members(1)
    await api.invited(me, late)
    r = await api.as_(me).get("/v1/invitations/sent", params={"limit": 2, "cursor": cursor})
    assert [i["id"] for i in r.json()["items"]] == sent[::-1][2:4]

    for bad in ("not-a-cursor", "AAAA", "eyJ4Ijox", cursor[:-3]):
        r = await api.as_(me).get("/v1/invitations/sent", params={"cursor": bad})
        problem(r, 422, "invalid_cursor")
    # A cursor of the outbox is not one of the inbox.
    r = await api.as_(me).get("/v1/invitations/received", params={"cursor": cursor})
    problem(r, 422, "invalid_cursor")
    for limit in (0, 101, -1):
        r = await api.as_(me).get("/v1/invitations/sent", params={"limit": limit})
        problem(r, 422, "validation_error")
    r = await api.as_(me).get("/v1/invitations/sent", params={"limit": 100})
    assert len(r.json()["items"]) == 6


# --- one invitation -------------------------------------------------------------------------


async def test_get_one_visible_to_both_parties_only(api: Api) -> None:
    a, b, c = await api.members(3)
    inv = await api.invited(a, b)
    r = await api.as_(a).get(f"/v1/invitations/{inv}")
    assert r.status_code == 200
    assert r.json()["direction"] == "sent"
    r = await api.as_(b).get(f"/v1/invitations/{inv}")
    assert r.status_code == 200
    assert r.json()["direction"] == "received"
    assert r.json()["inviter"]["id"] == a
    assert r.json()["invitee"]["id"] == b
    third = problem(await api.as_(c).get(f"/v1/invitations/{inv}"), 404, "not_found")
    unknown = problem(await api.as_(a).get(f"/v1/invitations/{inv + 100}"), 404, "not_found")
    assert third["detail"] == unknown["detail"]  # no existence oracle
    problem(await api.as_(a).get("/v1/invitations/0"), 422, "validation_error")
    problem(await api.as_(a).get("/v1/invitations/abc"), 422, "validation_error")
    # A third member can't act on it either, and learns nothing.
    for action in ("accept", "decline", "withdraw"):
        problem(await api.as_(c).post(f"/v1/invitations/{inv}/{action}"), 404, "not_found")
    await api.assert_consistent()


# --- accept / decline / withdraw ------------------------------------------------------------


async def test_accept(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    api.clock.advance(hours=2)
    r = await accept(api, b, inv)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "accepted"
    assert body["direction"] == "received"
    assert when(body["responded_at"]) == api.clock.now()
    assert (await api.as_(a).get("/v1/me")).json()["connection_count"] == 1
    assert (await api.as_(b).get("/v1/me")).json()["connection_count"] == 1
    assert await ids(api, b, "received") == []
    assert await ids(api, a, "sent", status="accepted") == [inv]
    events = await api.sql("select type, audience from events order by id")
    assert events == [("invitation.created", sorted([a, b])), ("invitation.accepted", [a, b])]
    await api.assert_consistent()


@pytest.mark.parametrize("reason", ["ignore", "dont_know", "spam"])
async def test_decline_reason_is_for_the_invitee_only(api: Api, reason: str) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    r = await api.decline(b, inv, reason)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "declined"
    assert r.json()["decline_reason"] == reason
    mine = (await api.as_(b).get(f"/v1/invitations/{inv}")).json()
    assert mine["decline_reason"] == reason
    theirs = (await api.as_(a).get(f"/v1/invitations/{inv}")).json()
    assert theirs["status"] == "declined"
    assert theirs["decline_reason"] is None
    r = await api.as_(a).get("/v1/invitations/sent", params={"status": "declined"})
    assert [i["decline_reason"] for i in r.json()["items"]] == [None]
    # No event about the decline is addressed to the inviter.
    declined = await api.sql("select audience from events where type = 'invitation.declined'")
    assert declined == [([b],)]
    assert await api.count(a) == 0
    await api.assert_consistent()


async def test_decline_without_body_is_ignore(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    r = await api.as_(b).post(f"/v1/invitations/{inv}/decline")
    assert r.status_code == 200, r.text
    assert r.json()["decline_reason"] == "ignore"


async def test_decline_with_bad_reason_is_422(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    problem(await api.decline(b, inv, "rude"), 422, "validation_error")
    r = await api.as_(b).post(f"/v1/invitations/{inv}/decline", json={"why": "spam"})
    problem(r, 422, "validation_error")
    assert (await api.as_(b).get(f"/v1/invitations/{inv}")).json()["status"] == "pending"


async def test_withdraw(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    r = await withdraw(api, a, inv)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert r.json()["direction"] == "sent"
    assert (await api.as_(b).get(f"/v1/invitations/{inv}")).json()["status"] == "withdrawn"
    assert await ids(api, b, "received") == []
    await api.assert_consistent()


async def test_only_the_invitee_answers_and_only_the_inviter_withdraws(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    problem(await accept(api, a, inv), 403, "not_invitee")
    problem(await api.decline(a, inv), 403, "not_invitee")
    problem(await withdraw(api, b, inv), 403, "not_inviter")
    r = await api.as_(a).get(f"/v1/invitations/{inv}")
    assert r.json()["status"] == "pending"
    assert await api.count(a) == 0
    await api.assert_consistent()


@pytest.mark.parametrize("ending", ["accepted", "declined", "withdrawn"])
async def test_answering_a_non_pending_invitation(api: Api, ending: str) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    if ending == "accepted":
        assert (await accept(api, b, inv)).status_code == 200
    elif ending == "declined":
        assert (await api.decline(b, inv)).status_code == 200
    else:
        assert (await withdraw(api, a, inv)).status_code == 200
    for r in (
        await accept(api, b, inv),
        await api.decline(b, inv, "spam"),
        await withdraw(api, a, inv),
    ):
        body = problem(r, 409, "invitation_not_pending")
        assert body["invitation_status"] == ending
    assert (await api.as_(b).get(f"/v1/invitations/{inv}")).json()["status"] == ending
    assert await api.count(b) == (1 if ending == "accepted" else 0)
    await api.assert_consistent()


# --- connection cap -------------------------------------------------------------------------


async def test_connection_cap_at_send_for_self_and_invitee(api: Api) -> None:
    api.rules.connection_cap = 2
    a, b, c, d, e = await api.members(5)
    await api.connect(a, b)
    # Below the cap: allowed.
    await api.connect(a, c)
    body = problem(await api.invite(a, d), 409, "connection_limit_reached")
    assert body["member_id"] == a
    assert body["limit"] == 2
    body = problem(await api.invite(e, a), 409, "connection_limit_reached")
    assert body["member_id"] == a
    # Others are free to invite each other.
    assert (await api.invite(d, e)).status_code == 201
    # Removing a connection frees the slot.
    assert (await api.as_(a).delete(f"/v1/connections/{b}")).status_code == 204
    assert (await api.invite(a, d)).status_code == 201
    await api.assert_consistent()


async def test_connection_cap_at_accept_for_either_side(api: Api) -> None:
    api.rules.connection_cap = 2
    a, b, x, y, p, q = await api.members(6)
    # a (inviter) fills up while the invitation waits.
    inv = await api.invited(a, b)
    await api.connect(a, x)
    await api.connect(y, a)
    body = problem(await accept(api, b, inv), 409, "connection_limit_reached")
    assert body["member_id"] == a
    # b (invitee, the caller) fills up while p's invitation waits.
    inv2 = await api.invited(p, b)
    await api.connect(b, x)
    await api.connect(q, b)
    body = problem(await accept(api, b, inv2), 409, "connection_limit_reached")
    assert body["member_id"] == b
    assert (await api.as_(b).get(f"/v1/invitations/{inv2}")).json()["status"] == "pending"
    assert await api.count(b) == 2
    assert await api.count(p) == 0
    # Declining is still possible at the cap.
    assert (await api.decline(b, inv2)).status_code == 200
    await api.assert_consistent()


async def test_crossing_invitation_respects_the_cap(api: Api) -> None:
    api.rules.connection_cap = 1
    a, b, c = await api.members(3)
    inv = await api.invited(a, b)
    await api.connect(b, c)
    body = problem(await api.invite(b, a), 409, "connection_limit_reached")
    assert body["member_id"] == b
    assert (await api.as_(a).get(f"/v1/invitations/{inv}")).json()["status"] == "pending"
    await api.assert_consistent()


# --- throttles ------------------------------------------------------------------------------


async def test_hourly_throttle(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(21)
    start = api.clock.now()
    for n, other in enumerate(others[:20]):
        r = await api.invite(a, other)
        assert r.status_code == 201, r.text
        left = 19 - n
        assert r.headers["ratelimit"].startswith(f'"hour";r={left};t=')
        api.clock.advance(minutes=1)
    # The 20th send, 19 minutes in: the first slot frees 41 minutes later.
    assert r.headers["ratelimit"] == '"hour";r=0;t=2460, "week";r=80;t=603660'
    api.clock.set(start + timedelta(minutes=30))
    r = await api.invite(a, others[20])
    body = problem(r, 429, "invitation_throttled")
    assert body["window"] == "hour"
    assert body["limit"] == 20
    assert body["retry_after"] == 1800
    assert r.headers["retry-after"] == "1800"
    assert r.headers["ratelimit-policy"] == HOUR_POLICY
    assert r.headers["ratelimit"] == '"hour";r=0;t=1800, "week";r=80;t=603000'
    assert await api.sql("select count(*) from invitations") == [(20,)]
    # /me agrees.
    me = (await api.as_(a).get("/v1/me")).json()
    assert me["invitations"]["hour_remaining"] == 0
    assert me["invitations"]["week_remaining"] == 80
    await api.assert_consistent()


async def test_too_many_pending_invitations(api: Api) -> None:
    api.rules.pending_outgoing_max = 2
    a, b, c, d, e = await api.members(5)
    i_b = await api.invited(a, b)
    await api.invited(a, c)
    r = await api.invite(a, d)
    body = problem(r, 429, "too_many_pending_invitations")
    assert body["limit"] == 2
    assert r.headers["retry-after"] == str(180 * 86400)
    assert "ratelimit" in r.headers
    # Receiving is unaffected, and an answer frees a slot.
    assert (await api.invite(d, a)).status_code == 201
    assert (await api.decline(b, i_b)).status_code == 200
    problem(await api.invite(a, c), 409, "invitation_pending")
    assert (await api.invite(a, e)).status_code == 201
    problem(await api.invite(a, b), 409, "cooldown_active")
    # The crossing invitation from d is accepted whatever the pending count.
    assert (await api.invite(a, d)).status_code == 200
    await api.assert_consistent()


# --- restriction ----------------------------------------------------------------------------


async def test_restricted_after_five_reports(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(7)
    invs = [await api.invited(a, o) for o in others[:6]]
    for n, (o, inv) in enumerate(zip(others[:5], invs, strict=False)):
        api.clock.advance(hours=1)
        assert (await api.decline(o, inv, "spam" if n % 2 else "dont_know")).status_code == 200
        if n < 4:
            me = (await api.as_(a).get("/v1/me")).json()
            assert me["restricted_until"] is None
    declined_at = api.clock.now()
    r = await api.invite(a, others[6])
    body = problem(r, 403, "member_restricted")
    assert when(body["until"]) == declined_at + timedelta(days=7)
    me = (await api.as_(a).get("/v1/me")).json()
    assert when(me["restricted_until"]) == declined_at + timedelta(days=7)
    # Existing invitations and answers still work; the restriction only stops new sends.
    assert (await accept(api, others[5], invs[5])).status_code == 200
    assert (await api.invite(others[6], a)).status_code == 201
    await api.assert_consistent()


async def test_four_reports_and_ignores_do_not_restrict(api: Api) -> None:
    (a,) = await api.members(1)
    others = await api.members(9)
    invs = [await api.invited(a, o) for o in others[:8]]
    for n, (o, inv) in enumerate(zip(others, invs, strict=False)):
        reason = "spam" if n < 4 else "ignore"
        assert (await api.decline(o, inv, reason)).status_code == 200
    assert (await api.invite(a, others[8])).status_code == 201


async def _decide(api: Api, accepted: int, declined: int) -> int:
    """``a`` sends accepted + declined invitations; answered accepts first, then ignores."""
    (a,) = await api.members(1)
    others = await api.members(accepted + declined)
    invs = [await api.invited(a, o) for o in others]
    for o, inv in list(zip(others, invs, strict=True))[:accepted]:
        assert (await accept(api, o, inv)).status_code == 200
    for o, inv in list(zip(others, invs, strict=True))[accepted:]:
        assert (await api.decline(o, inv, "ignore")).status_code == 200
    api.clock.advance(hours=1)  # out of the hourly window
    return a


async def test_restricted_when_more_than_half_of_20_declined(api: Api) -> None:
    a = await _decide(api, accepted=9, declined=11)
    (x,) = await api.members(1)
    body = problem(await api.invite(a, x), 403, "member_restricted")
    assert when(body["until"]) == api.clock.now() - timedelta(hours=1) + timedelta(days=7)
    await api.assert_consistent()


async def test_not_restricted_at_exactly_half(api: Api) -> None:
    a = await _decide(api, accepted=10, declined=10)
    (x,) = await api.members(1)
    assert (await api.invite(a, x)).status_code == 201
    me = (await api.as_(a).get("/v1/me")).json()
    assert me["restricted_until"] is None
    await api.assert_consistent()


async def test_ratio_needs_at_least_20_decided(api: Api) -> None:
    a = await _decide(api, accepted=0, declined=19)
    (x,) = await api.members(1)
    assert (await api.invite(a, x)).status_code == 201


# --- lasting bar after a report -------------------------------------------------------------


@pytest.mark.parametrize("reason", ["dont_know", "spam"])
async def test_report_bars_reinvite_until_invitee_invites(api: Api, reason: str) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    assert (await api.decline(b, inv, reason)).status_code == 200
    problem(await api.invite(a, b), 409, "cooldown_active")
    api.clock.advance(days=21)
    problem(await api.invite(a, b), 403, "invitation_not_allowed")
    api.clock.advance(days=365)
    r = await api.invite(a, b)
    body = problem(r, 403, "invitation_not_allowed")
    assert reason not in body["detail"]
    # The invitee invites the inviter later: the bar is lifted.
    back = await api.invited(b, a)
    assert (await withdraw(api, b, back)).status_code == 200
    r = await api.invite(a, b)
    assert r.status_code == 201, r.text
    await api.assert_consistent()


async def test_ignore_decline_does_not_bar_after_cooldown(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(a, b)
    assert (await api.decline(b, inv, "ignore")).status_code == 200
    api.clock.advance(days=21)
    assert (await api.invite(a, b)).status_code == 201


async def test_same_refusal_whatever_the_reason_during_cooldown(api: Api) -> None:
    a, b, c = await api.members(3)
    i_b = await api.invited(a, b)
    i_c = await api.invited(a, c)
    assert (await api.decline(b, i_b, "ignore")).status_code == 200
    assert (await api.decline(c, i_c, "spam")).status_code == 200
    one = problem(await api.invite(a, b), 409, "cooldown_active")
    two = problem(await api.invite(a, c), 409, "cooldown_active")
    assert one["detail"] == two["detail"]
    assert one.keys() == two.keys()


# --- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"invitee_id": 2, "extra": 1},
        {"invitee_id": "abc"},
        {"invitee_id": "2"},
        {"invitee_id": True},
        {"invitee_id": 1.5},
        {"invitee_id": None},
        {"invitee_id": [2]},
        {"invitee_id": 0},
        {"invitee_id": -3},
        {"invitee_id": 2**63},
        {"invitee_id": 2, "message": 5},
        {"invitee_id": 2, "message": ["hi"]},
        {"message": "no invitee"},
        {},
        [],
        "2",
    ],
)
async def test_malformed_send_body(api: Api, body: Any) -> None:
    a, _b = await api.members(2)
    r = await api.as_(a).post("/v1/invitations", json=body)
    problem_body = problem(r, 422, "validation_error")
    assert problem_body["errors"]
    assert await api.sql("select count(*) from invitations") == [(0,)]


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"invitee_id": 2,}', b"\xff\xfe"])
async def test_bad_json_is_validation_error(api: Api, raw: bytes) -> None:
    a, _b = await api.members(2)
    me = api.as_(a)
    r = await api.http.post(
        "/v1/invitations",
        content=raw,
        headers={**me.headers, "Content-Type": "application/json"},
    )
    problem(r, 422, "validation_error")
    assert "Traceback" not in r.text


# --- authentication -------------------------------------------------------------------------


def _assert_challenge(r: httpx.Response) -> None:
    problem_body = r.json()
    assert r.status_code == 401, r.text
    assert problem_body["status"] == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/v1/invitations"),
        ("GET", "/v1/invitations/received"),
        ("GET", "/v1/invitations/sent"),
        ("GET", "/v1/invitations/1"),
        ("POST", "/v1/invitations/1/accept"),
        ("POST", "/v1/invitations/1/decline"),
        ("POST", "/v1/invitations/1/withdraw"),
        ("GET", "/v1/me"),
    ],
)
async def test_missing_token_is_401(api: Api, method: str, url: str) -> None:
    r = await api.http.request(method, url, json={"invitee_id": 1})
    _assert_challenge(r)
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_invalid_tokens_are_401(api: Api) -> None:
    a, b = await api.members(2)
    now = api.clock.now()
    exp = int((now + timedelta(hours=1)).timestamp())
    tokens = {
        "garbage": "not.a.jwt",
        "wrong secret": jwt.encode({"sub": str(a), "exp": exp}, "y" * 40, algorithm="HS256"),
        "expired": api.token(a, ttl_hours=-1),
        "no exp": jwt.encode({"sub": str(a)}, JWT_SECRET, algorithm="HS256"),
        "no sub": jwt.encode({"exp": exp}, JWT_SECRET, algorithm="HS256"),
        "sub not a number": jwt.encode({"sub": "abc", "exp": exp}, JWT_SECRET, algorithm="HS256"),
        "alg none": jwt.encode({"sub": str(a), "exp": exp}, None, algorithm="none"),
        "other alg": jwt.encode({"sub": str(a), "exp": exp}, JWT_SECRET, algorithm="HS512"),
    }
    for name, token in tokens.items():
        r = await api.http.post(
            "/v1/invitations", json={"invitee_id": b}, headers={"Authorization": f"Bearer {token}"}
        )
        _assert_challenge(r)
        assert r.json()["code"] == "invalid_token", name
    r = await api.http.post(
        "/v1/invitations", json={"invitee_id": b}, headers={"Authorization": f"Basic {a}"}
    )
    _assert_challenge(r)
    assert await api.sql("select count(*) from invitations") == [(0,)]


async def test_token_of_unknown_member_is_401(api: Api) -> None:
    (b,) = await api.members(1)
    ghost = api.as_(b + 1000)
    for r in (
        await ghost.post("/v1/invitations", json={"invitee_id": b}),
        await ghost.get("/v1/me"),
    ):
        problem(r, 401, "invalid_token")
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert await api.sql("select count(*) from invitations") == [(0,)]
    await api.assert_consistent()


@pytest.mark.parametrize("message", ["   ", "\u200b\u200b\u200b", "\u200e\u2066 \u2069", "\ufeff"])
async def test_a_message_of_nothing_visible_is_taken_like_one_of_whitespace(
    api: Api, message: str
) -> None:
    """A blank message is optional text like any other, stored as given (rule 2.3): one of
    zero-width characters or bidirectional controls is blank and is taken the same way."""
    a, b = await api.members(2)
    r = await api.invite(a, b, message=message)
    assert r.status_code == 201, r.text
    assert r.json()["message"] == message
    r = await api.as_(b).get("/v1/invitations/received")
    assert [i["message"] for i in r.json()["items"]] == [message]
