"""Who may see whom (spec 2.7, 2.11, 2.13): the one decision every route asks before it shows a
member, a list of their network or a count, and the answers for what may not be seen."""

from __future__ import annotations

from dataclasses import dataclass

from connect_api.core.models import NetworkVisibility
from connect_api.kit.errors import NotFound


def hidden() -> NotFound:
    """What either side of a block sees of the other: nothing, as if there were no such member."""
    return NotFound("No such member.")


def network_hidden() -> NotFound:
    """A list of a member's network the caller may not see: one answer whether the member does
    not exist, a block stands between them, or the member's choice keeps it from the caller."""
    return NotFound("No such member, or this list of theirs is not visible to you.")


@dataclass(frozen=True)
class Viewing:
    """The facts that decide what a viewer sees of a member, read in the statement that
    answers the request (so the answer and its permission come from one snapshot)."""

    viewer_id: int
    member_id: int
    exists: bool  # the member exists (an erased one does not)
    blocked: bool  # a block stands between the two, either way
    connected: bool = False  # the viewer is one of the member's connections (1st degree)
    network_visibility: NetworkVisibility = NetworkVisibility.connections
    admin: bool = False  # an admin token: sees every member and their network


@dataclass(frozen=True)
class Sight:
    """What the viewer may see of the member. Anything not seen is 404 (no existence oracle)."""

    member: bool  # the profile, and that the member exists at all
    network: bool  # connections, followers and following: the lists and their counts
    mutuals: bool  # the viewer's own connections who are also the member's


NOTHING = Sight(member=False, network=False, mutuals=False)


def sight(v: Viewing) -> Sight:
    """Who may see a member, their lists and their counts: the one decision every route asks.

    - A member sees everything of their own.
    - A block, either way, hides each from the other entirely (rule 7): not found.
    - Connections, followers and following are one rule (rule 11), so that no combination of
      answers rebuilds a list the viewer may not see (connecting makes two follows at the same
      instant, so open follow lists would spell out the connection list): visible to the
      member's 1st degree under ``connections`` (the default), to no one else under ``only_me``
      (rule 13). Their counts are shown exactly where the lists are.
    - Mutual connections are the viewer's own connections, so anyone who may see the member may
      ask which of theirs the two share.
    - An admin token (a service that manages members, or answers "who should see B's post?")
      sees every member and their network, a block of its own member's notwithstanding.
    """
    if not v.exists:
        return NOTHING
    if v.viewer_id == v.member_id:
        return Sight(member=True, network=True, mutuals=True)
    if v.admin:
        return Sight(member=True, network=True, mutuals=not v.blocked)
    if v.blocked:
        return NOTHING
    network = v.connected and v.network_visibility is NetworkVisibility.connections
    return Sight(member=True, network=network, mutuals=True)


def shown_count(total: int, hidden: int, visible: bool) -> int | None:
    """A count beside a list, as the viewer may see it: the items they can page through (the
    stored total less those a block hides from them), or ``None`` where the list is not theirs
    to see (rule 11: the count then says nothing either)."""
    return max(total - hidden, 0) if visible else None
