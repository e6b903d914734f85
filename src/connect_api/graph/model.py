"""The graph held in memory: who is connected to whom, who blocked whom, who is in which group.

Each relation is an :class:`Adjacency`: a compressed sparse row base (``indptr``, ``indices``:
the sorted neighbours of member ``m`` are ``indices[indptr[m]:indptr[m + 1]]``, 4 bytes per
entry while ids fit in 32 bits) under an overlay of the members changed since the base was
built (a sorted array each, replaced whole on every change: a change copies one member's
neighbours, never the base). The base is rebuilt from PostgreSQL (:mod:`.feed`) when the
overlay grows past a share of it.

Everything here is arithmetic on arrays; nothing reads the database. The questions are the
ones the graph answers: neighbours, mutual connections, the second degree counted by path
(``bincount`` over the neighbours of the neighbours), within-two masks for the third degree,
and the groups' co-members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int64]

_EMPTY: Ids = np.zeros(0, dtype=np.int64)
_EMPTY.setflags(write=False)


def contains(sorted_ids: Ids, x: int) -> bool:
    """Whether ``x`` is in ``sorted_ids`` (ascending): one binary search."""
    i = int(np.searchsorted(sorted_ids, x))
    return i < len(sorted_ids) and int(sorted_ids[i]) == x


class Adjacency:
    """A directed relation ``m -> neighbours(m)``, sorted, no repeats."""

    def __init__(self, sources: Ids, targets: Ids) -> None:
        """From parallel arrays of edges (each edge once; repeats are dropped)."""
        if len(sources):
            order = np.lexsort((targets, sources))
            src, dst = sources[order], targets[order]
            keep = np.ones(len(src), dtype=bool)
            keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
            src, dst = src[keep], dst[keep]
            size = int(src.max()) + 1
        else:
            src = dst = _EMPTY
            size = 0
        wide = len(dst) and int(dst.max()) >= 2**31 - 1
        self.indices = dst.astype(np.int64 if wide else np.int32)
        counts = np.bincount(src, minlength=size) if size else np.zeros(0, dtype=np.int64)
        self.indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.base_edges = len(dst)
        self.overlay: dict[int, Ids] = {}
        self.overlay_entries = 0  # how many entries the overlay's arrays hold in all

    @classmethod
    def from_csr(cls, indptr: npt.NDArray[np.int64], indices: npt.NDArray[Any]) -> Adjacency:
        """From a compressed sparse row already built (each row sorted, no repeats)."""
        self = cls.__new__(cls)
        self.indptr, self.indices = indptr, indices
        self.base_edges = len(indices)
        self.overlay, self.overlay_entries = {}, 0
        return self

    # --- reading -------------------------------------------------------------------------------

    def neighbours(self, m: int) -> Ids:
        found = self.overlay.get(m)
        if found is not None:
            return found
        if 0 <= m < len(self.indptr) - 1:
            return self.indices[self.indptr[m] : self.indptr[m + 1]].astype(np.int64, copy=False)
        return _EMPTY

    def degree(self, m: int) -> int:
        found = self.overlay.get(m)
        if found is not None:
            return len(found)
        if 0 <= m < len(self.indptr) - 1:
            return int(self.indptr[m + 1] - self.indptr[m])
        return 0

    def has(self, a: int, b: int) -> bool:
        return contains(self.neighbours(a), b)

    def gather(self, members: Ids) -> Ids:
        """The neighbours of every member of ``members``, one after another (with repeats):
        the base's ranges in one vectorised copy, the overlay's arrays added to it."""
        if not len(members):
            return _EMPTY
        if self.overlay:
            changed = np.fromiter(
                (m in self.overlay for m in members.tolist()), dtype=bool, count=len(members)
            )
            from_overlay = [self.overlay[int(m)] for m in members[changed]]
            members = members[~changed]
        else:
            from_overlay = []
        size = len(self.indptr) - 1
        members = members[(members >= 0) & (members < size)]
        starts = self.indptr[members]
        lengths = self.indptr[members + 1] - starts
        total = int(lengths.sum())
        if total:
            # Position k of the output reads indices[starts[j] + (k - offset of j)].
            offsets = np.cumsum(lengths) - lengths
            index = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, lengths)
            base: Ids = self.indices[index].astype(np.int64, copy=False)
        else:
            base = _EMPTY
        if from_overlay:
            joined: Ids = np.concatenate([base, *from_overlay])
            return joined
        return base

    # --- changing ------------------------------------------------------------------------------

    def put(self, a: int, b: int, present: bool) -> bool:
        """Make ``a -> b`` present or absent; whether that changed anything."""
        row = self.neighbours(a)
        i = int(np.searchsorted(row, b))
        there = i < len(row) and int(row[i]) == b
        if there == present:
            return False
        new = np.insert(row, i, b) if present else np.delete(row, i)
        old = self.overlay.get(a)
        self.overlay_entries += len(new) - (len(old) if old is not None else 0)
        self.overlay[a] = new.astype(np.int64, copy=False)
        return True

    # --- size ----------------------------------------------------------------------------------

    @property
    def edges(self) -> int:
        """How many entries the relation holds now (base, less what the overlay replaced)."""
        replaced = sum(self.degree_in_base(m) for m in self.overlay)
        return self.base_edges - replaced + self.overlay_entries

    def degree_in_base(self, m: int) -> int:
        if 0 <= m < len(self.indptr) - 1:
            return int(self.indptr[m + 1] - self.indptr[m])
        return 0

    @property
    def nbytes(self) -> int:
        overlay = sum(a.nbytes + 100 for a in self.overlay.values())  # ~100 B of dict and header
        return int(self.indices.nbytes + self.indptr.nbytes + overlay)


def _pairs(pairs: Ids) -> tuple[Ids, Ids]:
    pairs = pairs.reshape(-1, 2) if len(pairs) else np.zeros((0, 2), dtype=np.int64)
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)


@dataclass(frozen=True)
class Ranked:
    """A ranking's slice: ids, their mutual connections, shared groups and score, in order."""

    ids: Ids
    mutuals: Ids
    shared: Ids
    score: Ids
    reached: int  # how many members the ranking holds in all (mutuals > 0 for the 2nd degree)


class Graph:
    """Connections (both ways), blocks (as placed, and as received) and group memberships."""

    def __init__(self, connections: Ids, blocks: Ids, memberships: Ids) -> None:
        """``connections``: rows ``(a, b)`` with each pair once or twice; ``blocks``: rows
        ``(blocker, blocked)``; ``memberships``: rows ``(group, member)``."""
        a, b = _pairs(connections)
        self.connections = Adjacency(np.concatenate([a, b]), np.concatenate([b, a]))
        blocker, blocked = _pairs(blocks)
        self.blocks_placed = Adjacency(blocker, blocked)
        self.blocks_received = Adjacency(blocked, blocker)
        group, member = _pairs(memberships)
        self.groups_of = Adjacency(member, group)
        self.members_of = Adjacency(group, member)

    @classmethod
    def from_relations(
        cls,
        connections: Adjacency,
        blocks_placed: Adjacency,
        blocks_received: Adjacency,
        groups_of: Adjacency,
        members_of: Adjacency,
    ) -> Graph:
        self = cls.__new__(cls)
        self.connections, self.blocks_placed, self.blocks_received = (
            connections,
            blocks_placed,
            blocks_received,
        )
        self.groups_of, self.members_of = groups_of, members_of
        return self

    # --- changes -------------------------------------------------------------------------------

    def connect(self, a: int, b: int, present: bool) -> None:
        self.connections.put(a, b, present)
        self.connections.put(b, a, present)

    def block(self, blocker: int, blocked: int, present: bool) -> None:
        self.blocks_placed.put(blocker, blocked, present)
        self.blocks_received.put(blocked, blocker, present)

    def membership(self, group: int, member: int, present: bool) -> None:
        self.groups_of.put(member, group, present)
        self.members_of.put(group, member, present)

    @property
    def relations(self) -> tuple[Adjacency, ...]:
        return (
            self.connections,
            self.blocks_placed,
            self.blocks_received,
            self.groups_of,
            self.members_of,
        )

    @property
    def overlay_share(self) -> float:
        """The overlay's entries as a share of the base's (when to rebuild the base)."""
        c = self.connections
        return c.overlay_entries / max(c.base_edges, 100_000)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.relations)

    # --- questions -----------------------------------------------------------------------------

    def connected(self, a: int, b: int) -> bool:
        return self.connections.has(a, b)

    def degree(self, m: int) -> int:
        return self.connections.degree(m)

    def hidden_from(self, m: int) -> Ids:
        """The members a block stands between ``m`` and, either way (sorted, no repeats)."""
        return np.union1d(self.blocks_placed.neighbours(m), self.blocks_received.neighbours(m))

    def mutual_ids(self, a: int, b: int) -> Ids:
        return np.intersect1d(
            self.connections.neighbours(a), self.connections.neighbours(b), assume_unique=True
        )

    def mutual_count(self, a: int, b: int) -> int:
        return len(self.mutual_ids(a, b))

    def size_for(self, *arrays: Ids) -> int:
        """An id bound above every id in ``arrays`` and every member the relations know."""
        top = len(self.connections.indptr)
        for a in arrays:
            if len(a):
                top = max(top, int(a.max()) + 1)
        for k in self.connections.overlay:
            top = max(top, k + 1)
        return top

    def second_degree_counts(self, me: int) -> tuple[Ids, Ids]:
        """Every member at distance two from ``me`` that a block does not hide, and how many
        of ``me``'s connections they are connected to: ``(ids ascending, mutual counts)``."""
        mine = self.connections.neighbours(me)
        paths = self.connections.gather(mine)
        if not len(paths):
            return _EMPTY, _EMPTY
        counts = np.bincount(paths)
        if me < len(counts):
            counts[me] = 0
        drop = np.concatenate([mine, self.hidden_from(me)])
        drop = drop[drop < len(counts)]
        counts[drop] = 0
        ids = np.flatnonzero(counts).astype(np.int64)
        return ids, counts[ids].astype(np.int64)

    def within_two(self, me: int) -> npt.NDArray[np.bool_]:
        """A mask over member ids of everyone at distance one or two from ``me``."""
        mine = self.connections.neighbours(me)
        paths = self.connections.gather(mine)
        m = np.zeros(self.size_for(paths, mine), dtype=bool)
        m[paths] = True
        m[mine] = True
        return m

    def third_degree(self, me: int, them: int, near: npt.NDArray[np.bool_]) -> bool:
        """Whether ``them`` has a connection within two of ``me`` (``near``: :meth:`within_two`)."""
        theirs = self.connections.neighbours(them)
        theirs = theirs[theirs < len(near)]
        return bool(near[theirs].any())

    def shared_group_counts(self, me: int) -> tuple[Ids, Ids]:
        """Every member who shares a group with ``me`` (not ``me``), and how many groups."""
        groups = self.groups_of.neighbours(me)
        mates = self.members_of.gather(groups)
        if not len(mates):
            return _EMPTY, _EMPTY
        counts = np.bincount(mates)
        if me < len(counts):
            counts[me] = 0
        ids = np.flatnonzero(counts).astype(np.int64)
        return ids, counts[ids].astype(np.int64)


def top_by(ids: Ids, *descending: Ids, limit: int) -> Ids:
    """The positions of the first ``limit`` rows in the order of the ``descending`` keys (each
    non-negative, greatest first), then id (smallest first). One int64 key and a partial sort
    when the keys fit in it, a full lexical sort when they do not."""
    if not len(ids):
        return _EMPTY
    combined = np.zeros(len(ids), dtype=np.int64)
    bound = 1
    fits = int(ids.max()) < 2**32
    for key in descending:
        width = int(key.max()) + 1 if len(key) else 1
        bound *= width
        if bound >= 2**31:
            fits = False
            break
        combined = combined * width + key
    if not fits:
        order = np.lexsort((ids, *(-k for k in reversed(descending))))
        return order[:limit]
    order_key = -(combined << 32) + ids
    if len(order_key) > limit:
        part = np.argpartition(order_key, limit - 1)[:limit]
        return part[np.argsort(order_key[part], kind="stable")]
    return np.argsort(order_key, kind="stable")


def rank_second_degree(
    ids: Ids, mutuals: Ids, *, after: tuple[int, int] | None, limit: int
) -> Ranked:
    """The second degree in its order (most mutual connections first, then id), the ``limit``
    after the position ``after`` = (mutuals, id)."""
    reached = len(ids)
    if after is not None:
        m0, id0 = after
        keep = (mutuals < m0) | ((mutuals == m0) & (ids > id0))
        ids, mutuals = ids[keep], mutuals[keep]
    pick = top_by(ids, mutuals, limit=limit)
    zeros = np.zeros(len(pick), dtype=np.int64)
    return Ranked(ids[pick], mutuals[pick], zeros, mutuals[pick], reached)


def rank_suggestions(
    graph: Graph,
    me: int,
    *,
    weights: tuple[int, int],
    after: tuple[int, int, int] | None,
    limit: int,
) -> Ranked:
    """Members ranked by ``weights[0] * mutual connections + weights[1] * shared groups``
    (then mutual connections, then id), not ``me``, not connected to ``me``, no block either
    way; the ``limit`` after ``after`` = (score, mutuals, id)."""
    ids2, mutuals2 = graph.second_degree_counts(me)
    idsg, shared_g = graph.shared_group_counts(me)
    ids = np.union1d(ids2, idsg)
    mutuals = np.zeros(len(ids), dtype=np.int64)
    shared = np.zeros(len(ids), dtype=np.int64)
    mutuals[np.searchsorted(ids, ids2)] = mutuals2
    shared[np.searchsorted(ids, idsg)] = shared_g
    if len(idsg):
        # A group mate who is connected to me, or hidden by a block, is not a candidate.
        drop = np.concatenate([graph.connections.neighbours(me), graph.hidden_from(me)])
        keep = ~np.isin(ids, drop, assume_unique=False)
        ids, mutuals, shared = ids[keep], mutuals[keep], shared[keep]
    score = weights[0] * mutuals + weights[1] * shared
    reached = len(ids)
    if after is not None:
        s0, m0, id0 = after
        keep = (score < s0) | ((score == s0) & (mutuals < m0))
        keep |= (score == s0) & (mutuals == m0) & (ids > id0)
        ids, mutuals, shared, score = ids[keep], mutuals[keep], shared[keep], score[keep]
    pick = top_by(ids, score, mutuals, limit=limit)
    return Ranked(ids[pick], mutuals[pick], shared[pick], score[pick], reached)
