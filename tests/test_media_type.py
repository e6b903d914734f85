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
