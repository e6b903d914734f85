"""Every rule of the Connect button, as pure functions of facts and ``now``.

Repositories gather the facts under the right row locks; services ask this module and write.
Nothing here touches the database, so each rule is unit-tested on its own.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from connect_api.core.models import DeclineReason, InvitationStatus, InvitePolicy
from connect_api.core.visibility import hidden
from connect_api.kit.config import PolicySettings
from connect_api.kit.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    Throttled,
    Unprocessable,
)
from connect_api.kit.ratelimit_headers import RateWindow, rate_limit_headers, retry_after_seconds

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)


# --- refusals ---------------------------------------------------------------------------------


class CannotInviteSelf(BadRequest):
    """You can't invite yourself."""

    code = "cannot_invite_self"


class CannotFollowSelf(BadRequest):
    """You can't follow yourself."""

    code = "cannot_follow_self"


class CannotBlockSelf(BadRequest):
    """You can't block yourself."""

    code = "cannot_block_self"


class MessageTooLong(Unprocessable):
    """The personal message is longer than allowed."""

    code = "message_too_long"


class AlreadyConnected(Conflict):
    """You are already connected to this member."""

    code = "already_connected"


class InvitationPending(Conflict):
    """You already have a pending invitation to this member."""

    code = "invitation_pending"


class ConnectionLimitReached(Conflict):
    """You, or the other member, have reached the connection limit."""

    code = "connection_limit_reached"


class CooldownActive(Conflict):
    """You can invite this member again after the date in `until`."""

    code = "cooldown_active"


class InvitationNotAllowed(Forbidden):
    """You can't invite this member (their own choice, or an earlier report: never which)."""

    code = "invitation_not_allowed"


class MemberRestricted(Forbidden):
    """You can't send invitations until the date in `until`."""

    code = "member_restricted"


class InvitationThrottled(Throttled):
    """Too many invitations in the last hour or week; see `Retry-After`."""

    code = "invitation_throttled"


class TooManyPending(Throttled):
    """Too many of your invitations are waiting for an answer."""

    code = "too_many_pending_invitations"


class InvitationNotPending(Conflict):
    """Only a pending invitation can be answered or withdrawn."""

    code = "invitation_not_pending"


class NotInvitee(Forbidden):
    """Only the invitee can accept or decline an invitation."""

    code = "not_invitee"


class NotInviter(Forbidden):
    """Only the inviter can withdraw an invitation."""

    code = "not_inviter"


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairHistory:
    """What has passed between an inviter and an invitee, read under the pair's locks."""

    connected: bool = False
    blocked: bool = False  # a block, either way
    pending_from_inviter_id: int | None = None  # inviter -> invitee, still pending
    pending_from_invitee_id: int | None = None  # invitee -> inviter, still pending
    # The inviter's last ended invitation to the invitee: how and when it ended.
    last_outcome: InvitationStatus | None = None
    last_outcome_at: datetime | None = None
    # The most recent `dont_know`/`spam` decline of inviter by invitee, and the most recent
    # invitation the invitee sent the inviter (which lifts that bar when it came later).
    last_report_at: datetime | None = None
    last_reverse_invitation_at: datetime | None = None


@dataclass(frozen=True)
class PairInvitation:
    """One invitation between two members, as read for :func:`summarize_pair`."""

    id: int
    inviter_id: int
    status: InvitationStatus
    decline_reason: DeclineReason | None
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None


def summarize_pair(
    history: Sequence[PairInvitation],
    *,
    inviter_id: int,
    connected: bool,
    now: datetime,
    blocked: bool = False,
) -> PairHistory:
    """Reduce every invitation between two members (newest first) to what the rules ask."""
    pending_out = pending_in = None
    last_outcome = last_outcome_at = last_report_at = last_reverse_at = None
    for n, inv in enumerate(history):
        mine = inv.inviter_id == inviter_id
        if effective_status(inv.status, inv.expires_at, now) is InvitationStatus.pending:
            if mine:
                pending_out = inv.id
            else:
                pending_in = inv.id
        if not mine and last_reverse_at is None:
            last_reverse_at = inv.created_at
        # The cooldown looks only at the newest invitation of the pair: anything that came after
        # an inviter's declined or withdrawn invitation (their own new one, or one from the other
        # member) is a fresh start.
        if (
            n == 0
            and mine
            and inv.status in (InvitationStatus.declined, InvitationStatus.withdrawn)
        ):
            last_outcome, last_outcome_at = inv.status, inv.responded_at
        if (
            mine
            and last_report_at is None
            and inv.status is InvitationStatus.declined
            and inv.decline_reason is not None
            and is_report(inv.decline_reason)
        ):
            last_report_at = inv.responded_at
    return PairHistory(
        connected=connected,
        blocked=blocked,
        pending_from_inviter_id=pending_out,
        pending_from_invitee_id=pending_in,
        last_outcome=last_outcome,
        last_outcome_at=last_outcome_at,
        last_report_at=last_report_at,
        last_reverse_invitation_at=last_reverse_at,
    )


@dataclass(frozen=True)
class InviteeControls:
    """The invitee's own controls (spec 2.13) and the facts between the two they are judged on,
    read in the same statement as the rest of the send's facts."""

    invite_policy: InvitePolicy = InvitePolicy.everyone
    in_network: bool = False  # the inviter is 2nd or 3rd degree from the invitee
    follows_inviter: bool = False  # the invitee follows the inviter
    shares_group: bool = False  # the two are members of a group in common


def invitee_controls(
    invite_policy: InvitePolicy | str,
    *,
    within_three_degrees: bool,
    follows_inviter: bool,
    shares_group: bool,
) -> InviteeControls:
    """The invitee's controls and the facts between the two that they are judged on, built here
    for the send and for the button alike, so that the button never promises what the endpoint
    refuses. ``within_three_degrees``: the inviter is at the 2nd or 3rd degree (read only where
    :func:`needs_degree` says it can change the answer); ``follows_inviter``: the invitee
    follows the inviter (the inviter following the invitee counts for nothing);
    ``shares_group``: a group in common."""
    return InviteeControls(
        invite_policy=InvitePolicy(invite_policy),
        in_network=within_three_degrees,
        follows_inviter=follows_inviter,
        shares_group=shares_group,
    )


def needs_degree(invite_policy: InvitePolicy) -> bool:
    """Whether the send's facts must say if the two are within three degrees (the only costly
    fact of the controls, read only when it can change the answer)."""
    return invite_policy is InvitePolicy.network


def invitee_admits(controls: InviteeControls) -> bool:
    """Whether the invitee's setting lets this inviter invite them.

    The settings are nested: a member the invitee follows or shares a group with may always
    invite (the whole of ``nobody``); ``network`` admits the 2nd and 3rd degree too;
    ``everyone``, anyone."""
    if controls.invite_policy is InvitePolicy.everyone:
        return True
    if controls.follows_inviter or controls.shares_group:
        return True
    return controls.invite_policy is InvitePolicy.network and controls.in_network


@dataclass(frozen=True)
class InviterFacts:
    connection_count: int
    restricted_until: datetime | None
    pending_outgoing: int
    oldest_pending_expires_at: datetime | None
    # Creation times of the inviter's invitations in the last 7 days, newest first.
    recent_sends: Sequence[datetime] = field(default_factory=tuple)


@dataclass(frozen=True)
class SendDecision:
    """The outcome of checking a send: ``accept_invitation_id`` when it meets a crossing one."""

    windows: tuple[RateWindow, ...]
    accept_invitation_id: int | None = None


# --- rules ------------------------------------------------------------------------------------


def check_message(message: str | None, rules: PolicySettings) -> None:
    if message is not None and len(message) > rules.message_max_length:
        raise MessageTooLong(
            f"The personal message has {len(message)} characters; at most "
            f"{rules.message_max_length} are allowed.",
            max_length=rules.message_max_length,
        )


def rate_windows(
    recent_sends: Sequence[datetime], now: datetime, rules: PolicySettings
) -> tuple[RateWindow, ...]:
    """The rolling hourly and weekly windows, as seen at ``now``."""
    return _windows(
        tuple(recent_sends), now, rules.invitations_per_hour, rules.invitations_per_week
    )


# One look-up asks for the caller's windows once per id, with the same sends and `now`: 100
# times for 100 ids, 1.3 ms of a 100-id look-up's 15 ms of service time (cProfile, the
# 100,000-member network). They are computed once and the answer reused.
@functools.lru_cache(maxsize=1024)
def _windows(
    recent_sends: tuple[datetime, ...], now: datetime, per_hour: int, per_week: int
) -> tuple[RateWindow, ...]:
    out = []
    for name, limit, span in (
        ("hour", per_hour, HOUR),
        ("week", per_week, WEEK),
    ):
        inside = sorted(t for t in recent_sends if t > now - span)
        used = len(inside)
        if used >= limit:
            # The window reopens when the send that put it at its limit ages out.
            reset = inside[used - limit] + span - now
        elif inside:
            reset = inside[0] + span - now
        else:
            reset = timedelta(0)
        out.append(RateWindow(name, limit, span, used, max(reset, timedelta(0))))
    return tuple(out)


def sends_needed(rules: PolicySettings) -> int:
    """How many of an inviter's most recent sends (of the last 7 days) the windows need."""
    return max(rules.invitations_per_week, rules.invitations_per_hour) + 1


def check_cap(count: int, rules: PolicySettings, *, member_id: int, caller_id: int) -> None:
    """Refuse when ``member_id`` (the caller or the other side) is at the connection cap."""
    if count >= rules.connection_cap:
        if member_id == caller_id:
            detail = f"You have reached the limit of {rules.connection_cap} connections."
        else:
            detail = f"This member has reached the limit of {rules.connection_cap} connections."
        raise ConnectionLimitReached(detail, limit=rules.connection_cap, member_id=member_id)


def check_restriction(restricted_until: datetime | None, now: datetime) -> None:
    if restricted_until is not None and restricted_until > now:
        raise MemberRestricted(
            "You can't send invitations for now, because many of your recent invitations "
            f"were declined. You can again after {_iso(restricted_until)}.",
            until=restricted_until,
        )


def decide_send(
    *,
    inviter_id: int,
    invitee_id: int,
    inviter: InviterFacts,
    invitee_connection_count: int,
    pair: PairHistory,
    controls: InviteeControls,
    now: datetime,
    rules: PolicySettings,
) -> SendDecision:
    """May ``inviter`` invite ``invitee`` now? Raises the refusal, or says what to do.

    The invitee's controls are asked after everything the inviter already knows of (the pair's
    state, their own restriction, the caps, the cooldown) and before the throttles, and they
    refuse with the same ``invitation_not_allowed`` as a report's lasting bar: the refusal
    says no more than the button (``can_invite: false``), never which setting or why. A pending
    invitation from the invitee is met whatever their setting: they asked first."""
    if inviter_id == invitee_id:
        raise CannotInviteSelf("You can't invite yourself.")
    if pair.blocked:
        raise hidden()
    if pair.connected:
        raise AlreadyConnected("You are already connected to this member.")
    if pair.pending_from_inviter_id is not None:
        raise InvitationPending(
            "You already have a pending invitation to this member.",
            invitation_id=pair.pending_from_inviter_id,
        )
    if pair.pending_from_invitee_id is not None:
        # Crossing invitations meet: this send accepts theirs. Both caps still apply.
        check_cap(inviter.connection_count, rules, member_id=inviter_id, caller_id=inviter_id)
        check_cap(invitee_connection_count, rules, member_id=invitee_id, caller_id=inviter_id)
        return SendDecision(windows=(), accept_invitation_id=pair.pending_from_invitee_id)

    check_restriction(inviter.restricted_until, now)
    check_cap(inviter.connection_count, rules, member_id=inviter_id, caller_id=inviter_id)
    check_cap(invitee_connection_count, rules, member_id=invitee_id, caller_id=inviter_id)
    check_reinvite(pair, now, rules)
    if not invitee_admits(controls):
        raise InvitationNotAllowed("You can't invite this member.")

    windows = rate_windows(inviter.recent_sends, now, rules)
    for w in windows:
        if w.used >= w.limit:
            raise InvitationThrottled(
                f"You have sent {w.used} invitations in the last {_span(w.window)}; "
                f"the limit is {w.limit}. Try again in {_duration(w.reset_after)}.",
                headers=rate_limit_headers(windows, retry_after=w.reset_after),
                limit=w.limit,
                window=w.name,
                retry_after=retry_after_seconds(w.reset_after),
            )
    if inviter.pending_outgoing >= rules.pending_outgoing_max:
        wait = (
            inviter.oldest_pending_expires_at - now
            if inviter.oldest_pending_expires_at is not None
            else rules.invitation_expiry
        )
        raise TooManyPending(
            f"You have {inviter.pending_outgoing} invitations waiting for an answer; the limit is "
            f"{rules.pending_outgoing_max}. Withdraw some, or wait for answers.",
            headers=rate_limit_headers(windows, retry_after=wait),
            limit=rules.pending_outgoing_max,
            retry_after=retry_after_seconds(wait),
        )
    return SendDecision(windows=windows)


def check_follow(*, follower_id: int, followee_id: int) -> None:
    """Anyone may follow anyone (no consent, no limit) except themselves. Across a block the
    other member is not found at all (see :func:`hidden`), before this is asked."""
    if follower_id == followee_id:
        raise CannotFollowSelf("You can't follow yourself.")


def check_block(*, blocker_id: int, blocked_id: int) -> None:
    if blocker_id == blocked_id:
        raise CannotBlockSelf("You can't block yourself.")


class InviteRefusal(enum.StrEnum):
    """Why an invitation would be refused now: the `code` the invitation endpoint answers."""

    already_connected = "already_connected"
    invitation_pending = "invitation_pending"
    cooldown_active = "cooldown_active"
    invitation_not_allowed = "invitation_not_allowed"
    member_restricted = "member_restricted"
    connection_limit_reached = "connection_limit_reached"
    invitation_throttled = "invitation_throttled"
    too_many_pending_invitations = "too_many_pending_invitations"
    cannot_invite_self = "cannot_invite_self"
    not_found = "not_found"


@dataclass(frozen=True)
class InviteAnswer:
    """What an invitation from the caller would get right now: the button's promise."""

    allowed: bool
    reason: InviteRefusal | None = None  # the refusal's code, as the invitation endpoint says
    until: datetime | None = None  # when a time-bound refusal (cooldown, restriction) ends
    accepts: bool = False  # the send would meet their pending invitation and connect


def answer_send(
    *,
    inviter_id: int,
    invitee_id: int,
    inviter: InviterFacts,
    invitee_connection_count: int,
    pair: PairHistory,
    controls: InviteeControls,
    now: datetime,
    rules: PolicySettings,
) -> InviteAnswer:
    """:func:`decide_send`, as an answer instead of a refusal: what `can_invite` reports."""
    try:
        decision = decide_send(
            inviter_id=inviter_id,
            invitee_id=invitee_id,
            inviter=inviter,
            invitee_connection_count=invitee_connection_count,
            pair=pair,
            controls=controls,
            now=now,
            rules=rules,
        )
    except DomainError as refusal:
        return InviteAnswer(False, InviteRefusal(refusal.code), refusal.extra.get("until"))
    return InviteAnswer(True, accepts=decision.accept_invitation_id is not None)


Action = Literal["connect", "pending", "accept", "message", "follow", "unavailable"]


def button_action(
    *,
    available: bool,
    connected: bool,
    pending_sent: bool,
    pending_received: bool,
    can_invite: bool,
    follow_first: bool = False,
) -> Action:
    """What the Connect button offers. ``available`` is false for members the caller may not
    see (blocked either way, erased, never existed) and for the caller themself.

    ``follow_first`` is the member's own choice of Follow as their primary button: it turns
    ``connect`` into ``follow`` and nothing else (an invitation stays possible, ``can_invite``
    says so; a pending invitation either way still shows as such)."""
    if not available:
        return "unavailable"
    if connected:
        return "message"
    if pending_received:
        return "accept"
    if pending_sent:
        return "pending"
    return "connect" if can_invite and not follow_first else "follow"


def check_reinvite(pair: PairHistory, now: datetime, rules: PolicySettings) -> None:
    """Cooldown after a decline or an own withdrawal; the lasting bar after a report."""
    if pair.last_outcome in (InvitationStatus.declined, InvitationStatus.withdrawn):
        assert pair.last_outcome_at is not None
        until = pair.last_outcome_at + rules.cooldown
        if until > now:
            # Same answer whatever the decline's reason: the inviter never learns it.
            raise CooldownActive(
                f"You can invite this member again after {_iso(until)}.",
                until=until,
                headers={"Retry-After": str(retry_after_seconds(until - now))},
            )
    if pair.last_report_at is not None and (
        pair.last_reverse_invitation_at is None
        or pair.last_reverse_invitation_at < pair.last_report_at
    ):
        raise InvitationNotAllowed("You can't invite this member.")


def check_can_respond(*, status: InvitationStatus, expires_at: datetime, now: datetime) -> None:
    effective = effective_status(status, expires_at, now)
    if effective is not InvitationStatus.pending:
        raise InvitationNotPending(
            f"This invitation is {effective.value}; only a pending invitation can be answered.",
            invitation_status=effective.value,
        )


def effective_status(
    status: InvitationStatus, expires_at: datetime, now: datetime
) -> InvitationStatus:
    if status is InvitationStatus.pending and expires_at <= now:
        return InvitationStatus.expired
    return status


@dataclass(frozen=True)
class InviterRecord:
    """An inviter's answered invitations in the restriction window."""

    reports: int  # `dont_know` and `spam` declines
    declined: int
    decided: int  # accepted + declined


def restriction_after_decline(
    record: InviterRecord, restricted_until: datetime | None, now: datetime, rules: PolicySettings
) -> datetime | None:
    """The new ``restricted_until`` if this record restricts the inviter, else ``None``."""
    if restricted_until is not None and restricted_until > now:
        return None  # already restricted; the restriction runs its course
    too_many_reports = record.reports >= rules.restriction_reports
    mostly_declined = (
        record.decided >= rules.restriction_min_decided and record.declined * 2 > record.decided
    )
    if too_many_reports or mostly_declined:
        return now + rules.restriction
    return None


def is_report(reason: DeclineReason) -> bool:
    return reason in (DeclineReason.dont_know, DeclineReason.spam)


# --- after a send -----------------------------------------------------------------------------


def after_send(windows: Sequence[RateWindow], now: datetime) -> tuple[RateWindow, ...]:
    """The windows once the send just made is counted in them."""
    out = []
    for w in windows:
        reset = w.reset_after if w.used else w.window
        out.append(RateWindow(w.name, w.limit, w.window, w.used + 1, reset))
    return tuple(out)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _span(delta: timedelta) -> str:
    return "hour" if delta == HOUR else f"{delta.days} days"


def _duration(delta: timedelta) -> str:
    seconds = retry_after_seconds(delta)
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} minutes"
    if seconds < 172800:
        return f"{math.ceil(seconds / 3600)} hours"
    return f"{math.ceil(seconds / 86400)} days"


def suggestion_refusal(
    *,
    member_id: int,
    candidate_id: int,
    candidate_connection_count: int,
    pair: PairHistory,
    controls: InviteeControls,
    now: datetime,
    rules: PolicySettings,
) -> str | None:
    """Why ``candidate_id`` may not be suggested to ``member_id``, as the refusal ``code`` of
    the invitation rule (:func:`decide_send`); ``None`` when they may be.

    Only what stands between the two (and the candidate's cap) counts: the send is judged for
    an inviter with no throttle, restriction or cap of their own, so a member who may not send
    for now is still shown whom to invite later. A pending invitation either way excludes too:
    there is nothing to suggest, the send would only meet it."""
    if pair.pending_from_invitee_id is not None:
        return InvitationPending.code
    answer = answer_send(
        inviter_id=member_id,
        invitee_id=candidate_id,
        inviter=InviterFacts(
            connection_count=0,
            restricted_until=None,
            pending_outgoing=0,
            oldest_pending_expires_at=None,
        ),
        invitee_connection_count=candidate_connection_count,
        pair=pair,
        controls=controls,
        now=now,
        rules=rules,
    )
    return None if answer.allowed else answer.reason
