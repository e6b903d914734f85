"""Notes and tags: private annotations a member keeps on their connections.

Only the author ever reads them; no event is recorded for them. A write locks the author's
member row first: removal, block and erasure lock both members, so a write and the end of
the connection never interleave (and the note or tags never outlive it).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.connections import repository as connections
from connect_api.core.models import Note
from connect_api.core.tags import Tag, display_order, normalise_all
from connect_api.kit.context import AppContext
from connect_api.kit.errors import NotFound
from connect_api.members import repository as members
from connect_api.members.access import caller_from, require_member
from connect_api.notes import repository as notes


class NotConnected(NotFound):
    """You are not connected to this member."""

    def __init__(self) -> None:
        super().__init__("You are not connected to this member.")


class NoNote(NotFound):
    """You have no note on this member."""

    def __init__(self) -> None:
        super().__init__("You have no note on this member.")


async def _lock_connected(session: AsyncSession, caller_id: int, member_id: int) -> None:
    caller_from(await members.lock(session, caller_id), caller_id)
    if not await connections.are_connected(session, caller_id, member_id):
        raise NotConnected()


async def _require_connected(session: AsyncSession, caller_id: int, member_id: int) -> None:
    await require_member(session, caller_id)
    if not await connections.are_connected(session, caller_id, member_id):
        raise NotConnected()


async def get_note(session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int) -> Note:
    await require_member(session, caller_id)
    note = await notes.get_note(session, caller_id, member_id)
    if note is None:
        raise NoNote()
    return note


async def put_note(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    member_id: int,
    *,
    body: str,
    how_we_met: str | None,
) -> tuple[Note, bool]:
    """Create or replace the caller's note on a connection; ``True`` when created."""
    await _lock_connected(session, caller_id, member_id)
    return await notes.put_note(
        session, caller_id, member_id, body=body, how_we_met=how_we_met, now=ctx.clock.now()
    )


async def delete_note(
    session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int
) -> None:
    await _lock_connected(session, caller_id, member_id)
    await notes.delete_note(session, caller_id, member_id)


async def get_tags(
    session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int
) -> list[str]:
    await _require_connected(session, caller_id, member_id)
    return display_order(await notes.tag_names(session, caller_id, member_id))


async def put_tags(
    session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int, raw: Sequence[str]
) -> list[str]:
    """Replace the caller's tags on a connection. A tag the caller already uses on another
    connection keeps the spelling it has there, so one tag has one name."""
    tags = normalise_all(raw)  # refuse bad input before taking any lock
    await _lock_connected(session, caller_id, member_id)
    known = await notes.names_elsewhere(session, caller_id, member_id, [t.key for t in tags])
    tags = [Tag(key=t.key, name=known.get(t.key, t.name)) for t in tags]
    await notes.replace_tags(session, caller_id, member_id, tags, ctx.clock.now())
    return display_order(t.name for t in tags)


async def tag_counts(
    session: AsyncSession, ctx: AppContext, caller_id: int
) -> list[tuple[str, int]]:
    await require_member(session, caller_id)
    counts = await notes.tag_counts(session, caller_id)
    by_name = {name: n for n, name in enumerate(display_order(name for name, _ in counts))}
    return sorted(counts, key=lambda nc: (-nc[1], by_name[nc[0]]))
