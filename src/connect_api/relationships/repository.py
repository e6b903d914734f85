"""SQL for the relationships look-up: one statement answers for the caller and every id.

The look-up is the request every profile view and every list of people makes, so it is
written for its cost: one prepared statement on the hot-read pool (``Database.fetch``), rows as
tuples, no ORM. One statement is one snapshot, so every fact in an answer is from the same
moment, and a caller's own committed writes are always in it.

**Two statements, one generic plan each.** :data:`LOOK_UP_MODEL` serves when the graph read
model may answer for the caller (``graph.feed.for_member``): the model has given, per id, the
mutual count and degree 3 (:func:`relationships.service.model_pairs`), which were this
statement's cost for callers with many connections, and they come in as parameters. It still
reads everything that is not the graph, and the connection's row: ``connected_at`` (the model
says whether; the row says since when), follows, the pair's invitations, shared groups,
``invite_policy``, ``follow_first``, the caller's facts as an inviter, and which ids exist
and are not hidden by a block. The preview stays the first :data:`PREVIEW` of the list's
order (the caller's ``connections.other_name_key``, then id): with the model's mutual ids
passed (:func:`mutuals.probes` says when: few of them, against a walk that would meet one
rarely), each probed in the caller's primary key and the few found sorted; else the list's
name-ordered walk, which stops at the third. Where the row or the preview contradicts the
model (a change committed between the model's catch-up and this statement), :func:`look_up`
answers with :data:`LOOK_UP` instead, so that an answer never mixes two moments on one pair.
On the seeded 100,000-member network (generic plans, 100 ids): a viewer at the 30,000 cap
24 ms on :data:`LOOK_UP`, 5 ms on :data:`LOOK_UP_MODEL` and 3 ms in the model; the same viewer
asking about the 100 best-connected members, 149 ms against 5 ms and 6 ms; a median viewer,
8 ms against 3 ms and 2 ms.

:data:`LOOK_UP` is the SQL path, when the model may not answer (not loaded, behind, or not
yet holding the caller's own last write): every fact read here, as follows.

Each per-id fact is a correlated subquery that walks an index from the cheaper side, so the
plan is the same for any member and a generic plan serves (no re-planning per request):

- mutual connections: when one side has far fewer connections, each of them probed in the
  other's primary key (``min(d_me, d_them)`` probes, not ``d_me + d_them``); between sides of
  like size, the two primary-key ranges merge-joined (two members at the cap: 3 ms merged,
  50 ms probed);
- degree 3, asked only where degree is neither 1 nor 2: is one of the connections ``o`` of the
  side with fewer connections at degree 2 from the other side? Each such test intersects the
  connections of ``o`` and of the other side by walking the smaller of the two and probing the
  larger's primary key, and the search stops at the first path. Walking "the connections of my
  connections" instead costs a hub's 30,000 connections for every hub among them, at a hit
  rate of a few in 100,000 (``EXPLAIN ANALYZE``: 114 ms for one id). Each inner test is a
  scalar subquery (``SELECT true … LIMIT 1``), which PostgreSQL keeps as a per-row index probe
  instead of pulling it up into a join it might plan as a scan;

The probes are written as scalar subqueries everywhere for the same reason: written as
``EXISTS``, the generic plan merge-joined the two members' connection ranges, reading all
30,000 of a viewer at the cap for every id (``EXPLAIN ANALYZE EXECUTE`` on the seeded
100,000-member network: 231 ms for 100 ids, 225 ms of it there).
- the preview of mutual connections (the first :data:`PREVIEW` in name order) comes out of
  the count's own walk: with the preview asked for (``$6``), the count is
  :func:`mutuals.mutual_tally`, which walks the members connected to both in name
  order (the smaller side's ``ix_connections_member_name`` range probed in the larger side's
  primary key, or the two name-ordered ranges merge-joined between sides of like size),
  counts them and gathers them in that order (``array_agg(… ORDER BY name key, id)`` over an
  input already in it: the plan has no sort) to keep the first three ids. The members so
  named are read from ``members`` once for the whole look-up (four arrays on the first row),
  however many previews name them. Counting first and then walking again for three names
  cost 30-50% more for 100 ids; one walk costs 8-25% more than no preview, most of it the
  name-ordered walk and the ``members`` reads. Without the preview the count is
  :data:`mutuals.MUTUAL_COUNT` on the primary key, as before;
- the invitation history of the pair: two ranges of ``ix_invitations_pair``;
- the caller's own pending invitations and recent sends: their ranges of
  ``ix_invitations_pending_inviter`` and ``ix_invitations_inviter_created``, once.

A caller whose member row is gone gets no row at all; an id that is unknown, erased, the
caller, or hidden by a block either way gets no per-id columns (``them_id`` is null).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connect_api.core.models import InvitePolicy
from connect_api.core.policy import InviterFacts, PairInvitation
from connect_api.graph import feed as graph_feed
from connect_api.invitations.repository import pair_invitation
from connect_api.kit.database import Database
from connect_api.relationships.mutuals import MUTUAL_COUNT, mutual_tally, mutual_walk

# How many mutual connections the look-up names per member: the first in the order of
# `GET /v1/members/{id}/mutual-connections` (display name as PostgreSQL lowers it, then id).
PREVIEW = 3

# With the graph read model, the most mutual connections of a member whose ids the look-up
# passes to the statement for the preview (see :func:`mutuals.probes`); with more, it walks.
FEW = 64

log = logging.getLogger("connect_api.relationships")

# The number of groups ``{a}`` and ``{b}`` share: ``{a}``'s memberships, each probed in ``{b}``'s.
SHARED_GROUPS = """(SELECT count(*) FROM group_members g
         WHERE g.member_id = {a}
           AND (SELECT true FROM group_members h
                WHERE h.group_id = g.group_id AND h.member_id = {b}))"""

# Every invitation between ``{a}`` and ``{b}``, either way, newest first, as the rows
# ``invitations.repository.pair_invitation`` reads: what the invitation rule needs of the pair.
PAIR_HISTORY = """ARRAY(
            SELECT ROW(i.id, i.inviter_id, i.status::text, i.decline_reason::text,
                       i.created_at, i.expires_at, i.responded_at)
            FROM invitations i
            WHERE (i.inviter_id = {a} AND i.invitee_id = {b})
               OR (i.inviter_id = {b} AND i.invitee_id = {a})
            ORDER BY i.created_at DESC, i.id DESC
        )"""

# The degree-3 walk of the SQL path, asked only where degree is neither 1 nor 2.
THIRD = """CASE WHEN t.id IS NULL OR f.connected_at IS NOT NULL OR f.mutual > 0 THEN NULL
            WHEN me.connection_count <= t.connection_count THEN EXISTS (
                SELECT 1 FROM connections o
                WHERE o.member_id = $1
                  AND CASE WHEN (SELECT n.connection_count FROM members n WHERE n.id = o.other_id)
                               <= t.connection_count
                      THEN (SELECT true FROM connections x
                            WHERE x.member_id = o.other_id
                              AND (SELECT true FROM connections y
                                   WHERE y.member_id = t.id AND y.other_id = x.other_id)
                            LIMIT 1)
                      ELSE (SELECT true FROM connections y
                            WHERE y.member_id = t.id
                              AND (SELECT true FROM connections x
                                   WHERE x.member_id = o.other_id AND x.other_id = y.other_id)
                            LIMIT 1)
                  END)
            ELSE EXISTS (
                SELECT 1 FROM connections o
                WHERE o.member_id = t.id
                  AND CASE WHEN (SELECT n.connection_count FROM members n WHERE n.id = o.other_id)
                               <= me.connection_count
                      THEN (SELECT true FROM connections x
                            WHERE x.member_id = o.other_id
                              AND (SELECT true FROM connections y
                                   WHERE y.member_id = $1 AND y.other_id = x.other_id)
                            LIMIT 1)
                      ELSE (SELECT true FROM connections y
                            WHERE y.member_id = $1
                              AND (SELECT true FROM connections x
                                   WHERE x.member_id = o.other_id AND x.other_id = y.other_id)
                            LIMIT 1)
                  END)
       END"""

# The model's variant: the first :data:`PREVIEW` mutual connections of ``t`` in name order,
# from the model's count ``t.mutual`` and, when it passed them, the model's mutual ids
# ``$9[t.first : t.first + t.mutual - 1]`` (each probed in the caller's primary key, which
# carries the name key: at most :data:`FEW` probes and a sort of as many rows); without them
# (where the walk costs less, :func:`mutuals.probes`), the name-ordered walk of the list,
# which stops at the third.
MODEL_FIRSTS = """CASE WHEN NOT $6 OR t.mutual = 0 THEN NULL
             WHEN t.first > 0 THEN ARRAY(
                SELECT k.id FROM (
                    SELECT v.id, (SELECT c.other_name_key FROM connections c
                                  WHERE c.member_id = $1 AND c.other_id = v.id) AS name_key
                    FROM unnest(($9::bigint[])[t.first : t.first + t.mutual - 1]) AS v(id)
                    OFFSET 0) k
                WHERE k.name_key IS NOT NULL
                ORDER BY k.name_key, k.id LIMIT {preview})
             ELSE ARRAY(
                SELECT w.other_id FROM ({walk}) w
                ORDER BY w.other_name_key, w.other_id LIMIT {preview})
        END"""


def _look_up_sql(*, model: bool) -> str:
    """The look-up's statement: the SQL path's (``model`` false: every fact read here), or the
    model's variant (the mutual count and degree 3 come from the model: ``$7`` the counts,
    ``$8`` where each id's mutual ids start in ``$9``, 0 when they were not passed)."""
    if model:
        ids = (
            "unnest($2::bigint[], $7::int[], $8::int[])"
            " WITH ORDINALITY AS u(id, mutual, first, ord)"
        )
        them_columns = ", u.mutual, u.first"
        mutual, third = "t.mutual AS mutual", "NULL::boolean"
        firsts = MODEL_FIRSTS.format(
            preview=PREVIEW,
            walk=mutual_walk(
                "$1", "t.id", "me.connection_count", "t.connection_count", str(PREVIEW)
            ),
        )
        counted = f"""{firsts} AS firsts"""
        source = ""
    else:
        ids = "unnest($2::bigint[]) WITH ORDINALITY AS u(id, ord)"
        them_columns = ""
        mutual, third = "f.mutual", THIRD
        count = MUTUAL_COUNT.format(
            a="$1", b="t.id", na="me.connection_count", nb="t.connection_count"
        )
        counted = (
            f"CASE WHEN $6 THEN mu.tally[1] ELSE {count} END AS mutual, mu.tally[2:] AS firsts"
        )
        tally = mutual_tally("$1", "t.id", "me.connection_count", "t.connection_count", PREVIEW)
        source = f"\n    FROM (SELECT CASE WHEN $6 THEN {tally} END AS tally OFFSET 0) mu"
    return f"""
WITH me AS MATERIALIZED (
    SELECT m.id, m.connection_count, m.restricted_until,
           p.pending, p.oldest_expiry,
           ARRAY(SELECT i.created_at FROM invitations i
                 WHERE i.inviter_id = m.id AND i.created_at > $4
                 ORDER BY i.created_at DESC LIMIT $5) AS recent_sends
    FROM members m,
         LATERAL (SELECT count(*) AS pending, min(i.expires_at) AS oldest_expiry
                  FROM invitations i
                  WHERE i.inviter_id = m.id AND i.status = 'pending' AND i.expires_at > $3) p
    WHERE m.id = $1
),
them AS MATERIALIZED (
    SELECT t.id, t.connection_count, t.invite_policy, t.follow_first, u.ord{them_columns}
    FROM {ids}
    JOIN members t ON t.id = u.id
    WHERE t.id <> $1
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $1 AND b.blocked_id = t.id)
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = t.id AND b.blocked_id = $1)
),
r AS MATERIALIZED (
SELECT me.connection_count, me.restricted_until, me.pending, me.oldest_expiry,
       me.recent_sends,
       t.id AS them_id, t.connection_count AS them_connections, f.connected_at,
       f.following, f.followed_by, {mutual}, f.shared_groups, f.history,
       {third} AS third,
       f.firsts, t.invite_policy, t.follow_first, t.ord
FROM me
LEFT JOIN them t ON true
LEFT JOIN LATERAL (
    SELECT
        (SELECT c.created_at FROM connections c
         WHERE c.member_id = $1 AND c.other_id = t.id) AS connected_at,
        EXISTS (SELECT 1 FROM follows x WHERE x.follower_id = $1 AND x.followee_id = t.id)
            AS following,
        EXISTS (SELECT 1 FROM follows x WHERE x.follower_id = t.id AND x.followee_id = $1)
            AS followed_by,
        {counted},
        {SHARED_GROUPS.format(a="$1", b="t.id")} AS shared_groups,
        {PAIR_HISTORY.format(a="$1", b="t.id")} AS history{source}
    WHERE t.id IS NOT NULL
) f ON true
)
SELECT r.connection_count, r.restricted_until, r.pending, r.oldest_expiry, r.recent_sends,
       r.them_id, r.them_connections, r.connected_at, r.following, r.followed_by, r.mutual,
       r.shared_groups, r.history, r.third, r.firsts, p.ids, p.handles, p.names, p.headlines,
       r.invite_policy, r.follow_first
FROM r
LEFT JOIN (
    SELECT array_agg(m.id) AS ids, array_agg(m.handle) AS handles,
           array_agg(m.display_name) AS names, array_agg(m.headline) AS headlines
    FROM members m
    WHERE m.id = ANY (ARRAY(SELECT DISTINCT u.id FROM r, unnest(r.firsts) AS u(id)))
) p ON r.ord IS NOT DISTINCT FROM (SELECT min(r.ord) FROM r)
ORDER BY r.ord
"""  # noqa: S608 - every piece is a constant of this module; values are parameters


# The SQL path: every fact of the look-up read by the statement.
LOOK_UP = _look_up_sql(model=False)
# The model's path: the mutual count and degree 3 given by the graph read model.
LOOK_UP_MODEL = _look_up_sql(model=True)


@dataclass(frozen=True, slots=True)
class PreviewMember:
    id: int
    handle: str
    display_name: str
    headline: str | None


@dataclass(frozen=True)
class PairFacts:
    member_id: int
    connection_count: int
    connected_at: datetime | None
    following: bool  # the caller follows them
    followed_by: bool  # they follow the caller
    mutual_connections: int
    shared_groups: int
    history: tuple[PairInvitation, ...]  # every invitation between the two, newest first
    third_degree: bool  # only looked for when neither connected nor with a mutual
    preview: tuple[PreviewMember, ...]  # the first mutual connections in name order
    invite_policy: InvitePolicy  # their controls (spec 2.13)
    follow_first: bool


@dataclass(frozen=True, slots=True)
class ModelPair:
    """What the graph read model says of the caller and one member."""

    connected: bool
    mutual_connections: int
    # The mutual connections' ids, to be probed for the preview (:func:`mutuals.probes`); else
    # ``None``: the statement walks for it.
    mutual_ids: Sequence[int] | None
    third_degree: bool  # only looked for when neither connected nor with a mutual


class _Disagreement(Exception):
    """The model and the statement's snapshot differ about a pair."""


async def look_up(
    db: Database,
    me: int,
    ids: Sequence[int],
    *,
    now: datetime,
    sends_since: datetime,
    sends_limit: int,
    preview: bool = True,
    model: Mapping[int, ModelPair] | None = None,
) -> tuple[InviterFacts, dict[int, PairFacts]] | None:
    """The caller's facts as an inviter, and those of each visible member among ``ids``
    (with up to :data:`PREVIEW` of your mutual connections each, unless ``preview`` is off);
    ``None`` when the caller's member row does not exist.

    ``model``: the graph read model's facts for every id (its mutual counts and degree 3 are
    then the answer's); where the statement's snapshot says otherwise of a pair (a change
    committed between the model's catch-up and the statement), the look-up is answered by the
    SQL path's statement instead, every fact from one snapshot."""
    if model is not None:
        try:
            return await _look_up_model(
                db,
                me,
                ids,
                model,
                now=now,
                sends_since=sends_since,
                sends_limit=sends_limit,
                preview=preview,
            )
        except _Disagreement as exc:
            graph_feed.disagreed()
            log.info(
                "relationships of %d: the graph read model disagrees (%s); SQL answers", me, exc
            )
    rows = await db.fetch(LOOK_UP, me, list(ids), now, sends_since, sends_limit, preview)
    return _decode(rows, None)


async def _look_up_model(
    db: Database,
    me: int,
    ids: Sequence[int],
    model: Mapping[int, ModelPair],
    *,
    now: datetime,
    sends_since: datetime,
    sends_limit: int,
    preview: bool,
) -> tuple[InviterFacts, dict[int, PairFacts]] | None:
    counts: list[int] = []
    firsts: list[int] = []  # where each id's mutual ids start in ``flat`` (1-based), or 0
    flat: list[int] = []
    for i in ids:
        pair = model[i]
        counts.append(pair.mutual_connections)
        if preview and pair.mutual_connections and pair.mutual_ids is not None:
            firsts.append(len(flat) + 1)
            flat.extend(pair.mutual_ids)
        else:
            firsts.append(0)
    rows = await db.fetch(
        LOOK_UP_MODEL, me, list(ids), now, sends_since, sends_limit, preview, counts, firsts, flat
    )
    found = _decode(rows, model)
    if found is not None:
        for f in found[1].values():
            pair = model[f.member_id]
            if pair.connected != (f.connected_at is not None):
                raise _Disagreement(f"connected to {f.member_id}")
            if preview and len(f.preview) < min(PREVIEW, pair.mutual_connections):
                raise _Disagreement(f"mutual connections with {f.member_id}")
    return found


def _decode(
    rows: Sequence[Any], model: Mapping[int, ModelPair] | None
) -> tuple[InviterFacts, dict[int, PairFacts]] | None:
    if not rows:
        return None
    first = rows[0]
    caller = InviterFacts(first[0], first[1], first[2], first[3], tuple(first[4]))
    # Every member named in a preview, read once (the first row carries them).
    # as four arrays, not a row each: an answer of 100 ids names up to 300 members, and every
    # row decoded is one more object for the garbage collector to count.
    people = {
        i: PreviewMember(i, handle, name, headline)
        for i, handle, name, headline in zip(
            first[15] or (), first[16] or (), first[17] or (), first[18] or (), strict=True
        )
    }
    pairs = {}
    for r in rows:
        if r[5] is None:
            continue
        pairs[r[5]] = PairFacts(
            member_id=r[5],
            connection_count=r[6],
            connected_at=r[7],
            following=r[8],
            followed_by=r[9],
            mutual_connections=r[10],
            shared_groups=r[11],
            history=tuple(pair_invitation(h) for h in r[12]),
            third_degree=bool(r[13]) if model is None else model[r[5]].third_degree,
            preview=tuple(people[i] for i in r[14] or ()),
            invite_policy=InvitePolicy(r[19]),
            follow_first=r[20],
        )
    return caller, pairs
