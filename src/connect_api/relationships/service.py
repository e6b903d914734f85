"""The relationships look-up: everything the Connect button needs, for up to 100 members.

`can_invite` comes from :func:`policy.answer_send`, which is :func:`policy.decide_send` (the
function the invitation endpoint itself obeys) fed the same facts: the button never promises
what the endpoint would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connect_api.core import policy, visibility
from connect_api.core.models import InvitationStatus
from connect_api.core.policy import effective_status
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


async def look_up(
    ctx: AppContext, caller_id: int, ids: list[int], *, preview: bool = True
) -> list[Relationship]:
    rules, now = ctx.settings.policy, ctx.clock.now()
    found = await relationships.look_up(
        ctx.db,
        caller_id,
        [i for i in ids if i != caller_id],
        now=now,
        sends_since=now - policy.WEEK,
        sends_limit=policy.sends_needed(rules),
        preview=preview,
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
    found = await mutuals.page(ctx.db, caller_id, member_id, limit=limit + 1, after=after)
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
