"""SQL for the network around a member: the second degree and the suggestions.

Both lists rank every member reachable through the member's connections, and the count behind
the ranking (mutual connections) is the expensive part: a member at the cap reaches some
1.5 million paths (30,000 connections of about 50 each), a typical member 50,000 to 100,000
(each of the hubs among their connections brings 30,000).

**With the graph read model** (``connect_api.graph``) the ranking is counted in memory on every
request, and SQL only reads the members of the page it picked: :data:`SECOND_DEGREE_MEMBERS`
and :data:`SUGGESTED_MEMBERS` take the ranked ids (with the model's counts) as arrays, keep
their order (``unnest ... WITH ORDINALITY``) and are the last word on what may be shown: an id
that is erased, connected to the member or behind a block either way is dropped, whatever the
model said. No snapshot is read or written. Measured on 100,000 members and 2.5 million
connections, one of them at the cap of 30,000: the counting takes 14 ms for that member's
second degree and 30 ms for their suggestions (0.3 and 0.7 ms for a member with 40
connections); on 30,000 seeded members the statements read a page of 50 in 1 ms and a batch
of 50 suggestions, previews included, in 5 ms (generic plans).

**Without it** (the model not loaded yet, behind, or not sure it holds the member's own last
write) the counts are computed once per member into a **snapshot** (``network_snapshots``,
``network_candidates``), by one statement that aggregates the paths, and the lists are read
from it:

- the snapshot keeps, per member, the ``network_candidates_max`` members with the most mutual
  connections (the second degree, ties by id) and as many by suggestion score; how many were
  reached in all is kept beside them (``reached``);
- each computation has a ``version``; the rows of the previous one stay until the next, so a
  second-degree cursor (which names its version) keeps reading the list it started on while a
  computation replaces it: the order cannot shift under it, however many connections are made;
- the reads are one statement each on the hot-read pool, and apply at read time everything that
  can have changed since and must never be shown: a connection made since, a block either way,
  an erased member (its rows go with it, by foreign key), a dismissal; the suggestions also go
  through the invitation rule in ``policy.py`` (the pending invitations and history of each
  pair are read in the same statement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import InvitePolicy
from connect_api.core.policy import PairInvitation
from connect_api.invitations.repository import pair_invitation
from connect_api.kit.database import Database
from connect_api.relationships.mutuals import mutual_walk
from connect_api.relationships.repository import PAIR_HISTORY, PREVIEW, SHARED_GROUPS

# --- computing a snapshot ---------------------------------------------------------------------

# One computation at a time per member, across processes (the key's class is 9).
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('network:' || CAST(:me AS bigint), 9))")
_TRY_LOCK = text(
    "SELECT pg_try_advisory_xact_lock(hashtextextended('network:' || CAST(:me AS bigint), 9))"
)

_FRESH = text("SELECT computed_at FROM network_snapshots WHERE member_id = :me")

_BEGIN = text("""
INSERT INTO network_snapshots AS s
    (member_id, version, previous_version, computed_at, reached, connections)
SELECT m.id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, NULL, :now, 0,
       m.connection_count
FROM members m WHERE m.id = :me
ON CONFLICT (member_id) DO UPDATE SET
    version = greatest(s.version + 1, excluded.version),
    previous_version = s.version,
    computed_at = excluded.computed_at,
    connections = excluded.connections
RETURNING version, previous_version
""")

# Every path me -> a -> b, counted per b; those already connected to me dropped; joined with
# the members who share a group with me; the top of both rankings kept.
_COMPUTE = text("""
WITH paths AS (
    SELECT b.other_id AS id, count(*)::int AS mutuals
    FROM connections a
    JOIN connections b ON b.member_id = a.other_id
    WHERE a.member_id = :me AND b.other_id <> :me
    GROUP BY b.other_id
),
mates AS (
    SELECT h.member_id AS id, count(*)::int AS shared
    FROM group_members g
    JOIN group_members h ON h.group_id = g.group_id
    WHERE g.member_id = :me AND h.member_id <> :me
    GROUP BY h.member_id
),
scored AS MATERIALIZED (
    SELECT coalesce(p.id, g.id) AS id, coalesce(p.mutuals, 0) AS mutuals,
           coalesce(g.shared, 0) AS shared,
           :w_mutual * coalesce(p.mutuals, 0) + :w_group * coalesce(g.shared, 0) AS score
    FROM paths p
    FULL JOIN mates g ON g.id = p.id
    WHERE NOT EXISTS (SELECT 1 FROM connections c
                      WHERE c.member_id = :me AND c.other_id = coalesce(p.id, g.id))
),
listed AS (
    SELECT id FROM scored WHERE mutuals > 0 ORDER BY mutuals DESC, id LIMIT :k
),
ranked AS (
    SELECT id FROM scored ORDER BY score DESC, mutuals DESC, id LIMIT :k
),
written AS (
    INSERT INTO network_candidates
        (member_id, version, candidate_id, mutuals, shared_groups, score, listed)
    SELECT :me, :version, s.id, s.mutuals, s.shared, s.score, l.id IS NOT NULL
    FROM scored s
    LEFT JOIN listed l ON l.id = s.id
    LEFT JOIN ranked r ON r.id = s.id
    WHERE l.id IS NOT NULL OR r.id IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM scored WHERE mutuals > 0) AS reached,
       (SELECT count(*) FROM written) AS kept
""")

_FINISH = text("UPDATE network_snapshots SET reached = :reached WHERE member_id = :me")
_DROP_OLD = text("DELETE FROM network_candidates WHERE member_id = :me AND version < :keep")


@dataclass(frozen=True)
class Computed:
    version: int
    reached: int
    kept: int


async def compute(
    session: AsyncSession,
    me: int,
    *,
    now: datetime,
    keep: int,
    weights: tuple[int, int],
    fresh_after: datetime | None = None,
    wait: bool = True,
) -> Computed | None:
    """Compute ``me``'s snapshot again. ``None`` when there is no such member, when another
    process is computing it and ``wait`` is false, or when (after waiting for one) it was
    computed after ``fresh_after`` meanwhile."""
    locked = await session.scalar(_LOCK if wait else _TRY_LOCK, {"me": me})
    if not wait and not locked:
        return None
    if fresh_after is not None:
        at = await session.scalar(_FRESH, {"me": me})
        if at is not None and at > fresh_after:
            return None
    row = (await session.execute(_BEGIN, {"me": me, "now": now})).one_or_none()
    if row is None:
        return None
    version, previous = int(row[0]), row[1]
    reached, kept = (
        await session.execute(
            _COMPUTE,
            {
                "me": me,
                "version": version,
                "k": keep,
                "w_mutual": weights[0],
                "w_group": weights[1],
            },
        )
    ).one()
    await session.execute(_FINISH, {"me": me, "reached": int(reached)})
    if previous is not None:
        await session.execute(_DROP_OLD, {"me": me, "keep": int(previous)})
    return Computed(version, int(reached), int(kept))


async def due(
    session: AsyncSession, *, min_connections: int, older_than: datetime, limit: int
) -> list[int]:
    """Members with at least ``min_connections`` whose snapshot is missing or older than
    ``older_than``, the oldest first."""
    rows = await session.execute(
        text("""
            SELECT m.id FROM members m
            LEFT JOIN network_snapshots s ON s.member_id = m.id
            WHERE m.connection_count >= :min AND m.connection_count > 0
              AND (s.computed_at IS NULL OR s.computed_at < :older_than)
            ORDER BY s.computed_at NULLS FIRST, m.id
            LIMIT :limit
        """),
        {"min": min_connections, "older_than": older_than, "limit": limit},
    )
    return [int(r[0]) for r in rows]


async def everyone(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        text(
            """SELECT id FROM members
               WHERE connection_count > 0 OR id IN (SELECT member_id FROM group_members)
               ORDER BY id"""
        )
    )
    return [int(r[0]) for r in rows]


async def purge(session: AsyncSession, *, older_than: datetime, below_connections: int) -> int:
    """Forget the snapshots of members the background refresh does not keep that nobody has
    asked for since ``older_than``; how many."""
    rows = await session.execute(
        text("""
            WITH gone AS (
                DELETE FROM network_snapshots
                WHERE computed_at < :older_than AND connections < :below
                RETURNING member_id
            ),
            rows AS (
                DELETE FROM network_candidates n USING gone g WHERE n.member_id = g.member_id
            )
            SELECT count(*) FROM gone
        """),
        {"older_than": older_than, "below": below_connections},
    )
    return int(rows.scalar_one())


# --- dismissals -------------------------------------------------------------------------------

_DISMISS = text("""
INSERT INTO suggestion_dismissals (member_id, dismissed_id, until)
VALUES (:me, :them, :until)
ON CONFLICT (member_id, dismissed_id) DO UPDATE SET until = excluded.until
""")


async def dismiss(session: AsyncSession, me: int, them: int, until: datetime) -> None:
    await session.execute(_DISMISS, {"me": me, "them": them, "until": until})


# --- the second degree ------------------------------------------------------------------------

SECOND_DEGREE = """
WITH me AS MATERIALIZED (
    SELECT m.id, s.version, s.previous_version, s.computed_at, s.reached
    FROM members m
    LEFT JOIN network_snapshots s ON s.member_id = m.id
    WHERE m.id = $1
)
SELECT me.version, me.previous_version, me.computed_at, me.reached,
       t.id, t.handle, t.display_name, t.headline, n.mutuals
FROM me
LEFT JOIN LATERAL (
    SELECT n.candidate_id, n.mutuals
    FROM network_candidates n
    WHERE n.member_id = $1
      AND n.version = coalesce($2::bigint, me.version)
      AND n.listed
      AND ($3::int IS NULL OR n.mutuals < $3
           OR (n.mutuals = $3 AND n.candidate_id > $4::bigint))
      AND (SELECT true FROM connections c
           WHERE c.member_id = $1 AND c.other_id = n.candidate_id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = $1 AND b.blocked_id = n.candidate_id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = n.candidate_id AND b.blocked_id = $1) IS NULL
    ORDER BY n.mutuals DESC, n.candidate_id
    LIMIT $5
) n ON true
LEFT JOIN members t ON t.id = n.candidate_id
ORDER BY n.mutuals DESC, n.candidate_id
"""


@dataclass(frozen=True)
class Snapshot:
    version: int
    previous_version: int | None
    computed_at: datetime
    reached: int


@dataclass(frozen=True)
class Reached:
    id: int
    handle: str
    display_name: str
    headline: str | None
    mutuals: int


async def second_degree(
    db: Database,
    me: int,
    *,
    version: int | None,
    after: tuple[int, int] | None,
    limit: int,
) -> tuple[Snapshot | None, list[Reached]] | None:
    """One page of the snapshot ``version`` (default: the current one); ``None`` when the
    caller's member row does not exist, a ``None`` snapshot when there is none yet."""
    rows = await db.fetch(
        SECOND_DEGREE,
        me,
        version,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    if not rows:
        return None
    first = rows[0]
    snap = Snapshot(first[0], first[1], first[2], first[3]) if first[0] is not None else None
    return snap, [Reached(r[4], r[5], r[6], r[7], r[8]) for r in rows if r[4] is not None]


# The members of a page of the live ranking (the graph read model's): the ids ``$2`` in their
# order, each with its mutual count ``$3``. The model already left out the member's connections
# and everyone a block stands between them and the member; this statement still checks both (an
# index probe each per id of the page) and drops the erased (no row), because the tables, not
# the model, have the last word on what may be shown. One row always when the member exists
# (the columns null when nothing is left), none when not.
SECOND_DEGREE_MEMBERS = """
WITH me AS MATERIALIZED (
    SELECT m.id FROM members m WHERE m.id = $1
)
SELECT p.id, p.handle, p.display_name, p.headline, p.mutuals
FROM me
LEFT JOIN LATERAL (
    SELECT t.id, t.handle, t.display_name, t.headline, u.mutuals, u.ord
    FROM unnest($2::bigint[], $3::int[]) WITH ORDINALITY AS u(id, mutuals, ord)
    JOIN members t ON t.id = u.id
    WHERE u.id <> $1
      AND (SELECT true FROM connections c
           WHERE c.member_id = $1 AND c.other_id = u.id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = $1 AND b.blocked_id = u.id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = u.id AND b.blocked_id = $1) IS NULL
) p ON true
ORDER BY p.ord
"""


async def second_degree_members(
    db: Database, me: int, *, ids: Sequence[int], mutuals: Sequence[int]
) -> list[Reached] | None:
    """The members ``ids`` (a page of the live ranking, in its order, with their ``mutuals``)
    that may be shown to ``me``; ``None`` when ``me``'s member row does not exist."""
    rows = await db.fetch(SECOND_DEGREE_MEMBERS, me, list(ids), list(mutuals))
    if not rows:
        return None
    return [Reached(r[0], r[1], r[2], r[3], r[4]) for r in rows if r[0] is not None]


def _preview_names(candidate: str, candidate_count: str) -> str:
    """The first :data:`PREVIEW` mutual connections of ``$1`` and ``candidate`` in the name
    order of `GET /v1/members/{id}/mutual-connections`, as rows (id, handle, display name,
    headline): the list's own walk, which stops at the third (``me`` is the caller's row)."""
    first = mutual_walk("$1", candidate, "me.connection_count", candidate_count, str(PREVIEW))
    return f"""ARRAY(
            SELECT ROW(p.id, p.handle, p.display_name, p.headline)
            FROM ({first}) w
            JOIN members p ON p.id = w.other_id
            ORDER BY w.other_name_key, w.other_id
            LIMIT {PREVIEW}
        )"""  # noqa: S608 - constants of this module


# --- suggestions ------------------------------------------------------------------------------

# A batch of the best-scored candidates the cheap checks leave (connected, blocked, dismissed),
# each with what the invitation rule needs (the pair's invitations, the candidate's count), the
# shared groups counted now, the mutual count of the snapshot the ranking comes from, and a
# preview of three mutual connections now: the first three in the name order of
# `GET /v1/members/{id}/mutual-connections` (the look-up's preview), found by the list's own
# walk, which stops at the third. Counting every candidate's mutuals live was the cost of the
# read for a member at the cap, whose best candidates are the other hubs: 25 merge-joins of two
# 30,000-connection ranges, 100-125 ms of the statement (prepared, generic plan, 100,000
# members); with the walk stopping at three, see docs/concepts.md.
SUGGESTIONS = """
WITH me AS MATERIALIZED (
    SELECT m.id, m.connection_count, s.version, s.computed_at
    FROM members m
    LEFT JOIN network_snapshots s ON s.member_id = m.id
    WHERE m.id = $1
),
cand AS MATERIALIZED (
    SELECT n.candidate_id, n.score, n.mutuals
    FROM me, network_candidates n
    WHERE n.member_id = $1 AND n.version = me.version
      AND ($4::int IS NULL OR n.score < $4
           OR (n.score = $4 AND n.mutuals < $5::int)
           OR (n.score = $4 AND n.mutuals = $5::int AND n.candidate_id > $6::bigint))
      AND (SELECT true FROM connections c
           WHERE c.member_id = $1 AND c.other_id = n.candidate_id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = $1 AND b.blocked_id = n.candidate_id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = n.candidate_id AND b.blocked_id = $1) IS NULL
      AND (SELECT true FROM suggestion_dismissals d
           WHERE d.member_id = $1 AND d.dismissed_id = n.candidate_id AND d.until > $2) IS NULL
    ORDER BY n.score DESC, n.mutuals DESC, n.candidate_id
    LIMIT $3
)
SELECT me.version, me.computed_at,
       t.id, t.handle, t.display_name, t.headline, t.connection_count,
       c.score, c.mutuals AS ranked_mutuals, f.mutual, f.shared_groups, f.preview, f.history,
       t.invite_policy, f.followed_by
FROM me
LEFT JOIN cand c ON true
LEFT JOIN members t ON t.id = c.candidate_id
LEFT JOIN LATERAL (
    SELECT
        c.mutuals AS mutual,
        {shared_groups} AS shared_groups,
        {preview} AS preview,
        {history} AS history,
        EXISTS (SELECT 1 FROM follows x WHERE x.follower_id = t.id AND x.followee_id = $1)
            AS followed_by
    WHERE t.id IS NOT NULL
) f ON true
ORDER BY c.score DESC, c.mutuals DESC, c.candidate_id
""".format(  # noqa: S608 - every piece is a constant; values are parameters
    preview=_preview_names("t.id", "t.connection_count"),
    shared_groups=SHARED_GROUPS.format(a="$1", b="t.id"),
    history=PAIR_HISTORY.format(a="$1", b="t.id"),
)


@dataclass(frozen=True)
class Preview:
    id: int
    handle: str
    display_name: str
    headline: str | None


@dataclass(frozen=True)
class Candidate:
    id: int
    handle: str
    display_name: str
    headline: str | None
    connection_count: int
    score: int
    ranked_mutuals: int  # as the ranking counted them: the batch's keyset position
    mutual_connections: int  # as the ranking counted them (the snapshot's, or the model's now)
    shared_groups: int  # as of now (counted by the statement, or the model's)
    preview: tuple[Preview, ...]
    history: tuple[PairInvitation, ...]
    invite_policy: InvitePolicy  # the candidate's controls (spec 2.13)
    followed_by: bool  # the candidate follows the member


@dataclass(frozen=True)
class Ranking:
    version: int | None
    computed_at: datetime | None
    candidates: list[Candidate]


def _preview(row: Sequence[Any]) -> Preview:
    return Preview(row[0], row[1], row[2], row[3])


async def suggestions(
    db: Database,
    me: int,
    *,
    now: datetime,
    batch: int,
    after: tuple[int, int, int] | None,
) -> Ranking | None:
    """The next ``batch`` candidates of the current snapshot after ``after`` (score, mutuals,
    id); ``None`` when the caller's member row does not exist."""
    rows = await db.fetch(
        SUGGESTIONS,
        me,
        now,
        batch,
        after[0] if after else None,
        after[1] if after else None,
        after[2] if after else None,
    )
    if not rows:
        return None
    first = rows[0]
    out = [_candidate(r, 2) for r in rows if r[2] is not None]
    return Ranking(first[0], first[1], out)


def _candidate(r: Sequence[Any], at: int) -> Candidate:
    """A candidate from a row of :data:`SUGGESTIONS` or :data:`SUGGESTED_MEMBERS`, whose
    columns from ``at`` on are the same: id, handle, display name, headline, connection
    count, score, ranked mutuals, mutuals, shared groups, preview, history, invite policy,
    followed by."""
    return Candidate(
        id=r[at],
        handle=r[at + 1],
        display_name=r[at + 2],
        headline=r[at + 3],
        connection_count=r[at + 4],
        score=r[at + 5],
        ranked_mutuals=r[at + 6],
        mutual_connections=int(r[at + 7]),
        shared_groups=int(r[at + 8]),
        preview=tuple(_preview(p) for p in r[at + 9]),
        history=tuple(pair_invitation(h) for h in r[at + 10]),
        invite_policy=InvitePolicy(r[at + 11]),
        followed_by=r[at + 12],
    )


# The facts of a batch of the live ranking's candidates (the graph read model's): the ids ``$3``
# in their order, with the model's score ``$4``, mutual connections ``$5`` and shared groups
# ``$6``; each with what :data:`SUGGESTIONS` reads of a candidate (the invitation rule's facts,
# the preview by the same walk), less the erased, the connected, a block either way and a
# dismissal, checked here whatever the model said. The counts are the model's, which are as of
# now: nothing is counted again.
SUGGESTED_MEMBERS = """
WITH me AS MATERIALIZED (
    SELECT m.id, m.connection_count FROM members m WHERE m.id = $1
),
cand AS MATERIALIZED (
    SELECT t.id, t.handle, t.display_name, t.headline, t.connection_count, t.invite_policy,
           u.score, u.mutuals, u.shared, u.ord
    FROM unnest($3::bigint[], $4::int[], $5::int[], $6::int[])
         WITH ORDINALITY AS u(id, score, mutuals, shared, ord)
    JOIN members t ON t.id = u.id
    WHERE u.id <> $1
      AND (SELECT true FROM connections c
           WHERE c.member_id = $1 AND c.other_id = u.id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = $1 AND b.blocked_id = u.id) IS NULL
      AND (SELECT true FROM blocks b
           WHERE b.blocker_id = u.id AND b.blocked_id = $1) IS NULL
      AND (SELECT true FROM suggestion_dismissals d
           WHERE d.member_id = $1 AND d.dismissed_id = u.id AND d.until > $2) IS NULL
)
SELECT c.id, c.handle, c.display_name, c.headline, c.connection_count,
       c.score, c.mutuals AS ranked_mutuals, c.mutuals, c.shared, f.preview, f.history,
       c.invite_policy, f.followed_by
FROM me
LEFT JOIN cand c ON true
LEFT JOIN LATERAL (
    SELECT
        {preview} AS preview,
        {history} AS history,
        EXISTS (SELECT 1 FROM follows x WHERE x.follower_id = c.id AND x.followee_id = $1)
            AS followed_by
    WHERE c.id IS NOT NULL
) f ON true
ORDER BY c.ord
""".format(  # noqa: S608 - every piece is a constant; values are parameters
    preview=_preview_names("c.id", "c.connection_count"),
    history=PAIR_HISTORY.format(a="$1", b="c.id"),
)


async def suggested_members(
    db: Database,
    me: int,
    *,
    now: datetime,
    ids: Sequence[int],
    scores: Sequence[int],
    mutuals: Sequence[int],
    shared: Sequence[int],
) -> list[Candidate] | None:
    """The candidates ``ids`` (a batch of the live ranking, in its order, with the model's
    ``scores``, ``mutuals`` and ``shared`` groups) that the checks of the statement leave, with
    their facts; ``None`` when ``me``'s member row does not exist."""
    rows = await db.fetch(
        SUGGESTED_MEMBERS, me, now, list(ids), list(scores), list(mutuals), list(shared)
    )
    if not rows:
        return None
    return [_candidate(r, 0) for r in rows if r[0] is not None]
