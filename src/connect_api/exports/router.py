"""HTTP for the data export: content negotiation and a streamed download."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from connect_api.exports import service
from connect_api.exports.schemas import ExportDocument, ExportFormat, ExportKind, ExportPart
from connect_api.kit.deps import Ctx, CurrentPrincipal
from connect_api.kit.errors import DomainError, responses

router = APIRouter(tags=["members"])

_CSV_TYPES = ("text/csv", "application/zip", "text/*")
_JSON_TYPES = ("application/json", "application/*", "*/*")


def _prefers_csv(accept: str | None) -> bool:
    """Whether ``Accept`` ranks CSV (or zip) above JSON. JSON is the default and wins ties;
    an ``Accept`` that names neither still gets JSON."""
    if not accept:
        return False
    q: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        media = media.lower()
        q[media] = max(q.get(media, 0.0), weight)
    csv_q = max((q.get(t, 0.0) for t in _CSV_TYPES), default=0.0)
    json_q = max((q.get(t, 0.0) for t in _JSON_TYPES), default=0.0)
    return csv_q > json_q


class TooManyExports(DomainError):
    """The caller already has as many export downloads running as allowed. Retry after
    `Retry-After`."""

    status, code, title = 429, "too_many_exports", "Too many exports at once"


class ExportSlots:
    """How many export downloads each member has running in this process. Each holds a pooled
    connection and a snapshot for as long as its client reads, so one member may run only a
    few at once (``CONNECT_API_EXPORT_CONCURRENCY_PER_CALLER``)."""

    def __init__(self) -> None:
        self.running: dict[int, int] = {}

    def take(self, member_id: int, cap: int) -> None:
        held = self.running.get(member_id, 0)
        if cap and held >= cap:
            raise TooManyExports(
                f"You already have {held} exports downloading; at most {cap} run at once. "
                "Retry after `Retry-After` seconds.",
                headers={"Retry-After": "1"},
                limit=cap,
            )
        self.running[member_id] = held + 1

    def give_back(self, member_id: int) -> None:
        held = self.running.get(member_id, 0) - 1
        if held > 0:
            self.running[member_id] = held
        else:
            self.running.pop(member_id, None)


def _slots(request: Request) -> ExportSlots:
    state = request.app.state
    slots: ExportSlots | None = getattr(state, "export_slots", None)
    if slots is None:
        slots = state.export_slots = ExportSlots()
    return slots


class _Download(StreamingResponse):
    """A streamed body that closes the export's snapshot, and gives back its caller's export
    place, however the response ends: finished, failed, or the client gone."""

    def __init__(
        self,
        export: service.Export,
        content: AsyncIterator[bytes],
        release: Callable[[], None],
        **kw: Any,
    ) -> None:
        super().__init__(content, **kw)
        self._export = export
        self._content = content
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
            with anyio.CancelScope(shield=True):
                aclose = getattr(self._content, "aclose", None)
                if aclose is not None:
                    await aclose()
                await self._export.aclose()


@router.get(
    "/v1/me/export",
    summary="Export your data",
    description=(
        "Everything you own, read from one consistent moment and streamed as it is read: "
        "your profile; your connections with when you connected and your note, how you met "
        "and your tags on each; whom you follow; your followers; your pending invitations, "
        "sent and received; the members you blocked.\n\n"
        "**Formats.** JSON by default (`application/json`, one document). `kind=connections|"
        "following|followers|invitations|blocks` gives that one list as a CSV file "
        "(`text/csv`; invitations have a `direction` column, `sent` or `received`). Without "
        "`kind`, `format=csv` or an `Accept` header that ranks `text/csv` (or "
        "`application/zip`) above `application/json` gives a zip with one CSV per kind; "
        "`format=json` forces JSON. `format` wins over `Accept`: with `kind`, `format=json` "
        "gives that one list as JSON, the document with only that kind's lists "
        "(`ExportPart`).\n\n"
        "CSV files are UTF-8 with a header line; times are ISO 8601 UTC; `tags` is a JSON "
        "array; a text cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage "
        "return is prefixed with `'` so spreadsheets don't run it as a formula. Every list "
        "is newest first. The answer is a download (`Content-Disposition: attachment`) and "
        "is not cached.\n\n"
        "**At most 2 at once** (`CONNECT_API_EXPORT_CONCURRENCY_PER_CALLER`, counted per "
        "process): another download while two are running is `429 too_many_exports` with "
        "`Retry-After`."
    ),
    response_model=None,
    responses={
        200: {
            "description": "The export, as negotiated.",
            "model": ExportDocument | ExportPart,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **responses(TooManyExports),
    },
)
async def export_my_data(
    ctx: Ctx,
    principal: CurrentPrincipal,
    request: Request,
    kind: Annotated[ExportKind | None, Query(description="One list, as a CSV file.")] = None,
    fmt: Annotated[
        ExportFormat | None,
        Query(alias="format", description="`json` or `csv`; overrides `Accept`."),
    ] = None,
) -> Response:
    as_csv = (
        fmt is ExportFormat.csv if fmt is not None else _prefers_csv(request.headers.get("accept"))
    )
    slots, member_id = _slots(request), principal.member_id
    slots.take(member_id, ctx.settings.export_concurrency_per_caller)
    try:
        export = await service.open_export(ctx, member_id)
    except BaseException:
        slots.give_back(member_id)
        raise
    stem = f"connect-export-{export.member.id}-{export.now:%Y%m%d}"
    if kind is not None and fmt is ExportFormat.json:
        content, media, name = export.json(kind), "application/json", f"{stem}-{kind}.json"
    elif kind is not None:
        content, media, name = export.csv(kind), "text/csv; charset=utf-8", f"{stem}-{kind}.csv"
    elif as_csv:
        content, media, name = export.zip(), "application/zip", f"{stem}.zip"
    else:
        content, media, name = export.json(), "application/json", f"{stem}.json"
    return _Download(
        export,
        content,
        lambda: slots.give_back(member_id),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "Vary": "Accept",
        },
    )
