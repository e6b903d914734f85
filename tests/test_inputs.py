"""Bad input gets a problem document with a stable code; never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import Api


def _cursor(*payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


CASES = [
    ("GET", "/v1/members/99999999999999999999", None, 422, "validation_error"),
    ("GET", "/v1/members/-1", None, 422, "validation_error"),
    ("GET", "/v1/members/abc", None, 422, "validation_error"),
    ("POST", "/v1/invitations", b"[1,2]", 422, "validation_error"),
    ("POST", "/v1/invitations", b"\xff\xfe", 422, "validation_error"),
    ("POST", "/v1/invitations", b"\xff\xfe{", 422, "validation_error"),
    ("POST", "/v1/members", b"\xff\xfe{", 422, "validation_error"),
    ("POST", "/v1/members", b'{"handle": "ab ", "display_name": "x"}', 422, "validation_error"),
    ("POST", "/v1/members", b'{"handle": "abc", "display_name": "   "}', 422, "validation_error"),
    ("POST", "/v1/invitations", b'{"invitee_id": 1e400}', 422, "validation_error"),
    ("POST", "/v1/invitations", b'{"invitee_id": "2"}', 422, "validation_error"),
    (
        "POST",
        "/v1/invitations",
        b'{"invitee_id": 2, "message": "a\\u0000b"}',
        422,
        "validation_error",
    ),
    ("POST", "/v1/invitations", b'{"invitee_id": 2, "extra": 1}', 422, "validation_error"),
    (
        "POST",
        "/v1/members",
        b'{"handle": "abc", "display_name": "x\\u0000"}',
        422,
        "validation_error",
    ),
    (
        "POST",
        "/v1/members",
        b'{"handle": "abc", "display_name": "x", "connection_count": 9}',
        422,
        "validation_error",
    ),
    ("GET", "/v1/invitations/received?limit=0", None, 422, "validation_error"),
    ("GET", "/v1/invitations/received?limit=101", None, 422, "validation_error"),
    ("GET", "/v1/invitations/received?status=bogus", None, 422, "validation_error"),
    ("GET", "/v1/invitations/received?cursor=%25%25", None, 422, "invalid_cursor"),
    (
        "GET",
        f"/v1/invitations/received?cursor={_cursor('ir', '2026-01-01T00:00:00+00:00', 2**64)}",
        None,
        422,
        "invalid_cursor",
    ),
    (
        "GET",
        f"/v1/invitations/sent?cursor={_cursor('ir', '2026-01-01T00:00:00+00:00', 1)}",
        None,
        422,
        "invalid_cursor",
    ),
    (
        "GET",
        "/v1/members/{me}/connections?sort=name&cursor=" + _cursor("cn:", "a" + chr(0), 1),
        None,
        422,
        "invalid_cursor",
    ),
    ("GET", "/v1/members/{me}/connections?q=%00", None, 422, "validation_error"),
    ("GET", "/v1/members/{me}/connections?sort=bogus", None, 422, "validation_error"),
    ("POST", "/v1/invitations/1/decline", b'{"reason": "nope"}', 422, "validation_error"),
    ("DELETE", "/v1/connections/0", None, 422, "validation_error"),
    ("PUT", "/v1/invitations", None, 405, "method_not_allowed"),
    ("GET", "/v1/nowhere", None, 404, "not_found"),
]


@pytest.mark.parametrize(("method", "url", "body", "status", "code"), CASES)
async def test_bad_input_is_a_problem_not_a_crash(
    api: Api, method: str, url: str, body: bytes | None, status: int, code: str
) -> None:
    me = await api.member()
    headers = {**api.admin.headers, "Content-Type": "application/json"}
    headers["Authorization"] = f"Bearer {api.token(me, admin=True)}"
    r = await api.http.request(method, url.format(me=me), content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code
    await api.assert_consistent()


async def test_member_fields_are_stripped_then_checked(api: Api) -> None:
    r = await api.admin.post(
        "/v1/members", json={"handle": "  zed  ", "display_name": "  Zed  ", "headline": " x "}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["handle"], r.json()["display_name"], r.json()["headline"]) == (
        "zed",
        "Zed",
        "x",
    )
