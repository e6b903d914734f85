"""SQL about connections. A connection is two rows, one per direction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    delete,
    exists,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import visibility
from connect_api.core.models import Connection, NetworkVisibility
from connect_api.kit.database import Database


async def are_connected(session: AsyncSession, a: int, b: int) -> bool:
    stmt = select(exists().where(Connection.member_id == a, Connection.other_id == b))
    return bool(await session.scalar(stmt))


async def delete_pair(session: AsyncSession, a: int, b: int) -> bool:
    result = await session.execute(
        delete(Connection)
        .where(
            or_(
                and_(Connection.member_id == a, Connection.other_id == b),
                and_(Connection.member_id == b, Connection.other_id == a),
            )
        )
        .returning(Connection.member_id)
    )
    return len(result.all()) == 2


@dataclass(frozen=True)
class ListedConnection:
    id: int
    handle: str
    display_name: str
    headline: str | None
    connected_at: datetime
    position: tuple[Any, int]  # the row's keyset position: (connected at or name key, id)


@dataclass(frozen=True)
class ConnectionsPage:
    caller_exists: bool
    viewing: visibility.Viewing  # what decides whether the caller may see the list
    rows: list[ListedConnection]


def _escape_like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _page_sql(*, by_name: bool, after: bool, q: bool, tagged: bool) -> str:
    """One statement for one page of a member's connections, with the checks it rests on.

    ``$1`` the caller, ``$2`` the listed member, ``$3`` the limit, ``$4`` whether the caller is
    an admin; then, as present, the cursor (``$5``, ``$6``), the ``q`` pattern and the tag key.
    The page walks ``ix_connections_member_recent`` (newest first) or
    ``ix_connections_member_name`` (by the other member's ``lower(display_name)``, then id) in
    order and stops after ``limit`` rows: at the cap a first page by name costs what one
    newest first does. Members a block hides
    from the caller are left out of someone else's list (checked only when the caller has a
    block either way: most never do).
    """
    key = "c.other_name_key" if by_name else "c.created_at"
    order = "c.other_name_key, c.other_id" if by_name else "c.created_at DESC, c.other_id DESC"
    where = ["c.member_id = $2"]
    n = 4
    if after:
        where.append(f"({key}, c.other_id) {'>' if by_name else '<'} (${n + 1}, ${n + 2})")
        n += 2
    if q:
        n += 1
        where.append(f"(m.display_name ILIKE ${n} OR m.handle ILIKE ${n})")
    if tagged:
        n += 1
        # The tagged members as one sorted array: the member's rows are then fetched from the
        # primary key and sorted (as many as carry the tag). Written as a join, the generic
        # plan probed ix_connections_member_recent for each tagged member instead, a skip scan
        # of the whole range each time (78 ms for 509 tags of a member at the cap).
        tag = (
            "c.other_id = ANY (ARRAY(SELECT t.member_id FROM connection_tags t"  # noqa: S608
            f" WHERE t.author_id = $1 AND t.key = ${n} ORDER BY t.member_id))"
        )
        where.append(tag)
    return f"""
WITH v AS (
    SELECT EXISTS (SELECT 1 FROM members WHERE id = $1) AS caller_exists,
           (SELECT network_visibility FROM members WHERE id = $2) AS network_visibility,
           EXISTS (SELECT 1 FROM connections WHERE member_id = $1 AND other_id = $2)
               AS connected,
           $1 <> $2 AND EXISTS (SELECT 1 FROM blocks
                                WHERE (blocker_id = $1 AND blocked_id = $2)
                                   OR (blocker_id = $2 AND blocked_id = $1)) AS blocked,
           $1 <> $2 AND (EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1)
                         OR EXISTS (SELECT 1 FROM blocks WHERE blocked_id = $1)) AS screen
)
SELECT v.caller_exists, v.network_visibility, v.connected, v.blocked, p.*
FROM v
LEFT JOIN LATERAL (
    SELECT m.id, m.handle, m.display_name, m.headline, c.created_at, {key} AS position
    FROM connections c
    JOIN members m ON m.id = c.other_id
    -- Who may see the list is `visibility.sight`'s to say, from the facts above; the rows are
    -- read only where it could say yes (the member themself, one of their connections, or
    -- an admin).
    WHERE v.network_visibility IS NOT NULL AND ($1 = $2 OR v.connected OR $4)
      AND {" AND ".join(where)}
      AND NOT (v.screen AND EXISTS (
          SELECT 1 FROM blocks b
          WHERE (b.blocker_id = $1 AND b.blocked_id = c.other_id)
             OR (b.blocker_id = c.other_id AND b.blocked_id = $1)))
    ORDER BY {order}
    LIMIT $3
) p ON true
"""  # noqa: S608 - every piece is a constant of this function; values are parameters


_PAGE_SQL = {
    (by_name, after, q, tagged): _page_sql(by_name=by_name, after=after, q=q, tagged=tagged)
    for by_name in (False, True)
    for after in (False, True)
    for q in (False, True)
    for tagged in (False, True)
}


async def page(
    db: Database,
    caller_id: int,
    member_id: int,
    *,
    by_name: bool,
    limit: int,
    after: tuple[Any, int] | None,
    q: str | None,
    tag_key: str | None = None,
    admin: bool = False,
) -> ConnectionsPage:
    """One page of a member's connections as the caller may see it, newest first or by name
    as PostgreSQL lowers it (the position carries that very value, so a page boundary never
    depends on Python and PostgreSQL agreeing on case). ``tag_key``: only those the caller
    tagged with it."""
    sql = _PAGE_SQL[(by_name, after is not None, bool(q), tag_key is not None)]
    args: list[Any] = [caller_id, member_id, limit, admin]
    if after is not None:
        args.extend(after)
    if q:
        args.append(_escape_like(q))
    if tag_key is not None:
        args.append(tag_key)
    rows = await db.fetch(sql, *args)
    first = rows[0]
    viewing = visibility.Viewing(
        viewer_id=caller_id,
        member_id=member_id,
        exists=first[1] is not None,
        blocked=first[3],
        connected=first[2],
        network_visibility=NetworkVisibility(first[1] or "connections"),
        admin=admin,
    )
    listed = [
        ListedConnection(r[4], r[5], r[6], r[7], r[8], (r[9], r[4]))
        for r in rows
        if r[4] is not None
    ]
    return ConnectionsPage(first[0], viewing, listed)
