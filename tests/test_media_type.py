"""A body sent as anything but JSON, to a route that takes JSON, is 415 `unsupported_media_type`."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Api


async def _post(api: Api, body: str, content_type: str) -> httpx.Response:
    headers = {**api.admin.headers, "Content-Type": content_type}
    return await api.http.post("/v1/members", content=body, headers=headers)


BODY = '{"handle":"typed","display_name":"Typed"}'


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_a_body_that_is_not_json_is_415(api: Api, content_type: str) -> None:
    r = await _post(api, BODY, content_type)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unsupported_media_type"
    assert "application/json" in r.json()["detail"]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
async def test_json_bodies_are_taken(api: Api, content_type: str) -> None:
    handle = f"typed{abs(hash(content_type)) % 10_000}"
    body = BODY.replace("typed", handle)
    r = await _post(api, body, content_type)
    assert r.status_code == 201, r.text


async def test_invalid_json_stays_422(api: Api) -> None:
    r = await _post(api, '{"handle":', "application/json")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "/v1/me/settings", '{"follow_first": true}', 200),
        ("POST", "/v1/invitations", '{"invitee_id": {other}}', 201),
        ("POST", "/v1/members", '{"handle": "untyped", "display_name": "Untyped"}', 201),
        ("PUT", "/v1/follows/{other}", "", 201),  # no body at all: nothing to read
    ],
)
async def test_a_body_without_content_type_is_read_as_json(
    api: Api, method: str, path: str, body: str, status: int
) -> None:
    """As the README says, on every route: no `Content-Type` means JSON (a browser cannot send
    such a request across origins without asking first, as every route needs `Authorization`)."""
    me, other = await api.members(2)
    token = api.token(me, admin=path == "/v1/members")
    r = await api.http.request(
        method,
        path.replace("{other}", str(other)),
        content=body.replace("{other}", str(other)).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "content-type" not in r.request.headers
    assert r.status_code == status, r.text


async def test_a_body_without_content_type_that_is_not_json_is_422(api: Api) -> None:
    me = await api.member()
    r = await api.http.patch(
        "/v1/me/settings",
        content=b"follow_first=true",
        headers={"Authorization": f"Bearer {api.token(me)}"},
    )
    assert r.status_code == 422 and r.json()["code"] == "validation_error", r.text
