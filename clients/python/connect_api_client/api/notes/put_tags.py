from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.tags_read import TagsRead
from ...models.tags_write import TagsWrite
from ...types import Response


def _get_kwargs(
    member_id: int,
    *,
    body: TagsWrite,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/tags/{member_id}".format(
            member_id=quote(str(member_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TagsRead | None:
    if response.status_code == 200:
        response_200 = TagsRead.from_dict(response.json())

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
) -> Response[Problem | TagsRead]:
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
    body: TagsWrite,
) -> Response[Problem | TagsRead]:
    """Set your tags on a connection

     Replaces the whole set (`[]` clears it). Each tag is trimmed and runs of whitespace become one
    space; tags that differ only in case are the same tag (the first spelling wins, unless you already
    use the tag on another connection: then it keeps that spelling). 1 to 40 characters a tag, at most
    50 on a connection. `404` when you are not connected to the member. Only you ever see it; nobody is
    notified.

    Args:
        member_id (int): A member's id.
        body (TagsWrite): The whole set of tags on one connection: a `PUT` replaces it, `[]`
            clears it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TagsRead]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    member_id: int,
    *,
    client: AuthenticatedClient,
    body: TagsWrite,
) -> Problem | TagsRead | None:
    """Set your tags on a connection

     Replaces the whole set (`[]` clears it). Each tag is trimmed and runs of whitespace become one
    space; tags that differ only in case are the same tag (the first spelling wins, unless you already
    use the tag on another connection: then it keeps that spelling). 1 to 40 characters a tag, at most
    50 on a connection. `404` when you are not connected to the member. Only you ever see it; nobody is
    notified.

    Args:
        member_id (int): A member's id.
        body (TagsWrite): The whole set of tags on one connection: a `PUT` replaces it, `[]`
            clears it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TagsRead
    """

    return sync_detailed(
        member_id=member_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    member_id: int,
    *,
    client: AuthenticatedClient,
    body: TagsWrite,
) -> Response[Problem | TagsRead]:
    """Set your tags on a connection

     Replaces the whole set (`[]` clears it). Each tag is trimmed and runs of whitespace become one
    space; tags that differ only in case are the same tag (the first spelling wins, unless you already
    use the tag on another connection: then it keeps that spelling). 1 to 40 characters a tag, at most
    50 on a connection. `404` when you are not connected to the member. Only you ever see it; nobody is
    notified.

    Args:
        member_id (int): A member's id.
        body (TagsWrite): The whole set of tags on one connection: a `PUT` replaces it, `[]`
            clears it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TagsRead]
    """

    kwargs = _get_kwargs(
        member_id=member_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    member_id: int,
    *,
    client: AuthenticatedClient,
    body: TagsWrite,
) -> Problem | TagsRead | None:
    """Set your tags on a connection

     Replaces the whole set (`[]` clears it). Each tag is trimmed and runs of whitespace become one
    space; tags that differ only in case are the same tag (the first spelling wins, unless you already
    use the tag on another connection: then it keeps that spelling). 1 to 40 characters a tag, at most
    50 on a connection. `404` when you are not connected to the member. Only you ever see it; nobody is
    notified.

    Args:
        member_id (int): A member's id.
        body (TagsWrite): The whole set of tags on one connection: a `PUT` replaces it, `[]`
            clears it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TagsRead
    """

    return (
        await asyncio_detailed(
            member_id=member_id,
            client=client,
            body=body,
        )
    ).parsed
