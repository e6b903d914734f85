"""SQL about connections. A connection is two rows, one per direction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    any_,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.blocks.repository import hides
from connect_api.models import Connection, ConnectionTag, Member


async def are_connected(session: AsyncSession, a: int, b: int) -> bool:
    stmt = select(exists().where(Connection.member_id == a, Connection.other_id == b))
    return bool(await session.scalar(stmt))


async def connected_since(session: AsyncSession, a: int, b: int) -> datetime | None:
    return await session.scalar(
        select(Connection.created_at).where(Connection.member_id == a, Connection.other_id == b)
    )


async def insert_pair(session: AsyncSession, a: int, b: int, now: datetime) -> bool:
    """Connect ``a`` and ``b``; ``False`` when they already were."""
    result = await session.execute(
        insert(Connection)
        .values(
            [
                {"member_id": a, "other_id": b, "created_at": now},
                {"member_id": b, "other_id": a, "created_at": now},
            ]
        )
        .on_conflict_do_nothing()
        .returning(Connection.member_id)
    )
    return len(result.all()) == 2


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


def _name_key() -> ColumnElement[str]:
    return func.lower(Member.display_name)


async def list_page(
    session: AsyncSession,
    member_id: int,
    *,
    by_name: bool,
    limit: int,
    after: tuple[Any, int] | None,
    q: str | None,
    tagged: tuple[int, str] | None = None,
    hidden_from: int | None = None,
) -> list[tuple[Member, datetime, tuple[Any, int]]]:
    """One page of a member's connections: (member, connected at, the row's keyset position).

    Newest first, or by name as PostgreSQL lowers it (the position carries that very value,
    so a page boundary never depends on Python and PostgreSQL agreeing on case).

    Newest first reads ``ix_connections_member_recent`` in order. By name, no index orders
    one member's connections, and left to itself the planner may walk the global name index
    against the member's rows (quadratic in a prepared statement's generic plan). So the
    name query always, whatever the estimates:

    1. reads the member's ``other_id`` values from the primary key, in id order, into an array;
    2. fetches those members in one ``pk_members`` scan: ``id = ANY(sorted array)`` reads the
       leaf pages in order instead of descending the index once per id;
    3. computes ``lower(display_name)`` once per row (``OFFSET 0`` keeps it in the subquery),
       applies the cursor and keeps the first ``limit`` with a top-N sort of ``(key, id)``;
    4. joins ``members`` and ``connections`` by primary key for those rows only.

    ``tagged=(author_id, key)`` keeps the connections that author tagged with that key. By
    name, step 1 then reads the author's tagged members from ``ix_connection_tags_author_key``
    (already in id order) instead, each checked against the listed member's primary key unless
    the list is the author's own. Newest first, the tagged members are a semi-join on the walk
    of ``ix_connections_member_recent``.

    ``hidden_from=viewer`` leaves out the members a block (either way) hides from the viewer.
    """
    if by_name:
        if tagged is None:
            others = (
                select(Connection.other_id)
                .where(Connection.member_id == member_id)
                .order_by(Connection.other_id)
                .scalar_subquery()
            )
        else:
            mine = _tagged_by(*tagged)
            if tagged[0] != member_id:
                mine = mine.join(
                    Connection,
                    and_(
                        Connection.member_id == member_id,
                        Connection.other_id == ConnectionTag.member_id,
                    ),
                )
            others = mine.order_by(ConnectionTag.member_id).scalar_subquery()
        keyed = select(Member.id, _name_key().label("k")).where(
            Member.id == any_(func.array(others, type_=ARRAY(BigInteger)))
        )
        if q:
            keyed = keyed.where(_matches(q))
        if hidden_from is not None:
            keyed = keyed.where(~hides(hidden_from, Member.id))
        ks = keyed.offset(0).subquery("keyed")
        page = select(ks.c.id, ks.c.k)
        if after is not None:
            page = page.where(tuple_(ks.c.k, ks.c.id) > tuple_(*after))
        top = page.order_by(ks.c.k, ks.c.id).limit(limit).subquery("page")
        stmt = (
            select(Member, Connection.created_at, top.c.k)
            .select_from(top)
            .join(Member, Member.id == top.c.id)
            .join(
                Connection,
                and_(Connection.member_id == member_id, Connection.other_id == top.c.id),
            )
            .order_by(top.c.k, top.c.id)
        )
        return [(m, at, (k, m.id)) for m, at, k in (await session.execute(stmt)).all()]
    key = (Connection.created_at, Connection.other_id)
    stmt = (
        select(Member, Connection.created_at, key[0])
        .join(Member, Member.id == Connection.other_id)
        .where(Connection.member_id == member_id)
        .order_by(*(k.desc() for k in key))
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(tuple_(*key) < tuple_(*after))
    if q:
        stmt = stmt.where(_matches(q))
    if tagged is not None:
        stmt = stmt.where(Connection.other_id.in_(_tagged_by(*tagged)))
    if hidden_from is not None:
        stmt = stmt.where(~hides(hidden_from, Connection.other_id))
    return [(m, at, (k, m.id)) for m, at, k in (await session.execute(stmt)).all()]


def _tagged_by(author_id: int, key: str) -> Select[int]:
    return select(ConnectionTag.member_id).where(
        ConnectionTag.author_id == author_id, ConnectionTag.key == key
    )


def _matches(q: str) -> ColumnElement[bool]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        Member.display_name.ilike(pattern, escape="\\"), Member.handle.ilike(pattern, escape="\\")
    )
