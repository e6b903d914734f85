"""SQL about notes and tags. Both hang off the author's row of a connection (cascade)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import ConnectionTag, Note
from connect_api.core.tags import Tag


async def get_note(session: AsyncSession, author_id: int, member_id: int) -> Note | None:
    return await session.get(Note, (author_id, member_id))


async def put_note(
    session: AsyncSession,
    author_id: int,
    member_id: int,
    *,
    body: str,
    how_we_met: str | None,
    now: datetime,
) -> tuple[Note, bool]:
    """Create or replace the note; ``True`` when created. Callers hold the author's lock."""
    note = await session.get(Note, (author_id, member_id), populate_existing=True)
    created = note is None
    if note is None:
        note = Note(author_id=author_id, member_id=member_id, created_at=now)
        session.add(note)
    note.body, note.how_we_met, note.updated_at = body, how_we_met, now
    await session.flush()
    return note, created


async def delete_note(session: AsyncSession, author_id: int, member_id: int) -> None:
    await session.execute(
        delete(Note).where(Note.author_id == author_id, Note.member_id == member_id)
    )


async def tag_names(session: AsyncSession, author_id: int, member_id: int) -> list[str]:
    rows = await session.scalars(
        select(ConnectionTag.name).where(
            ConnectionTag.author_id == author_id, ConnectionTag.member_id == member_id
        )
    )
    return list(rows)


async def names_elsewhere(
    session: AsyncSession, author_id: int, member_id: int, keys: Sequence[str]
) -> dict[str, str]:
    """How the author already writes these tags on their other connections (key -> name)."""
    if not keys:
        return {}
    rows = await session.execute(
        select(ConnectionTag.key, func.min(ConnectionTag.name))
        .where(
            ConnectionTag.author_id == author_id,
            ConnectionTag.key.in_(keys),
            ConnectionTag.member_id != member_id,
        )
        .group_by(ConnectionTag.key)
    )
    return {key: name for key, name in rows.all()}


async def replace_tags(
    session: AsyncSession, author_id: int, member_id: int, tags: Sequence[Tag], now: datetime
) -> None:
    """Make ``tags`` the whole set on the connection; tags kept keep their ``created_at``."""
    await session.execute(
        delete(ConnectionTag).where(
            ConnectionTag.author_id == author_id,
            ConnectionTag.member_id == member_id,
            ConnectionTag.key.not_in([t.key for t in tags]),
        )
    )
    if not tags:
        return
    stmt = insert(ConnectionTag).values(
        [
            {
                "author_id": author_id,
                "member_id": member_id,
                "key": t.key,
                "name": t.name,
                "created_at": now,
            }
            for t in tags
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ConnectionTag.author_id, ConnectionTag.member_id, ConnectionTag.key],
            set_={"name": stmt.excluded.name},
        )
    )


async def tag_counts(session: AsyncSession, author_id: int) -> list[tuple[str, int]]:
    """(name, connections carrying it) for each tag the author uses."""
    rows = await session.execute(
        select(func.min(ConnectionTag.name), func.count())
        .where(ConnectionTag.author_id == author_id)
        .group_by(ConnectionTag.key)
    )
    return [(name, count) for name, count in rows.all()]
