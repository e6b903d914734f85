"""The invitation use cases. Each runs inside one transaction given by ``Database.run``.

Locking: every write that concerns two members first locks both member rows, in id order.
That one rule serialises everything about a pair (and each member's counters and rate
windows) across processes, so the facts the policy reads cannot change before the write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core import policy
from connect_api.core.models import (
    DeclineReason,
    Invitation,
    InvitationStatus,
    InvitePolicy,
    Member,
)
from connect_api.events import repository as events
from connect_api.graph import feed as graph
from connect_api.invitations import repository as invitations
from connect_api.invitations.schemas import NotDeclinedCode
from connect_api.kit.config import PolicySettings
from connect_api.kit.context import AppContext
from connect_api.kit.database import Work
from connect_api.kit.errors import NotFound
from connect_api.kit.ratelimit_headers import rate_limit_headers
from connect_api.members import repository as members
from connect_api.members.access import caller_from, require_member


@dataclass
class InvitationView:
    invitation: Invitation
    inviter: Member
    invitee: Member
    viewer_id: int
    now: datetime


@dataclass
class SendOutcome:
    view: InvitationView
    created: bool  # False when the send met a crossing invitation and accepted it
    headers: dict[str, str]


def _event_data(inv: Invitation) -> dict[str, object]:
    return {"invitation_id": inv.id, "inviter_id": inv.inviter_id, "invitee_id": inv.invitee_id}


async def _record_expired(session: Work, expired: list[Invitation], now: datetime) -> None:
    await events.record_many(
        session,
        "invitation.expired",
        [((inv.inviter_id, inv.invitee_id), _event_data(inv)) for inv in expired],
        now=now,
    )


async def send(
    session: Work, ctx: AppContext, caller_id: int, invitee_id: int, message: str | None
) -> SendOutcome:
    rules, now = ctx.settings.policy, ctx.clock.now()
    policy.check_message(message, rules)
    if caller_id == invitee_id:
        raise policy.CannotInviteSelf("You can't invite yourself.")

    locked = await members.lock_rows(session, caller_id, invitee_id)
    me = caller_from(locked, caller_id)
    them = locked.get(invitee_id)
    if them is None:
        raise NotFound("No such member.")

    # The invitee's setting is read from their locked row: a settings change (which updates
    # that row) is either wholly before this send or waits for it.
    invite_policy = InvitePolicy(them.invite_policy)
    facts = await invitations.send_facts(
        session,
        caller_id,
        invitee_id,
        now=now,
        sends_since=now - policy.WEEK,
        sends_limit=policy.sends_needed(rules),
        connection_counts=(me.connection_count, them.connection_count),
        with_degree=policy.needs_degree(invite_policy),
    )
    if any(i.status is InvitationStatus.pending and i.expires_at <= now for i in facts.history):
        # Overdue but not yet swept: mark it expired now, so its event goes out with this
        # change (the rule already reads it as expired).
        await _record_expired(
            session, await invitations.expire_pair(session, caller_id, invitee_id, now), now
        )
    pair = policy.summarize_pair(
        facts.history,
        inviter_id=caller_id,
        connected=facts.connected,
        now=now,
        blocked=facts.blocked,
    )
    decision = policy.decide_send(
        inviter_id=caller_id,
        invitee_id=invitee_id,
        inviter=policy.InviterFacts(
            connection_count=me.connection_count,
            restricted_until=me.restricted_until,
            pending_outgoing=facts.pending_outgoing,
            oldest_pending_expires_at=facts.oldest_pending_expires_at,
            recent_sends=facts.recent_sends,
        ),
        invitee_connection_count=them.connection_count,
        pair=pair,
        controls=policy.invitee_controls(
            invite_policy,
            within_three_degrees=facts.in_network,
            follows_inviter=facts.follows_inviter,
            shares_group=facts.shares_group,
        ),
        now=now,
        rules=rules,
    )

    if decision.accept_invitation_id is not None:
        found = await invitations.lock_row(session, decision.accept_invitation_id)
        assert found is not None  # read under both members' locks a moment ago
        theirs = found[0]
        await _connect(session, theirs, inviter=them, invitee=me, now=now)
        return SendOutcome(InvitationView(theirs, them, me, caller_id, now), False, {})

    inv = await invitations.insert_row(
        session,
        inviter_id=caller_id,
        invitee_id=invitee_id,
        message=message,
        now=now,
        expires_at=now + rules.invitation_expiry,
    )
    headers = rate_limit_headers(policy.after_send(decision.windows, now))
    return SendOutcome(InvitationView(inv, me, them, caller_id, now), True, headers)


async def _connect(
    session: Work, inv: Invitation, *, inviter: Member, invitee: Member, now: datetime
) -> None:
    """Accept ``inv``: both members are locked and the caps were checked.

    Connecting makes each follow the other (spec 2.8), in the same transaction (and the same
    statement: see ``invitations.accept_row``)."""
    event = _event_data(inv) | {"connected_at": now.isoformat()}
    made, counts = await invitations.accept_row(session, inv, now, event)
    assert made, "a pending invitation between connected members"
    graph.changed(session, inviter.id, invitee.id)
    locked = {inviter.id: inviter, invitee.id: invitee}
    for member_id, (n_connections, n_followers, n_following) in counts.items():
        member = locked[member_id]
        member.connection_count, member.follower_count = n_connections, n_followers
        member.following_count = n_following


async def _visible(session: Work, invitation_id: int, caller_id: int) -> Invitation:
    # Across a block, past invitations are gone too.
    inv = await invitations.visible_row(session, invitation_id, caller_id)
    if inv is None:
        await require_member(session, caller_id)  # a token whose member is gone: 401
        raise NotFound("No such invitation.")
    return inv


async def _open_for_answer(
    session: Work,
    caller_id: int,
    invitation_id: int,
    now: datetime,
    *,
    as_invitee: bool,
    verb: str,
) -> tuple[Invitation, Member, Member]:
    """Lock the invitation's two members (if the caller may see it) then the invitation, check
    the caller's side, and that it is still pending in its current (re-read) state."""
    locked = await invitations.lock_members(session, invitation_id, caller_id)
    if not locked:  # no such invitation, not the caller's, or across a block
        await require_member(session, caller_id)  # a token whose member is gone: 401
        raise NotFound("No such invitation.")
    found = await invitations.lock_row(session, invitation_id)
    if (
        found is None
        or found[0].inviter_id not in locked
        or found[0].invitee_id not in locked
        # A block placed meanwhile (it withdraws the blocker's invitation): not found.
        or found[1]
    ):
        raise NotFound("No such invitation.")
    current = found[0]
    if as_invitee and caller_id != current.invitee_id:
        raise policy.NotInvitee(f"Only the invitee can {verb} an invitation.")
    if not as_invitee and caller_id != current.inviter_id:
        raise policy.NotInviter(f"Only the inviter can {verb} an invitation.")
    policy.check_can_respond(status=current.status, expires_at=current.expires_at, now=now)
    return current, locked[current.inviter_id], locked[current.invitee_id]


async def _close(
    session: Work,
    inv: Invitation,
    status: InvitationStatus,
    now: datetime,
    *,
    audience: tuple[int, ...],
) -> None:
    event = (f"invitation.{status.value}", audience, _event_data(inv))
    await invitations.answer_row(session, inv, status, now, event)


async def accept(
    session: Work, ctx: AppContext, caller_id: int, invitation_id: int
) -> InvitationView:
    rules, now = ctx.settings.policy, ctx.clock.now()
    inv, inviter, invitee = await _open_for_answer(
        session, caller_id, invitation_id, now, as_invitee=True, verb="accept"
    )
    policy.check_cap(invitee.connection_count, rules, member_id=invitee.id, caller_id=caller_id)
    policy.check_cap(inviter.connection_count, rules, member_id=inviter.id, caller_id=caller_id)
    await _connect(session, inv, inviter=inviter, invitee=invitee, now=now)
    return InvitationView(inv, inviter, invitee, caller_id, now)


async def decline(
    session: Work,
    ctx: AppContext,
    caller_id: int,
    invitation_id: int,
    reason: DeclineReason,
) -> InvitationView:
    rules, now = ctx.settings.policy, ctx.clock.now()
    inv, inviter, invitee = await _open_for_answer(
        session, caller_id, invitation_id, now, as_invitee=True, verb="decline"
    )
    event = ("invitation.declined", *_declined_event(inv, reason))
    await invitations.answer_row(session, inv, InvitationStatus.declined, now, event, reason)
    await _restrict_after_declines(session, [inviter], now, rules)
    return InvitationView(inv, inviter, invitee, caller_id, now)


async def _mark_declined(
    session: AsyncSession, declined: Sequence[Invitation], reason: DeclineReason, now: datetime
) -> None:
    """Write the declines (locked, pending invitations) and their events."""
    for inv in declined:
        inv.status = InvitationStatus.declined
        inv.responded_at = now
        inv.decline_reason = reason
    await session.flush()
    await events.record_many(
        session, "invitation.declined", [_declined_event(inv, reason) for inv in declined], now=now
    )


def _declined_event(inv: Invitation, reason: DeclineReason) -> tuple[tuple[int], dict[str, object]]:
    """A decline's event, as (audience, data). Only the invitee hears of a decline: the inviter
    is never told, whatever the reason."""
    return (inv.invitee_id,), _event_data(inv) | {"reason": reason.value}


async def _restrict_after_declines(
    session: Work, inviters: Sequence[Member], now: datetime, rules: PolicySettings
) -> None:
    """Apply the restriction rule to each (locked) inviter once their declines are written."""
    records = await invitations.inviter_records(
        session, [m.id for m in inviters], now - rules.restriction_window
    )
    for inviter in inviters:
        until = policy.restriction_after_decline(
            records[inviter.id], inviter.restricted_until, now, rules
        )
        if until is not None:
            inviter.restricted_until = until
            await members.restrict(session, inviter.id, until)


@dataclass
class BulkDeclineOutcome:
    declined: list[int]
    not_declined: list[tuple[int, NotDeclinedCode]]


@dataclass
class BulkWithdrawOutcome:
    withdrawn: list[int]
    not_withdrawn: list[tuple[int, NotDeclinedCode]]


@dataclass
class _Picked:
    """What one bulk answer may act on, read under the locks it takes: the caller and the other
    side of each invitation locked, the pending ones chosen, the others with why not."""

    locked: dict[int, Member]
    pending: list[Invitation]
    refused: list[tuple[int, NotDeclinedCode]]


async def _pick_for_bulk_answer(
    session: AsyncSession,
    caller_id: int,
    side: Literal["invitee", "inviter"],
    invitation_ids: Sequence[int] | None,
    candidates: Sequence[tuple[int, int]],
    now: datetime,
) -> _Picked:
    """One algorithm for the inbox's bulk decline and the outbox's bulk withdrawal, the sides
    swapped. ``candidates`` are (invitation, the other member) as read before any lock; the
    caller and every other member are locked in id order (one order everywhere: no deadlock),
    then the invitations are read again under those locks, so the state each decision rests
    on can no longer change. Listed ids that are not the caller's on ``side`` are
    ``not_found`` whatever they are: the answer reveals nothing about others' invitations.
    With no list ("everything pending"), what changed meanwhile simply isn't part of it."""
    locked = await members.lock(session, caller_id, *(other for _, other in candidates))
    caller_from(locked, caller_id)
    current = await invitations.lock_among(session, side, caller_id, [i for i, _ in candidates])
    pending: list[Invitation] = []
    refused: list[tuple[int, NotDeclinedCode]] = []
    for invitation_id in invitation_ids if invitation_ids is not None else sorted(current):
        inv = current.get(invitation_id)
        other = None if inv is None else (inv.inviter_id if side == "invitee" else inv.invitee_id)
        if inv is None or other not in locked:
            refused.append((invitation_id, "not_found"))
        elif policy.effective_status(inv.status, inv.expires_at, now) is InvitationStatus.pending:
            pending.append(inv)
        else:
            refused.append((invitation_id, "invitation_not_pending"))
    return _Picked(locked, pending, refused if invitation_ids is not None else [])


async def end_pending_between(
    session: AsyncSession, blocker_id: int, blocked_id: int, now: datetime
) -> list[int]:
    """A block's end of the pending invitations between two locked members (spec 2.7): the
    blocker's own is withdrawn (it still counts as sent, and its cooldown follows), the other
    deleted. Returns their ids."""
    return await invitations.end_pending_pair(session, blocker_id, blocked_id, now)


async def decline_many(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    invitation_ids: Sequence[int] | None,
    reason: DeclineReason,
) -> BulkDeclineOutcome:
    """Decline the listed invitations in the caller's inbox, or every pending one (``None``).

    Each declined invitation ends as a single decline would leave it; the restriction rule is
    then applied once per inviter."""
    rules, now = ctx.settings.policy, ctx.clock.now()
    if invitation_ids is None:
        candidates = await invitations.received_pending(session, caller_id, now)
    else:
        candidates = await invitations.among(session, "invitee", caller_id, invitation_ids)
    picked = await _pick_for_bulk_answer(
        session, caller_id, "invitee", invitation_ids, candidates, now
    )
    await _mark_declined(session, picked.pending, reason, now)
    inviters = {inv.inviter_id: picked.locked[inv.inviter_id] for inv in picked.pending}
    await _restrict_after_declines(session, list(inviters.values()), now, rules)
    return BulkDeclineOutcome([inv.id for inv in picked.pending], picked.refused)


async def withdraw_many(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    invitation_ids: Sequence[int] | None,
    older_than: timedelta | None,
) -> BulkWithdrawOutcome:
    """Withdraw the listed invitations in the caller's outbox, or every pending one sent more
    than ``older_than`` ago (exactly one of the two is given). Each withdrawn invitation ends
    as a single withdrawal leaves it (``withdrawn``, its cooldown from now, its
    ``invitation.withdrawn`` event to both members)."""
    now = ctx.clock.now()
    if invitation_ids is None:
        assert older_than is not None
        candidates = await invitations.sent_pending_before(
            session, caller_id, now, now - older_than
        )
    else:
        candidates = await invitations.among(session, "inviter", caller_id, invitation_ids)
    picked = await _pick_for_bulk_answer(
        session, caller_id, "inviter", invitation_ids, candidates, now
    )
    for inv in picked.pending:
        inv.status = InvitationStatus.withdrawn
        inv.responded_at = now
    await session.flush()
    await events.record_many(
        session,
        "invitation.withdrawn",
        [((inv.inviter_id, inv.invitee_id), _event_data(inv)) for inv in picked.pending],
        now=now,
    )
    return BulkWithdrawOutcome([inv.id for inv in picked.pending], picked.refused)


async def withdraw(
    session: Work, ctx: AppContext, caller_id: int, invitation_id: int
) -> InvitationView:
    now = ctx.clock.now()
    inv, inviter, invitee = await _open_for_answer(
        session, caller_id, invitation_id, now, as_invitee=False, verb="withdraw"
    )
    await _close(session, inv, InvitationStatus.withdrawn, now, audience=(inviter.id, invitee.id))
    return InvitationView(inv, inviter, invitee, caller_id, now)


async def get_one(
    session: AsyncSession, ctx: AppContext, caller_id: int, invitation_id: int
) -> InvitationView:
    await require_member(session, caller_id)
    inv = await _visible(session, invitation_id, caller_id)
    found = await members.get_many(session, (inv.inviter_id, inv.invitee_id))
    return InvitationView(
        inv, found[inv.inviter_id], found[inv.invitee_id], caller_id, ctx.clock.now()
    )


async def list_mine(
    session: AsyncSession,
    ctx: AppContext,
    caller_id: int,
    *,
    received: bool,
    status: InvitationStatus | None,
    limit: int,
    after: tuple[datetime, int] | None,
) -> tuple[list[InvitationView], tuple[datetime, int] | None]:
    now = ctx.clock.now()
    await require_member(session, caller_id)
    rows = await invitations.list_for(
        session,
        member_id=caller_id,
        received=received,
        status=status,
        now=now,
        limit=limit + 1,
        after=after,
    )
    views = [InvitationView(i, a, b, caller_id, now) for i, a, b in rows[:limit]]
    last = rows[limit - 1][0] if len(rows) > limit else None
    return views, (last.created_at, last.id) if last is not None else None


async def expire_due(session: AsyncSession, ctx: AppContext, batch: int = 500) -> int:
    """Mark overdue pending invitations expired and record their events; returns how many."""
    now = ctx.clock.now()
    expired = await invitations.expire_due(session, now, batch)
    await _record_expired(session, expired, now)
    return len(expired)
