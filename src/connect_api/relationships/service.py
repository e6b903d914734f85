"""The relationships look-up: everything the Connect button needs, for up to 100 members.

`can_invite` comes from :func:`policy.answer_send`, which is :func:`policy.decide_send` (the
function the invitation endpoint itself obeys) fed the same facts: the button never promises
what the endpoint would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api import policy
from connect_api.context import AppContext
from connect_api.invitations.service import inviter_facts
from connect_api.members.access import require_member
from connect_api.models import InvitationStatus
from connect_api.policy import effective_status
from connect_api.relationships import repository as relationships


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
    shared_groups: int
    invite: policy.InviteAnswer
    action: policy.Action


def _unavailable(member_id: int, reason: str) -> Relationship:
    """Blocked either way, erased, never existed, or the caller: nothing to show, nor why."""
    return Relationship(
        member_id=member_id,
        degree=None,
        connected_at=None,
        invitation=None,
        following=False,
        followed_by=False,
        mutual_connections=0,
        shared_groups=0,
        invite=policy.InviteAnswer(False, reason),
        action="unavailable",
    )


async def look_up(
    session: AsyncSession, ctx: AppContext, caller_id: int, ids: list[int]
) -> list[Relationship]:
    rules, now = ctx.settings.policy, ctx.clock.now()
    me = await require_member(session, caller_id)
    await relationships.plan_for_these_ids(session)
    others = [i for i in ids if i != caller_id]
    facts = await relationships.pair_facts(session, caller_id, others)
    seen = [i for i in others if i in facts and not facts[i].hidden]
    histories = await relationships.invitation_histories(session, caller_id, seen)
    mutuals = await relationships.mutual_counts(session, caller_id, seen)
    groups = await relationships.shared_group_counts(session, caller_id, seen)
    far = [i for i in seen if facts[i].connected_at is None and not mutuals.get(i)]
    # Gather from the caller's side when their connections are clearly fewer than the far
    # ids' ones; otherwise probe from the ids' side, which stops at the first path found.
    from_me = me.connection_count * 4 <= sum(facts[i].connection_count for i in far)
    third = await relationships.within_three(session, caller_id, far, from_me=from_me)
    mine = await inviter_facts(session, me, now, rules)

    out = []
    for member_id in ids:
        if member_id == caller_id:
            out.append(_unavailable(member_id, policy.CannotInviteSelf.code))
            continue
        if member_id not in seen:
            out.append(_unavailable(member_id, "not_found"))
            continue
        f = facts[member_id]
        history = histories.get(member_id, [])
        pair = policy.summarize_pair(
            history, inviter_id=caller_id, connected=f.connected_at is not None, now=now
        )
        invite = policy.answer_send(
            inviter_id=caller_id,
            invitee_id=member_id,
            inviter=mine,
            invitee_connection_count=f.connection_count,
            pair=pair,
            now=now,
            rules=rules,
        )
        pending = next(
            (
                i
                for i in history
                if effective_status(i.status, i.expires_at, now) is InvitationStatus.pending
            ),
            None,
        )
        mutual = mutuals.get(member_id, 0)
        if f.connected_at is not None:
            degree: int | None = 1
        elif mutual:
            degree = 2
        else:
            degree = 3 if member_id in third else None
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
                mutual_connections=mutual,
                shared_groups=groups.get(member_id, 0),
                invite=invite,
                action=policy.button_action(
                    available=True,
                    connected=f.connected_at is not None,
                    pending_sent=pair.pending_from_inviter_id is not None,
                    pending_received=pair.pending_from_invitee_id is not None,
                    can_invite=invite.allowed,
                ),
            )
        )
    return out
