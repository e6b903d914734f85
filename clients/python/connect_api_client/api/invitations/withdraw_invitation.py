from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.invitation_read import InvitationRead
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    invitation_id: int,
    *,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/invitations/{invitation_id}/withdraw".format(
            invitation_id=quote(str(invitation_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> InvitationRead | Problem | None:
    if response.status_code == 200:
        response_200 = InvitationRead.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[InvitationRead | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    invitation_id: int,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Response[InvitationRead | Problem]:
    """Withdraw an invitation I sent

     The inviter takes back a pending invitation. The cooldown then applies to the inviter before
    inviting the same member again.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InvitationRead | Problem]
    """

    kwargs = _get_kwargs(
        invitation_id=invitation_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    invitation_id: int,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> InvitationRead | Problem | None:
    """Withdraw an invitation I sent

     The inviter takes back a pending invitation. The cooldown then applies to the inviter before
    inviting the same member again.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InvitationRead | Problem
    """

    return sync_detailed(
        invitation_id=invitation_id,
        client=client,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    invitation_id: int,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Response[InvitationRead | Problem]:
    """Withdraw an invitation I sent

     The inviter takes back a pending invitation. The cooldown then applies to the inviter before
    inviting the same member again.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InvitationRead | Problem]
    """

    kwargs = _get_kwargs(
        invitation_id=invitation_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    invitation_id: int,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> InvitationRead | Problem | None:
    """Withdraw an invitation I sent

     The inviter takes back a pending invitation. The cooldown then applies to the inviter before
    inviting the same member again.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InvitationRead | Problem
    """

    return (
        await asyncio_detailed(
            invitation_id=invitation_id,
            client=client,
            idempotency_key=idempotency_key,
        )
    ).parsed
