"""The data export: everything a member owns, streamed from one snapshot.

:func:`open_export` opens the snapshot and checks the caller *before* anything is sent, so a
refusal is still an ordinary problem+json answer. The body is then written in chunks of
:data:`repository.CHUNK` rows as the server-side cursors yield them (PostgreSQL has already
written each row as JSON or CSV cells): memory stays flat whatever the member's size.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from connect_api.core.models import Member
from connect_api.exports import repository
from connect_api.exports.schemas import CSV_COLUMNS, JSON_KEYS, ExportKind
from connect_api.kit.context import AppContext
from connect_api.kit.replicas import falls_back
from connect_api.members.access import require_member

JsonRow = dict[str, Any]

# Each list: the queries that read it, given (member id, now, as JSON?).
Queries = Callable[[int, datetime, bool], Sequence[repository.AnySelect]]

JSON_SECTIONS: dict[str, Queries] = {
    "connections": lambda me, now, j: [repository.connections(me, as_json=j)],
    "following": lambda me, now, j: [repository.following(me, as_json=j)],
    "followers": lambda me, now, j: [repository.followers(me, as_json=j)],
    "invitations_sent": lambda me, now, j: [repository.invitations(me, now, sent=True, as_json=j)],
    "invitations_received": lambda me, now, j: [
        repository.invitations(me, now, sent=False, as_json=j)
    ],
    "blocks": lambda me, now, j: [repository.blocks(me, as_json=j)],
}
CSV_SECTIONS: dict[ExportKind, Queries] = {
    ExportKind.connections: JSON_SECTIONS["connections"],
    ExportKind.following: JSON_SECTIONS["following"],
    ExportKind.followers: JSON_SECTIONS["followers"],
    ExportKind.invitations: lambda me, now, j: [
        repository.invitations(me, now, sent=True, as_json=j),
        repository.invitations(me, now, sent=False, as_json=j),
    ],
    ExportKind.blocks: JSON_SECTIONS["blocks"],
}


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Sink:
    """Where the zip writer puts its bytes until the stream takes them (no seeking)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class Export:
    """An open snapshot of one member's data, ready to be written out once."""

    def __init__(
        self, stack: AsyncExitStack, conn: AsyncConnection, member: Member, now: datetime
    ) -> None:
        self._stack = stack
        self._conn = conn
        self.member = member
        self.now = now

    async def aclose(self) -> None:
        await self._stack.aclose()

    def profile(self) -> JsonRow:
        m = self.member
        return {
            "id": m.id,
            "handle": m.handle,
            "display_name": m.display_name,
            "headline": m.headline,
            "created_at": _when(m.created_at),
            "connection_count": m.connection_count,
            "follower_count": m.follower_count,
            "following_count": m.following_count,
        }

    async def _rows(self, queries: Queries, as_json: bool) -> AsyncIterator[list[Any]]:
        for stmt in queries(self.member.id, self.now, as_json):
            async for part in repository.rows(self._conn, stmt):
                yield part

    async def json(self, kind: ExportKind | None = None) -> AsyncIterator[bytes]:
        """One JSON document, written a chunk of rows at a time: every list, or ``kind``'s."""
        head = {"exported_at": _when(self.now), "member": self.profile()}
        opening = _dumps(head)[:-1]  # leave the object open for the lists
        sections = [
            (name, queries)
            for name, queries in JSON_SECTIONS.items()
            if kind is None or name in JSON_KEYS[kind]
        ]
        for n, (name, queries) in enumerate(sections):
            text = (opening if n == 0 else "]") + f',"{name}":['
            first = True
            async for part in self._rows(queries, True):
                rows = ",".join(document for (document,) in part)
                yield ((text if first else ",") + rows).encode()
                text, first = "", False
            if text:
                yield text.encode()
        yield b"]}"

    async def csv(self, kind: ExportKind) -> AsyncIterator[bytes]:
        """One CSV file (RFC 4180, UTF-8, a header line first)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS[kind])
        async for part in self._rows(CSV_SECTIONS[kind], False):
            writer.writerows(part)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode()

    async def zip(self) -> AsyncIterator[bytes]:
        """A zip of one CSV per kind, compressed and sent as it is written."""
        sink = _Sink()
        # The fastest deflate level: a fifth of the CSV's size, at a fraction of the time.
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for kind in ExportKind:
                with archive.open(f"{kind.value}.csv", "w") as entry:
                    async for chunk in self.csv(kind):
                        entry.write(chunk)
                        if data := sink.take():
                            yield data
        yield sink.take()


async def open_export(ctx: AppContext, caller_id: int) -> Export:
    """Open the caller's snapshot (401 when their member is gone). The caller must
    :meth:`Export.aclose` it, whether or not it was written out."""
    engines = ctx.db.read_engines()  # a replica first, when one may serve the caller
    for engine in engines:
        stack = AsyncExitStack()
        try:
            conn = await stack.enter_async_context(repository.snapshot(engine))
            async with AsyncSession(bind=conn, expire_on_commit=False) as session:
                member = await require_member(session, caller_id)
            return Export(stack, conn, member, ctx.clock.now())
        except BaseException as exc:
            await stack.aclose()
            if engine is engines[-1] or not falls_back(exc):
                raise
    raise AssertionError("unreachable")  # the primary, last, returns or raises
