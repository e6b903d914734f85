from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.suggestions_read import SuggestionsRead
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/suggestions",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SuggestionsRead | None:
    if response.status_code == 200:
        response_200 = SuggestionsRead.from_dict(response.json())

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
) -> Response[Problem | SuggestionsRead]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
) -> Response[Problem | SuggestionsRead]:
    """People you may know

     Members you may want to invite, best first, with why: the connections you have in common (a count
    and up to three of them) and the groups you share. They are ranked by a score, 2 per mutual
    connection plus 1 per shared group (ties: more mutual connections, then id), counted as you ask
    (while the service's graph read model is catching up: in a snapshot of your network at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old; `computed_at` says when); the preview is found now.

    Never suggested, whatever the ranking says (checked as you read, by the rule the invitation endpoint
    applies): yourself, your connections, members with a pending invitation either way, a block either
    way, a cooldown after a decline or a withdrawal, a `dont_know` or `spam` decline, erased members,
    members at the connection cap, and those you dismissed. Your own throttles and restriction do not
    hide anyone: they pass.

    Args:
        limit (int | Unset): How many, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SuggestionsRead]
    """

    kwargs = _get_kwargs(
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
) -> Problem | SuggestionsRead | None:
    """People you may know

     Members you may want to invite, best first, with why: the connections you have in common (a count
    and up to three of them) and the groups you share. They are ranked by a score, 2 per mutual
    connection plus 1 per shared group (ties: more mutual connections, then id), counted as you ask
    (while the service's graph read model is catching up: in a snapshot of your network at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old; `computed_at` says when); the preview is found now.

    Never suggested, whatever the ranking says (checked as you read, by the rule the invitation endpoint
    applies): yourself, your connections, members with a pending invitation either way, a block either
    way, a cooldown after a decline or a withdrawal, a `dont_know` or `spam` decline, erased members,
    members at the connection cap, and those you dismissed. Your own throttles and restriction do not
    hide anyone: they pass.

    Args:
        limit (int | Unset): How many, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SuggestionsRead
    """

    return sync_detailed(
        client=client,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
) -> Response[Problem | SuggestionsRead]:
    """People you may know

     Members you may want to invite, best first, with why: the connections you have in common (a count
    and up to three of them) and the groups you share. They are ranked by a score, 2 per mutual
    connection plus 1 per shared group (ties: more mutual connections, then id), counted as you ask
    (while the service's graph read model is catching up: in a snapshot of your network at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old; `computed_at` says when); the preview is found now.

    Never suggested, whatever the ranking says (checked as you read, by the rule the invitation endpoint
    applies): yourself, your connections, members with a pending invitation either way, a block either
    way, a cooldown after a decline or a withdrawal, a `dont_know` or `spam` decline, erased members,
    members at the connection cap, and those you dismissed. Your own throttles and restriction do not
    hide anyone: they pass.

    Args:
        limit (int | Unset): How many, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SuggestionsRead]
    """

    kwargs = _get_kwargs(
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
) -> Problem | SuggestionsRead | None:
    """People you may know

     Members you may want to invite, best first, with why: the connections you have in common (a count
    and up to three of them) and the groups you share. They are ranked by a score, 2 per mutual
    connection plus 1 per shared group (ties: more mutual connections, then id), counted as you ask
    (while the service's graph read model is catching up: in a snapshot of your network at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old; `computed_at` says when); the preview is found now.

    Never suggested, whatever the ranking says (checked as you read, by the rule the invitation endpoint
    applies): yourself, your connections, members with a pending invitation either way, a block either
    way, a cooldown after a decline or a withdrawal, a `dont_know` or `spam` decline, erased members,
    members at the connection cap, and those you dismissed. Your own throttles and restriction do not
    hide anyone: they pass.

    Args:
        limit (int | Unset): How many, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SuggestionsRead
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
        )
    ).parsed
