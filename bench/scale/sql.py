"""What the harness asks PostgreSQL directly (asyncpg, no service in between): the usual
approach to degree and mutual counts, the facts the phases pick their members from, and the
rules checked after the writes."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import asyncpg

from connect_api_seeding import loader

# Degree as tutorials write it: walk the connections breadth-first to depth 3 with a recursive
# CTE, then take the shortest depth at which the target shows up.
USUAL_DEGREE = """
WITH RECURSIVE network(member_id, depth) AS (
    SELECT other_id, 1 FROM connections WHERE member_id = $1
  UNION
    SELECT c.other_id, n.depth + 1
    FROM network n JOIN connections c ON c.member_id = n.member_id
    WHERE n.depth < 3
)
SELECT min(depth) FROM network WHERE member_id = $2
"""

# Mutual connections as a plain join count.
USUAL_MUTUAL = """
SELECT count(*) FROM connections a JOIN connections b ON a.other_id = b.other_id
WHERE a.member_id = $1 AND b.member_id = $2
"""


@dataclass
class Usual:
    degree: int | None
    mutual: int | None
    seconds: float
    timed_out: bool


class UsualApproach:
    """One connection with a statement timeout; each pair's two statements timed together."""

    def __init__(self, conn: asyncpg.Connection, timeout_s: float) -> None:
        self.conn = conn
        self.timeout_s = timeout_s

    @classmethod
    async def open(cls, url: str, timeout_s: float) -> UsualApproach:
        conn = await asyncpg.connect(
            url, server_settings={"statement_timeout": str(int(timeout_s * 1000))}
        )
        return cls(conn, timeout_s)

    async def answer(self, viewer: int, target: int) -> Usual:
        started = time.perf_counter()
        try:
            degree = await self.conn.fetchval(USUAL_DEGREE, viewer, target)
        except asyncpg.QueryCanceledError:
            return Usual(None, None, time.perf_counter() - started, True)
        mutual = await self.conn.fetchval(USUAL_MUTUAL, viewer, target)
        return Usual(degree, int(mutual), time.perf_counter() - started, False)

    async def close(self) -> None:
        await self.conn.close()


async def machine_facts(conn: asyncpg.Connection) -> dict[str, object]:
    """The server and what the network holds (the seed's own summary of it)."""
    row = await conn.fetchrow(
        "SELECT version() AS version, current_setting('shared_buffers') AS shared_buffers"
    )
    assert row is not None
    network = await loader.summary(conn)
    return {
        **dict(row),
        **asdict(network),
        "db_size": f"{network.database_bytes / 2**20:,.0f} MiB",
    }


async def rule_violations(conn: asyncpg.Connection, cap: int) -> list[str]:
    """The rules the writes must keep, checked over the whole database: every counter equals
    its rows, nobody above the cap, no pair with two pending invitations, no pending invitation
    between connected members, every connection mirrored. Empty when all hold."""
    problems: list[str] = []
    checks = {
        "connection_count differs from the rows": """
            SELECT m.id, m.connection_count, coalesce(c.n, 0) FROM members m
            LEFT JOIN (SELECT member_id, count(*) AS n FROM connections GROUP BY member_id) c
              ON c.member_id = m.id
            WHERE m.connection_count <> coalesce(c.n, 0) LIMIT 5""",
        "follower_count differs from the rows": """
            SELECT m.id, m.follower_count, coalesce(f.n, 0) FROM members m
            LEFT JOIN (SELECT followee_id, count(*) AS n FROM follows GROUP BY followee_id) f
              ON f.followee_id = m.id
            WHERE m.follower_count <> coalesce(f.n, 0) LIMIT 5""",
        "following_count differs from the rows": """
            SELECT m.id, m.following_count, coalesce(f.n, 0) FROM members m
            LEFT JOIN (SELECT follower_id, count(*) AS n FROM follows GROUP BY follower_id) f
              ON f.follower_id = m.id
            WHERE m.following_count <> coalesce(f.n, 0) LIMIT 5""",
        f"members above the cap of {cap:,}": """
            SELECT id, connection_count FROM members WHERE connection_count > $1 LIMIT 5""",
        "pairs with two pending invitations": """
            SELECT least(inviter_id, invitee_id), greatest(inviter_id, invitee_id), count(*)
            FROM invitations WHERE status = 'pending'
            GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5""",
        "pending invitations between connected members": """
            SELECT i.id, i.inviter_id, i.invitee_id FROM invitations i
            JOIN connections c ON c.member_id = i.inviter_id AND c.other_id = i.invitee_id
            WHERE i.status = 'pending' LIMIT 5""",
        "connections without their mirror": """
            SELECT c.member_id, c.other_id FROM connections c
            WHERE NOT EXISTS (SELECT 1 FROM connections r
                              WHERE r.member_id = c.other_id AND r.other_id = c.member_id)
            LIMIT 5""",
    }
    for what, query in checks.items():
        rows = await conn.fetch(query, *([cap] if "$1" in query else []))
        if rows:
            problems.append(f"{what}: {[tuple(r) for r in rows]}")
    return problems
