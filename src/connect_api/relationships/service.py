"""The relationships look-up: everything the Connect button needs, for up to 100 members.

`can_invite` comes from :func:`policy.answer_send`, which is :func:`policy.decide_send` (the
function the invitation endpoint itself obeys) fed the same facts: the button never promises
what the endpoint would refuse.

**The graph facts from the graph read model.** When ``graph.feed.for_member`` hands back the
model, whether the caller is connected to each member, how many mutual connections they have
(and which, when few) and, where neither, whether they are at the 3rd degree are computed
here in memory (:func:`model_pairs`: array look-ups and intersections, a few milliseconds for
100 ids even for a caller at the cap) instead of by the statement's index walks, which were
its cost for callers with many connections; the statement reads the rest
(``repository.LOOK_UP_MODEL``). The rule is fed the same facts either way (within three
degrees: a mutual connection or the 3rd degree), only their source changes. The list of
mutual connections takes its total from the model likewise, so the look-up's count and the
list's total are the same number. Without the model (not loaded, behind, or not yet holding
the caller's own last write) every fact is read by SQL, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from connect_api.core import policy, visibility
from connect_api.core.models import InvitationStatus
from connect_api.core.policy import effective_status
from connect_api.graph import feed as graph_feed
from connect_api.graph.model import Adjacency, Graph, Ids, contains
from connect_api.kit.context import AppContext
from connect_api.kit.errors import BadRequest, member_gone
from connect_api.relationships import mutuals
from connect_api.relationships import repository as relationships

PreviewMember = relationships.PreviewMember  # a member named in a preview of mutual connections


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    direction: str  # "sent" or "received"
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Relationship:
    member_id: int
    degree: int | None
    connected_at: datetime | None
    invitation: PendingInvitation | None
    following: bool
    followed_by: bool
    mutual_connections: int
    mutual_preview: tuple[PreviewMember, ...]
    shared_groups: int
    invite: policy.InviteAnswer
    action: policy.Action


def _unavailable(member_id: int, reason: policy.InviteRefusal) -> Relationship:
    """Blocked either way, erased, never existed, or the caller: nothing to show, nor why."""
    return Relationship(
        member_id=member_id,
        degree=None,
        connected_at=None,
        invitation=None,
        following=False,
        followed_by=False,
        mutual_connections=0,
        mutual_preview=(),
        shared_groups=0,
        invite=policy.InviteAnswer(False, reason),
        action="unavailable",
    )


# --- the graph read model's answers -----------------------------------------------------------

# Both sides at least this long: their common members are found through a mask of the caller's
# (one look-up per entry of the other side) instead of a binary search of one in the other.
_MASKED = 1024
# How many members' connections the search for a degree-3 path gathers at a time (it stops at
# the first path: between members with many connections there are many).
_CHUNK = 256


class _Mine:
    """The caller's connections in the model, and what is derived from them once per request."""

    def __init__(self, graph: Graph, me: int) -> None:
        self.graph, self.me = graph, me
        self.ids = graph.connections.neighbours(me)
        self._mask: npt.NDArray[np.bool_] | None = None

    def has(self, them: int) -> bool:
        return contains(self.ids, them)

    def common(self, theirs: Ids) -> Ids:
        """Who of ``theirs`` is connected to the caller (ascending when ``theirs`` is)."""
        found: Ids = theirs[self.among(theirs)]
        return found

    def among(self, values: Ids) -> npt.NDArray[np.bool_]:
        """Which of ``values`` are the caller's connections: looked up in a mask of them when
        both are long, else each searched for in them."""
        mine = self.ids
        if not len(mine) or not len(values):
            return np.zeros(len(values), dtype=bool)
        if len(mine) >= _MASKED and len(values) >= _MASKED:
            if self._mask is None:
                self._mask = np.zeros(int(mine[-1]) + 1, dtype=bool)
                self._mask[mine] = True
            hit = np.zeros(len(values), dtype=bool)
            inside = values < len(self._mask)
            hit[inside] = self._mask[values[inside]]
            return hit
        at = np.searchsorted(mine, values)
        at[at == len(mine)] = 0
        return np.asarray(mine[at] == values)

    def third_degree(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` (neither connected to the caller nor with a mutual connection) who
        have a connection within two of the caller: at the 3rd degree.

        Either the caller's :meth:`Graph.within_two` mask, made once (it gathers the
        connections of every connection of the caller's: 1.5 million entries and some 30 ms for
        a member at the cap), then each member's connections looked up in it; or, when it gathers
        less, each member's connections' connections searched among the caller's (a path
        caller - a - b - them, ``a`` one of them). Which, by how many entries each would gather."""
        if not ids:
            return set()
        conn = self.graph.connections
        theirs = [conn.neighbours(t) for t in ids]
        if self._by_their_paths(theirs):
            return {them for them, n in zip(ids, theirs, strict=True) if self._reaches(n)}
        near = self.graph.within_two(self.me)
        return {t for t in ids if self.graph.third_degree(self.me, t, near)}

    def _by_their_paths(self, theirs: list[Ids]) -> bool:
        """Whether the members' own paths gather fewer entries than the caller's mask would."""
        conn = self.graph.connections
        return sum(_reach(conn, n) for n in theirs) < _reach(conn, self.ids)

    def _reaches(self, theirs: Ids) -> bool:
        """Whether a connection of one of ``theirs`` is the caller's: their connections
        gathered :data:`_CHUNK` members at a time, until the first is found."""
        conn = self.graph.connections
        for start in range(0, len(theirs), _CHUNK):
            if self.among(conn.gather(theirs[start : start + _CHUNK])).any():
                return True
        return False


def _reach(adjacency: Adjacency, members: Ids) -> int:
    """About how many entries ``adjacency.gather(members)`` reads (the base's counts; the few
    members the overlay changed are counted as in the base)."""
    size = len(adjacency.indptr) - 1
    inside = members[members < size]
    return int((adjacency.indptr[inside + 1] - adjacency.indptr[inside]).sum())


def model_pairs(graph: Graph, me: int, ids: Sequence[int]) -> dict[int, relationships.ModelPair]:
    """The model's facts between ``me`` and each of ``ids``: connected, the mutual connections
    (their ids too when the statement is to probe them for the preview: :func:`mutuals.probes`),
    and degree 3 where neither of those holds. Nothing is computed for a member a block hides
    from ``me`` or without connections (the statement drops the first; the second has no
    mutual connection nor degree 3)."""
    mine = _Mine(graph, me)
    hidden = graph.hidden_from(me)
    found: dict[int, tuple[bool, Ids, int]] = {}
    for them in ids:
        theirs = graph.connections.neighbours(them)
        if them != me and len(theirs) and not contains(hidden, them):
            found[them] = (mine.has(them), mine.common(theirs), len(theirs))
    third = mine.third_degree([t for t, (c, m, _) in found.items() if not c and not len(m)])
    nothing = relationships.ModelPair(False, 0, (), False)
    out: dict[int, relationships.ModelPair] = {}
    for them in ids:
        if them not in found:
            out[them] = nothing
            continue
        connected, common, degree = found[them]
        probed = mutuals.probes(
            len(common),
            len(mine.ids),
            degree,
            rows=relationships.PREVIEW,
            most=relationships.FEW,
        )
        out[them] = relationships.ModelPair(
            connected, len(common), common.tolist() if probed else None, them in third
        )
    return out


# --- the look-up -------------------------------------------------------------------------------


async def look_up(
    ctx: AppContext, caller_id: int, ids: list[int], *, preview: bool = True
) -> list[Relationship]:
    rules, now = ctx.settings.policy, ctx.clock.now()
    others = [i for i in ids if i != caller_id]
    graph = await graph_feed.for_member(ctx, caller_id)
    found = await relationships.look_up(
        ctx.db,
        caller_id,
        others,
        now=now,
        sends_since=now - policy.WEEK,
        sends_limit=policy.sends_needed(rules),
        preview=preview,
        model=model_pairs(graph, caller_id, others) if graph is not None else None,
    )
    if found is None:
        raise member_gone()
    mine, facts = found

    out = []
    for member_id in ids:
        if member_id == caller_id:
            out.append(_unavailable(member_id, policy.InviteRefusal.cannot_invite_self))
            continue
        f = facts.get(member_id)
        if f is None:
            out.append(_unavailable(member_id, policy.InviteRefusal.not_found))
            continue
        connected = f.connected_at is not None
        pair = policy.summarize_pair(f.history, inviter_id=caller_id, connected=connected, now=now)
        # The look-up's facts for all ids at once: within three degrees is a mutual connection
        # (the 2nd degree) or the degree-3 path; "follows the inviter" is `followed_by`.
        controls = policy.invitee_controls(
            f.invite_policy,
            within_three_degrees=f.mutual_connections > 0 or f.third_degree,
            follows_inviter=f.followed_by,
            shares_group=f.shared_groups > 0,
        )
        invite = policy.answer_send(
            inviter_id=caller_id,
            invitee_id=member_id,
            inviter=mine,
            invitee_connection_count=f.connection_count,
            pair=pair,
            controls=controls,
            now=now,
            rules=rules,
        )
        pending = next(
            (
                i
                for i in f.history
                if effective_status(i.status, i.expires_at, now) is InvitationStatus.pending
            ),
            None,
        )
        if connected:
            degree: int | None = 1
        elif f.mutual_connections:
            degree = 2
        else:
            degree = 3 if f.third_degree else None
        out.append(
            Relationship(
                member_id=member_id,
                degree=degree,
                connected_at=f.connected_at,
                invitation=PendingInvitation(
                    pending.id,
                    "sent" if pending.inviter_id == caller_id else "received",
                    pending.created_at,
                    pending.expires_at,
                )
                if pending is not None
                else None,
                following=f.following,
                followed_by=f.followed_by,
                mutual_connections=f.mutual_connections,
                mutual_preview=f.preview,
                shared_groups=f.shared_groups,
                invite=invite,
                action=policy.button_action(
                    available=True,
                    connected=connected,
                    pending_sent=pair.pending_from_inviter_id is not None,
                    pending_received=pair.pending_from_invitee_id is not None,
                    can_invite=invite.allowed,
                    follow_first=f.follow_first,
                ),
            )
        )
    return out


# --- mutual connections ----------------------------------------------------------------------
#
# Who may ask: any member about any other member they may see. The list shows only the caller's
# own connections, each of whom the caller may already see connected to the member (a member's
# connections are visible to their 1st-degree connections, spec 2.11), so it reveals nothing the
# caller could not read elsewhere. A block either way, an erased or unknown member: 404, as
# everywhere. Yourself: 400 ``mutual_connections_self``.


class MutualConnectionsSelf(BadRequest):
    """Mutual connections are between you and another member."""

    code = "mutual_connections_self"


async def mutual_connections(
    ctx: AppContext,
    caller_id: int,
    member_id: int,
    *,
    limit: int,
    after: tuple[str, int] | None,
) -> tuple[list[mutuals.Mutual], int, tuple[str, int] | None]:
    """One page in name order, the total, and the position after the page (``None``: last)."""
    graph = await graph_feed.for_member(ctx, caller_id)
    model = None
    if graph is not None and member_id != caller_id:
        mine = _Mine(graph, caller_id)
        theirs = graph.connections.neighbours(member_id)
        common = mine.common(theirs)
        probed = mutuals.probes(
            len(common), len(mine.ids), len(theirs), rows=limit + 1, most=mutuals.PROBED_MOST
        )
        model = mutuals.ModelMutuals(len(common), common.tolist() if probed else None)
    found = await mutuals.page(
        ctx.db, caller_id, member_id, limit=limit + 1, after=after, model=model
    )
    if not found.caller_exists:
        raise member_gone()  # first, as on every route: even when asking about oneself
    if caller_id == member_id:
        raise MutualConnectionsSelf("Mutual connections are between you and another member.")
    viewing = visibility.Viewing(caller_id, member_id, exists=found.exists, blocked=found.blocked)
    if not visibility.sight(viewing).mutuals:
        raise visibility.hidden()
    rows = found.rows
    nxt = rows[limit - 1].position if len(rows) > limit else None
    return rows[:limit], found.total, nxt
