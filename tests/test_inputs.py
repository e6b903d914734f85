"""Bad input gets a problem document with a stable code; never a 500."""

from __future__ import annotations

import pytest

from tests.helpers import Api

_SIGNED: list[tuple[object, ...]] = []


def _cursor(*payload: object) -> str:
    """A cursor signed with the service's own key (made when the test runs), so that only the
    checks of its values refuse it."""
    _SIGNED.append(payload)
    return f"{{signed[{len(_SIGNED) - 1}]}}"


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
    ("POST", "/v1/invitations", b'{"invitee_id": 2.0}', 422, "validation_error"),
    ("POST", "/v1/invitations", b'{"invitee_id": 2e0}', 422, "validation_error"),
    ("POST", "/v1/invitations", b'{"invitee_id": true}', 422, "validation_error"),
    *[
        ("POST", f"/v1/invitations/{path}", body, 422, "validation_error")
        for path in ("received/decline", "sent/withdraw")
        for body in (b'{"ids": [1.0]}', b'{"ids": [1e1]}', b'{"ids": ["1"]}', b'{"ids": [2, 1e0]}')
    ],
    *[
        (
            "POST",
            "/v1/invitations/sent/withdraw",
            b'{"older_than_days": %s}' % days,
            422,
            "validation_error",
        )
        for days in (b"1.0", b"1e1", b'"1"', b"true")
    ],
    *[
        ("GET", f"/v1/invitations/received?limit={limit}", None, 422, "validation_error")
        for limit in ("8.0", "%2B8", "%208", "8%0A", "8_0", "1e1")
    ],
    ("GET", "/v1/suggestions?limit=8.0", None, 422, "validation_error"),
    ("GET", "/v1/relationships?ids=1,2%0A", None, 422, "validation_error"),
    ("GET", "/v1/relationships?ids=1%0A", None, 422, "validation_error"),
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
    signed = [api.ctx.cursors.encode(str(p[0]), *p[1:]) for p in _SIGNED]
    r = await api.http.request(
        method, url.format(me=me, signed=signed), content=body, headers=headers
    )
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


@pytest.mark.parametrize("written", ["1e1", "10.0", '"10"', "1E+1", "10.000"])
async def test_an_invitee_id_is_a_json_integer_not_a_number_that_reads_as_one(
    api: Api, written: str
) -> None:
    """`{"invitee_id": 1e1}` once invited member 10: a number that is not written as an
    integer is refused, whoever it would name."""
    members = await api.members(10)
    me, ten = members[0], members[9]
    assert ten == 10
    headers = {**api.as_(me).headers, "Content-Type": "application/json"}
    r = await api.http.post(
        "/v1/invitations", content=f'{{"invitee_id": {written}}}'.encode(), headers=headers
    )
    assert r.status_code == 422 and r.json()["code"] == "validation_error", r.text
    assert await api.sql("SELECT id FROM invitations") == []
    r = await api.http.post("/v1/invitations", content=b'{"invitee_id": 10}', headers=headers)
    assert r.status_code == 201, r.text


async def test_limit_and_ids_take_plain_digits(api: Api) -> None:
    me, other = await api.members(2)
    r = await api.as_(me).get("/v1/invitations/received", params={"limit": "08"})
    assert r.status_code == 200, r.text
    r = await api.as_(me).get(f"/v1/relationships?ids={other},{me}")
    assert r.status_code == 200, r.text
