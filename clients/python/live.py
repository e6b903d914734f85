"""Runs against a live connect-api with the installed client (`pip install ./clients/python`):
API_URL, and TOKEN_A and TOKEN_B of two members who are not connected and have no invitation
between them. A invites B with a note, B accepts, A looks up the relationship to B, and A's
second invitation is refused with a typed problem. Prints a line per step; exits 1 at the first
answer that is not the expected one. (The Python twin of clients/typescript/test/live.ts; not
part of the package.)

    API_URL=… TOKEN_A=… TOKEN_B=… python clients/python/live.py
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version

import connect_api_client
from connect_api_client import AuthenticatedClient
from connect_api_client.api.invitations import accept_invitation, send_invitation
from connect_api_client.api.members import get_me
from connect_api_client.api.relationships import get_relationships
from connect_api_client.models import InvitationCreate, InvitationRead, Problem, RelationshipsRead

NOTE = "We met at the analytical engines meetup."
UNKNOWN_MEMBER = 9_000_000_000


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set")
    return value


def expect(what: str, ok: bool, got: object) -> None:
    if not ok:
        raise RuntimeError(f"{what}: got {got!r}")
    print(f"ok {what}")


def main() -> None:
    print(f"connect-api-client {version('connect-api-client')} from {connect_api_client.__file__}")
    url = env("API_URL")
    with (
        AuthenticatedClient(base_url=url, token=env("TOKEN_A")) as a,
        AuthenticatedClient(base_url=url, token=env("TOKEN_B")) as b,
    ):
        me_a, me_b = get_me.sync(client=a), get_me.sync(client=b)
        if me_a is None or me_b is None or isinstance(me_a, Problem) or isinstance(me_b, Problem):
            raise RuntimeError(f"GET /v1/me failed for A or B: {me_a!r}, {me_b!r}")
        print(f"A is member {me_a.id} ({me_a.handle}), B is member {me_b.id} ({me_b.handle})")

        body = InvitationCreate(invitee_id=me_b.id, message=NOTE)
        sent = send_invitation.sync_detailed(client=a, body=body)
        expect("A invites B: 201", sent.status_code == 201, sent.content)
        invitation = sent.parsed
        if not isinstance(invitation, InvitationRead):
            raise RuntimeError(f"no invitation in the answer: {sent.content!r}")
        expect(
            "the invitation is pending, to B, with the note",
            (invitation.status, invitation.invitee.id, invitation.message)
            == ("pending", me_b.id, NOTE),
            invitation,
        )

        accepted = accept_invitation.sync(invitation.id, client=b)
        expect(
            "B accepts",
            isinstance(accepted, InvitationRead) and accepted.status == "accepted",
            accepted,
        )

        looked = get_relationships.sync(client=a, ids=[me_b.id, UNKNOWN_MEMBER])
        if not isinstance(looked, RelationshipsRead) or len(looked.items) != 2:
            raise RuntimeError(f"relationships: {looked!r}")
        to_b, to_unknown = looked.items
        expect(
            "A's relationship to B: degree 1, connected, action message",
            (to_b.member_id, to_b.degree, to_b.connected, to_b.action)
            == (me_b.id, 1, True, "message"),
            to_b,
        )
        expect("an unknown member is unavailable", to_unknown.action == "unavailable", to_unknown)

        again = send_invitation.sync_detailed(client=a, body=body)
        expect(
            "inviting again is a problem+json 409",
            again.status_code == 409
            and again.headers.get("content-type", "").startswith("application/problem+json"),
            again.content,
        )
        problem = again.parsed
        expect(
            "its code is already_connected",
            isinstance(problem, Problem)
            and (problem.code, problem.status) == ("already_connected", 409),
            problem,
        )


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # any failure is the run's
        print(f"live run FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
    print("live run: all steps passed")
