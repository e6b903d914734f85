from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.webhook_create import WebhookCreate
from ...models.webhook_created import WebhookCreated
from ...types import Response


def _get_kwargs(
    *,
    body: WebhookCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | WebhookCreated | None:
    if response.status_code == 201:
        response_201 = WebhookCreated.from_dict(response.json())

        return response_201

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
) -> Response[Problem | WebhookCreated]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
) -> Response[Problem | WebhookCreated]:
    """Register a webhook (admin)

     Every event (or only `event_types`) is POSTed to `url` as JSON `{type, timestamp, data}`, signed per
    the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers) with the
    `secret` returned here, once. Only committed changes are delivered. A delivery is retried on the
    Standard Webhooks schedule (at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and
    24 h, each ±10 %) until the endpoint answers 2xx; a 429, 502, 503 or 504 with `Retry-After` is
    retried no sooner than it asks. Every attempt of one event carries the same `webhook-id`. An
    endpoint that answers 410 Gone, or whose every delivery has failed for 5 days, is disabled (a
    `webhook.disabled` event).

    Args:
        body (WebhookCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookCreated]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
) -> Problem | WebhookCreated | None:
    """Register a webhook (admin)

     Every event (or only `event_types`) is POSTed to `url` as JSON `{type, timestamp, data}`, signed per
    the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers) with the
    `secret` returned here, once. Only committed changes are delivered. A delivery is retried on the
    Standard Webhooks schedule (at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and
    24 h, each ±10 %) until the endpoint answers 2xx; a 429, 502, 503 or 504 with `Retry-After` is
    retried no sooner than it asks. Every attempt of one event carries the same `webhook-id`. An
    endpoint that answers 410 Gone, or whose every delivery has failed for 5 days, is disabled (a
    `webhook.disabled` event).

    Args:
        body (WebhookCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookCreated
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
) -> Response[Problem | WebhookCreated]:
    """Register a webhook (admin)

     Every event (or only `event_types`) is POSTed to `url` as JSON `{type, timestamp, data}`, signed per
    the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers) with the
    `secret` returned here, once. Only committed changes are delivered. A delivery is retried on the
    Standard Webhooks schedule (at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and
    24 h, each ±10 %) until the endpoint answers 2xx; a 429, 502, 503 or 504 with `Retry-After` is
    retried no sooner than it asks. Every attempt of one event carries the same `webhook-id`. An
    endpoint that answers 410 Gone, or whose every delivery has failed for 5 days, is disabled (a
    `webhook.disabled` event).

    Args:
        body (WebhookCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookCreated]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
) -> Problem | WebhookCreated | None:
    """Register a webhook (admin)

     Every event (or only `event_types`) is POSTed to `url` as JSON `{type, timestamp, data}`, signed per
    the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers) with the
    `secret` returned here, once. Only committed changes are delivered. A delivery is retried on the
    Standard Webhooks schedule (at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and
    24 h, each ±10 %) until the endpoint answers 2xx; a 429, 502, 503 or 504 with `Retry-After` is
    retried no sooner than it asks. Every attempt of one event carries the same `webhook-id`. An
    endpoint that answers 410 Gone, or whose every delivery has failed for 5 days, is disabled (a
    `webhook.disabled` event).

    Args:
        body (WebhookCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookCreated
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
