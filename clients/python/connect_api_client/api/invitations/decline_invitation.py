from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.decline_body import DeclineBody
from ...models.invitation_read import InvitationRead
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    invitation_id: int,
    *,
    body: DeclineBody | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/invitations/{invitation_id}/decline".format(
            invitation_id=quote(str(invitation_id), safe=""),
        ),
    }

    if isinstance(body, DeclineBody):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body

    headers["Content-Type"] = "application/json"

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
    body: DeclineBody | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[InvitationRead | Problem]:
    """Decline an invitation

     The invitee declines, optionally saying why. The inviter is never told the reason and gets no
    notification; they may not invite again during the cooldown. `dont_know` and `spam` also bar this
    inviter from inviting the caller again, and count towards restricting the inviter.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (DeclineBody | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InvitationRead | Problem]
    """

    kwargs = _get_kwargs(
        invitation_id=invitation_id,
        body=body,
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
    body: DeclineBody | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> InvitationRead | Problem | None:
    """Decline an invitation

     The invitee declines, optionally saying why. The inviter is never told the reason and gets no
    notification; they may not invite again during the cooldown. `dont_know` and `spam` also bar this
    inviter from inviting the caller again, and count towards restricting the inviter.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (DeclineBody | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InvitationRead | Problem
    """

    return sync_detailed(
        invitation_id=invitation_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    invitation_id: int,
    *,
    client: AuthenticatedClient,
    body: DeclineBody | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[InvitationRead | Problem]:
    """Decline an invitation

     The invitee declines, optionally saying why. The inviter is never told the reason and gets no
    notification; they may not invite again during the cooldown. `dont_know` and `spam` also bar this
    inviter from inviting the caller again, and count towards restricting the inviter.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (DeclineBody | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InvitationRead | Problem]
    """

    kwargs = _get_kwargs(
        invitation_id=invitation_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    invitation_id: int,
    *,
    client: AuthenticatedClient,
    body: DeclineBody | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> InvitationRead | Problem | None:
    """Decline an invitation

     The invitee declines, optionally saying why. The inviter is never told the reason and gets no
    notification; they may not invite again during the cooldown. `dont_know` and `spam` also bar this
    inviter from inviting the caller again, and count towards restricting the inviter.

    Args:
        invitation_id (int): The invitation's id.
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (DeclineBody | None | Unset):

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
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
