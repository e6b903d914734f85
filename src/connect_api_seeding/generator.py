"""A realistic network, generated in memory with numpy: no I/O, the same seed gives the same
network.

The connections come from a degree-corrected stochastic block model (Chung-Lu weights inside
communities): every member gets a lognormal weight (their expected degree) and a community
(communities have lognormal sizes); an edge's first end is drawn by weight over everyone,
its second by weight inside the first end's community (``inside`` of the time) or over
everyone. The result has heavy-tailed degrees, dense communities and short paths between
them, so 2nd and 3rd degree look like a social graph's. Around it: hubs at exactly the cap,
little islands nobody else reaches, follows, blocks, groups and invitations.

Times are kept as whole seconds *before* the moment the network is loaded (``*_ago``), so a
network is the same whenever it is generated; the loader turns them into timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from connect_api_seeding import names

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

DAY = 86_400
YEAR = 365 * DAY

# Invitation statuses and decline reasons, as the loader writes them.
STATUSES = ("pending", "accepted", "declined", "withdrawn")
PENDING, ACCEPTED, DECLINED, WITHDRAWN = range(4)
REASONS = ("ignore", "dont_know", "spam")


@dataclass(frozen=True)
class Rules:
    """The numbers of the product rules the generated rows must respect."""

    connection_cap: int = 30_000
    pending_outgoing_max: int = 5_000
    invitations_per_hour: int = 20
    invitations_per_week: int = 100
    invitation_expiry_days: float = 180


@dataclass(frozen=True)
class Params:
    members: int
    avg_degree: float = 50
    hubs: int = 0
    groups: int | None = None  # None: about one per 200 members
    seed: int = 1
    inside: float = 0.85  # share of (non-hub) edges drawn inside the first end's community
    degree_sigma: float = 1.3  # sigma of the lognormal expected degrees
    island_share: float = 0.005  # members in small components of their own
    rules: Rules = field(default_factory=Rules)


@dataclass
class Network:
    """Everything to load. Member ids are 1..members; pairs are rows of (n, 2) arrays."""

    members: int
    member_ago: I64
    first_name: I64  # index into names.FIRST_NAMES
    last_name: I64
    title: I64  # index into names.TITLES, -1: no headline
    employer: I64
    community: I64  # -1: hub or island
    hubs: I64
    edges: I64  # (E, 2), a < b, each undirected pair once
    edge_ago: I64
    group_names: list[str]
    # (F, 2) one-way follows beyond the two of every connection
    follows: I64 = field(default_factory=lambda: _empty_pairs())
    follow_ago: I64 = field(default_factory=lambda: _empty())
    blocks: I64 = field(default_factory=lambda: _empty_pairs())  # (B, 2) blocker, blocked
    block_ago: I64 = field(default_factory=lambda: _empty())
    group_ago: I64 = field(default_factory=lambda: _empty())
    # (GM, 2) group id, member id
    group_members: I64 = field(default_factory=lambda: _empty_pairs())
    joined_ago: I64 = field(default_factory=lambda: _empty())
    invitations: I64 = field(default_factory=lambda: _empty_pairs())  # (I, 2) inviter, invitee
    invitation_status: I64 = field(default_factory=lambda: _empty())  # index into STATUSES
    decline_reason: I64 = field(default_factory=lambda: _empty())  # index into REASONS, -1: none
    invited_ago: I64 = field(default_factory=lambda: _empty())
    responded_ago: I64 = field(default_factory=lambda: _empty())  # -1: not responded
    # index into names.MESSAGES, -1: no message
    message: I64 = field(default_factory=lambda: _empty())
    tags: I64 = field(default_factory=lambda: _empty_pairs())  # (T, 2) author, tagged connection
    tag: I64 = field(default_factory=lambda: _empty())  # index into names.TAGS
    tag_ago: I64 = field(default_factory=lambda: _empty())

    @property
    def degrees(self) -> I64:
        return np.bincount(self.edges.ravel(), minlength=self.members + 1)[1:]


def _pair_keys(a: I64, b: I64, n: int) -> I64:
    """One integer per unordered pair."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo * (n + 1) + hi


def _unique(x: I64) -> I64:
    """Sorted distinct values (a sort is faster here than numpy's hashing ``unique``)."""
    s = np.sort(x)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def _first_of_each(keys: I64) -> I64:
    """Positions of the first occurrence of every distinct key, in their original order."""
    order = np.argsort(keys, kind="stable")
    s = keys[order]
    return np.sort(order[np.r_[True, s[1:] != s[:-1]]]) if len(s) else order


def _member_of(x: I64, sorted_keys: I64) -> NDArray[np.bool_]:
    """``x in sorted_keys``, element-wise."""
    if len(sorted_keys) == 0:
        return np.zeros(len(x), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, x), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[pos] == x)


def _zipf(rng: np.random.Generator, k: int, size: int, s: float = 0.9) -> I64:
    p = 1.0 / np.arange(1, k + 1) ** s
    return rng.choice(k, size=size, p=p / p.sum()).astype(np.int64)


def _weighted_sample(rng: np.random.Generator, pool: I64, weight: F64, k: int) -> I64:
    """k distinct items of ``pool``, drawn with probability by weight (Efraimidis-Spirakis)."""
    keys = np.log(rng.random(len(pool))) / weight
    top = np.argpartition(-keys, k - 1)[:k] if k < len(pool) else np.arange(len(pool))
    return np.sort(pool[top])


def _profiles(rng: np.random.Generator, n: int) -> dict[str, I64]:
    # Older members first: ids grow with the join date, newer members are more numerous.
    member_ago = np.sort(rng.random(n) ** 1.6)[::-1] * (8 * YEAR) + 2 * DAY
    titles = np.where(
        rng.random(n) < 0.85, _zipf(rng, len(names.TITLES), n, 0.7), np.int64(-1)
    ).astype(np.int64)
    return {
        "member_ago": member_ago.astype(np.int64),
        "first_name": _zipf(rng, len(names.FIRST_NAMES), n),
        "last_name": _zipf(rng, len(names.LAST_NAMES), n),
        "title": titles,
        "employer": _zipf(rng, len(names.EMPLOYERS), n, 0.6),
    }


def _connection_ago(rng: np.random.Generator, edges: I64, member_ago: I64) -> I64:
    """A time after both members joined and at least an hour ago."""
    newest = np.minimum(member_ago[edges[:, 0] - 1], member_ago[edges[:, 1] - 1])
    ago: I64 = (3600 + rng.random(len(edges)) * (newest - 3600)).astype(np.int64)
    return ago


def _empty_pairs() -> I64:
    return np.zeros((0, 2), dtype=np.int64)


def _empty() -> I64:
    return np.zeros(0, dtype=np.int64)


def _sbm_edges(
    rng: np.random.Generator,
    ids: I64,
    weight: F64,
    community: I64,
    target: int,
    inside: float,
    n: int,
) -> I64:
    """``target`` distinct edges among ``ids`` (community-sorted), as unordered pair keys."""
    order = np.argsort(community, kind="stable")
    ids, weight, community = ids[order], weight[order], community[order]
    cum = np.cumsum(weight)
    total = cum[-1]
    starts = np.searchsorted(community, np.arange(community.max() + 1), "left")
    ends = np.searchsorted(community, np.arange(community.max() + 1), "right")
    lo_w = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    hi_w = cum[ends - 1]
    keys = _empty()
    for _ in range(40):
        need = target - len(keys)
        if need <= 0:
            break
        k = int(need * 1.15) + 64
        first = np.minimum(np.searchsorted(cum, rng.random(k) * total, "right"), len(ids) - 1)
        c = community[first]
        local = rng.random(k) < inside
        r = np.where(local, lo_w[c] + rng.random(k) * (hi_w[c] - lo_w[c]), rng.random(k) * total)
        second = np.minimum(np.searchsorted(cum, r, "right"), len(ids) - 1)
        # Rounding can step just outside the community; pull it back in.
        second = np.where(local, np.clip(second, starts[c], ends[c] - 1), second)
        a, b = ids[first], ids[second]
        keep = a != b
        keys = _unique(np.concatenate([keys, _pair_keys(a[keep], b[keep], n)]))
    if len(keys) > target:
        keys = np.sort(rng.choice(keys, size=target, replace=False))
    return keys


def _enforce_cap(rng: np.random.Generator, edges: I64, n: int, cap: int, keep: I64) -> I64:
    """Drop random edges of members above the cap, never an edge of a ``keep`` member."""
    protected = np.zeros(n + 1, dtype=bool)
    protected[keep] = True
    while True:
        deg = np.bincount(edges.ravel(), minlength=n + 1)
        over = np.flatnonzero(deg > cap)
        if len(over) == 0:
            return edges
        drop = np.zeros(len(edges), dtype=bool)
        for m in over:
            mine = np.flatnonzero(
                ((edges[:, 0] == m) | (edges[:, 1] == m))
                & ~protected[edges[:, 0]]
                & ~protected[edges[:, 1]]
            )
            drop[rng.choice(mine, size=int(deg[m] - cap), replace=False)] = True
        edges = edges[~drop]


def generate(params: Params) -> Network:
    n, cap, h = params.members, params.rules.connection_cap, params.hubs
    if n < 10:
        raise ValueError("--members must be at least 10")
    if params.avg_degree <= 0 or params.avg_degree >= n / 2:
        raise ValueError("--avg-degree must be above 0 and below half of --members")
    rng = np.random.default_rng(params.seed)
    prof = _profiles(rng, n)
    member_ago = prof["member_ago"]
    ids = np.arange(1, n + 1, dtype=np.int64)

    # Roles: hubs are members 1..H; islands are a small random share of the rest.
    hubs = ids[:h]
    others = rng.permutation(ids[h:])
    n_island = round(n * params.island_share) if n >= 200 else 0
    n_island = max(n_island, 4) if n >= 200 else 0
    island_ids, core = others[:n_island], np.sort(others[n_island:])
    if h and (cap > len(core) or (h >= 2 and 2 * cap > len(core))):
        raise ValueError(
            f"{h} hubs at the cap of {cap} need more members: hubs 1 and 2 must have "
            f"{2 * cap} different connections among {len(core)}"
        )

    # Islands: paths of 2 to 5 members with one chord now and then.
    island_edges = []
    pos = 0
    while pos + 2 <= n_island:
        size = min(int(rng.integers(2, 6)), n_island - pos)
        if size < 2:
            break
        group = island_ids[pos : pos + size]
        island_edges += [(group[i], group[i + 1]) for i in range(size - 1)]
        if size >= 4 and rng.random() < 0.5:
            island_edges.append((group[0], group[-1]))
        pos += size

    # Communities of lognormal size (median ~90) over the core members, in random order.
    sizes = []
    remaining = len(core)
    max_size = max(10, len(core) // 5)
    while remaining > 0:
        s = int(np.clip(rng.lognormal(np.log(90), 1.0), 10, max_size))
        sizes.append(min(s, remaining))
        remaining -= s
    community = np.full(n + 1, -1, dtype=np.int64)
    community[rng.permutation(core)] = np.repeat(np.arange(len(sizes)), sizes)

    # Hubs: exactly the cap, drawn by (the square root of) weight; hubs 1 and 2 apart.
    weight = rng.lognormal(0.0, params.degree_sigma, n + 1)
    hub_pairs = []
    taken = np.zeros(n + 1, dtype=bool)
    for i, hub in enumerate(hubs):
        pool = core[~taken[core]] if i == 1 else core
        chosen = _weighted_sample(rng, pool, np.sqrt(weight[pool]), cap)
        if i == 0:
            taken[chosen] = True
        hub_pairs.append(np.column_stack([np.full(cap, hub), chosen]))

    # The rest of the edge budget among the core, scaled so the mean degree is avg_degree.
    target = round(n * params.avg_degree / 2) - h * cap - len(island_edges)
    target = max(target, len(core))
    core_keys = _sbm_edges(rng, core, weight[core], community[core], target, params.inside, n)
    core_edges = np.column_stack([core_keys // (n + 1), core_keys % (n + 1)])
    parts = [core_edges, *hub_pairs]
    if island_edges:
        parts.append(np.array(island_edges, dtype=np.int64))
    edges = np.concatenate(parts).astype(np.int64)
    edges = np.column_stack([edges.min(axis=1), edges.max(axis=1)])
    edges = _enforce_cap(rng, edges, n, cap, hubs)
    if h >= 2:
        edges = _join_hub_neighbourhoods(edges, hubs[0], hubs[1], n, cap)
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    edge_ago = _connection_ago(rng, edges, member_ago)

    net = Network(
        members=n,
        **prof,
        community=community[1:],
        hubs=hubs,
        edges=edges,
        edge_ago=edge_ago,
        group_names=[],
    )
    edge_keys = np.sort(_pair_keys(edges[:, 0], edges[:, 1], n))
    popularity = weight.copy()
    popularity[hubs] = weight.max() * 4
    _add_blocks(rng, net, edge_keys)
    _add_follows(rng, net, edge_keys, popularity)
    _add_groups(rng, net, params.groups if params.groups is not None else round(n / 200))
    _add_invitations(rng, net, edge_keys, weight, params.rules)
    _add_tags(rng, net)
    return net


def _add_tags(rng: np.random.Generator, net: Network, share: float = 0.1) -> None:
    """Every hub, and one member in fifty, tags about ``share`` of their connections with one
    of a few tags (so a list filtered by tag has something to find, at the cap too)."""
    n = net.members
    authors = np.zeros(n + 1, dtype=bool)
    authors[net.hubs] = True
    authors[rng.choice(np.arange(1, n + 1), size=max(1, n // 50), replace=False)] = True
    both = np.concatenate([net.edges, net.edges[:, ::-1]])
    both = both[authors[both[:, 0]]]
    both = both[rng.random(len(both)) < share]
    both = both[np.lexsort((both[:, 1], both[:, 0]))]
    net.tags = both
    net.tag = rng.integers(0, len(names.TAGS), len(both)).astype(np.int64)
    net.tag_ago = rng.integers(0, 365 * DAY, len(both)).astype(np.int64)


def _join_hub_neighbourhoods(edges: I64, h1: int, h2: int, n: int, cap: int) -> I64:
    """Make sure hubs 1 and 2 are 3rd degree: some edge joins their neighbourhoods."""
    mask = np.zeros((2, n + 1), dtype=bool)
    for row, hub in enumerate((h1, h2)):
        e = edges[(edges[:, 0] == hub) | (edges[:, 1] == hub)]
        mask[row, e.ravel()] = True
        mask[row, hub] = False
    across = (mask[0, edges[:, 0]] & mask[1, edges[:, 1]]) | (
        mask[1, edges[:, 0]] & mask[0, edges[:, 1]]
    )
    if across.any():
        return edges
    deg = np.bincount(edges.ravel(), minlength=n + 1)
    a = np.flatnonzero(mask[0] & (deg < cap))
    b = np.flatnonzero(mask[1] & (deg < cap))
    if len(a) == 0 or len(b) == 0:
        raise ValueError("cannot join the neighbourhoods of hubs 1 and 2 under the cap")
    pair = np.array([[min(a[0], b[0]), max(a[0], b[0])]], dtype=np.int64)
    return np.concatenate([edges, pair])


def _add_blocks(rng: np.random.Generator, net: Network, edge_keys: I64) -> None:
    """0.2% of members each block one member they are not connected to."""
    n = net.members
    k = max(1, round(n * 0.002))
    blocker = rng.integers(1, n + 1, k)
    blocked = rng.integers(1, n + 1, k)
    keys = _pair_keys(blocker, blocked, n)
    ok = (blocker != blocked) & ~_member_of(keys, edge_keys)
    first = _first_of_each(keys[ok])
    pairs = np.column_stack([blocker[ok], blocked[ok]])[first]
    net.blocks = pairs
    newest = np.minimum(net.member_ago[pairs[:, 0] - 1], net.member_ago[pairs[:, 1] - 1])
    net.block_ago = (rng.random(len(pairs)) * newest).astype(np.int64)


def _block_keys(net: Network) -> I64:
    return np.sort(_pair_keys(net.blocks[:, 0], net.blocks[:, 1], net.members))


def _add_follows(rng: np.random.Generator, net: Network, edge_keys: I64, pop: F64) -> None:
    """Half as many one-way follows as members, mostly of popular members."""
    n = net.members
    k = n // 2
    p = pop[1:] ** 1.5
    follower = rng.integers(1, n + 1, k)
    followee = rng.choice(np.arange(1, n + 1), size=k, p=p / p.sum())
    keys = _pair_keys(follower, followee, n)
    ok = (follower != followee) & ~_member_of(keys, edge_keys) & ~_member_of(keys, _block_keys(net))
    directed = follower[ok] * (n + 1) + followee[ok]
    directed = _unique(directed)
    pairs = np.column_stack([directed // (n + 1), directed % (n + 1)])
    net.follows = pairs
    newest = np.minimum(net.member_ago[pairs[:, 0] - 1], net.member_ago[pairs[:, 1] - 1])
    net.follow_ago = (rng.random(len(pairs)) * newest).astype(np.int64)


def _add_groups(rng: np.random.Generator, net: Network, count: int) -> None:
    """Groups of lognormal size, 70% of each drawn from one community."""
    n = net.members
    if count <= 0:
        return
    topics, kinds = names.GROUP_TOPICS, names.GROUP_KINDS
    seen: set[str] = set()
    group_names = []
    for i in range(count):
        name = f"{topics[int(rng.integers(len(topics)))]} {kinds[int(rng.integers(len(kinds)))]}"
        if name.lower() in seen:
            name = f"{name} {i + 1}"
        seen.add(name.lower())
        group_names.append(name)
    comm = net.community
    n_comm = int(comm.max()) + 1
    by_comm = np.argsort(comm, kind="stable")  # member index (id - 1), hubs/islands first
    starts = np.searchsorted(comm[by_comm], np.arange(n_comm), "left")
    ends = np.searchsorted(comm[by_comm], np.arange(n_comm), "right")
    comm_sizes = ends - starts
    sizes = np.clip(rng.lognormal(np.log(25), 1.2, count), 3, max(3, n // 4)).astype(np.int64)
    home = rng.choice(n_comm, size=count, p=comm_sizes / comm_sizes.sum())
    gid_parts, mid_parts = [], []
    for g in range(count):
        size = int(sizes[g])
        local = round(size * 0.7)
        c = home[g]
        inside = by_comm[starts[c] + rng.integers(0, comm_sizes[c], local)] + 1
        outside = rng.integers(1, n + 1, size - local)
        mids = _unique(np.concatenate([inside, outside]))
        gid_parts.append(np.full(len(mids), g + 1, dtype=np.int64))
        mid_parts.append(mids.astype(np.int64))
    gm = np.column_stack([np.concatenate(gid_parts), np.concatenate(mid_parts)])
    group_ago = (rng.random(count) * 6 * YEAR + DAY).astype(np.int64)
    newest = np.minimum(net.member_ago[gm[:, 1] - 1], group_ago[gm[:, 0] - 1])
    net.group_names = group_names
    net.group_ago = group_ago
    net.group_members = gm
    net.joined_ago = (rng.random(len(gm)) * newest).astype(np.int64)


def _add_invitations(
    rng: np.random.Generator, net: Network, edge_keys: I64, weight: F64, rules: Rules
) -> None:
    """Pending invitations (about one per five members) within the throttles, and history:
    an accepted invitation behind some connections, declined and withdrawn ones long ago."""
    n = net.members
    deg = np.bincount(net.edges.ravel(), minlength=n + 1)
    at_cap = deg >= rules.connection_cap
    block_keys = _block_keys(net)
    comm = net.community
    n_comm = int(comm.max()) + 1
    by_comm = np.argsort(comm, kind="stable")
    starts = np.searchsorted(comm[by_comm], np.arange(n_comm), "left")
    ends = np.searchsorted(comm[by_comm], np.arange(n_comm), "right")

    def candidates(k: int) -> tuple[I64, I64]:
        p = weight[1:] / weight[1:].sum()
        inviter = rng.choice(np.arange(1, n + 1), size=k, p=p)
        c = comm[inviter - 1]
        local = (rng.random(k) < 0.7) & (c >= 0)
        cc = np.maximum(c, 0)
        pick = starts[cc] + (rng.random(k) * (ends[cc] - starts[cc])).astype(np.int64)
        invitee = np.where(local, by_comm[np.minimum(pick, n - 1)] + 1, rng.integers(1, n + 1, k))
        keys = _pair_keys(inviter, invitee, n)
        ok = (
            (inviter != invitee)
            & ~at_cap[inviter]
            & ~at_cap[invitee]
            & ~_member_of(keys, edge_keys)
            & ~_member_of(keys, block_keys)
        )
        return inviter[ok], invitee[ok]

    # Pending: one per pair at most, either way.
    inviter, invitee = candidates(n // 5 + n // 10)
    keys = _pair_keys(inviter, invitee, n)
    first = _first_of_each(keys)[: n // 5]
    inviter, invitee = inviter[first], invitee[first]
    # Each inviter's invitations are spaced so no hour or week holds more than the throttles
    # allow: with a gap of g, a window of length L holds at most floor(L / g) + 1.
    gap = (
        max(
            3600 / max(rules.invitations_per_hour - 1, 1),
            7 * DAY / max(rules.invitations_per_week - 1, 1),
        )
        + 1
    )
    order = np.lexsort((invitee, inviter))
    inviter, invitee = inviter[order], invitee[order]
    new_run = np.r_[True, inviter[1:] != inviter[:-1]]
    run_start = np.flatnonzero(new_run)
    rank = np.arange(len(inviter)) - np.repeat(run_start, np.diff(np.r_[run_start, len(inviter)]))
    steps = gap + rng.exponential(2 * DAY, len(inviter))
    steps[new_run] = 60 + rng.random(int(new_run.sum())) * 3 * DAY
    cum = np.cumsum(steps)
    ago = cum - np.repeat(cum[run_start] - steps[run_start], np.diff(np.r_[run_start, len(cum)]))
    newest = np.minimum(net.member_ago[inviter - 1], net.member_ago[invitee - 1])
    limit = rules.invitation_expiry_days * DAY - 2 * DAY
    ok = (ago < limit) & (ago < newest) & (rank < rules.pending_outgoing_max)
    pend = np.column_stack([inviter[ok], invitee[ok]])
    pend_ago = ago[ok].astype(np.int64)
    pend_keys = _pair_keys(pend[:, 0], pend[:, 1], n)

    # Declined and withdrawn: long decided (past every cooldown and restriction window),
    # never for a pair that is connected, pending or blocked.
    inviter, invitee = candidates(n // 10)
    keys = _pair_keys(inviter, invitee, n)
    ok = ~_member_of(keys, pend_keys)
    first = _first_of_each(keys[ok])
    past = np.column_stack([inviter[ok][first], invitee[ok][first]])
    newest = np.minimum(net.member_ago[past[:, 0] - 1], net.member_ago[past[:, 1] - 1])
    earliest = rules.invitation_expiry_days * DAY + 30 * DAY
    past_ago = (earliest + rng.random(len(past)) * (newest - earliest)).astype(np.int64)
    ok = newest > earliest + DAY
    past, past_ago = past[ok], past_ago[ok]
    past_status = np.where(rng.random(len(past)) < 0.75, DECLINED, WITHDRAWN).astype(np.int64)
    reason = np.where(
        past_status == DECLINED, rng.choice(3, size=len(past), p=[0.9, 0.07, 0.03]), -1
    ).astype(np.int64)
    past_resp = (past_ago - 3600 - rng.random(len(past)) * 10 * DAY).astype(np.int64)
    past_resp = np.maximum(past_resp, earliest - DAY)

    # Accepted: behind one connection in ten, for connections older than the pending window.
    pick = np.flatnonzero((rng.random(len(net.edges)) < 0.1) & (net.edge_ago > earliest + 10 * DAY))
    acc = net.edges[pick]
    flip = rng.random(len(acc)) < 0.5
    acc = np.where(flip[:, None], acc[:, ::-1], acc)
    acc_resp = net.edge_ago[pick]
    acc_ago = acc_resp + (60 + rng.random(len(acc)) * 5 * DAY).astype(np.int64)
    newest = np.minimum(net.member_ago[acc[:, 0] - 1], net.member_ago[acc[:, 1] - 1])
    ok = acc_ago < newest
    acc, acc_ago, acc_resp = acc[ok], acc_ago[ok], acc_resp[ok]

    net.invitations = np.concatenate([acc, past, pend]).astype(np.int64)
    net.invitation_status = np.concatenate(
        [np.full(len(acc), ACCEPTED), past_status, np.full(len(pend), PENDING)]
    ).astype(np.int64)
    net.decline_reason = np.concatenate(
        [np.full(len(acc), -1), reason, np.full(len(pend), -1)]
    ).astype(np.int64)
    net.invited_ago = np.concatenate([acc_ago, past_ago, pend_ago]).astype(np.int64)
    net.responded_ago = np.concatenate([acc_resp, past_resp, np.full(len(pend), -1)]).astype(
        np.int64
    )
    has_message = rng.random(len(net.invitations)) < 0.3
    net.message = np.where(
        has_message, rng.integers(0, len(names.MESSAGES), len(net.invitations)), -1
    ).astype(np.int64)
    # Invitations in the order they were sent, so ids grow with time as in the service.
    order = np.argsort(-net.invited_ago, kind="stable")
    for attr in (
        "invitations",
        "invitation_status",
        "decline_reason",
        "invited_ago",
        "responded_ago",
        "message",
    ):
        setattr(net, attr, getattr(net, attr)[order])


def from_edges(pairs: I64, seed: int = 1, cap: int = 30_000) -> Network:
    """A network of the given connections (node k becomes member k + 1) and nothing else but
    profiles and the two follows of every connection."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) and pairs.min() < 0:
        raise ValueError("node ids must be 0 or more")
    n = int(pairs.max()) + 1 if len(pairs) else 0
    if n == 0:
        raise ValueError("the edge list has no edges")
    pairs = pairs[pairs[:, 0] != pairs[:, 1]] + 1
    keys = _unique(_pair_keys(pairs[:, 0], pairs[:, 1], n))
    edges = np.column_stack([keys // (n + 1), keys % (n + 1)])
    deg = np.bincount(edges.ravel(), minlength=n + 1)
    if deg.max() > cap:
        raise ValueError(
            f"member {int(deg.argmax())} would have {int(deg.max())} connections, "
            f"over the cap of {cap}"
        )
    rng = np.random.default_rng(seed)
    prof = _profiles(rng, n)
    return Network(
        members=n,
        **prof,
        community=np.full(n, -1, dtype=np.int64),
        hubs=_empty(),
        edges=edges,
        edge_ago=_connection_ago(rng, edges, prof["member_ago"]),
        group_names=[],
    )


def read_edge_list(path: str) -> I64:
    """``a b`` pairs, one a line; lines starting with ``#`` and blank lines are skipped."""
    rows = []
    with open(path) as fh:
        for number, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            parts = text.split()
            if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
                raise ValueError(f"{path}:{number}: expected two node ids, got {text!r}")
            rows.append((int(parts[0]), int(parts[1])))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)
