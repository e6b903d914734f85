from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.member_read import MemberRead
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    member_id: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/members/{member_id}".format(
            member_id=quote(str(member_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> MemberRead | Problem | None:
    if response.status_code == 200:
        response_200 = MemberRead.from_dict(response.json())

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
) -> Response[MemberRead | Problem]:
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
) -> Response[MemberRead | Problem]:
    """A member's public profile

     `404` when there is no such member, or a block stands between you (either way: the blocked member is
    never told). The three counts are those of the lists you may page through: a block hides a member
    from a count as from its list, and where the member's connections (and so their followers and
    following) are not yours to see (you are not their 1st degree, or they chose `only_me`), the counts
    are `null`.

    Args:
        member_id (int): A member's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MemberRead | Problem]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    member_id: int,
    *,
    client: AuthenticatedClient,
) -> MemberRead | Problem | None:
    """A member's public profile

     `404` when there is no such member, or a block stands between you (either way: the blocked member is
    never told). The three counts are those of the lists you may page through: a block hides a member
    from a count as from its list, and where the member's connections (and so their followers and
    following) are not yours to see (you are not their 1st degree, or they chose `only_me`), the counts
    are `null`.

    Args:
        member_id (int): A member's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MemberRead | Problem
    """

    return sync_detailed(
        member_id=member_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    member_id: int,
    *,
    client: AuthenticatedClient,
) -> Response[MemberRead | Problem]:
    """A member's public profile

     `404` when there is no such member, or a block stands between you (either way: the blocked member is
    never told). The three counts are those of the lists you may page through: a block hides a member
    from a count as from its list, and where the member's connections (and so their followers and
    following) are not yours to see (you are not their 1st degree, or they chose `only_me`), the counts
    are `null`.

    Args:
        member_id (int): A member's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MemberRead | Problem]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    member_id: int,
    *,
    client: AuthenticatedClient,
) -> MemberRead | Problem | None:
    """A member's public profile

     `404` when there is no such member, or a block stands between you (either way: the blocked member is
    never told). The three counts are those of the lists you may page through: a block hides a member
    from a count as from its list, and where the member's connections (and so their followers and
    following) are not yours to see (you are not their 1st degree, or they chose `only_me`), the counts
    are `null`.

    Args:
        member_id (int): A member's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MemberRead | Problem
    """

    return (
        await asyncio_detailed(
            member_id=member_id,
            client=client,
        )
    ).parsed
