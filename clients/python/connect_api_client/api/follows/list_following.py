from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.follow_page import FollowPage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    member_id: int,
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
        "url": "/v1/members/{member_id}/following".format(
            member_id=quote(str(member_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FollowPage | Problem | None:
    if response.status_code == 200:
        response_200 = FollowPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[FollowPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    member_id: int,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Response[FollowPage | Problem]:
    """Whom a member follows

     Newest follow first. Visible where the member's connection list is (spec 2.11): to the member, and
    to their 1st-degree connections unless the member chose `who_may_see_connections: only_me`; `404`
    for anyone else, for a member who does not exist, and where a block stands between the two (the same
    answer for each). Members a block hides from the caller are left out, of the list as of the
    profile's count.

    Args:
        member_id (int): A member's id.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FollowPage | Problem]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    member_id: int,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> FollowPage | Problem | None:
    """Whom a member follows

     Newest follow first. Visible where the member's connection list is (spec 2.11): to the member, and
    to their 1st-degree connections unless the member chose `who_may_see_connections: only_me`; `404`
    for anyone else, for a member who does not exist, and where a block stands between the two (the same
    answer for each). Members a block hides from the caller are left out, of the list as of the
    profile's count.

    Args:
        member_id (int): A member's id.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FollowPage | Problem
    """

    return sync_detailed(
        member_id=member_id,
        client=client,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    member_id: int,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Response[FollowPage | Problem]:
    """Whom a member follows

     Newest follow first. Visible where the member's connection list is (spec 2.11): to the member, and
    to their 1st-degree connections unless the member chose `who_may_see_connections: only_me`; `404`
    for anyone else, for a member who does not exist, and where a block stands between the two (the same
    answer for each). Members a block hides from the caller are left out, of the list as of the
    profile's count.

    Args:
        member_id (int): A member's id.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FollowPage | Problem]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    member_id: int,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> FollowPage | Problem | None:
    """Whom a member follows

     Newest follow first. Visible where the member's connection list is (spec 2.11): to the member, and
    to their 1st-degree connections unless the member chose `who_may_see_connections: only_me`; `404`
    for anyone else, for a member who does not exist, and where a block stands between the two (the same
    answer for each). Members a block hides from the caller are left out, of the list as of the
    profile's count.

    Args:
        member_id (int): A member's id.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FollowPage | Problem
    """

    return (
        await asyncio_detailed(
            member_id=member_id,
            client=client,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
