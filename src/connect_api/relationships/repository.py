"""SQL for the relationships look-up: each function answers for every id at once.

The look-up runs a fixed number of statements whatever the number of ids (at most 100):
members with the pair facts, the invitation histories, mutual connections, shared groups,
and the degree-3 probe for the ids left over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from connect_api.blocks.repository import hides
from connect_api.models import Connection, Follow, GroupMember, Invitation, Member
from connect_api.policy import PairInvitation

# Aliases are built once: building them per call costs more than the queries themselves.
_MY_CONNECTION = aliased(Connection, name="mine")
_THEIR_CONNECTION = aliased(Connection, name="theirs")
_MIDDLE_CONNECTION = aliased(Connection, name="middle")


async def plan_for_these_ids(session: AsyncSession) -> None:
    """Plan this transaction's statements for the ids and member at hand.

    Prepared statements switch to a generic plan after five runs, and a generic plan assumes
    an average member. For a member with a thousand connections that plan walks every
    mutual candidate through an index, 40 times slower than the hash join a plan for the
    actual ids picks. Planning each look-up costs well under a millisecond a statement."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


@dataclass(frozen=True)
class PairFacts:
    member_id: int
    connection_count: int
    hidden: bool  # a block stands between the caller and this member, either way
    connected_at: datetime | None
    following: bool  # the caller follows them
    followed_by: bool  # they follow the caller


async def pair_facts(session: AsyncSession, me: int, ids: Sequence[int]) -> dict[int, PairFacts]:
    """One row per existing member among ``ids``, with what stands between them and ``me``."""
    connected_at = (
        select(Connection.created_at)
        .where(Connection.member_id == me, Connection.other_id == Member.id)
        .scalar_subquery()
    )
    stmt = select(
        Member.id,
        Member.connection_count,
        hides(me, Member.id),
        connected_at,
        exists().where(Follow.follower_id == me, Follow.followee_id == Member.id),
        exists().where(Follow.follower_id == Member.id, Follow.followee_id == me),
    ).where(Member.id.in_(ids))
    return {row[0]: PairFacts(*row) for row in (await session.execute(stmt)).all()}


async def invitation_histories(
    session: AsyncSession, me: int, ids: Sequence[int]
) -> dict[int, list[PairInvitation]]:
    """Every invitation between ``me`` and each of ``ids``, newest first, by the other's id."""
    stmt = (
        select(
            Invitation.id,
            Invitation.inviter_id,
            Invitation.status,
            Invitation.decline_reason,
            Invitation.created_at,
            Invitation.expires_at,
            Invitation.responded_at,
            Invitation.invitee_id,
        )
        .where(
            or_(
                and_(Invitation.inviter_id == me, Invitation.invitee_id.in_(ids)),
                and_(Invitation.invitee_id == me, Invitation.inviter_id.in_(ids)),
            )
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    out: dict[int, list[PairInvitation]] = defaultdict(list)
    for row in (await session.execute(stmt)).all():
        inv = PairInvitation(*row[:7])
        out[row.invitee_id if inv.inviter_id == me else inv.inviter_id].append(inv)
    return out


async def mutual_counts(session: AsyncSession, me: int, ids: Sequence[int]) -> dict[int, int]:
    """How many connections each of ``ids`` shares with ``me``."""
    return await _shared(session, Connection.member_id, Connection.other_id, me, ids)


async def shared_group_counts(session: AsyncSession, me: int, ids: Sequence[int]) -> dict[int, int]:
    """How many groups each of ``ids`` shares with ``me``."""
    return await _shared(session, GroupMember.member_id, GroupMember.group_id, me, ids)


async def _shared(
    session: AsyncSession,
    owner: InstrumentedAttribute[int],
    item: InstrumentedAttribute[int],
    me: int,
    ids: Sequence[int],
) -> dict[int, int]:
    mine = select(item).where(owner == me)
    stmt = select(owner, func.count()).where(owner.in_(ids), item.in_(mine)).group_by(owner)
    return {m: int(n) for m, n in (await session.execute(stmt)).all()}


async def within_three(
    session: AsyncSession, me: int, ids: Sequence[int], *, from_me: bool
) -> set[int]:
    """Which of ``ids`` (none of them 1st or 2nd degree) are 3rd degree: connected to a member
    who is connected to one of ``me``'s connections.

    Two ways to the same answer, and the caller picks the cheaper: ``from_me`` gathers the
    members two steps from ``me`` once and matches the ids' connections against them (cost:
    the connections of ``me``'s connections); otherwise each id is probed from its own side,
    stopping at the first path found (cost: the connections of the ids' connections, at worst).
    """
    if not ids:
        return set()
    theirs, middle, mine = _THEIR_CONNECTION, _MIDDLE_CONNECTION, _MY_CONNECTION
    if from_me:
        two_steps = (
            select(middle.other_id)
            .join(mine, middle.member_id == mine.other_id)
            .where(mine.member_id == me)
        )
        stmt = (
            select(theirs.member_id)
            .where(theirs.member_id.in_(ids), theirs.other_id.in_(two_steps))
            .distinct()
        )
        return set(await session.scalars(stmt))
    path = exists().where(
        theirs.member_id == Member.id,
        middle.member_id == theirs.other_id,
        mine.member_id == me,
        mine.other_id == middle.other_id,
    )
    return set(await session.scalars(select(Member.id).where(Member.id.in_(ids), path)))
