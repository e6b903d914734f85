"""Idempotency-Key on POST: replay, mismatch, in-flight retries, scope and lifetime."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import text

from tests.helpers import Api, problem


def _key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def test_retry_replays_the_first_response_and_sends_once(api: Api) -> None:
    a, b = await api.members(2)
    me = api.as_(a)
    body = {"invitee_id": b, "message": "hi"}
    first = await api.http.post("/v1/invitations", json=body, headers=_key(me.headers, "k-1"))
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = await api.http.post("/v1/invitations", json=body, headers=_key(me.headers, "k-1"))
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["RateLimit"] == first.headers["RateLimit"]
    rows = await api.sql("SELECT count(*) FROM invitations")
    assert rows[0][0] == 1
    # Without the key the same request is a new one, and is refused as a duplicate.
    problem(await me.post("/v1/invitations", json=body), 409, "invitation_pending")


async def test_same_key_with_another_body_is_422(api: Api) -> None:
    a, b, c = await api.members(3)
    me = api.as_(a)
    r = await api.http.post(
        "/v1/invitations", json={"invitee_id": b}, headers=_key(me.headers, "k")
    )
    assert r.status_code == 201
    r = await api.http.post(
        "/v1/invitations", json={"invitee_id": c}, headers=_key(me.headers, "k")
    )
    problem(r, 422, "idempotency_key_reused")
    assert (await api.sql("SELECT count(*) FROM invitations"))[0][0] == 1


async def test_retry_while_the_first_is_running_is_409(api: Api) -> None:
    a, b = await api.members(2)
    me = api.as_(a)
    # Hold the key's lock as an in-flight request would.
    async with api.ctx.db.engine.connect() as conn, conn.begin():
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 7))"), {"k": f"{a}:busy"}
        )
        r = await api.http.post(
            "/v1/invitations", json={"invitee_id": b}, headers=_key(me.headers, "busy")
        )
        body = problem(r, 409, "idempotency_key_in_use")
        assert r.headers["Retry-After"] == "1" and body["detail"]
    assert (await api.sql("SELECT count(*) FROM invitations"))[0][0] == 0


async def test_concurrent_retries_with_one_key_send_once(api: Api) -> None:
    a, b = await api.members(2)
    me = api.as_(a)
    results = await asyncio.gather(
        *(
            api.http.post(
                "/v1/invitations", json={"invitee_id": b}, headers=_key(me.headers, "storm")
            )
            for _ in range(20)
        )
    )
    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {201, 409}, codes
    created = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(created) == 1
    for r in results:
        if r.status_code == 409:
            problem(r, 409, "idempotency_key_in_use")
    assert (await api.sql("SELECT count(*) FROM invitations"))[0][0] == 1


async def test_keys_are_scoped_to_the_caller(api: Api) -> None:
    a, b, c = await api.members(3)
    r1 = await api.http.post(
        "/v1/invitations", json={"invitee_id": c}, headers=_key(api.as_(a).headers, "shared")
    )
    r2 = await api.http.post(
        "/v1/invitations", json={"invitee_id": c}, headers=_key(api.as_(b).headers, "shared")
    )
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] != r2.json()["id"]


async def test_refusals_are_not_stored_and_a_retry_runs_again(api: Api) -> None:
    a, b = await api.members(2)
    inv = await api.invited(b, a)
    me = api.as_(a)
    await api.sql("UPDATE members SET connection_count = 30000 WHERE id = :m", m=a)
    url = f"/v1/invitations/{inv}/accept"
    problem(
        await api.http.post(url, headers=_key(me.headers, "acc")), 409, "connection_limit_reached"
    )
    await api.sql("UPDATE members SET connection_count = 0 WHERE id = :m", m=a)
    r = await api.http.post(url, headers=_key(me.headers, "acc"))
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    replay = await api.http.post(url, headers=_key(me.headers, "acc"))
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    await api.assert_consistent()


async def test_keys_live_24_hours(api: Api) -> None:
    a, b = await api.members(2)
    me = api.as_(a)
    body = {"invitee_id": b}
    assert (
        await api.http.post("/v1/invitations", json=body, headers=_key(me.headers, "day"))
    ).status_code == 201
    api.clock.advance(hours=23, minutes=59)
    me = api.as_(a)
    r = await api.http.post("/v1/invitations", json=body, headers=_key(me.headers, "day"))
    assert r.headers.get("Idempotent-Replayed") == "true"
    api.clock.advance(minutes=2)
    me = api.as_(a)
    r = await api.http.post("/v1/invitations", json=body, headers=_key(me.headers, "day"))
    problem(r, 409, "invitation_pending")  # a new request now, refused on its merits
    from connect_api.idempotency.service import purge_expired

    assert await api.ctx.db.run(purge_expired, api.ctx) == 1


async def test_admin_member_creation_is_idempotent(api: Api) -> None:
    headers = _key(api.admin.headers, "new-member")
    body = {"handle": "once", "display_name": "Once"}
    r1 = await api.http.post("/v1/members", json=body, headers=headers)
    r2 = await api.http.post("/v1/members", json=body, headers=headers)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json()


async def test_bad_keys_are_422(api: Api) -> None:
    a, b = await api.members(2)
    for key in ("", "x" * 256, "has space", "ünïcode".encode()):
        headers = {**api.as_(a).headers, "Idempotency-Key": key}
        r = await api.http.post("/v1/invitations", json={"invitee_id": b}, headers=headers)
        problem(r, 422, "validation_error")
