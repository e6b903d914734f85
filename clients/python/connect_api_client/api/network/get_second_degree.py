from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.second_degree_page import SecondDegreePage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/network/second-degree",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SecondDegreePage | None:
    if response.status_code == 200:
        response_200 = SecondDegreePage.from_dict(response.json())

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
) -> Response[Problem | SecondDegreePage]:
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
    cursor: str | Unset = UNSET,
) -> Response[Problem | SecondDegreePage]:
    """Members reachable through your connections

     Members connected to one of your connections and not to you, each with how many connections you have
    in common, most first (ties by id). The list holds the `listed_at_most` members with the most mutual
    connections of the `reached` at degree 2; members hidden by a block either way and erased members
    are never in it.

    It is counted as you ask, from the graph as it is now (`computed_at` is the time of the answer), and
    a page goes on from the cursor's position (mutual connections, id): a member whose count changed
    since the previous page may be met again or passed over. While the service's graph read model is
    catching up, the list is read from a snapshot of your network instead, at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old (`computed_at` says when), whose order and counts
    hold while you page through it; what changed since is applied as you read (members you have
    connected to since are left out too). A snapshot's cursor outlives one recomputation of your
    network; after two it is `cursor_expired`. A page may hold fewer than `limit` members while
    `next_cursor` is not null.

    Args:
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SecondDegreePage]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Problem | SecondDegreePage | None:
    """Members reachable through your connections

     Members connected to one of your connections and not to you, each with how many connections you have
    in common, most first (ties by id). The list holds the `listed_at_most` members with the most mutual
    connections of the `reached` at degree 2; members hidden by a block either way and erased members
    are never in it.

    It is counted as you ask, from the graph as it is now (`computed_at` is the time of the answer), and
    a page goes on from the cursor's position (mutual connections, id): a member whose count changed
    since the previous page may be met again or passed over. While the service's graph read model is
    catching up, the list is read from a snapshot of your network instead, at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old (`computed_at` says when), whose order and counts
    hold while you page through it; what changed since is applied as you read (members you have
    connected to since are left out too). A snapshot's cursor outlives one recomputation of your
    network; after two it is `cursor_expired`. A page may hold fewer than `limit` members while
    `next_cursor` is not null.

    Args:
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SecondDegreePage
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Response[Problem | SecondDegreePage]:
    """Members reachable through your connections

     Members connected to one of your connections and not to you, each with how many connections you have
    in common, most first (ties by id). The list holds the `listed_at_most` members with the most mutual
    connections of the `reached` at degree 2; members hidden by a block either way and erased members
    are never in it.

    It is counted as you ask, from the graph as it is now (`computed_at` is the time of the answer), and
    a page goes on from the cursor's position (mutual connections, id): a member whose count changed
    since the previous page may be met again or passed over. While the service's graph read model is
    catching up, the list is read from a snapshot of your network instead, at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old (`computed_at` says when), whose order and counts
    hold while you page through it; what changed since is applied as you read (members you have
    connected to since are left out too). A snapshot's cursor outlives one recomputation of your
    network; after two it is `cursor_expired`. A page may hold fewer than `limit` members while
    `next_cursor` is not null.

    Args:
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SecondDegreePage]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Problem | SecondDegreePage | None:
    """Members reachable through your connections

     Members connected to one of your connections and not to you, each with how many connections you have
    in common, most first (ties by id). The list holds the `listed_at_most` members with the most mutual
    connections of the `reached` at degree 2; members hidden by a block either way and erased members
    are never in it.

    It is counted as you ask, from the graph as it is now (`computed_at` is the time of the answer), and
    a page goes on from the cursor's position (mutual connections, id): a member whose count changed
    since the previous page may be met again or passed over. While the service's graph read model is
    catching up, the list is read from a snapshot of your network instead, at most
    `CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS` old (`computed_at` says when), whose order and counts
    hold while you page through it; what changed since is applied as you read (members you have
    connected to since are left out too). A snapshot's cursor outlives one recomputation of your
    network; after two it is `cursor_expired`. A page may hold fewer than `limit` members while
    `next_cursor` is not null.

    Args:
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SecondDegreePage
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
