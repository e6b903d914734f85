from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_page import EventPage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after: str | Unset = UNSET,
    all_: bool | Unset = False,
    limit: int | Unset = 20,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["after"] = after

    params["all"] = all_

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/events",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EventPage | Problem | None:
    if response.status_code == 200:
        response_200 = EventPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[EventPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    all_: bool | Unset = False,
    limit: int | Unset = 20,
) -> Response[EventPage | Problem]:
    """The event feed

     Every change that concerns the caller, oldest first: invitations created, accepted, declined (to the
    invitee only), withdrawn and expired, connections removed (to the remover only). Start without
    `after`, then pass `next_cursor` as `after`; at the end of the feed keep polling with the last
    `next_cursor`. The order is the order in which changes were committed, so a poller never skips an
    event. With `all=true` an admin reads every member's events.

    Args:
        after (str | Unset): `next_cursor` of the previous read.
        all_ (bool | Unset): Every member's events (admin only). Default: False.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | Problem]
    """

    kwargs = _get_kwargs(
        after=after,
        all_=all_,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    all_: bool | Unset = False,
    limit: int | Unset = 20,
) -> EventPage | Problem | None:
    """The event feed

     Every change that concerns the caller, oldest first: invitations created, accepted, declined (to the
    invitee only), withdrawn and expired, connections removed (to the remover only). Start without
    `after`, then pass `next_cursor` as `after`; at the end of the feed keep polling with the last
    `next_cursor`. The order is the order in which changes were committed, so a poller never skips an
    event. With `all=true` an admin reads every member's events.

    Args:
        after (str | Unset): `next_cursor` of the previous read.
        all_ (bool | Unset): Every member's events (admin only). Default: False.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | Problem
    """

    return sync_detailed(
        client=client,
        after=after,
        all_=all_,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    all_: bool | Unset = False,
    limit: int | Unset = 20,
) -> Response[EventPage | Problem]:
    """The event feed

     Every change that concerns the caller, oldest first: invitations created, accepted, declined (to the
    invitee only), withdrawn and expired, connections removed (to the remover only). Start without
    `after`, then pass `next_cursor` as `after`; at the end of the feed keep polling with the last
    `next_cursor`. The order is the order in which changes were committed, so a poller never skips an
    event. With `all=true` an admin reads every member's events.

    Args:
        after (str | Unset): `next_cursor` of the previous read.
        all_ (bool | Unset): Every member's events (admin only). Default: False.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | Problem]
    """

    kwargs = _get_kwargs(
        after=after,
        all_=all_,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    all_: bool | Unset = False,
    limit: int | Unset = 20,
) -> EventPage | Problem | None:
    """The event feed

     Every change that concerns the caller, oldest first: invitations created, accepted, declined (to the
    invitee only), withdrawn and expired, connections removed (to the remover only). Start without
    `after`, then pass `next_cursor` as `after`; at the end of the feed keep polling with the last
    `next_cursor`. The order is the order in which changes were committed, so a poller never skips an
    event. With `all=true` an admin reads every member's events.

    Args:
        after (str | Unset): `next_cursor` of the previous read.
        all_ (bool | Unset): Every member's events (admin only). Default: False.
        limit (int | Unset): Items per page, 1 to 100. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            after=after,
            all_=all_,
            limit=limit,
        )
    ).parsed
