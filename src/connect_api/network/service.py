"""The network around a member: the second degree, and people they may know.

**The graph read model answers first.** When ``graph.feed.for_member`` hands back the model,
both lists are ranked in memory on every request, from the graph as it is now (so
``computed_at`` is now): a first look costs what any look costs (some 15 ms of counting for a
member at the cap, against the seconds of a snapshot's computation), and nothing is computed
ahead or kept. The second degree pages by keyset on (mutuals, id) over the live ranking: its
cursor names version :data:`LIVE` (0). A member whose count changes between two pages may
move across the cursor, so a page may repeat or skip them: the price of an answer that is
never out of date (the snapshot's cursor pins its version instead). Whatever the model says,
the statement that reads the page's members drops the erased, the connected and anyone a block
stands between (see ``repository``).

**Without the model** (not loaded yet, behind, or not yet holding the member's own last write)
both are read from the member's snapshot (see ``repository``). A first page finds the
snapshot missing or older than ``CONNECT_API_NETWORK_SNAPSHOT_TTL_SECONDS`` and computes it
first; members with at least ``CONNECT_API_NETWORK_REFRESH_MIN_CONNECTIONS`` connections (whose
computation takes the longest) are kept fresh by the background refresh instead, so their first
page does not wait for it. A cursor of the live ranking read here (the model stepped aside
between two pages) goes on from its (mutuals, id) in the current snapshot, as a first page
would; a snapshot's cursor read by the model goes on from its (mutuals, id) in the live ranking.
Either way the list pages no further than ``CONNECT_API_NETWORK_CANDIDATES_MAX`` members.

Suggestions rank by a score, ``2 * mutual connections + shared groups`` (a shared group weighs
half a mutual connection; ties by mutual connections, then id). Whatever the ranking says,
every suggestion is checked at read time: not the member, not connected, no block either way,
not dismissed, still a member, and :func:`policy.suggestion_refusal` (the invitation rule
itself) has nothing against the pair: no pending invitation either way, no cooldown, no
`dont_know`/`spam` bar, the candidate not at the cap, and the candidate's own controls (who
may invite them) admit the member.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import policy
from connect_api.graph import feed as graph_feed
from connect_api.graph.model import Graph, rank_second_degree, rank_suggestions
from connect_api.kit.config import PolicySettings
from connect_api.kit.context import AppContext
from connect_api.kit.errors import NotFound, member_gone
from connect_api.kit.overload import Outage
from connect_api.kit.pagination import InvalidCursor
from connect_api.kit.replicas import read_on_primary
from connect_api.members.access import visible_member
from connect_api.network import repository as network

log = logging.getLogger("connect_api.network")

# The suggestion score: 2 per mutual connection, 1 per shared group.
SCORE_WEIGHTS = (2, 1)

# The version a second-degree cursor of the live ranking names (a snapshot's version is a time
# in microseconds, never 0).
LIVE = 0

# How many statements one page of the live second degree reads at most: a page the statement
# shortened (the model a step ahead of or behind the tables) is filled from the ranking after it,
# up to this, and otherwise handed back short, with its cursor after the last member looked at.
_FILL_READS = 3


class CursorExpired(InvalidCursor):
    """The list was computed again since this cursor was handed out; start again."""

    code = "cursor_expired"


class NotSuggestible(NotFound):
    """You can't dismiss yourself."""


@dataclass(frozen=True)
class SecondDegreePage:
    computed_at: datetime
    reached: int
    listed_at_most: int
    items: list[network.Reached]
    version: int
    next_after: tuple[int, int] | None  # (mutuals, id) of the last item, when there is more


@dataclass(frozen=True)
class Suggestions:
    computed_at: datetime
    items: list[network.Candidate]


async def _compute(
    session: AsyncSession,
    ctx: AppContext,
    member_id: int,
    *,
    fresh_after: datetime | None = None,
    wait: bool = True,
    unbounded: bool = False,
) -> network.Computed | None:
    if unbounded:  # the refresh: a member at the cap takes seconds, not the request limit
        await session.execute(text("SET LOCAL statement_timeout = 0"))
    return await network.compute(
        session,
        member_id,
        now=ctx.clock.now(),
        keep=ctx.settings.network_candidates_max,
        weights=SCORE_WEIGHTS,
        fresh_after=fresh_after,
        wait=wait,
    )


async def _ensure_fresh(ctx: AppContext, member_id: int, computed_at: datetime | None) -> bool:
    """Compute the snapshot when it is missing or past its time; whether it was."""
    now = ctx.clock.now()
    cutoff = now - ctx.settings.network_snapshot_ttl
    if computed_at is not None and computed_at > cutoff:
        return False
    await ctx.db.run(
        _compute, ctx, member_id, fresh_after=computed_at or datetime.min.replace(tzinfo=now.tzinfo)
    )
    return True


async def second_degree(
    ctx: AppContext,
    caller_id: int,
    *,
    limit: int,
    cursor: tuple[int, int, int] | None,
) -> SecondDegreePage:
    """One page of the caller's second degree: from the graph read model when it may answer
    for them now, else from their snapshot. ``cursor``: (version, mutuals, id)."""
    graph = await graph_feed.for_member(ctx, caller_id)
    if graph is not None:
        return await _second_degree_live(ctx, graph, caller_id, limit=limit, cursor=cursor)
    live = cursor is not None and cursor[0] == LIVE
    version = cursor[0] if cursor and not live else None
    after = (cursor[1], cursor[2]) if cursor else None
    for attempt in range(2):
        found = await network.second_degree(
            ctx.db, caller_id, version=version, after=after, limit=limit + 1
        )
        if found is None:
            raise member_gone()
        snap, rows = found
        if version is not None:
            if snap is None or version not in (snap.version, snap.previous_version):
                # A replica behind the computation that handed the cursor out: the primary has it.
                if attempt == 0 and ctx.db.replicas is not None and read_on_primary():
                    continue
                raise CursorExpired(
                    "Your network was computed again since this cursor was handed out; "
                    "start again without `cursor`."
                )
            break
        # A first page, or the live ranking's cursor: the current snapshot, fresh.
        if attempt == 0 and await _ensure_fresh(ctx, caller_id, snap.computed_at if snap else None):
            continue
        break
    assert snap is not None
    more = len(rows) > limit
    rows = rows[:limit]
    return SecondDegreePage(
        computed_at=snap.computed_at,
        reached=snap.reached,
        listed_at_most=ctx.settings.network_candidates_max,
        items=rows,
        version=version if version is not None else snap.version,
        next_after=(rows[-1].mutuals, rows[-1].id) if more and rows else None,
    )


async def _second_degree_live(
    ctx: AppContext,
    graph: Graph,
    caller_id: int,
    *,
    limit: int,
    cursor: tuple[int, int, int] | None,
) -> SecondDegreePage:
    """A page of the live ranking, after the cursor's (mutuals, id) whatever version it names.

    As the snapshot lists only its ``network_candidates_max`` first, the list ends where that
    many members of the ranking lie before (or on) the page's end: the cursor's position is
    counted in the ranking as it is now."""
    keep = ctx.settings.network_candidates_max
    ids, mutuals = graph.second_degree_counts(caller_id)
    after = (cursor[1], cursor[2]) if cursor else None
    passed = 0  # members of the ranking at or before ``after``
    if after is not None:
        m0, id0 = after
        passed = int(np.count_nonzero((mutuals > m0) | ((mutuals == m0) & (ids <= id0))))
    items: list[network.Reached] = []
    more = False
    for _ in range(_FILL_READS):
        room = keep - passed
        want = max(0, min(limit - len(items), room))
        ranked = rank_second_degree(ids, mutuals, after=after, limit=want + 1)
        more = len(ranked.ids) > want and want < room
        page_ids, page_mutuals = ranked.ids[:want], ranked.mutuals[:want]
        found = await network.second_degree_members(
            ctx.db, caller_id, ids=page_ids.tolist(), mutuals=page_mutuals.tolist()
        )
        if found is None:
            raise member_gone()
        items += found
        if len(page_ids):
            after = (int(page_mutuals[-1]), int(page_ids[-1]))
            passed += len(page_ids)
        if not more or len(items) >= limit:
            break
    return SecondDegreePage(
        computed_at=ctx.clock.now(),
        reached=len(ids),
        listed_at_most=keep,
        items=items,
        version=LIVE,
        next_after=after if more else None,
    )


def _admitted(
    c: network.Candidate, caller_id: int, *, now: datetime, rules: PolicySettings
) -> bool:
    """Whether the invitation rule has nothing against inviting ``c`` (the caller's own
    throttles aside: :func:`policy.suggestion_refusal`)."""
    pair = policy.summarize_pair(c.history, inviter_id=caller_id, connected=False, now=now)
    refusal = policy.suggestion_refusal(
        member_id=caller_id,
        candidate_id=c.id,
        candidate_connection_count=c.connection_count,
        pair=pair,
        # Every candidate has a mutual connection (degree 2) or a group in common, as of the
        # ranking; judged now (the preview is found now: it is empty when no mutual connection
        # is left), one whose mutuals and groups are all gone since is not suggested to a member
        # who admits only their network (its degree 3 is not looked for here).
        controls=policy.invitee_controls(
            c.invite_policy,
            within_three_degrees=bool(c.preview),
            follows_inviter=c.followed_by,
            shares_group=c.shared_groups > 0,
        ),
        now=now,
        rules=rules,
    )
    return refusal is None


async def suggestions(ctx: AppContext, caller_id: int, *, limit: int) -> Suggestions:
    """The caller's first ``limit`` suggestions the invitation rule admits: from the graph read
    model when it may answer for them now, else from their snapshot."""
    graph = await graph_feed.for_member(ctx, caller_id)
    if graph is not None:
        return await _suggestions_live(ctx, graph, caller_id, limit=limit)
    rules, now = ctx.settings.policy, ctx.clock.now()
    # Most batches are all kept: the checks of the statement leave few the rule refuses, and
    # each candidate in a batch costs its live counts.
    batch = limit + max(5, limit // 4)
    picked: list[network.Candidate] = []
    after: tuple[int, int, int] | None = None
    computed_at: datetime | None = None
    refreshed = False
    while True:
        found = await network.suggestions(ctx.db, caller_id, now=now, batch=batch, after=after)
        if found is None:
            raise member_gone()
        if after is None and not refreshed:
            refreshed = True
            if await _ensure_fresh(ctx, caller_id, found.computed_at):
                continue
        computed_at = found.computed_at
        for c in found.candidates:
            if _admitted(c, caller_id, now=now, rules=rules):
                picked.append(c)
                if len(picked) == limit:
                    break
        if len(picked) == limit or len(found.candidates) < batch:
            break
        last = found.candidates[-1]
        after = (last.score, last.ranked_mutuals, last.id)
        batch = min(100, batch * 2)
    assert computed_at is not None
    return Suggestions(computed_at=computed_at, items=picked)


async def _suggestions_live(
    ctx: AppContext, graph: Graph, caller_id: int, *, limit: int
) -> Suggestions:
    """The suggestions from the live ranking, in batches as from the snapshot.

    The ranking is counted once per request, ``network_candidates_max`` deep (the depth the
    snapshot keeps), and the batches are slices of it: the counting is the cost (some 30 ms for
    a member at the cap, whatever the depth: one pass over the paths, then a partial sort),
    which a :func:`rank_suggestions` per batch would pay again for each."""
    rules, now = ctx.settings.policy, ctx.clock.now()
    ranked = rank_suggestions(
        graph,
        caller_id,
        weights=SCORE_WEIGHTS,
        after=None,
        limit=ctx.settings.network_candidates_max,
    )
    batch = limit + max(5, limit // 4)
    picked: list[network.Candidate] = []
    start = 0
    while True:
        part = slice(start, start + batch)
        found = await network.suggested_members(
            ctx.db,
            caller_id,
            now=now,
            ids=ranked.ids[part].tolist(),
            scores=ranked.score[part].tolist(),
            mutuals=ranked.mutuals[part].tolist(),
            shared=ranked.shared[part].tolist(),
        )
        if found is None:
            raise member_gone()
        for c in found:
            if _admitted(c, caller_id, now=now, rules=rules):
                picked.append(c)
                if len(picked) == limit:
                    break
        start += batch
        if len(picked) == limit or start >= len(ranked.ids):
            break
        batch = min(100, batch * 2)
    return Suggestions(computed_at=now, items=picked)


async def dismiss(session: AsyncSession, ctx: AppContext, caller_id: int, member_id: int) -> None:
    """Hide ``member_id`` from the caller's suggestions for the dismissal period (again from
    now, when already hidden)."""
    if member_id == caller_id:
        await visible_member(session, caller_id, member_id)  # a caller who is gone: 401
        raise NotSuggestible("You are never among your own suggestions.")
    await visible_member(session, caller_id, member_id)
    now = ctx.clock.now()
    await network.dismiss(session, caller_id, member_id, now + ctx.settings.suggestion_dismissal)


# --- refresh ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshReport:
    members: int
    seconds: float
    slowest: float
    purged: int


async def refresh(
    ctx: AppContext,
    *,
    members: list[int] | None = None,
    everyone: bool = False,
    due_only: bool = False,
    stop: asyncio.Event | None = None,
) -> RefreshReport:
    """Compute the snapshots of ``members``, of every member (``everyone``), or of the members
    the background keeps fresh (at least ``network_refresh_min_connections``): all of them, or
    with ``due_only`` those whose snapshot is older than ``network_refresh_seconds``. Then forget
    the snapshots nobody asked for in two lifetimes. One transaction per member."""
    settings = ctx.settings
    started = time.perf_counter()
    now = ctx.clock.now()
    if members is None:
        if everyone:
            members = await ctx.db.run(network.everyone)
        else:
            older = now - timedelta(seconds=settings.network_refresh_seconds) if due_only else now
            members = await ctx.db.run(
                network.due,
                min_connections=settings.network_refresh_min_connections,
                older_than=older,
                limit=100_000,
            )
    done, slowest = 0, 0.0
    for member_id in members:
        if stop is not None and stop.is_set():
            break
        t0 = time.perf_counter()
        # Another process computing the same member: leave it to them.
        computed = await ctx.db.run(_compute, ctx, member_id, wait=False, unbounded=True)
        slowest = max(slowest, time.perf_counter() - t0)
        done += computed is not None
    purged = await ctx.db.run(
        network.purge,
        older_than=now - 2 * settings.network_snapshot_ttl,
        below_connections=settings.network_refresh_min_connections,
    )
    return RefreshReport(done, time.perf_counter() - started, slowest, purged)


async def run_refresher(ctx: AppContext, stop: asyncio.Event) -> None:
    """`serve`'s (or `worker`'s) background refresh: every ``network_refresh_seconds``, the
    snapshots of members with many connections that are due."""
    outage = Outage("network refresh", log)
    while not stop.is_set():
        try:
            report = await refresh(ctx, due_only=True, stop=stop)
            outage.ok()
            if report.members:
                log.info(
                    "network refresh: %d members in %.1f s (slowest %.1f s)",
                    report.members,
                    report.seconds,
                    report.slowest,
                )
        except Exception as exc:
            outage.failed(exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ctx.settings.network_refresh_seconds)
