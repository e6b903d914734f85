from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = last_event_id

    params: dict[str, Any] = {}

    params["after"] = after

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/events/stream",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 410:
        response_410 = Problem.from_dict(response.json())

        return response_410

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
) -> Response[Problem | str]:
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
    last_event_id: str | Unset = UNSET,
) -> Response[Problem | str]:
    """Every event, live (server-sent events; admin)

     The whole event feed (`GET /v1/events?all=true`) as it commits, for a service that would rather hold
    a stream than run a webhook receiver: the same frames, resumable the same way (`Last-Event-ID`,
    `?after=`), without `counts` events. Needs the `admin` scope.

    Args:
        after (str | Unset): As `Last-Event-ID`, for a client that cannot set headers (a new
            `EventSource` after a ticket). The header wins when both are given.
        last_event_id (str | Unset): The `id` of the last event received: the stream replays what
            came after it, then goes live (a browser's `EventSource` sends it when it reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        after=after,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Problem | str | None:
    """Every event, live (server-sent events; admin)

     The whole event feed (`GET /v1/events?all=true`) as it commits, for a service that would rather hold
    a stream than run a webhook receiver: the same frames, resumable the same way (`Last-Event-ID`,
    `?after=`), without `counts` events. Needs the `admin` scope.

    Args:
        after (str | Unset): As `Last-Event-ID`, for a client that cannot set headers (a new
            `EventSource` after a ticket). The header wins when both are given.
        last_event_id (str | Unset): The `id` of the last event received: the stream replays what
            came after it, then goes live (a browser's `EventSource` sends it when it reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return sync_detailed(
        client=client,
        after=after,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[Problem | str]:
    """Every event, live (server-sent events; admin)

     The whole event feed (`GET /v1/events?all=true`) as it commits, for a service that would rather hold
    a stream than run a webhook receiver: the same frames, resumable the same way (`Last-Event-ID`,
    `?after=`), without `counts` events. Needs the `admin` scope.

    Args:
        after (str | Unset): As `Last-Event-ID`, for a client that cannot set headers (a new
            `EventSource` after a ticket). The header wins when both are given.
        last_event_id (str | Unset): The `id` of the last event received: the stream replays what
            came after it, then goes live (a browser's `EventSource` sends it when it reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        after=after,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Problem | str | None:
    """Every event, live (server-sent events; admin)

     The whole event feed (`GET /v1/events?all=true`) as it commits, for a service that would rather hold
    a stream than run a webhook receiver: the same frames, resumable the same way (`Last-Event-ID`,
    `?after=`), without `counts` events. Needs the `admin` scope.

    Args:
        after (str | Unset): As `Last-Event-ID`, for a client that cannot set headers (a new
            `EventSource` after a ticket). The header wins when both are given.
        last_event_id (str | Unset): The `id` of the last event received: the stream replays what
            came after it, then goes live (a browser's `EventSource` sends it when it reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return (
        await asyncio_detailed(
            client=client,
            after=after,
            last_event_id=last_event_id,
        )
    ).parsed
