"""The typed clients in clients/: what `make clients` generates from the committed document is
what is committed, and each client does invite → accept → relationships → a typed refusal
against a live `connect-api serve`.

The TypeScript tests need node and npm: without them they skip, except in CI (`CI` set), where
they fail. They run `npm ci` in clients/typescript when its node_modules is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import generate

from tests.helpers import Api, missing_tool, serve_env
from tests.test_processes import _free_port, _serve, _wait_ready

sys.path.insert(0, str(generate.PYTHON_DIR))  # the generated package, used where it is

from connect_api_client import AuthenticatedClient
from connect_api_client.api.invitations import accept_invitation, send_invitation
from connect_api_client.api.members import get_me
from connect_api_client.api.relationships import get_relationships
from connect_api_client.models import (
    InvitationCreate,
    InvitationRead,
    MeRead,
    Problem,
    RelationshipsRead,
)

NOTE = "We met at the analytical engines meetup."
UNKNOWN_MEMBER = 9_000_000_000


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_python_client_is_what_the_document_generates(tmp_path: Path) -> None:
    fresh = tmp_path / generate.PYTHON_PACKAGE.name
    generate.python_client(fresh)
    committed, generated = _files(generate.PYTHON_PACKAGE), _files(fresh)
    assert len(generated) > 50, sorted(generated)
    stale = sorted(
        name
        for name in committed.keys() | generated.keys()
        if committed.get(name) != generated.get(name)
    )
    assert stale == [], f"clients/python is stale (run `make clients`): {stale[:10]}"


def test_every_array_query_parameter_is_one_comma_separated_value() -> None:
    """The Python client's template sends every array query parameter as `ids=1,2,3`: right
    only while the document says so of each (`style: form`, `explode: false`)."""
    doc = json.loads(generate.DOCUMENT.read_text())
    arrays = [
        (path, p)
        for path, item in doc["paths"].items()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["in"] == "query" and p["schema"].get("type") == "array"
    ]
    assert arrays, "no array query parameter left: the template's special case can go"
    for path, p in arrays:
        assert (p.get("style", "form"), p.get("explode")) == ("form", False), (path, p)


@pytest.fixture(scope="module")
def node() -> None:
    """node and npm, and clients/typescript's packages installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing_tool("node or npm is not installed", "the TypeScript client's tests")
    generate.npm_ci()


def test_typescript_schema_is_what_the_document_generates(node: None, tmp_path: Path) -> None:
    fresh = tmp_path / "schema.d.ts"
    generate.typescript_schema(fresh)
    assert fresh.read_text() == generate.TYPESCRIPT_SCHEMA.read_text(), (
        "clients/typescript/src/schema.d.ts is stale: run `make clients`"
    )


@pytest.fixture(scope="module")
def compiled(node: None) -> Iterator[Path]:
    """clients/typescript compiled by `tsc --strict` (which must say nothing), in a directory
    inside it so that the compiled program finds node_modules."""
    out = Path(tempfile.mkdtemp(prefix=".build-", dir=generate.TYPESCRIPT_DIR))
    try:
        done = subprocess.run(
            ["npx", "--no-install", "tsc", "-p", ".", "--strict", "--outDir", str(out)],
            cwd=generate.TYPESCRIPT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert (done.returncode, done.stdout + done.stderr) == (0, ""), done.stdout + done.stderr
        yield out
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def served(
    database_url: str, app: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A `connect-api serve` process on the test database (migrated by the ``app`` fixture)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("clients") / "server.log"
    proc = _serve(serve_env(database_url), port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_ready(url, proc)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{log.read_text()}") from None
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_python_client_live(api: Api, served: str) -> None:
    a, b = await api.members(2)
    as_a = AuthenticatedClient(base_url=served, token=api.token(a))
    as_b = AuthenticatedClient(base_url=served, token=api.token(b))

    me = (await get_me.asyncio_detailed(client=as_b)).parsed
    assert isinstance(me, MeRead) and me.id == b, me

    sent = await send_invitation.asyncio_detailed(
        client=as_a, body=InvitationCreate(invitee_id=b, message=NOTE)
    )
    invitation = sent.parsed
    assert sent.status_code == 201 and isinstance(invitation, InvitationRead), sent.content
    assert (invitation.status, invitation.invitee.id, invitation.message) == ("pending", b, NOTE)

    accepted = await accept_invitation.asyncio(invitation.id, client=as_b)
    assert isinstance(accepted, InvitationRead) and accepted.status == "accepted", accepted

    looked = await get_relationships.asyncio(client=as_a, ids=[b, UNKNOWN_MEMBER])
    assert isinstance(looked, RelationshipsRead), looked
    to_b, to_unknown = looked.items
    assert (to_b.member_id, to_b.degree, to_b.connected, to_b.action) == (b, 1, True, "message")
    assert (to_unknown.member_id, to_unknown.action) == (UNKNOWN_MEMBER, "unavailable")

    again = await send_invitation.asyncio_detailed(
        client=as_a, body=InvitationCreate(invitee_id=b, message=NOTE)
    )
    assert again.status_code == 409, again.content
    assert again.headers["content-type"].startswith("application/problem+json")
    problem = again.parsed
    assert isinstance(problem, Problem), problem
    assert (problem.code, problem.status) == ("already_connected", 409)
    assert problem.detail and problem.type_ == "/problems/already_connected"


async def test_typescript_client_live(api: Api, served: str, compiled: Path) -> None:
    a, b = await api.members(2)
    env = os.environ | {"API_URL": served, "TOKEN_A": api.token(a), "TOKEN_B": api.token(b)}

    def live() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["node", str(compiled / "test" / "live.js")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    run = live()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok its code is already_connected" in run.stdout, run.stdout
    assert run.stdout.rstrip().endswith("live run: all steps passed"), run.stdout
    # Once they are connected, the same run stops at its first step, and says so.
    run = live()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "live run FAILED: A invites B: 201" in run.stderr, run.stderr
