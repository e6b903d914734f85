from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.relationships_read import RelationshipsRead
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    mutual_preview: bool | Unset = True,
    ids: list[int],
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["mutual_preview"] = mutual_preview

    if isinstance(ids, list):
        params["ids"] = ",".join(str(item) for item in ids)

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/relationships",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RelationshipsRead | None:
    if response.status_code == 200:
        response_200 = RelationshipsRead.from_dict(response.json())

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
) -> Response[Problem | RelationshipsRead]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    mutual_preview: bool | Unset = True,
    ids: list[int],
) -> Response[Problem | RelationshipsRead]:
    """What stands between you and other members (the Connect button)

     For up to 100 members at once, everything a frontend needs to draw the Connect button and its
    neighbourhood: degree, connection, pending invitation, follows both ways, mutual connections (how
    many, and the first three by name), shared groups, and whether an invitation would succeed now.
    `can_invite` and `reason` come from the very rule the invitation endpoint applies, so the button
    never promises what the endpoint would refuse.

    Members you may not see (a block either way, erased, unknown ids) come back as `action:
    unavailable`, without saying why. The cost does not grow with the number of ids: one statement
    answers for all of them.

    Args:
        mutual_preview (bool | Unset): Name up to three mutual connections per member
            (`mutual_preview`); `false` leaves every `mutual_preview` empty, for lists that show only
            the count. Default: True.
        ids (list[int]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RelationshipsRead]
    """

    kwargs = _get_kwargs(
        mutual_preview=mutual_preview,
        ids=ids,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    mutual_preview: bool | Unset = True,
    ids: list[int],
) -> Problem | RelationshipsRead | None:
    """What stands between you and other members (the Connect button)

     For up to 100 members at once, everything a frontend needs to draw the Connect button and its
    neighbourhood: degree, connection, pending invitation, follows both ways, mutual connections (how
    many, and the first three by name), shared groups, and whether an invitation would succeed now.
    `can_invite` and `reason` come from the very rule the invitation endpoint applies, so the button
    never promises what the endpoint would refuse.

    Members you may not see (a block either way, erased, unknown ids) come back as `action:
    unavailable`, without saying why. The cost does not grow with the number of ids: one statement
    answers for all of them.

    Args:
        mutual_preview (bool | Unset): Name up to three mutual connections per member
            (`mutual_preview`); `false` leaves every `mutual_preview` empty, for lists that show only
            the count. Default: True.
        ids (list[int]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RelationshipsRead
    """

    return sync_detailed(
        client=client,
        mutual_preview=mutual_preview,
        ids=ids,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    mutual_preview: bool | Unset = True,
    ids: list[int],
) -> Response[Problem | RelationshipsRead]:
    """What stands between you and other members (the Connect button)

     For up to 100 members at once, everything a frontend needs to draw the Connect button and its
    neighbourhood: degree, connection, pending invitation, follows both ways, mutual connections (how
    many, and the first three by name), shared groups, and whether an invitation would succeed now.
    `can_invite` and `reason` come from the very rule the invitation endpoint applies, so the button
    never promises what the endpoint would refuse.

    Members you may not see (a block either way, erased, unknown ids) come back as `action:
    unavailable`, without saying why. The cost does not grow with the number of ids: one statement
    answers for all of them.

    Args:
        mutual_preview (bool | Unset): Name up to three mutual connections per member
            (`mutual_preview`); `false` leaves every `mutual_preview` empty, for lists that show only
            the count. Default: True.
        ids (list[int]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RelationshipsRead]
    """

    kwargs = _get_kwargs(
        mutual_preview=mutual_preview,
        ids=ids,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    mutual_preview: bool | Unset = True,
    ids: list[int],
) -> Problem | RelationshipsRead | None:
    """What stands between you and other members (the Connect button)

     For up to 100 members at once, everything a frontend needs to draw the Connect button and its
    neighbourhood: degree, connection, pending invitation, follows both ways, mutual connections (how
    many, and the first three by name), shared groups, and whether an invitation would succeed now.
    `can_invite` and `reason` come from the very rule the invitation endpoint applies, so the button
    never promises what the endpoint would refuse.

    Members you may not see (a block either way, erased, unknown ids) come back as `action:
    unavailable`, without saying why. The cost does not grow with the number of ids: one statement
    answers for all of them.

    Args:
        mutual_preview (bool | Unset): Name up to three mutual connections per member
            (`mutual_preview`); `false` leaves every `mutual_preview` empty, for lists that show only
            the count. Default: True.
        ids (list[int]):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RelationshipsRead
    """

    return (
        await asyncio_detailed(
            client=client,
            mutual_preview=mutual_preview,
            ids=ids,
        )
    ).parsed
