from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.member_settings import MemberSettings
from ...models.member_settings_update import MemberSettingsUpdate
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: MemberSettingsUpdate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/me/settings",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> MemberSettings | Problem | None:
    if response.status_code == 200:
        response_200 = MemberSettings.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 414:
        response_414 = Problem.from_dict(response.json())

        return response_414

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[MemberSettings | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: MemberSettingsUpdate,
) -> Response[MemberSettings | Problem]:
    """Change my settings

     The caller's own controls (spec 2.13): who may invite them, who may see their connections (and so
    their followers and following), and Follow as their primary button. Only the settings given change;
    the answer is all of them. Setting a value it already has changes nothing, so a repeat is harmless.
    Unknown fields, `null`, and anything but the listed values (`"true"` or `1` for a boolean) are
    `422`.

    A new `who_may_invite` applies to invitations sent from then on: one already pending stays pending,
    for the member to answer. An invitation being sent at the same moment is judged wholly on the old
    setting or wholly on the new one.

    Args:
        body (MemberSettingsUpdate): The settings to change; those left out stay as they are.
            Neither may be `null`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MemberSettings | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: MemberSettingsUpdate,
) -> MemberSettings | Problem | None:
    """Change my settings

     The caller's own controls (spec 2.13): who may invite them, who may see their connections (and so
    their followers and following), and Follow as their primary button. Only the settings given change;
    the answer is all of them. Setting a value it already has changes nothing, so a repeat is harmless.
    Unknown fields, `null`, and anything but the listed values (`"true"` or `1` for a boolean) are
    `422`.

    A new `who_may_invite` applies to invitations sent from then on: one already pending stays pending,
    for the member to answer. An invitation being sent at the same moment is judged wholly on the old
    setting or wholly on the new one.

    Args:
        body (MemberSettingsUpdate): The settings to change; those left out stay as they are.
            Neither may be `null`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MemberSettings | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: MemberSettingsUpdate,
) -> Response[MemberSettings | Problem]:
    """Change my settings

     The caller's own controls (spec 2.13): who may invite them, who may see their connections (and so
    their followers and following), and Follow as their primary button. Only the settings given change;
    the answer is all of them. Setting a value it already has changes nothing, so a repeat is harmless.
    Unknown fields, `null`, and anything but the listed values (`"true"` or `1` for a boolean) are
    `422`.

    A new `who_may_invite` applies to invitations sent from then on: one already pending stays pending,
    for the member to answer. An invitation being sent at the same moment is judged wholly on the old
    setting or wholly on the new one.

    Args:
        body (MemberSettingsUpdate): The settings to change; those left out stay as they are.
            Neither may be `null`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MemberSettings | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: MemberSettingsUpdate,
) -> MemberSettings | Problem | None:
    """Change my settings

     The caller's own controls (spec 2.13): who may invite them, who may see their connections (and so
    their followers and following), and Follow as their primary button. Only the settings given change;
    the answer is all of them. Setting a value it already has changes nothing, so a repeat is harmless.
    Unknown fields, `null`, and anything but the listed values (`"true"` or `1` for a boolean) are
    `422`.

    A new `who_may_invite` applies to invitations sent from then on: one already pending stays pending,
    for the member to answer. An invitation being sent at the same moment is judged wholly on the old
    setting or wholly on the new one.

    Args:
        body (MemberSettingsUpdate): The settings to change; those left out stay as they are.
            Neither may be `null`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MemberSettings | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
