"""Who holds a stream and who writes to whom, chosen before the service starts.

The stream holders are ``K`` distinct members drawn at random. Every write of the run is an
invitation from a member who holds no stream to one who does, so each write makes exactly one
event for exactly one holder's stream (``invitation.created``: its audience is the inviter and
the invitee), plus a ``counts`` event on that stream. The pairs follow the rules of
``bench.scale``'s ``fresh_pairs``: never invited either way before, not connected, no block,
the invitee below the cap, each inviter within its hourly and weekly allowance (with a margin).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import asyncpg
import numpy as np

from bench.scale.network import Graph
from connect_api.kit.config import PolicySettings

Pair = tuple[int, int]  # (inviter, invitee)


@dataclass
class Plan:
    holders: list[int]
    phases: dict[str, list[Pair]] = field(default_factory=dict)
    inviters_used: int = 0
    short: dict[str, int] = field(default_factory=dict)  # phase -> pairs it lacks


async def choose(
    conn: asyncpg.Connection,
    graph: Graph,
    cap: int,
    streams: int,
    wanted: dict[str, tuple[int, int]],
    rng: random.Random,
) -> Plan:
    """``streams`` holders, then for each phase of ``wanted`` (name -> (pairs, invitations
    per inviter)), in order, its pairs: inviters never reused across phases, invitees the
    holders in a fresh random order for each phase (round robin, so they spread evenly)."""
    rules = PolicySettings()  # the service reads the same CONNECT_API_* variables
    per_hour, per_week = rules.invitations_per_hour - 2, rules.invitations_per_week - 5
    member_ids = [int(r[0]) for r in await conn.fetch("SELECT id FROM members ORDER BY id")]
    restricted = {
        int(r[0]) for r in await conn.fetch("SELECT id FROM members WHERE restricted_until > now()")
    }
    sent = {
        int(r[0]): (int(r[1]), int(r[2]))
        for r in await conn.fetch(
            """SELECT inviter_id,
                      count(*) FILTER (WHERE created_at > now() - interval '1 hour'),
                      count(*) FILTER (WHERE created_at > now() - interval '7 days')
               FROM invitations GROUP BY inviter_id"""
        )
    }
    invited = {
        (int(a), int(b))
        for a, b in await conn.fetch(
            "SELECT DISTINCT least(inviter_id, invitee_id), greatest(inviter_id, invitee_id) "
            "FROM invitations"
        )
    }
    blocked: set[Pair] = set()
    for a, b in await conn.fetch("SELECT blocker_id, blocked_id FROM blocks"):
        blocked |= {(int(a), int(b)), (int(b), int(a))}

    # Members near the cap (the hubs) neither hold a stream nor write: their invitations and
    # their accepts would be refused at the cap, and they are not whom a stream serves.
    usable = [m for m in member_ids if m not in restricted and int(graph.degrees[m]) < cap - 50]
    rng.shuffle(usable)
    if len(usable) < streams * 2:
        raise SystemExit(
            f"bench.stream: {streams:,} streams need at least {streams * 2:,} usable members "
            f"(the network has {len(usable):,}); use fewer --streams or a larger network"
        )
    holders = usable[:streams]
    inviters: Iterator[int] = iter(usable[streams:])

    def allowance(member: int, per_inviter: int) -> int:
        hour, week = sent.get(member, (0, 0))
        return int(max(0, min(per_inviter, per_hour - hour, per_week - week)))

    def connected(a: int, b: int) -> bool:
        nb = graph.neighbours(a)
        i = int(np.searchsorted(nb, b))
        return i < nb.size and int(nb[i]) == b

    plan = Plan(holders)
    for name, (count, per_inviter) in wanted.items():
        order = holders[:]
        rng.shuffle(order)
        turn = 0
        pairs: list[Pair] = []
        for a in inviters:
            plan.inviters_used += 1
            left = allowance(a, per_inviter)
            tries = 0
            while left and tries < 4 * per_inviter and len(pairs) < count:
                b = order[turn % len(order)]
                turn += 1
                tries += 1
                key = (min(a, b), max(a, b))
                if key in invited or (a, b) in blocked or connected(a, b):
                    continue
                invited.add(key)
                pairs.append((a, b))
                left -= 1
            if len(pairs) >= count:
                break
        plan.phases[name] = pairs
        if len(pairs) < count:
            plan.short[name] = count - len(pairs)
    return plan
