"""SQL for mutual connections: the members connected both to the caller and to another member
(``GET /v1/members/{id}/mutual-connections``, and the count and preview of the look-up).

One statement answers a page (the checks, the total and the rows), on the hot-read pool
(``Database.fetch``) on one generic plan, as the relationships look-up does; the look-up's
preview takes the same walks, counted, inside its own statement (:func:`mutual_tally`).

The order is the one of ``GET /v1/members/{id}/connections?sort=name``: the mutual's
``lower(display_name)`` (``connections.other_name_key``), then id. Both members' connections
are ranges of ``ix_connections_member_name`` in that very order, so a page is found without
sorting anything:

- when one side has at least 8 times fewer connections, its range is walked in order and each
  row probed in the other side's primary key, until ``limit`` rows are found (at most the
  smaller side's connections are probed, whatever the larger side holds);
- between sides of like size, the two ranges are merge-joined on (name key, id), which stops
  as soon as ``limit`` rows came out: two members at the cap with a third of their
  connections in common read about three entries of each range per row of the page; with
  none in common, each range once (60,000 index entries, a few milliseconds), never 30,000
  probes;
- and nothing is walked when the total is 0.

The total is :data:`MUTUAL_COUNT`, the look-up's count without a preview (with one, the
look-up counts the same set on its name-ordered walk): the members connected to both, so the
button's count and the list's total are the same number in the same snapshot.

**With the graph read model** (:data:`PAGE_SQL_MODEL`) the total is the model's count, the
one the look-up then gives too, and is not counted here (the count was the statement's cost
between two members with many connections: 60,000 index entries merged at the cap). The page
is either the walk above, or, when :func:`probes` finds it cheaper (few mutual connections
against sides they are sparse in, where the walk reads far before it meets ``limit`` of them),
the model's mutual ids each probed in the caller's primary key and the first ``limit`` after
the cursor sorted out of them: two members at the cap with 12 in common, 0.2 ms against
16 ms for the walk and 23 ms for the SQL path's count and walk (``EXPLAIN ANALYZE`` on the
seeded 100,000-member network). Where the statement's snapshot visibly contradicts the model
(probed ids that are not the caller's connections, or a whole list on its first page that does
not hold the total), :func:`page` reads the page the SQL path's way instead: the list and its
total never disagree.

Blocks. A block removes the connection between the two members in the transaction that
places it (spec 2.7, ``blocks.service.block``), so a member a block hides from the caller is
never one of the caller's connections, and a member who blocked (or was blocked by) the other
member is never one of theirs: no mutual connection is ever hidden by a block, and none is
screened here. ``tests/test_mutual_connections.py`` places blocks all four ways and checks
count, preview and list after each.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connect_api.graph import feed as graph_feed
from connect_api.kit.database import Database

log = logging.getLogger("connect_api.relationships")

# The number of members connected to both ``{a}`` and ``{b}``, whose connection counts are
# ``{na}`` and ``{nb}``: walk the smaller side and probe the larger's primary key when they
# differ by 8 times or more; merge-join the two primary-key ranges when they are alike.
MUTUAL_COUNT = """CASE WHEN {na} * 8 < {nb} THEN (
                SELECT count(*) FROM connections a
                WHERE a.member_id = {a}
                  AND (SELECT true FROM connections b
                       WHERE b.member_id = {b} AND b.other_id = a.other_id))
             WHEN {nb} * 8 < {na} THEN (
                SELECT count(*) FROM connections b
                WHERE b.member_id = {b}
                  AND (SELECT true FROM connections a
                       WHERE a.member_id = {a} AND a.other_id = b.other_id))
             ELSE (
                SELECT count(*) FROM connections a
                JOIN connections b ON b.other_id = a.other_id
                WHERE a.member_id = {a} AND b.member_id = {b})
        END"""


def mutual_walk(
    a: str, b: str, na: str, nb: str, limit: str, after: tuple[str, str] | None = None
) -> str:
    """Rows ``(other_id, name_key)``: at most ``limit`` members connected to both ``a`` and
    ``b`` (SQL expressions; ``na``, ``nb`` their connection counts), first in name order, after
    the position ``after`` (name key, id) when given. Three branches, of which the counts let
    exactly one run (the others stop at their one-time filter)."""

    def past(alias: str) -> str:
        if after is None:
            return ""
        return f" AND ({alias}.other_name_key, {alias}.other_id) > ({after[0]}, {after[1]})"

    def walk(small: str, large: str, n_small: str, n_large: str) -> str:
        return f"""(SELECT x.other_id, x.other_name_key FROM connections x
     WHERE {n_small} * 8 < {n_large} AND x.member_id = {small}{past("x")}
       AND (SELECT true FROM connections y
            WHERE y.member_id = {large} AND y.other_id = x.other_id)
     ORDER BY x.other_name_key, x.other_id LIMIT {limit})"""  # noqa: S608 - constants of this module

    return f"""{walk(a, b, na, nb)}
    UNION ALL
    {walk(b, a, nb, na)}
    UNION ALL
    (SELECT x.other_id, x.other_name_key FROM connections x
     JOIN connections y ON y.other_name_key = x.other_name_key AND y.other_id = x.other_id
     WHERE NOT ({na} * 8 < {nb} OR {nb} * 8 < {na})
       AND x.member_id = {a} AND y.member_id = {b}{past("x")}{past("y")}
     ORDER BY x.other_name_key, x.other_id LIMIT {limit})"""  # noqa: S608 - constants of this module


def mutual_tally(a: str, b: str, na: str, nb: str, first: int) -> str:
    """A ``bigint[]``: how many members are connected to both ``a`` and ``b``, then the ids of
    the ``first`` of them in name order. One walk in that order, chosen as
    :data:`MUTUAL_COUNT` chooses (a CASE: exactly one branch runs), gathered by an ordered
    ``array_agg`` over an input already in its order (the plan has no sort)."""
    agg = (
        "array_prepend(count(*), "
        f"(array_agg(x.other_id ORDER BY x.other_name_key, x.other_id))[1:{first}])"
    )

    def walk(small: str, large: str) -> str:
        return f"""(SELECT {agg} FROM connections x
                WHERE x.member_id = {small}
                  AND (SELECT true FROM connections y
                       WHERE y.member_id = {large} AND y.other_id = x.other_id))"""  # noqa: S608

    return f"""CASE WHEN {na} * 8 < {nb} THEN {walk(a, b)}
             WHEN {nb} * 8 < {na} THEN {walk(b, a)}
             ELSE (SELECT {agg} FROM connections x
                   JOIN connections y
                     ON y.other_name_key = x.other_name_key AND y.other_id = x.other_id
                   WHERE x.member_id = {a} AND y.member_id = {b})
        END"""  # noqa: S608 - constants of this module


def _page_sql(*, after: bool, model: bool = False) -> str:
    """``$1`` the caller, ``$2`` the other member, ``$3`` the limit; then the cursor (``$4``,
    ``$5``), or, with ``model``, the model's total (``$4``), the model's mutual ids when there
    are to be probed (``$5``, else empty: see :func:`probes`) and the cursor (``$6``, ``$7``).

    One row always: the caller's existence, whether the other member is visible, the total;
    then one row per listed member (the columns are null when there is none). With ``model``
    the last column is how many of the ids passed are the caller's connections (the page's
    candidates, all probed), else null."""
    cursor = ("$6", "$7") if model else ("$4", "$5")
    walk = mutual_walk("$1", "$2", "n.mine", "n.theirs", "$3", cursor if after else None)
    if model:
        total = "$4::bigint"
        past = f" AND (k.other_name_key, k.other_id) > ({cursor[0]}, {cursor[1]})" if after else ""
        # The model's ids, each probed in the caller's primary key (which carries the name key):
        # the page is the first ``limit`` of them in name order; or, without them, the walk.
        candidates = """,
k AS MATERIALIZED (
    SELECT v.other_id, v.other_name_key FROM (
        SELECT u.id AS other_id, (SELECT c.other_name_key FROM connections c
                                  WHERE c.member_id = $1 AND c.other_id = u.id) AS other_name_key
        FROM unnest($5::bigint[]) AS u(id)
        OFFSET 0) v
    WHERE v.other_name_key IS NOT NULL
)"""
        found = "(SELECT count(*) FROM k)"
        source = f"""(SELECT k.other_id, k.other_name_key FROM k
          WHERE cardinality($5::bigint[]) > 0{past}
          ORDER BY k.other_name_key, k.other_id LIMIT $3)
         UNION ALL
         (SELECT y.other_id, y.other_name_key FROM ({walk}) y
          WHERE cardinality($5::bigint[]) = 0)"""  # noqa: S608 - constants of this module
    else:
        total = MUTUAL_COUNT.format(a="$1", b="$2", na="w.mine", nb="w.theirs")
        candidates, found, source = "", "NULL::bigint", walk
    return f"""
WITH v AS MATERIALIZED (
    SELECT (SELECT m.connection_count FROM members m WHERE m.id = $1) AS mine,
           (SELECT m.connection_count FROM members m WHERE m.id = $2) AS theirs,
           $1 <> $2
           AND (SELECT true FROM blocks b WHERE b.blocker_id = $1 AND b.blocked_id = $2) IS NULL
           AND (SELECT true FROM blocks b WHERE b.blocker_id = $2 AND b.blocked_id = $1) IS NULL
           AS unblocked
),
w AS MATERIALIZED (
    -- Who may see the list is `visibility.sight`'s to say, from the facts this statement returns;
    -- the count and the page are computed only where it could say yes.
    SELECT v.mine, v.theirs, v.unblocked,
           v.mine IS NOT NULL AND v.theirs IS NOT NULL AND v.unblocked AS visible
    FROM v
),
n AS MATERIALIZED (
    SELECT w.mine, w.theirs, w.unblocked, CASE WHEN w.visible THEN {total} END AS total FROM w
){candidates}
SELECT n.mine IS NOT NULL AS caller_exists, n.theirs IS NOT NULL AS exists,
       $1 <> $2 AND NOT n.unblocked AS blocked, n.total,
       p.id, p.handle, p.display_name, p.headline, p.name_key, {found} AS found
FROM n
LEFT JOIN LATERAL (
    SELECT m.id, m.handle, m.display_name, m.headline, x.other_name_key AS name_key
    FROM ({source}) x
    JOIN members m ON m.id = x.other_id
    WHERE n.total > 0
    ORDER BY x.other_name_key, x.other_id
) p ON true
"""  # noqa: S608 - every piece is a constant of this module; values are parameters


PAGE_SQL = {after: _page_sql(after=after) for after in (False, True)}
# With the graph read model: the total is the model's, and so are the page's candidates when
# probing them costs less than the walk (:func:`probes`).
PAGE_SQL_MODEL = {after: _page_sql(after=after, model=True) for after in (False, True)}

# With the graph read model, the most mutual connections whose ids a page passes to its
# statement (see :func:`probes`).
PROBED_MOST = 1_000


def probes(mutual: int, mine: int, theirs: int, *, rows: int, most: int) -> bool:
    """Whether the first ``rows`` (in name order) of the ``mutual`` mutual connections the model
    named, between members with ``mine`` and ``theirs`` connections, are found for less by
    probing each of their ids in the caller's primary key (``mutual`` probes and a sort of as
    many rows; at most ``most``) than by the name-ordered walk, which meets one every
    ``smaller / mutual`` entries of the side it walks, so stops after about
    ``rows * smaller / mutual`` of them: each a probe of the other side when one side has 8
    times fewer connections; else entries of the two ranges merged, read in order, of which
    :data:`_MERGED_PER_PROBE` cost about one probe (``EXPLAIN ANALYZE`` on the seeded network:
    some 0.25 µs an entry merged, 5 µs a probe)."""
    if not 0 < mutual <= most:
        return False
    small, large = min(mine, theirs), max(mine, theirs)
    if small * 8 < large:
        return mutual * mutual <= rows * small
    return mutual * mutual * _MERGED_PER_PROBE <= rows * (small + large)


# How many entries of a merge of two ranges cost about what one primary-key probe does.
_MERGED_PER_PROBE = 16


@dataclass(frozen=True)
class Mutual:
    id: int
    handle: str
    display_name: str
    headline: str | None
    position: tuple[str, int]  # (name key, id): the keyset position of the row


@dataclass(frozen=True)
class MutualsPage:
    caller_exists: bool
    exists: bool  # the other member exists
    blocked: bool  # a block stands between the two, either way
    total: int
    rows: list[Mutual]


@dataclass(frozen=True)
class ModelMutuals:
    """What the graph read model says of the two members' mutual connections."""

    total: int
    ids: Sequence[int] | None  # all of them, to be probed (:func:`probes`); else ``None``


async def page(
    db: Database,
    caller_id: int,
    member_id: int,
    *,
    limit: int,
    after: tuple[str, int] | None,
    model: ModelMutuals | None = None,
) -> MutualsPage:
    """One page of the members connected to both, in name order, with how many there are.

    ``model``: the graph read model's total (and ids, when few); where the statement's snapshot
    visibly says otherwise (the ids passed that are the caller's connections are not as many,
    or a first page that is the whole list does not hold the total: a change committed between
    the model's catch-up and the statement), the page is read as without the model, the total
    counted in the same snapshot."""
    cursor: list[Any] = list(after) if after is not None else []
    if model is not None:
        ids = list(model.ids) if model.ids is not None else []
        rows = await db.fetch(
            PAGE_SQL_MODEL[after is not None],
            caller_id,
            member_id,
            limit,
            model.total,
            ids,
            *cursor,
        )
        found = _decode(rows)
        if not found.total or not _disagrees(found, rows[0][9], model, ids, limit, after):
            return found
        graph_feed.disagreed()
        log.info(
            "mutual connections of %d and %d: the graph read model disagrees; SQL answers",
            caller_id,
            member_id,
        )
    rows = await db.fetch(PAGE_SQL[after is not None], caller_id, member_id, limit, *cursor)
    return _decode(rows)


def _disagrees(
    found: MutualsPage,
    probed: int | None,
    model: ModelMutuals,
    ids: list[int],
    limit: int,
    after: tuple[str, int] | None,
) -> bool:
    if ids:
        return probed != len(ids)
    return after is None and len(found.rows) < limit and len(found.rows) != model.total


def _decode(rows: list[Any]) -> MutualsPage:
    first = rows[0]
    listed = [Mutual(r[4], r[5], r[6], r[7], (r[8], r[4])) for r in rows if r[4] is not None]
    return MutualsPage(bool(first[0]), bool(first[1]), bool(first[2]), first[3] or 0, listed)
