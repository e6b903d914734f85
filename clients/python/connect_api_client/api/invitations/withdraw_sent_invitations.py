from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bulk_withdraw_result import BulkWithdrawResult
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: Any,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/invitations/sent/withdraw",
    }

    _kwargs["json"] = body

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BulkWithdrawResult | Problem | None:
    if response.status_code == 200:
        response_200 = BulkWithdrawResult.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[BulkWithdrawResult | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: Any,
    idempotency_key: str | Unset = UNSET,
) -> Response[BulkWithdrawResult | Problem]:
    """Withdraw many sent invitations at once

     Tidies an outbox in one call: either the listed invitations (`ids`, 1 to 500 distinct ids) or every
    pending invitation sent more than `older_than_days` days ago. Exactly one of `ids` and
    `older_than_days` must be given.

    All or nothing: the whole batch is one transaction. Each withdrawn invitation ends exactly as with
    `POST /v1/invitations/{id}/withdraw`: `withdrawn`, an `invitation.withdrawn` event to both members,
    and the cooldown before inviting the same member again starts now.

    The answer lists what was withdrawn and, for listed ids, what was not and why: `not_found` when the
    id is not an invitation in the caller's outbox (whether it exists elsewhere is not said),
    `invitation_not_pending` when it was already answered, withdrawn or has expired. Such ids do not
    fail the request. With `older_than_days`, `not_withdrawn` is always empty. A retry is safe with
    `Idempotency-Key`; without one, a repeat answers `invitation_not_pending` for what the first
    withdrew.

    Args:
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (Any): Which sent invitations to withdraw: listed ones, or every pending one older
            than a
            number of days.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BulkWithdrawResult | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: Any,
    idempotency_key: str | Unset = UNSET,
) -> BulkWithdrawResult | Problem | None:
    """Withdraw many sent invitations at once

     Tidies an outbox in one call: either the listed invitations (`ids`, 1 to 500 distinct ids) or every
    pending invitation sent more than `older_than_days` days ago. Exactly one of `ids` and
    `older_than_days` must be given.

    All or nothing: the whole batch is one transaction. Each withdrawn invitation ends exactly as with
    `POST /v1/invitations/{id}/withdraw`: `withdrawn`, an `invitation.withdrawn` event to both members,
    and the cooldown before inviting the same member again starts now.

    The answer lists what was withdrawn and, for listed ids, what was not and why: `not_found` when the
    id is not an invitation in the caller's outbox (whether it exists elsewhere is not said),
    `invitation_not_pending` when it was already answered, withdrawn or has expired. Such ids do not
    fail the request. With `older_than_days`, `not_withdrawn` is always empty. A retry is safe with
    `Idempotency-Key`; without one, a repeat answers `invitation_not_pending` for what the first
    withdrew.

    Args:
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (Any): Which sent invitations to withdraw: listed ones, or every pending one older
            than a
            number of days.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BulkWithdrawResult | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: Any,
    idempotency_key: str | Unset = UNSET,
) -> Response[BulkWithdrawResult | Problem]:
    """Withdraw many sent invitations at once

     Tidies an outbox in one call: either the listed invitations (`ids`, 1 to 500 distinct ids) or every
    pending invitation sent more than `older_than_days` days ago. Exactly one of `ids` and
    `older_than_days` must be given.

    All or nothing: the whole batch is one transaction. Each withdrawn invitation ends exactly as with
    `POST /v1/invitations/{id}/withdraw`: `withdrawn`, an `invitation.withdrawn` event to both members,
    and the cooldown before inviting the same member again starts now.

    The answer lists what was withdrawn and, for listed ids, what was not and why: `not_found` when the
    id is not an invitation in the caller's outbox (whether it exists elsewhere is not said),
    `invitation_not_pending` when it was already answered, withdrawn or has expired. Such ids do not
    fail the request. With `older_than_days`, `not_withdrawn` is always empty. A retry is safe with
    `Idempotency-Key`; without one, a repeat answers `invitation_not_pending` for what the first
    withdrew.

    Args:
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (Any): Which sent invitations to withdraw: listed ones, or every pending one older
            than a
            number of days.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BulkWithdrawResult | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: Any,
    idempotency_key: str | Unset = UNSET,
) -> BulkWithdrawResult | Problem | None:
    """Withdraw many sent invitations at once

     Tidies an outbox in one call: either the listed invitations (`ids`, 1 to 500 distinct ids) or every
    pending invitation sent more than `older_than_days` days ago. Exactly one of `ids` and
    `older_than_days` must be given.

    All or nothing: the whole batch is one transaction. Each withdrawn invitation ends exactly as with
    `POST /v1/invitations/{id}/withdraw`: `withdrawn`, an `invitation.withdrawn` event to both members,
    and the cooldown before inviting the same member again starts now.

    The answer lists what was withdrawn and, for listed ids, what was not and why: `not_found` when the
    id is not an invitation in the caller's outbox (whether it exists elsewhere is not said),
    `invitation_not_pending` when it was already answered, withdrawn or has expired. Such ids do not
    fail the request. With `older_than_days`, `not_withdrawn` is always empty. A retry is safe with
    `Idempotency-Key`; without one, a repeat answers `invitation_not_pending` for what the first
    withdrew.

    Args:
        idempotency_key (str | Unset): Makes a retry safe: a retry with the same key and body
            replays the first response (with `Idempotent-Replayed: true`); the same key with another
            body is `422`; a retry while the first is still running is `409`. Keys are per caller and
            kept 24 h.
        body (Any): Which sent invitations to withdraw: listed ones, or every pending one older
            than a
            number of days.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BulkWithdrawResult | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
