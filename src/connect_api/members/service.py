"""Member use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import policy, visibility
from connect_api.core.models import InvitePolicy, Member, NetworkVisibility
from connect_api.events import repository as events
from connect_api.graph import feed as graph
from connect_api.kit.auth import InsufficientScope, Principal
from connect_api.kit.context import AppContext
from connect_api.kit.errors import Conflict, NotFound, member_gone
from connect_api.kit.ratelimit_headers import RateWindow
from connect_api.members import repository as members
from connect_api.members.access import require_member
from connect_api.members.schemas import MemberCreate, MemberSettingsUpdate


class HandleTaken(Conflict):
    """The handle is taken."""

    code = "handle_taken"


@dataclass
class MeView:
    member: dict[str, Any]  # the profile's columns, and `restricted_until`
    pending_received: int
    pending_sent: int
    windows: tuple[RateWindow, ...]


async def create(session: AsyncSession, ctx: AppContext, body: MemberCreate) -> Member:
    member = await members.create(
        session,
        handle=body.handle,
        display_name=body.display_name,
        headline=body.headline,
        now=ctx.clock.now(),
    )
    if member is None:
        raise HandleTaken(f"The handle {body.handle!r} is taken.", handle=body.handle)
    return member


async def get(ctx: AppContext, principal: Principal, member_id: int) -> dict[str, Any]:
    """A profile as the caller may see it (``visibility.sight``): 404 when there is none, or a
    block stands between caller and member; 401 when the caller's own member is gone. Its
    counts are those of the lists the caller may page through, or ``None`` where the member's
    network is not theirs to see. An admin sees every member."""
    seen = await members.profile_as_seen_by(
        ctx.db, principal.member_id, member_id, admin=principal.is_admin
    )
    if not seen.caller_exists and not principal.is_admin:
        raise member_gone()
    sight = visibility.sight(seen.viewing)
    if seen.row is None or not sight.member:
        raise visibility.hidden()
    row = seen.row
    profile = {k: row[k] for k in _PROFILE}
    for count, hidden in _COUNTS:
        profile[count] = visibility.shown_count(row[count], row[hidden], sight.network)
    return profile


_PROFILE = ("id", "handle", "display_name", "headline", "created_at")
_COUNTS = (
    ("connection_count", "hidden_connections"),
    ("follower_count", "hidden_followers"),
    ("following_count", "hidden_following"),
)


async def erase(
    session: AsyncSession, ctx: AppContext, principal: Principal, member_id: int
) -> None:
    """Erase a member (spec 2.12): everything by or about them, in one transaction, with every
    other member's counters fixed. An admin may erase anyone; a member, themself.

    The member's row is locked first: every write that could attach something new to them
    (an accept, a follow, a block) locks it too, so the set of neighbours read next is final.
    Their rows are then locked in id order and their counters taken down before the cascade
    deletes the rows they count."""
    if not principal.is_admin and principal.member_id != member_id:
        raise InsufficientScope("Only an admin, or the member themself, can erase a member.")
    if not (await members.lock(session, member_id)):
        if not principal.is_admin:
            await require_member(session, principal.member_id)  # themself, gone: 401
        raise NotFound("No such member.")
    await members.lock(session, *(await members.neighbours(session, member_id)))
    former_connections = await members.connection_ids(session, member_id)
    await members.uncount(session, member_id)
    await events.forget_member(session, member_id)
    await members.delete(session, member_id)
    graph.changed(session, member_id, *former_connections)
    await events.record(
        session,
        "member.erased",
        audience=former_connections,
        data={"member_id": member_id},
        now=ctx.clock.now(),
    )


async def me(ctx: AppContext, caller_id: int) -> MeView:
    now, rules = ctx.clock.now(), ctx.settings.policy
    row = await members.me_row(
        ctx.db,
        caller_id,
        now=now,
        sends_since=now - policy.WEEK,
        sends_limit=policy.sends_needed(rules),
    )
    if row is None:
        raise member_gone()
    return MeView(
        member=dict(row),
        pending_received=row["pending_received"],
        pending_sent=row["pending_sent"],
        windows=policy.rate_windows(row["recent_sends"], now, rules),
    )


@dataclass(frozen=True)
class Settings:
    who_may_invite: InvitePolicy
    follow_first: bool
    who_may_see_connections: NetworkVisibility


async def update_settings(
    session: AsyncSession, caller_id: int, body: MemberSettingsUpdate
) -> Settings:
    """Change the caller's controls (only those given) and return all of them. Setting a value
    it already has changes nothing; no event is written (the spec's events are about the
    network, and a member's settings are theirs alone)."""
    values: dict[str, object] = {}
    if body.who_may_invite is not None:
        values["invite_policy"] = body.who_may_invite.value
    if body.follow_first is not None:
        values["follow_first"] = body.follow_first
    if body.who_may_see_connections is not None:
        values["network_visibility"] = body.who_may_see_connections.value
    found = await members.update_settings(session, caller_id, values)
    if found is None:
        raise member_gone()
    return Settings(InvitePolicy(found[0]), found[1], NetworkVisibility(found[2]))
