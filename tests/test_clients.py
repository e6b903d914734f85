"""The typed clients in clients/: what `make clients` generates from the committed document is
what is committed, both packages carry the API's version, and each client, built and installed
into a throwaway project outside the repository (a fresh venv with `pip install
clients/python`; an npm project with the `npm pack` tarball of clients/typescript), does invite
→ accept → relationships → a typed refusal against a live `connect-api serve`.

Installing fetches the packages' dependencies (hatchling, httpx, attrs; openapi-fetch,
typescript) from the package indexes, or from pip's and npm's caches. The TypeScript tests need
node and npm: without them they skip, except in CI (`CI` set), where they fail. They run `npm
ci` in clients/typescript when its node_modules is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import generate

import connect_api
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


def _generated(root: Path) -> dict[str, bytes]:
    """The files of clients/python that `make clients` writes, as they are under ``root``."""
    files: dict[str, bytes] = {}
    for name in generate.PYTHON_GENERATED:
        path = root / name
        if path.is_dir():
            files |= {f"{name}/{sub}": data for sub, data in _files(path).items()}
        elif path.is_file():
            files[name] = path.read_bytes()
    return files


def test_python_client_is_what_the_document_generates(tmp_path: Path) -> None:
    generate.python_client(tmp_path)
    committed, generated = _generated(generate.PYTHON_DIR), _generated(tmp_path)
    assert len(generated) > 50, sorted(generated)
    assert {"pyproject.toml", "README.md", "connect_api_client/py.typed"} <= generated.keys()
    stale = sorted(
        name
        for name in committed.keys() | generated.keys()
        if committed.get(name) != generated.get(name)
    )
    assert stale == [], f"clients/python is stale (run `make clients`): {stale[:10]}"


def test_both_clients_carry_the_apis_version(tmp_path: Path) -> None:
    """The packages' versions are the document's info.version (the service's version), as
    `make clients` writes them."""
    version = generate.document_version()
    assert version == connect_api.__version__
    pyproject = tomllib.loads((generate.PYTHON_DIR / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == version
    assert (pyproject["project"]["name"], pyproject["build-system"]["build-backend"]) == (
        "connect-api-client",
        "hatchling.build",
    )
    names = ("package.json", "package-lock.json")
    for name in names:
        shutil.copyfile(generate.TYPESCRIPT_DIR / name, tmp_path / name)
    generate.typescript_version(tmp_path)
    for name in names:
        assert (tmp_path / name).read_text() == (generate.TYPESCRIPT_DIR / name).read_text(), (
            f"clients/typescript/{name} is stale: run `make clients`"
        )
    package = json.loads((generate.TYPESCRIPT_DIR / "package.json").read_text())
    assert (package["name"], package["version"], package.get("private")) == (
        "connect-api-client",
        version,
        None,
    )


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


def _run(args: list[str], cwd: Path, timeout: float = 300) -> str:
    """``args`` run in ``cwd``; their output, which the assertion shows when they fail."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def _outside(root: Path) -> Path:
    assert not root.resolve().is_relative_to(generate.ROOT), root
    return root


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway project outside the repository: a fresh venv, into which `pip install
    clients/python` builds and installs the client with its dependencies; its python."""
    root = _outside(tmp_path_factory.mktemp("python-consumer"))
    _run([sys.executable, "-m", "venv", str(root / "venv")], root)
    python = root / "venv" / "bin" / "python"
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "install", str(generate.PYTHON_DIR)], root)
    shutil.copyfile(generate.PYTHON_DIR / "live.py", root / "live.py")
    return python


@pytest.fixture(scope="module")
def installed_typescript(node: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway npm project outside the repository with the `npm pack` tarball of
    clients/typescript installed (its `prepare` builds dist/), and test/live.ts importing the
    package compiled there by `tsc --strict` against the installed declarations (which must
    say nothing); the project's directory."""
    root = _outside(tmp_path_factory.mktemp("typescript-consumer"))
    packed, project = root / "packed", root / "project"
    packed.mkdir()
    project.mkdir()
    npm = ["npm", "--no-audit", "--no-fund", "--loglevel=error"]
    _run([*npm, "pack", "--pack-destination", str(packed)], generate.TYPESCRIPT_DIR)
    (tarball,) = packed.glob("*.tgz")
    version = generate.document_version()
    assert tarball.name == f"connect-api-client-{version}.tgz"
    with tarfile.open(tarball) as tar:
        shipped = {name.removeprefix("package/") for name in tar.getnames()}
    assert {"package.json", "README.md", "dist/index.js", "dist/index.d.ts"} <= shipped
    assert "dist/schema.d.ts" in shipped, "the generated types must ship beside index.d.ts"

    dev = json.loads((generate.TYPESCRIPT_DIR / "package.json").read_text())["devDependencies"]
    _run([*npm, "init", "-y"], project)
    _run(
        [
            *npm,
            "install",
            "--prefer-offline",
            str(tarball),
            f"typescript@{dev['typescript']}",
            f"@types/node@{dev['@types/node']}",
        ],
        project,
    )
    installed = json.loads((project / "node_modules/connect-api-client/package.json").read_text())
    assert installed["version"] == version

    live = (generate.TYPESCRIPT_DIR / "test" / "live.ts").read_text()
    assert '"../src/index.js"' in live
    (project / "live.mts").write_text(
        live.replace('"../src/index.js"', '"connect-api-client"')
        + """
// The declarations are the document's, not `any`: a path the API does not have is an error.
export function typed(client: import("connect-api-client").ConnectClient): void {
  // @ts-expect-error: no such path in the API
  void client.GET("/v1/no-such-path");
}
"""
    )
    options = {
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "types": ["node"],
        "strict": True,
        "noUncheckedIndexedAccess": True,
        "exactOptionalPropertyTypes": True,
        "skipLibCheck": False,
        "noEmitOnError": True,
        "outDir": "out",
    }
    (project / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": options, "files": ["live.mts"]})
    )
    assert _run(["npx", "--no-install", "tsc", "-p", "."], project) == ""
    return project


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


async def test_python_client_installed_live(api: Api, served: str, installed_python: Path) -> None:
    """clients/python/live.py, copied into the throwaway project, run by its venv's python:
    the client it imports is the installed one."""
    a, b = await api.members(2)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env |= {"API_URL": served, "TOKEN_A": api.token(a), "TOKEN_B": api.token(b)}

    def live() -> subprocess.CompletedProcess[str]:
        return _live_run([str(installed_python), "live.py"], installed_python.parents[2], env)

    run = live()
    assert run.returncode == 0, run.stdout + run.stderr
    first = run.stdout.splitlines()[0]
    assert first.startswith(f"connect-api-client {generate.document_version()} from "), first
    assert Path(first.split(" from ", 1)[1]).is_relative_to(installed_python.parents[1]), first
    assert "ok its code is already_connected" in run.stdout, run.stdout
    assert run.stdout.rstrip().endswith("live run: all steps passed"), run.stdout


def _live_run(
    command: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """One run of a client's live flow, from the throwaway project it was installed into."""
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


async def test_typescript_client_installed_live(
    api: Api, served: str, installed_typescript: Path
) -> None:
    a, b = await api.members(2)
    env = os.environ | {"API_URL": served, "TOKEN_A": api.token(a), "TOKEN_B": api.token(b)}

    def live() -> subprocess.CompletedProcess[str]:
        return _live_run(["node", "out/live.mjs"], installed_typescript, env)

    run = live()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok its code is already_connected" in run.stdout, run.stdout
    assert run.stdout.rstrip().endswith("live run: all steps passed"), run.stdout
    # Once they are connected, the same run stops at its first step, and says so.
    run = live()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "live run FAILED: A invites B: 201" in run.stderr, run.stderr
