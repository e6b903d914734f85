"""Member use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api import policy
from connect_api.context import AppContext
from connect_api.errors import Conflict, NotFound
from connect_api.invitations import repository as invitations
from connect_api.invitations.service import inviter_facts
from connect_api.members import repository as members
from connect_api.members.access import require_member
from connect_api.members.schemas import MemberCreate
from connect_api.models import Member


class HandleTaken(Conflict):
    """The handle is taken."""

    code = "handle_taken"


@dataclass
class MeView:
    member: Member
    pending_received: int
    pending_sent: int
    windows: tuple[policy.RateWindow, ...]


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


async def get(session: AsyncSession, ctx: AppContext, member_id: int) -> Member:
    member = await members.get(session, member_id)
    if member is None:
        raise NotFound("No such member.")
    return member


async def me(session: AsyncSession, ctx: AppContext, caller_id: int) -> MeView:
    member = await require_member(session, caller_id)
    now, rules = ctx.clock.now(), ctx.settings.policy
    facts = await inviter_facts(session, member, now, rules)
    return MeView(
        member=member,
        pending_received=await invitations.incoming_pending_count(session, caller_id, now),
        pending_sent=facts.pending_outgoing,
        windows=policy.rate_windows(facts.recent_sends, now, rules),
    )
