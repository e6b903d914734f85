from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.connection_page import ConnectionPage
from ...models.connection_sort import ConnectionSort
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    member_id: int,
    *,
    sort: ConnectionSort | Unset = UNSET,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort

    params["sort"] = json_sort

    params["q"] = q

    params["tag"] = tag

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/members/{member_id}/connections".format(
            member_id=quote(str(member_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConnectionPage | Problem | None:
    if response.status_code == 200:
        response_200 = ConnectionPage.from_dict(response.json())

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
) -> Response[ConnectionPage | Problem]:
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
    sort: ConnectionSort | Unset = UNSET,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Response[ConnectionPage | Problem]:
    """A member's connections

     Visible to the member and to their 1st-degree connections, or to the member alone if they chose
    `who_may_see_connections: only_me` (spec 2.11, 2.13); `404` for anyone else, the same answer as for
    a member who does not exist. Members a block hides from you are left out, of the list as of the
    profile's `connection_count`. `sort=recent` (default) lists the newest connections first,
    `sort=name` by display name. `q` keeps those whose name or handle contains the text. `tag` keeps
    those *you* tagged with it (compared as tags are: trimmed, whitespace collapsed, any case); on your
    own list, your connections with that tag.

    Args:
        member_id (int): A member's id.
        sort (ConnectionSort | Unset):
        q (str | Unset): Name or handle contains.
        tag (str | Unset): Only those you tagged with this (up to 40 characters, and case-folded:
            `ß` counts as `ss`; not blank). Compared as tags are: zero-width characters and
            bidirectional controls dropped, in compatibility form (NFKC) and case-folded.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionPage | Problem]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
        sort=sort,
        q=q,
        tag=tag,
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
    sort: ConnectionSort | Unset = UNSET,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> ConnectionPage | Problem | None:
    """A member's connections

     Visible to the member and to their 1st-degree connections, or to the member alone if they chose
    `who_may_see_connections: only_me` (spec 2.11, 2.13); `404` for anyone else, the same answer as for
    a member who does not exist. Members a block hides from you are left out, of the list as of the
    profile's `connection_count`. `sort=recent` (default) lists the newest connections first,
    `sort=name` by display name. `q` keeps those whose name or handle contains the text. `tag` keeps
    those *you* tagged with it (compared as tags are: trimmed, whitespace collapsed, any case); on your
    own list, your connections with that tag.

    Args:
        member_id (int): A member's id.
        sort (ConnectionSort | Unset):
        q (str | Unset): Name or handle contains.
        tag (str | Unset): Only those you tagged with this (up to 40 characters, and case-folded:
            `ß` counts as `ss`; not blank). Compared as tags are: zero-width characters and
            bidirectional controls dropped, in compatibility form (NFKC) and case-folded.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionPage | Problem
    """

    return sync_detailed(
        member_id=member_id,
        client=client,
        sort=sort,
        q=q,
        tag=tag,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    member_id: int,
    *,
    client: AuthenticatedClient,
    sort: ConnectionSort | Unset = UNSET,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> Response[ConnectionPage | Problem]:
    """A member's connections

     Visible to the member and to their 1st-degree connections, or to the member alone if they chose
    `who_may_see_connections: only_me` (spec 2.11, 2.13); `404` for anyone else, the same answer as for
    a member who does not exist. Members a block hides from you are left out, of the list as of the
    profile's `connection_count`. `sort=recent` (default) lists the newest connections first,
    `sort=name` by display name. `q` keeps those whose name or handle contains the text. `tag` keeps
    those *you* tagged with it (compared as tags are: trimmed, whitespace collapsed, any case); on your
    own list, your connections with that tag.

    Args:
        member_id (int): A member's id.
        sort (ConnectionSort | Unset):
        q (str | Unset): Name or handle contains.
        tag (str | Unset): Only those you tagged with this (up to 40 characters, and case-folded:
            `ß` counts as `ss`; not blank). Compared as tags are: zero-width characters and
            bidirectional controls dropped, in compatibility form (NFKC) and case-folded.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionPage | Problem]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
        sort=sort,
        q=q,
        tag=tag,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    member_id: int,
    *,
    client: AuthenticatedClient,
    sort: ConnectionSort | Unset = UNSET,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
) -> ConnectionPage | Problem | None:
    """A member's connections

     Visible to the member and to their 1st-degree connections, or to the member alone if they chose
    `who_may_see_connections: only_me` (spec 2.11, 2.13); `404` for anyone else, the same answer as for
    a member who does not exist. Members a block hides from you are left out, of the list as of the
    profile's `connection_count`. `sort=recent` (default) lists the newest connections first,
    `sort=name` by display name. `q` keeps those whose name or handle contains the text. `tag` keeps
    those *you* tagged with it (compared as tags are: trimmed, whitespace collapsed, any case); on your
    own list, your connections with that tag.

    Args:
        member_id (int): A member's id.
        sort (ConnectionSort | Unset):
        q (str | Unset): Name or handle contains.
        tag (str | Unset): Only those you tagged with this (up to 40 characters, and case-folded:
            `ß` counts as `ss`; not blank). Compared as tags are: zero-width characters and
            bidirectional controls dropped, in compatibility form (NFKC) and case-folded.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.
        cursor (str | Unset): `next_cursor` of the previous page; omit for the first.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionPage | Problem
    """

    return (
        await asyncio_detailed(
            member_id=member_id,
            client=client,
            sort=sort,
            q=q,
            tag=tag,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
