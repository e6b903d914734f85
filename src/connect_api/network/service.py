"""Mutual connections: the caller's connections who are also connected to another member.

Who may ask: any member about any other member they may see. The list shows only the caller's
own connections, each of whom the caller may already see connected to the member (a member's
connections are visible to their 1st-degree connections, spec 2.11), so it reveals nothing the
caller could not read elsewhere. A block either way, an erased or unknown member: 404, as
everywhere. Yourself: 400 ``mutual_connections_self``.
"""

from __future__ import annotations

from connect_api.context import AppContext
from connect_api.errors import BadRequest
from connect_api.members.access import member_gone
from connect_api.network import repository as network
from connect_api.policy import hidden


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
) -> tuple[list[network.Mutual], int, tuple[str, int] | None]:
    """One page in name order, the total, and the position after the page (``None``: last)."""
    found = await network.page(ctx.db, caller_id, member_id, limit=limit + 1, after=after)
    if not found.caller_exists:
        raise member_gone()  # first, as on every route: even when asking about oneself
    if caller_id == member_id:
        raise MutualConnectionsSelf("Mutual connections are between you and another member.")
    if not found.visible:
        raise hidden()
    rows = found.rows
    nxt = rows[limit - 1].position if len(rows) > limit else None
    return rows[:limit], found.total, nxt
