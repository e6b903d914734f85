"""What a hostile client tries: oversized bodies, odd text, odd ids and tokens. Each is refused
with a problem document, before any work is done for it, never with a 500."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI

from tests.conftest import JWT_SECRET
from tests.helpers import Api, problem

# --- finding 1: bodies over the limit are 413 before anything else -----------------------


async def test_a_declared_body_over_the_limit_is_413_before_authentication(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    body = b'{"invitee_id": 2, "message": "' + b"x" * limit + b'"}'
    r = await api.http.post(
        "/v1/invitations", content=body, headers={"Content-Type": "application/json"}
    )  # no token: the size is refused first
    problem(r, 413, "payload_too_large")
    member = await api.member()
    r = await api.as_(member).post("/v1/invitations", content=body)
    problem(r, 413, "payload_too_large")


async def test_a_streamed_body_is_cut_at_the_limit(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"invitee_id": 2, "message": "'
        for _ in range(limit // 1024 + 8):
            sent += 1024
            yield b"x" * 1024
        yield b'"}'

    member = await api.member()
    r = await api.as_(member).post("/v1/invitations", content=chunks())  # chunked, no length
    problem(r, 413, "payload_too_large")


async def test_a_body_within_the_limit_is_served(api: Api) -> None:
    a, b = await api.members(2)
    r = await api.invite(a, b, message="x" * 200)
    assert r.status_code == 201, r.text


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[tuple[str, int]]:
    """The test app behind a real uvicorn on 127.0.0.1 (its lifespan already runs)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        await task


async def _exchange(host: str, port: int, head: bytes) -> bytes:
    """Send request head (and no body); read the answer until the server closes."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 30)
    finally:
        writer.close()


async def test_a_huge_declared_body_is_refused_without_being_sent(
    served: tuple[str, int],
) -> None:
    host, port = served
    head = (
        b"POST /v1/invitations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1073741824\r\n\r\n"
    )
    answer = await _exchange(host, port, head)  # before: no answer at all, waiting for 1 GB
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"payload_too_large" in answer
    assert b"connection: close" in answer.lower()


# --- finding 6: inputs that gave 500 -------------------------------------------------------

LONE = '"a\\ud800b"'  # a JSON string holding a lone UTF-16 surrogate


async def test_lone_surrogates_are_422_in_every_text_field(api: Api) -> None:
    a, b = await api.members(2)
    await api.connect(a, b)
    c = await api.member()
    me = api.as_(a)
    cases = [
        (me.http.post, "/v1/invitations", f'{{"invitee_id": {c}, "message": {LONE}}}', me),
        (me.http.put, f"/v1/tags/{b}", f'{{"tags": [{LONE}]}}', me),
        (me.http.put, f"/v1/notes/{b}", f'{{"body": {LONE}}}', me),
        (me.http.put, f"/v1/notes/{b}", f'{{"body": "x", "how_we_met": {LONE}}}', me),
        (
            me.http.post,
            "/v1/webhooks",
            f'{{"url": "https://example.com/h", "description": {LONE}}}',
            api.admin,
        ),
        (me.http.post, "/v1/members", f'{{"handle": "abcd", "display_name": {LONE}}}', api.admin),
        (
            me.http.post,
            "/v1/members",
            f'{{"handle": "abce", "display_name": "x", "headline": {LONE}}}',
            api.admin,
        ),
        (me.http.post, "/v1/groups", f'{{"name": {LONE}}}', api.admin),
        (me.http.post, "/v1/groups", f'{{"name": "g", "description": {LONE}}}', api.admin),
    ]
    for send, url, body, who in cases:
        r = await send(
            url, content=body, headers={**who.headers, "Content-Type": "application/json"}
        )
        problem(r, 422, "validation_error")
    # A surrogate pair, escaped, is one ordinary character and is accepted.
    r = await me.http.put(
        f"/v1/tags/{b}",
        content='{"tags": ["\\ud83d\\ude00"]}',
        headers={**me.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["\U0001f600"]


def _token(sub: object) -> str:
    exp = datetime.now(UTC) + timedelta(hours=1)
    return jwt.encode({"sub": sub, "exp": int(exp.timestamp())}, JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "sub",
    [
        "9223372036854775808",  # 2**63: gave 500
        "99999999999999999999999",
        "\u0662",  # ARABIC-INDIC DIGIT TWO: authenticated as member 2
        "\uff12",  # FULLWIDTH DIGIT TWO
        "\u00b2",  # SUPERSCRIPT TWO
        " 2",
        "+2",
        "2\n",
    ],
)
async def test_a_subject_is_ascii_digits_within_bigint(api: Api, sub: str) -> None:
    await api.members(2)  # member 2 exists
    r = await api.http.get("/v1/me", headers={"Authorization": f"Bearer {_token(sub)}"})
    problem(r, 401, "invalid_token")


# --- finding 7: inputs accepted that should not be ----------------------------------------


@pytest.mark.parametrize("raw", ["%203%20", "3%0A", "%D9%A3", "%EF%BC%93", "+3", "3%20"])
async def test_path_ids_are_strict_integers(api: Api, raw: str) -> None:
    members = await api.members(3)
    assert members[2] == 3
    r = await api.admin.get(f"/v1/members/{raw}")
    problem(r, 422, "validation_error")
    r = await api.as_(members[0]).get(f"/v1/members/{raw}/connections")
    problem(r, 422, "validation_error")
    r = await api.as_(members[0]).get(f"/v1/members/{raw}/mutual-connections")
    problem(r, 422, "validation_error")


async def test_a_webhook_is_not_deleted_by_an_id_with_a_newline(api: Api) -> None:
    r = await api.admin.post("/v1/webhooks", json={"url": "https://example.com/hooks"})
    assert r.status_code == 201, r.text
    hook = r.json()["id"]
    r = await api.admin.delete(f"/v1/webhooks/{hook}%0A")
    problem(r, 422, "validation_error")
    r = await api.admin.get("/v1/webhooks")
    assert [w["id"] for w in r.json()["items"]] == [hook]


async def test_a_token_for_no_member_is_401_on_every_member_route(api: Api) -> None:
    a, b = await api.members(2)
    invitation = await api.invited(a, b)
    r = await api.admin.post("/v1/groups", json={"name": "Engines"})
    assert r.status_code == 201, r.text
    group = r.json()["id"]
    ghost = api.as_(123456)
    requests = [
        ghost.get("/v1/me"),
        ghost.get(f"/v1/members/{a}"),
        ghost.delete("/v1/members/123456"),
        ghost.get("/v1/me/export"),
        ghost.post("/v1/invitations", json={"invitee_id": a}),
        ghost.get("/v1/invitations/received"),
        ghost.post("/v1/invitations/received/decline", json={"all": True}),
        ghost.get("/v1/invitations/sent"),
        ghost.get(f"/v1/invitations/{invitation}"),
        ghost.post(f"/v1/invitations/{invitation}/accept"),
        ghost.post(f"/v1/invitations/{invitation}/decline"),
        ghost.post(f"/v1/invitations/{invitation}/withdraw"),
        ghost.get(f"/v1/members/{a}/connections"),
        ghost.get(f"/v1/members/{a}/mutual-connections"),
        ghost.get("/v1/members/123456/mutual-connections"),
        ghost.delete(f"/v1/connections/{a}"),
        ghost.get(f"/v1/relationships?ids={a}"),
        ghost.put(f"/v1/follows/{a}"),
        ghost.delete(f"/v1/follows/{a}"),
        ghost.delete(f"/v1/followers/{a}"),
        ghost.get(f"/v1/members/{a}/followers"),
        ghost.get(f"/v1/members/{a}/following"),
        ghost.put(f"/v1/notes/{a}", json={"body": "hello"}),
        ghost.get(f"/v1/notes/{a}"),
        ghost.delete(f"/v1/notes/{a}"),
        ghost.put(f"/v1/tags/{a}", json={"tags": ["x"]}),
        ghost.get(f"/v1/tags/{a}"),
        ghost.get("/v1/tags"),
        ghost.put(f"/v1/blocks/{a}"),
        ghost.delete(f"/v1/blocks/{a}"),
        ghost.get("/v1/blocks"),
        ghost.get("/v1/groups"),
        ghost.get(f"/v1/groups/{group}"),
        ghost.put(f"/v1/groups/{group}/members/me"),
        ghost.delete(f"/v1/groups/{group}/members/me"),
        ghost.get(f"/v1/groups/{group}/members"),
        ghost.get("/v1/events"),
    ]
    wrong = []
    for request in requests:
        r: httpx.Response = await request
        if r.status_code != 401 or r.json().get("code") != "invalid_token":
            wrong.append(f"{r.request.method} {r.request.url.path}: {r.status_code}")
    assert wrong == [], "\n".join(wrong)


async def test_an_admin_token_is_a_service_credential(api: Api) -> None:
    """An admin token administers whether or not its `sub` is a member (the first admin token
    of a new installation has none); on the routes that act as a member it is that member's
    token, and 401 when there is none (README, "Who a token speaks for")."""
    service = api.admin  # sub 999999999, a member nobody created
    r = await service.post("/v1/members", json={"handle": "made-by-service", "display_name": "M"})
    assert r.status_code == 201, r.text
    made = r.json()["id"]
    assert (await service.post("/v1/groups", json={"name": "Looms"})).status_code == 201
    assert (await service.get("/v1/webhooks")).status_code == 200
    assert (await service.get("/v1/events?all=true")).status_code == 200
    assert (await service.get(f"/v1/members/{made}")).status_code == 200
    assert (await service.delete(f"/v1/members/{made}")).status_code == 204
    for r in (
        await service.get("/v1/me"),
        await service.post("/v1/invitations", json={"invitee_id": made}),
        await service.get(f"/v1/relationships?ids={made}"),
    ):
        problem(r, 401, "invalid_token")
