"""The rules on their own: pure functions of facts and ``now``, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connect_api.core import policy, visibility
from connect_api.core.models import DeclineReason, InvitePolicy, NetworkVisibility
from connect_api.core.models import InvitationStatus as S
from connect_api.kit.config import PolicySettings
from connect_api.kit.ratelimit_headers import rate_limit_headers

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
RULES = PolicySettings()
ME, THEM = 1, 2


def inv(
    n: int,
    inviter: int,
    status: S,
    *,
    age: timedelta = timedelta(0),
    answered: timedelta | None = None,
    reason: DeclineReason | None = None,
) -> policy.PairInvitation:
    created = NOW - age
    return policy.PairInvitation(
        id=n,
        inviter_id=inviter,
        status=status,
        decline_reason=reason,
        created_at=created,
        expires_at=created + RULES.invitation_expiry,
        responded_at=None if answered is None else NOW - answered,
    )


def facts(**kw: object) -> policy.InviterFacts:
    base: dict[str, object] = {
        "connection_count": 0,
        "restricted_until": None,
        "pending_outgoing": 0,
        "oldest_pending_expires_at": None,
        "recent_sends": (),
    }
    return policy.InviterFacts(**(base | kw))  # type: ignore[arg-type]


def send(pair: policy.PairHistory | None = None, **kw: object) -> policy.SendDecision:
    return policy.decide_send(
        inviter_id=ME,
        invitee_id=THEM,
        inviter=kw.pop("inviter", facts()),  # type: ignore[arg-type]
        invitee_connection_count=kw.pop("invitee_count", 0),  # type: ignore[arg-type]
        pair=pair or policy.PairHistory(),
        controls=kw.pop("controls", policy.InviteeControls()),  # type: ignore[arg-type]
        now=NOW,
        rules=kw.pop("rules", RULES),  # type: ignore[arg-type]
    )


def test_summarize_pair_reads_pending_both_ways_and_expiry() -> None:
    h = policy.summarize_pair([inv(5, THEM, S.pending)], inviter_id=ME, connected=False, now=NOW)
    assert h.pending_from_invitee_id == 5 and h.pending_from_inviter_id is None
    stale = inv(6, ME, S.pending, age=timedelta(days=181))
    h = policy.summarize_pair([stale], inviter_id=ME, connected=False, now=NOW)
    assert h.pending_from_inviter_id is None


def test_cooldown_only_from_the_newest_invitation_of_the_pair() -> None:
    declined = inv(1, ME, S.declined, age=timedelta(days=3), answered=timedelta(days=2))
    h = policy.summarize_pair([declined], inviter_id=ME, connected=False, now=NOW)
    with pytest.raises(policy.CooldownActive) as e:
        send(h)
    assert e.value.extra["until"] == NOW - timedelta(days=2) + RULES.cooldown
    # The other member invited since (and it was accepted, then removed): a fresh start.
    newer = inv(2, THEM, S.accepted, age=timedelta(days=1), answered=timedelta(days=1))
    h = policy.summarize_pair([newer, declined], inviter_id=ME, connected=False, now=NOW)
    assert send(h).accept_invitation_id is None


def test_cooldown_ends_exactly() -> None:
    withdrawn = inv(1, ME, S.withdrawn, age=timedelta(days=30), answered=RULES.cooldown)
    h = policy.summarize_pair([withdrawn], inviter_id=ME, connected=False, now=NOW)
    send(h)  # responded exactly 21 days ago: allowed
    almost = inv(
        1, ME, S.withdrawn, age=timedelta(days=30), answered=RULES.cooldown - timedelta(seconds=1)
    )
    with pytest.raises(policy.CooldownActive):
        send(policy.summarize_pair([almost], inviter_id=ME, connected=False, now=NOW))


@pytest.mark.parametrize("reason", [DeclineReason.dont_know, DeclineReason.spam])
def test_report_bars_for_good_unless_invitee_invites_later(reason: DeclineReason) -> None:
    reported = inv(
        1, ME, S.declined, age=timedelta(days=100), answered=timedelta(days=99), reason=reason
    )
    h = policy.summarize_pair([reported], inviter_id=ME, connected=False, now=NOW)
    with pytest.raises(policy.InvitationNotAllowed):
        send(h)
    their_later = inv(2, THEM, S.withdrawn, age=timedelta(days=50), answered=timedelta(days=49))
    h = policy.summarize_pair([their_later, reported], inviter_id=ME, connected=False, now=NOW)
    send(h)


def test_ignore_decline_does_not_bar_after_cooldown() -> None:
    ignored = inv(
        1,
        ME,
        S.declined,
        age=timedelta(days=100),
        answered=timedelta(days=99),
        reason=DeclineReason.ignore,
    )
    send(policy.summarize_pair([ignored], inviter_id=ME, connected=False, now=NOW))


def test_crossing_invitation_is_accepted_even_when_restricted_or_throttled() -> None:
    pair = policy.PairHistory(pending_from_invitee_id=9)
    busy = facts(
        restricted_until=NOW + timedelta(days=1),
        recent_sends=tuple(NOW - timedelta(minutes=n) for n in range(30)),
    )
    assert send(pair, inviter=busy).accept_invitation_id == 9
    with pytest.raises(policy.ConnectionLimitReached):
        send(pair, invitee_count=RULES.connection_cap)


def test_order_of_refusals() -> None:
    with pytest.raises(policy.CannotInviteSelf):
        policy.decide_send(
            inviter_id=ME,
            invitee_id=ME,
            inviter=facts(),
            invitee_connection_count=0,
            pair=policy.PairHistory(),
            controls=policy.InviteeControls(),
            now=NOW,
            rules=RULES,
        )
    with pytest.raises(policy.AlreadyConnected):
        send(policy.PairHistory(connected=True))
    with pytest.raises(policy.InvitationPending):
        send(policy.PairHistory(pending_from_inviter_id=3))
    with pytest.raises(policy.MemberRestricted):
        send(inviter=facts(restricted_until=NOW + timedelta(seconds=1)))
    send(inviter=facts(restricted_until=NOW))  # ended exactly now
    with pytest.raises(policy.ConnectionLimitReached) as e:
        send(inviter=facts(connection_count=RULES.connection_cap))
    assert e.value.extra["member_id"] == ME
    with pytest.raises(policy.ConnectionLimitReached) as e:
        send(invitee_count=RULES.connection_cap)
    assert e.value.extra["member_id"] == THEM


def test_hourly_window_and_retry_after() -> None:
    sends = tuple(NOW - timedelta(minutes=m) for m in range(20))  # 0..19 minutes ago
    with pytest.raises(policy.InvitationThrottled) as e:
        send(inviter=facts(recent_sends=sends))
    # The oldest (19 minutes ago) frees a slot in 41 minutes.
    assert e.value.headers["Retry-After"] == str(41 * 60)
    assert e.value.extra["window"] == "hour"
    assert "r=0" in e.value.headers["RateLimit"]
    decision = send(inviter=facts(recent_sends=sends[:19]))
    hour = {w.name: w for w in decision.windows}["hour"]
    assert hour.remaining == 1


def test_weekly_window() -> None:
    sends = tuple(NOW - timedelta(hours=h + 2) for h in range(100))  # none in the last hour
    with pytest.raises(policy.InvitationThrottled) as e:
        send(inviter=facts(recent_sends=sends))
    assert e.value.extra["window"] == "week"
    oldest = NOW - timedelta(hours=101)
    assert e.value.headers["Retry-After"] == str(int((oldest + policy.WEEK - NOW).total_seconds()))


def test_pending_limit_retry_after_is_the_oldest_expiry() -> None:
    expires = NOW + timedelta(days=3)
    with pytest.raises(policy.TooManyPending) as e:
        send(inviter=facts(pending_outgoing=5000, oldest_pending_expires_at=expires))
    assert e.value.headers["Retry-After"] == str(3 * 86400)


def test_rate_limit_headers_follow_the_draft() -> None:
    windows = policy.after_send(policy.rate_windows((), NOW, RULES), NOW)
    headers = rate_limit_headers(windows)
    assert headers["RateLimit-Policy"] == '"hour";q=20;w=3600, "week";q=100;w=604800'
    assert headers["RateLimit"] == '"hour";r=19;t=3600, "week";r=99;t=604800'


@pytest.mark.parametrize(
    ("record", "restricted"),
    [
        (policy.InviterRecord(reports=5, declined=5, decided=50), True),
        (policy.InviterRecord(reports=4, declined=4, decided=50), False),
        (policy.InviterRecord(reports=0, declined=11, decided=20), True),
        (policy.InviterRecord(reports=0, declined=10, decided=20), False),  # exactly half
        (policy.InviterRecord(reports=0, declined=19, decided=19), False),  # fewer than 20
    ],
)
def test_restriction_thresholds(record: policy.InviterRecord, restricted: bool) -> None:
    until = policy.restriction_after_decline(record, None, NOW, RULES)
    assert (until == NOW + RULES.restriction) if restricted else until is None


def test_restriction_is_not_extended_while_it_runs() -> None:
    record = policy.InviterRecord(reports=9, declined=9, decided=9)
    assert policy.restriction_after_decline(record, NOW + timedelta(days=1), NOW, RULES) is None
    assert policy.restriction_after_decline(record, NOW, NOW, RULES) == NOW + RULES.restriction


def test_message_length_is_a_setting() -> None:
    policy.check_message("x" * 300, RULES)
    policy.check_message(None, RULES)
    with pytest.raises(policy.MessageTooLong):
        policy.check_message("x" * 301, RULES)
    policy.check_message("x" * 301, PolicySettings(message_max_length=400))


def test_effective_status() -> None:
    assert policy.effective_status(S.pending, NOW, NOW) is S.expired
    assert policy.effective_status(S.pending, NOW + timedelta(seconds=1), NOW) is S.pending
    assert policy.effective_status(S.declined, NOW, NOW) is S.declined


def answer(pair: policy.PairHistory | None = None, **kw: object) -> policy.InviteAnswer:
    args: dict[str, object] = {
        "inviter_id": ME,
        "invitee_id": THEM,
        "inviter": facts(),
        "invitee_connection_count": 0,
        "pair": pair or policy.PairHistory(),
        "controls": policy.InviteeControls(),
        "now": NOW,
        "rules": RULES,
    }
    args.update(kw)
    return policy.answer_send(**args)  # type: ignore[arg-type]


def test_answer_send_reports_what_decide_send_would_refuse() -> None:
    assert answer() == policy.InviteAnswer(True)
    assert answer(policy.PairHistory(pending_from_invitee_id=9)) == policy.InviteAnswer(
        True, accepts=True
    )
    assert answer(policy.PairHistory(blocked=True)).reason == "not_found"
    assert answer(invitee_id=ME).reason == "cannot_invite_self"
    until = NOW + timedelta(days=2)
    got = answer(inviter=facts(restricted_until=until))
    assert (got.allowed, got.reason, got.until) == (False, "member_restricted", until)
    declined = policy.PairHistory(last_outcome=S.declined, last_outcome_at=NOW - timedelta(days=1))
    got = answer(declined)
    assert (got.reason, got.until) == ("cooldown_active", NOW + timedelta(days=20))


@pytest.mark.parametrize(
    ("facts_", "action"),
    [
        ({"available": False, "connected": True}, "unavailable"),
        ({"connected": True, "pending_received": True}, "message"),
        ({"pending_received": True, "can_invite": True}, "accept"),
        ({"pending_sent": True}, "pending"),
        ({"can_invite": True}, "connect"),
        ({}, "follow"),
    ],
)
def test_button_action(facts_: dict[str, bool], action: str) -> None:
    args = {
        "available": True,
        "connected": False,
        "pending_sent": False,
        "pending_received": False,
        "can_invite": False,
    }
    assert policy.button_action(**(args | facts_)) == action


def test_follow_and_block_yourself_are_refused() -> None:
    with pytest.raises(policy.CannotFollowSelf):
        policy.check_follow(follower_id=ME, followee_id=ME)
    policy.check_follow(follower_id=ME, followee_id=THEM)
    with pytest.raises(policy.CannotBlockSelf):
        policy.check_block(blocker_id=ME, blocked_id=ME)


# --- member controls (spec 2.13) ---------------------------------------------------------------

P = InvitePolicy


@pytest.mark.parametrize(
    ("setting", "in_network", "follows", "group", "admitted"),
    [
        (P.everyone, False, False, False, True),
        (P.network, False, False, False, False),
        (P.network, True, False, False, True),
        (P.network, False, True, False, True),
        (P.network, False, False, True, True),
        (P.nobody, True, False, False, False),
        (P.nobody, False, True, False, True),
        (P.nobody, False, False, True, True),
    ],
)
def test_the_invitees_setting_admits_or_refuses(
    setting: InvitePolicy, in_network: bool, follows: bool, group: bool, admitted: bool
) -> None:
    controls = policy.InviteeControls(setting, in_network, follows, group)
    assert policy.invitee_admits(controls) is admitted
    if admitted:
        send(controls=controls)
    else:
        with pytest.raises(policy.InvitationNotAllowed) as refused:
            send(controls=controls)
        # The same refusal as a report's bar: it never says which, nor names the setting.
        assert refused.value.code == "invitation_not_allowed"
        assert "setting" not in str(refused.value) and setting.value not in str(refused.value)
        assert answer(controls=controls) == policy.InviteAnswer(False, "invitation_not_allowed")


def test_a_crossing_invitation_is_met_whatever_the_setting() -> None:
    shut = policy.InviteeControls(P.nobody)
    assert send(policy.PairHistory(pending_from_invitee_id=9), controls=shut).accept_invitation_id
    # What the inviter already knows of comes first: being connected, their own pending one.
    with pytest.raises(policy.AlreadyConnected):
        send(policy.PairHistory(connected=True), controls=shut)
    with pytest.raises(policy.InvitationPending):
        send(policy.PairHistory(pending_from_inviter_id=3), controls=shut)


def test_only_the_network_setting_needs_the_degree() -> None:
    assert [policy.needs_degree(p) for p in P] == [False, True, False]


def test_follow_first_turns_connect_into_follow_and_nothing_else() -> None:
    def action(**kw: bool) -> str:
        base = {
            "available": True,
            "connected": False,
            "pending_sent": False,
            "pending_received": False,
            "can_invite": True,
            "follow_first": True,
        }
        return policy.button_action(**(base | kw))

    assert action() == "follow"
    assert action(follow_first=False) == "connect"
    assert action(connected=True) == "message"
    assert action(pending_received=True) == "accept"
    assert action(pending_sent=True) == "pending"
    assert action(available=False) == "unavailable"


# --- who sees what (spec 2.7, 2.11, 2.13) -----------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "setting", "expected"),
    [
        # (viewer is the member, exists, blocked, connected, admin) -> (member, network, mutuals)
        ((True, True, False, False, False), "connections", (True, True, True)),
        ((True, True, False, False, False), "only_me", (True, True, True)),
        ((False, True, False, True, False), "connections", (True, True, True)),
        ((False, True, False, True, False), "only_me", (True, False, True)),
        ((False, True, False, False, False), "connections", (True, False, True)),
        ((False, True, False, False, False), "only_me", (True, False, True)),
        ((False, True, True, False, False), "connections", (False, False, False)),
        ((False, False, False, False, False), "connections", (False, False, False)),
        ((False, True, False, False, True), "only_me", (True, True, True)),
        ((False, True, True, False, True), "connections", (True, True, False)),
        ((False, False, False, False, True), "connections", (False, False, False)),
    ],
)
def test_sight(
    facts: tuple[bool, bool, bool, bool, bool], setting: str, expected: tuple[bool, ...]
) -> None:
    itself, exists, blocked, connected, admin = facts
    viewing = visibility.Viewing(
        viewer_id=1,
        member_id=1 if itself else 2,
        exists=exists,
        blocked=blocked,
        connected=connected,
        network_visibility=NetworkVisibility(setting),
        admin=admin,
    )
    seen = visibility.sight(viewing)
    assert (seen.member, seen.network, seen.mutuals) == expected


def test_shown_count() -> None:
    assert visibility.shown_count(30_000, 2, True) == 29_998
    assert visibility.shown_count(5, 0, True) == 5
    assert visibility.shown_count(5, 1, False) is None
