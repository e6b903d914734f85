from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_document import ExportDocument
from ...models.export_format import ExportFormat
from ...models.export_kind import ExportKind
from ...models.export_part import ExportPart
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    kind: ExportKind | Unset = UNSET,
    format_: ExportFormat | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind

    params["kind"] = json_kind

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/me/export",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ExportDocument | ExportPart | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ExportDocument | ExportPart:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = ExportDocument.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = ExportPart.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

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
) -> Response[ExportDocument | ExportPart | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    kind: ExportKind | Unset = UNSET,
    format_: ExportFormat | Unset = UNSET,
) -> Response[ExportDocument | ExportPart | Problem]:
    """Export your data

     Everything you own, read from one consistent moment and streamed as it is read: your profile; your
    connections with when you connected and your note, how you met and your tags on each; whom you
    follow; your followers; your pending invitations, sent and received; the members you blocked.

    **Formats.** JSON by default (`application/json`, one document).
    `kind=connections|following|followers|invitations|blocks` gives that one list as a CSV file
    (`text/csv`; invitations have a `direction` column, `sent` or `received`). Without `kind`,
    `format=csv` or an `Accept` header that ranks `text/csv` (or `application/zip`) above
    `application/json` gives a zip with one CSV per kind; `format=json` forces JSON. `format` wins over
    `Accept`: with `kind`, `format=json` gives that one list as JSON, the document with only that kind's
    lists (`ExportPart`).

    CSV files are UTF-8 with a header line; times are ISO 8601 UTC; `tags` is a JSON array; a text cell
    that would start with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so
    spreadsheets don't run it as a formula. Every list is newest first. The answer is a download
    (`Content-Disposition: attachment`) and is not cached.

    **At most 2 at once** (`CONNECT_API_EXPORT_CONCURRENCY_PER_CALLER`, counted per process): another
    download while two are running is `429 too_many_exports` with `Retry-After`.

    Args:
        kind (ExportKind | Unset):
        format_ (ExportFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExportDocument | ExportPart | Problem]
    """

    kwargs = _get_kwargs(
        kind=kind,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    kind: ExportKind | Unset = UNSET,
    format_: ExportFormat | Unset = UNSET,
) -> ExportDocument | ExportPart | Problem | None:
    """Export your data

     Everything you own, read from one consistent moment and streamed as it is read: your profile; your
    connections with when you connected and your note, how you met and your tags on each; whom you
    follow; your followers; your pending invitations, sent and received; the members you blocked.

    **Formats.** JSON by default (`application/json`, one document).
    `kind=connections|following|followers|invitations|blocks` gives that one list as a CSV file
    (`text/csv`; invitations have a `direction` column, `sent` or `received`). Without `kind`,
    `format=csv` or an `Accept` header that ranks `text/csv` (or `application/zip`) above
    `application/json` gives a zip with one CSV per kind; `format=json` forces JSON. `format` wins over
    `Accept`: with `kind`, `format=json` gives that one list as JSON, the document with only that kind's
    lists (`ExportPart`).

    CSV files are UTF-8 with a header line; times are ISO 8601 UTC; `tags` is a JSON array; a text cell
    that would start with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so
    spreadsheets don't run it as a formula. Every list is newest first. The answer is a download
    (`Content-Disposition: attachment`) and is not cached.

    **At most 2 at once** (`CONNECT_API_EXPORT_CONCURRENCY_PER_CALLER`, counted per process): another
    download while two are running is `429 too_many_exports` with `Retry-After`.

    Args:
        kind (ExportKind | Unset):
        format_ (ExportFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExportDocument | ExportPart | Problem
    """

    return sync_detailed(
        client=client,
        kind=kind,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    kind: ExportKind | Unset = UNSET,
    format_: ExportFormat | Unset = UNSET,
) -> Response[ExportDocument | ExportPart | Problem]:
    """Export your data

     Everything you own, read from one consistent moment and streamed as it is read: your profile; your
    connections with when you connected and your note, how you met and your tags on each; whom you
    follow; your followers; your pending invitations, sent and received; the members you blocked.

    **Formats.** JSON by default (`application/json`, one document).
    `kind=connections|following|followers|invitations|blocks` gives that one list as a CSV file
    (`text/csv`; invitations have a `direction` column, `sent` or `received`). Without `kind`,
    `format=csv` or an `Accept` header that ranks `text/csv` (or `application/zip`) above
    `application/json` gives a zip with one CSV per kind; `format=json` forces JSON. `format` wins over
    `Accept`: with `kind`, `format=json` gives that one list as JSON, the document with only that kind's
    lists (`ExportPart`).

    CSV files are UTF-8 with a header line; times are ISO 8601 UTC; `tags` is a JSON array; a text cell
    that would start with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so
    spreadsheets don't run it as a formula. Every list is newest first. The answer is a download
    (`Content-Disposition: attachment`) and is not cached.

    **At most 2 at once** (`CONNECT_API_EXPORT_CONCURRENCY_PER_CALLER`, counted per process): another
    download while two are running is `429 too_many_exports` with `Retry-After`.

    Args:
        kind (ExportKind | Unset):
        format_ (ExportFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExportDocument | ExportPart | Problem]
    """

    kwargs = _get_kwargs(
        kind=kind,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    kind: ExportKind | Unset = UNSET,
    format_: ExportFormat | Unset = UNSET,
) -> ExportDocument | ExportPart | Problem | None:
    """Export your data

     Everything you own, read from one consistent moment and streamed as it is read: your profile; your
    connections with when you connected and your note, how you met and your tags on each; whom you
    follow; your followers; your pending invitations, sent and received; the members you blocked.

    **Formats.** JSON by default (`application/json`, one document).
    `kind=connections|following|followers|invitations|blocks` gives that one list as a CSV file
    (`text/csv`; invitations have a `direction` column, `sent` or `received`). Without `kind`,
    `format=csv` or an `Accept` header that ranks `text/csv` (or `application/zip`) above
    `application/json` gives a zip with one CSV per kind; `format=json` forces JSON. `format` wins over
    `Accept`: with `kind`, `format=json` gives that one list as JSON, the document with only that kind's
    lists (`ExportPart`).

    CSV files are UTF-8 with a header line; times are ISO 8601 UTC; `tags` is a JSON array; a text cell
    that would start with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so
    spreadsheets don't run it as a formula. Every list is newest first. The answer is a download
    (`Content-Disposition: attachment`) and is not cached.

    **At most 2 at once** (`CONNECT_API_EXPORT_CONCURRENCY_PER_CALLER`, counted per process): another
    download while two are running is `429 too_many_exports` with `Retry-After`.

    Args:
        kind (ExportKind | Unset):
        format_ (ExportFormat | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExportDocument | ExportPart | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            kind=kind,
            format_=format_,
        )
    ).parsed
