"""SQL about invitations. Facts only: what the rules make of them is the policy module's."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    any_,
    delete,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import CollectionAggregate

from connect_api.core.models import DeclineReason, Invitation, InvitationStatus, Member
from connect_api.core.policy import InviterRecord, PairInvitation
from connect_api.kit.database import Work, driver
from connect_api.members.repository import MEMBER_COLUMNS, detached_members, hides

S = InvitationStatus


def _pair(a: int, b: int) -> ColumnElement[bool]:
    return or_(
        and_(Invitation.inviter_id == a, Invitation.invitee_id == b),
        and_(Invitation.inviter_id == b, Invitation.invitee_id == a),
    )


# The hot writes' statements (send, accept, decline, withdraw): prepared once per connection
# on the session's transaction (kit.database.driver), rows made into detached invitations.
_COLUMNS = (
    "i.id, i.inviter_id, i.invitee_id, i.message, i.status::text, i.decline_reason::text, "
    "i.created_at, i.expires_at, i.responded_at"
)
_BLOCK_BETWEEN = """EXISTS (SELECT 1 FROM blocks k
    WHERE (k.blocker_id = i.inviter_id AND k.blocked_id = i.invitee_id)
       OR (k.blocker_id = i.invitee_id AND k.blocked_id = i.inviter_id))"""
_VISIBLE_ROW = f"""SELECT {_COLUMNS} FROM invitations i
WHERE i.id = $1 AND $2 IN (i.inviter_id, i.invitee_id) AND NOT {_BLOCK_BETWEEN}"""  # noqa: S608
_LOCK_ROW = (
    f"SELECT {_COLUMNS}, {_BLOCK_BETWEEN} FROM invitations i WHERE i.id = $1 FOR UPDATE OF i"  # noqa: S608
)
# An answer (decline, withdrawal) and its event ($5 type, $6 audience, $7 data) in one
# statement.
_ANSWER_ROW = """WITH a AS (
    UPDATE invitations
    SET status = $2::text::invitation_status, responded_at = $3,
        decline_reason = coalesce($4::text::decline_reason, decline_reason)
    WHERE id = $1
)
INSERT INTO events (type, occurred_at, audience, data) VALUES ($5, $3, $6, $7)"""
# The two members of an invitation the caller ($2) is one of, locked in id order, when no
# block stands between them: the first lock an answer takes (no rows: not the caller's to see).
_LOCK_MEMBERS = f"""SELECT {MEMBER_COLUMNS} FROM members
WHERE id IN (SELECT v.id FROM invitations i, LATERAL (VALUES (i.inviter_id), (i.invitee_id)) v (id)
             WHERE i.id = $1 AND $2 IN (i.inviter_id, i.invitee_id) AND NOT {_BLOCK_BETWEEN})
ORDER BY id FOR UPDATE"""  # noqa: S608
_INVITER_RECORDS = """SELECT inviter_id,
       count(*) FILTER (WHERE status = 'declined' AND decline_reason::text = ANY($3::text[])),
       count(*) FILTER (WHERE status = 'declined'),
       count(*) FILTER (WHERE status IN ('accepted', 'declined'))
FROM invitations
WHERE inviter_id = ANY($1::bigint[]) AND responded_at > $2
GROUP BY inviter_id"""
_REPORTS = [DeclineReason.dont_know.value, DeclineReason.spam.value]
# A send: the invitation and its ``invitation.created`` event (to both members) in one
# statement.
_INSERT_ROW = (
    """WITH i AS (
    INSERT INTO invitations (inviter_id, invitee_id, message, status, created_at, expires_at)
    VALUES ($1, $2, $3, 'pending', $4, $5)
    RETURNING *
), e AS (
    INSERT INTO events (type, occurred_at, audience, data)
    SELECT 'invitation.created', $4, ARRAY[least($1, $2), greatest($1, $2)]::bigint[],
           jsonb_build_object('invitation_id', i.id, 'inviter_id', i.inviter_id,
                              'invitee_id', i.invitee_id)
    FROM i
)
SELECT """  # noqa: S608 - constants of this module; values are parameters
    + _COLUMNS
    + " FROM i"
)
# The pair's overdue pending invitations ($1, $2 either way round) marked expired.
_EXPIRE_PAIR = f"""UPDATE invitations i SET status = 'expired', responded_at = i.expires_at
WHERE ((i.inviter_id = $1 AND i.invitee_id = $2) OR (i.inviter_id = $2 AND i.invitee_id = $1))
  AND i.status = 'pending' AND i.expires_at <= $3
RETURNING {_COLUMNS}"""  # noqa: S608
# An accept: both connection rows, a follow each way (spec 2.8; those not there already), the
# three counters of both members from what was inserted, the invitation answered and its
# ``invitation.accepted`` event ($5: audience, $6: data), in one statement. $1 and $2 are the
# inviter and the invitee (locked by the caller), $3 the time, $4 the (locked) invitation.
# Were they connected already, no connection or follow would be inserted: ``made`` says so.
_ACCEPT_ROW = """
WITH c AS (
    INSERT INTO connections (member_id, other_id, created_at)
    VALUES ($1, $2, $3), ($2, $1, $3)
    ON CONFLICT DO NOTHING
    RETURNING member_id
), f AS (
    INSERT INTO follows (follower_id, followee_id, created_at)
    SELECT x.a, x.b, $3 FROM (VALUES ($1::bigint, $2::bigint), ($2, $1)) x (a, b)
    WHERE (SELECT count(*) FROM c) = 2
    ON CONFLICT DO NOTHING
    RETURNING follower_id, followee_id
), answered AS (
    UPDATE invitations SET status = 'accepted', responded_at = $3 WHERE id = $4
), e AS (
    INSERT INTO events (type, occurred_at, audience, data)
    VALUES ('invitation.accepted', $3, $5, $6)
)
UPDATE members m
SET connection_count = m.connection_count + (SELECT count(*) FROM c WHERE c.member_id = m.id),
    following_count = m.following_count + (SELECT count(*) FROM f WHERE f.follower_id = m.id),
    follower_count = m.follower_count + (SELECT count(*) FROM f WHERE f.followee_id = m.id)
WHERE m.id IN ($1, $2)
RETURNING m.id, (SELECT count(*) FROM c) = 2 AS made, m.connection_count, m.follower_count,
          m.following_count
"""


def _detached(r: Sequence[Any]) -> Invitation:
    return Invitation(
        id=r[0],
        inviter_id=r[1],
        invitee_id=r[2],
        message=r[3],
        status=S(r[4]),
        decline_reason=DeclineReason(r[5]) if r[5] is not None else None,
        created_at=r[6],
        expires_at=r[7],
        responded_at=r[8],
    )


async def visible_row(session: Work, invitation_id: int, caller_id: int) -> Invitation | None:
    """The invitation (detached), if the caller is one of its two members and no block stands
    between them (either way)."""
    row = await (await driver(session)).fetchrow(_VISIBLE_ROW, invitation_id, caller_id)
    return _detached(row) if row is not None else None


async def lock_row(session: Work, invitation_id: int) -> tuple[Invitation, bool] | None:
    """Lock the invitation and read it again: it (detached), and whether a block stands
    between its two members now."""
    row = await (await driver(session)).fetchrow(_LOCK_ROW, invitation_id)
    return (_detached(row), bool(row[9])) if row is not None else None


async def lock_members(session: Work, invitation_id: int, caller_id: int) -> dict[int, Member]:
    """Lock the two members of an invitation the caller may see (:data:`_LOCK_MEMBERS`) and
    return them, detached; empty when the caller may not see it (or it does not exist)."""
    rows = await (await driver(session)).fetch(_LOCK_MEMBERS, invitation_id, caller_id)
    return detached_members(rows)


async def answer_row(
    session: Work,
    inv: Invitation,
    status: InvitationStatus,
    now: datetime,
    event: tuple[str, Collection[int], dict[str, Any]],
    reason: DeclineReason | None = None,
) -> None:
    """Write an answer on a locked invitation (and on ``inv``) and its event: ``(type,
    audience, data)``."""
    kind, audience, data = event
    await (await driver(session)).execute(
        _ANSWER_ROW,
        inv.id,
        status.value,
        now,
        reason.value if reason is not None else None,
        kind,
        sorted(set(audience)),
        json.dumps(data),
    )
    inv.status, inv.responded_at = status, now
    if reason is not None:
        inv.decline_reason = reason


async def accept_row(
    session: Work, inv: Invitation, now: datetime, event: dict[str, Any]
) -> tuple[bool, dict[int, tuple[int, int, int]]]:
    """Accept a locked invitation between two locked members (:data:`_ACCEPT_ROW`): whether
    they were not connected before, and each member's connection, follower and following
    counts after."""
    rows = await (await driver(session)).fetch(
        _ACCEPT_ROW,
        inv.inviter_id,
        inv.invitee_id,
        now,
        inv.id,
        sorted({inv.inviter_id, inv.invitee_id}),
        json.dumps(event),
    )
    inv.status, inv.responded_at = S.accepted, now
    made = bool(rows) and all(r[1] for r in rows)
    return made, {r[0]: (r[2], r[3], r[4]) for r in rows}


async def insert_row(
    session: Work,
    *,
    inviter_id: int,
    invitee_id: int,
    message: str | None,
    now: datetime,
    expires_at: datetime,
) -> Invitation:
    """A new pending invitation and its ``invitation.created`` event (a detached invitation)."""
    row = await (await driver(session)).fetchrow(
        _INSERT_ROW, inviter_id, invitee_id, message, now, expires_at
    )
    return _detached(row)


async def end_pending_pair(
    session: AsyncSession, blocker_id: int, blocked_id: int, now: datetime
) -> list[int]:
    """End the pending invitations between the two members of a block; their ids.

    The blocker's own pending invitation is withdrawn, not deleted: it was sent (it counts in
    the blocker's rate windows) and taken back (the cooldown after a withdrawal follows), so a
    block and an unblock are no way round either. Any other (the blocked member's, or one
    already past its time) is removed."""
    withdrawn = await session.scalars(
        update(Invitation)
        .where(
            Invitation.inviter_id == blocker_id,
            Invitation.invitee_id == blocked_id,
            pending(now),
        )
        .values(status=S.withdrawn, responded_at=now)
        .returning(Invitation.id)
    )
    ended = list(withdrawn)
    rows = await session.scalars(
        delete(Invitation)
        .where(_pair(blocker_id, blocked_id), Invitation.status == S.pending)
        .returning(Invitation.id)
    )
    return sorted(ended + list(rows))


async def expire_pair(session: Work, a: int, b: int, now: datetime) -> list[Invitation]:
    """Mark the pair's overdue pending invitations expired (callers hold both members' locks);
    them, detached."""
    rows = await (await driver(session)).fetch(_EXPIRE_PAIR, a, b, now)
    return [_detached(r) for r in rows]


async def expire_due(session: AsyncSession, now: datetime, batch: int) -> list[Invitation]:
    """Mark up to ``batch`` overdue pending invitations expired, skipping rows others hold."""
    due = (
        select(Invitation.id)
        .where(Invitation.status == S.pending, Invitation.expires_at <= now)
        .order_by(Invitation.expires_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.scalars(
        update(Invitation)
        .where(Invitation.id.in_(due))
        .values(status=S.expired, responded_at=Invitation.expires_at)
        .returning(Invitation)
    )
    return list(rows)


@dataclass(frozen=True)
class SendFacts:
    """What a send from ``inviter`` to ``invitee`` is decided on, read in one statement."""

    history: list[PairInvitation]  # every invitation of the pair, newest first
    connected: bool
    blocked: bool  # a block, either way
    pending_outgoing: int  # the inviter's pending invitations
    oldest_pending_expires_at: datetime | None
    recent_sends: tuple[datetime, ...]  # the inviter's sends since ``sends_since``, newest first
    follows_inviter: bool  # the invitee follows the inviter
    shares_group: bool
    in_network: bool  # within 3 degrees; only looked for when ``with_degree`` was asked


# Whether :a and :b (with :na and :nb connections) are at degree 2 or 3 (callers know they are
# not connected): the look-up's walks (relationships/repository.py), from the side with fewer
# connections, stopping at the first path. Degree 2: a common connection, the smaller side's
# connections probed in the larger's primary key. Degree 3: one of the smaller side's
# connections ``o`` at degree 2 from the other side, each test walking the smaller of the two
# connection lists and probing the other's primary key.
_SMALL_LARGE = """(SELECT true FROM connections x
      WHERE x.member_id = {s}
        AND (SELECT true FROM connections y WHERE y.member_id = {l} AND y.other_id = x.other_id)
      LIMIT 1)
   OR EXISTS (
      SELECT 1 FROM connections o
      WHERE o.member_id = {s}
        AND CASE WHEN (SELECT n.connection_count FROM members n WHERE n.id = o.other_id) <= {nl}
            THEN (SELECT true FROM connections x
                  WHERE x.member_id = o.other_id
                    AND (SELECT true FROM connections y
                         WHERE y.member_id = {l} AND y.other_id = x.other_id)
                  LIMIT 1)
            ELSE (SELECT true FROM connections y
                  WHERE y.member_id = {l}
                    AND (SELECT true FROM connections x
                         WHERE x.member_id = o.other_id AND x.other_id = y.other_id)
                  LIMIT 1)
        END)"""
_WITHIN_THREE = """CASE WHEN NOT CAST(:with_degree AS boolean) THEN NULL
         WHEN CAST(:na AS integer) <= CAST(:nb AS integer) THEN {ab}
         ELSE {ba} END""".format(
    ab=_SMALL_LARGE.format(s=":a", l=":b", nl="CAST(:nb AS integer)"),
    ba=_SMALL_LARGE.format(s=":b", l=":a", nl="CAST(:na AS integer)"),
)

_SEND_FACTS_NAMED = f"""
SELECT
    ARRAY(
        SELECT ROW(i.id, i.inviter_id, i.status::text, i.decline_reason::text,
                   i.created_at, i.expires_at, i.responded_at)
        FROM invitations i
        WHERE (i.inviter_id = :a AND i.invitee_id = :b) OR (i.inviter_id = :b AND i.invitee_id = :a)
        ORDER BY i.created_at DESC, i.id DESC
    ) AS history,
    EXISTS (SELECT 1 FROM connections c WHERE c.member_id = :a AND c.other_id = :b) AS connected,
    EXISTS (SELECT 1 FROM blocks k
            WHERE (k.blocker_id = :a AND k.blocked_id = :b)
               OR (k.blocker_id = :b AND k.blocked_id = :a)) AS blocked,
    p.pending, p.oldest_expiry,
    ARRAY(SELECT i.created_at FROM invitations i
          WHERE i.inviter_id = :a AND i.created_at > :since
          ORDER BY i.created_at DESC LIMIT :sends_limit) AS recent_sends,
    EXISTS (SELECT 1 FROM follows x WHERE x.follower_id = :b AND x.followee_id = :a)
        AS follows_inviter,
    EXISTS (SELECT 1 FROM group_members g
            WHERE g.member_id = :a
              AND (SELECT true FROM group_members h
                   WHERE h.group_id = g.group_id AND h.member_id = :b)) AS shares_group,
    {_WITHIN_THREE} AS in_network
FROM (SELECT count(*) AS pending, min(i.expires_at) AS oldest_expiry
      FROM invitations i
      WHERE i.inviter_id = :a AND i.status = 'pending' AND i.expires_at > :now) p
"""  # noqa: S608 - constants of this module; values are parameters
_SEND_FACTS_PARAMETERS = ("a", "b", "now", "since", "sends_limit", "na", "nb", "with_degree")
# The same statement with asyncpg's numbered parameters, in the order above.
_SEND_FACTS = re.sub(
    r"(?<!:):(" + "|".join(_SEND_FACTS_PARAMETERS) + r")\b",
    lambda m: f"${_SEND_FACTS_PARAMETERS.index(m.group(1)) + 1}",
    _SEND_FACTS_NAMED,
)


async def send_facts(
    session: Work,
    inviter_id: int,
    invitee_id: int,
    *,
    now: datetime,
    sends_since: datetime,
    sends_limit: int,
    connection_counts: tuple[int, int] = (0, 0),
    with_degree: bool = False,
) -> SendFacts:
    """Everything the send rule reads about the pair and the inviter, in one round trip
    (callers hold both members' locks, so none of it can change before the write).

    ``with_degree``: also whether the two are within 3 degrees, walked from the side with fewer
    connections (``connection_counts``: the inviter's and the invitee's)."""
    row = await (await driver(session)).fetchrow(
        _SEND_FACTS,
        inviter_id,
        invitee_id,
        now,
        sends_since,
        sends_limit,
        connection_counts[0],
        connection_counts[1],
        with_degree,
    )
    return SendFacts(
        history=[pair_invitation(h) for h in row["history"]],
        connected=row["connected"],
        blocked=row["blocked"],
        pending_outgoing=int(row["pending"]),
        oldest_pending_expires_at=row["oldest_expiry"],
        recent_sends=tuple(row["recent_sends"]),
        follows_inviter=row["follows_inviter"],
        shares_group=row["shares_group"],
        in_network=bool(row["in_network"]),
    )


def pair_invitation(row: Sequence[Any]) -> PairInvitation:
    """A ``ROW(id, inviter_id, status::text, decline_reason::text, created_at, expires_at,
    responded_at)`` as the policy reads it."""
    return PairInvitation(
        row[0],
        row[1],
        InvitationStatus(row[2]),
        DeclineReason(row[3]) if row[3] is not None else None,
        row[4],
        row[5],
        row[6],
    )


async def inviter_records(
    session: Work, inviter_ids: Collection[int], since: datetime
) -> dict[int, InviterRecord]:
    """Each inviter's invitations answered after ``since``, counted in one grouped query.

    Every id asked about is in the answer; one with nothing answered has an empty record."""
    if not inviter_ids:
        return {}
    rows = await (await driver(session)).fetch(
        _INVITER_RECORDS, sorted(set(inviter_ids)), since, _REPORTS
    )
    records = {i: InviterRecord(reports=0, declined=0, decided=0) for i in inviter_ids}
    for inviter_id, n_reports, n_declined, n_decided in rows:
        records[inviter_id] = InviterRecord(
            reports=int(n_reports), declined=int(n_declined), decided=int(n_decided)
        )
    return records


async def received_pending(
    session: AsyncSession, invitee_id: int, now: datetime
) -> list[tuple[int, int]]:
    """(id, inviter id) of every invitation waiting in the invitee's inbox, by id."""
    rows = await session.execute(
        select(Invitation.id, Invitation.inviter_id)
        .where(Invitation.invitee_id == invitee_id, pending(now))
        .order_by(Invitation.id)
    )
    return [(i, inviter) for i, inviter in rows.all()]


async def sent_pending_before(
    session: AsyncSession, inviter_id: int, now: datetime, created_before: datetime
) -> list[tuple[int, int]]:
    """(id, invitee id) of the inviter's pending invitations sent before ``created_before``, by
    id (a range of ``ix_invitations_pending_inviter``)."""
    rows = await session.execute(
        select(Invitation.id, Invitation.invitee_id)
        .where(
            Invitation.inviter_id == inviter_id,
            pending(now),
            Invitation.created_at < created_before,
            ~hides(inviter_id, Invitation.invitee_id),
        )
        .order_by(Invitation.id)
    )
    return [(i, invitee) for i, invitee in rows.all()]


def _sides(owner: str) -> tuple[Any, Any]:
    """(owner column, other column) of an invitation seen from its ``invitee`` (the inbox) or
    its ``inviter`` (the outbox)."""
    if owner == "invitee":
        return Invitation.invitee_id, Invitation.inviter_id
    return Invitation.inviter_id, Invitation.invitee_id


async def among(
    session: AsyncSession, owner: str, member_id: int, invitation_ids: Collection[int]
) -> list[tuple[int, int]]:
    """(id, other member's id) of those of ``invitation_ids`` in the member's inbox
    (``owner="invitee"``) or outbox (``owner="inviter"``), any status, by id (an invitation
    with a member a block hides is not)."""
    mine, other = _sides(owner)
    rows = await session.execute(
        select(Invitation.id, other)
        .where(mine == member_id, Invitation.id == _any(invitation_ids), ~hides(member_id, other))
        .order_by(Invitation.id)
    )
    return [(i, o) for i, o in rows.all()]


async def lock_among(
    session: AsyncSession, owner: str, member_id: int, invitation_ids: Collection[int]
) -> dict[int, Invitation]:
    """Lock and re-read those of ``invitation_ids`` in the member's inbox or outbox (as
    :func:`among`), in id order."""
    if not invitation_ids:
        return {}
    mine, other = _sides(owner)
    rows = await session.scalars(
        select(Invitation)
        .where(mine == member_id, Invitation.id == _any(invitation_ids), ~hides(member_id, other))
        .order_by(Invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {inv.id: inv for inv in rows}


def _any(ids: Collection[int]) -> CollectionAggregate[Any]:
    """``= ANY(array)`` with the ids as one array parameter, however many there are."""
    return any_(literal(sorted(set(ids)), type_=ARRAY(BigInteger)))


def pending(now: datetime) -> ColumnElement[bool]:
    """Pending as callers see it: past its time an invitation is expired, whatever the row says."""
    return and_(Invitation.status == S.pending, Invitation.expires_at > now)


def _status_filter(status: InvitationStatus | None, now: datetime) -> ColumnElement[bool] | None:
    """Filter on the status a caller sees: a pending invitation past its time is expired."""
    if status is None:
        return None
    if status is S.pending:
        return pending(now)
    if status is S.expired:
        return or_(
            Invitation.status == S.expired,
            and_(Invitation.status == S.pending, Invitation.expires_at <= now),
        )
    return Invitation.status == status


async def list_for(
    session: AsyncSession,
    *,
    member_id: int,
    received: bool,
    status: InvitationStatus | None,
    now: datetime,
    limit: int,
    after: tuple[datetime, int] | None,
) -> list[tuple[Invitation, Member, Member]]:
    inviter = aliased(Member)
    invitee = aliased(Member)
    owner = Invitation.invitee_id if received else Invitation.inviter_id
    other = Invitation.inviter_id if received else Invitation.invitee_id
    stmt = (
        select(Invitation, inviter, invitee)
        .join(inviter, inviter.id == Invitation.inviter_id)
        .join(invitee, invitee.id == Invitation.invitee_id)
        .where(owner == member_id, ~hides(member_id, other))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    condition = _status_filter(status, now)
    if condition is not None:
        stmt = stmt.where(condition)
    if after is not None:
        stmt = stmt.where(tuple_(Invitation.created_at, Invitation.id) < tuple_(*after))
    return [(i, a, b) for i, a, b in (await session.execute(stmt)).all()]
