"""The `connect-api` command: help, tokens, migrations, and `serve` on the embedded database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from connect_api.kit.auth import TokenService
from connect_api.kit.config import Settings
from tests.test_processes import _free_port, _wait_ready


def _cli(  # type: ignore[no-untyped-def]
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, cwd: Path | None = None
):
    # This process's environment, without what would point the command at another database
    # or secret than the test gives it.
    mine = ("DATABASE_URL", "CONNECT_API_DATABASE_URL", "CONNECT_API_DATA_DIR")
    mine += ("CONNECT_API_JWT_SECRET", "CONNECT_API_JWT_ALGORITHM")
    full_env = {k: v for k, v in os.environ.items() if k not in mine}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "connect_api", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    out = _cli("--help")
    assert out.returncode == 0
    for command in ("serve", "migrate", "token", "openapi", "seed"):
        assert command in out.stdout


async def test_the_root_redirects_to_the_docs(http: httpx.AsyncClient) -> None:
    r = await http.get("/")
    assert r.status_code == 307 and r.headers["location"] == "/docs"
    assert "/" not in (await http.get("/openapi.json")).json()["paths"]


def test_token_mints_what_the_service_accepts() -> None:
    secret = "s" * 64
    out = _cli(
        "token",
        "--member",
        "42",
        "--admin",
        env={"CONNECT_API_JWT_SECRET": secret, "CONNECT_API_DATABASE_URL": "postgresql://h/d"},
    )
    assert out.returncode == 0, out.stderr
    tokens = TokenService(Settings(database_url="postgresql://h/d", jwt_secret=secret), secret)
    principal = tokens.decode(out.stdout.strip())
    assert principal.member_id == 42 and principal.is_admin


async def test_serve_refuses_a_schema_not_at_head_until_migrated(empty_database: str) -> None:
    env = {
        "CONNECT_API_DATABASE_URL": empty_database,
        "CONNECT_API_JWT_SECRET": "k" * 64,
        "CONNECT_API_PORT": str(_free_port()),
    }
    out = _cli("serve", env=env)
    assert out.returncode != 0
    assert "connect-api migrate" in out.stderr

    out = _cli("migrate", env=env)
    assert out.returncode == 0, out.stderr
    engine = create_async_engine(empty_database)
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await engine.dispose()
    assert version


_SHOW_SETTINGS = """
import asyncio, asyncpg
from connect_api.kit.config import Settings
from connect_api.kit.embedded import start_embedded

url = start_embedded(Settings(database_url=None)).replace("postgresql+asyncpg", "postgresql")

async def show():
    conn = await asyncpg.connect(url)
    names = ("shared_buffers", "checkpoint_timeout", "max_wal_size", "max_connections")
    print(*[await conn.fetchval(f"SHOW {n}") for n in names])
    await conn.close()

asyncio.run(show())
"""


def test_the_embedded_server_runs_with_the_services_settings(tmp_path: Path) -> None:
    """A new data directory's server is started again at once with the service's settings, and
    a later start reads them afresh (the server stops with the process that started it)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CONNECT_API_", "DATABASE"))},
        "CONNECT_API_DATA_DIR": str(tmp_path / "data"),
    }
    for buffers in (160, 192):
        out = subprocess.run(
            [sys.executable, "-c", _SHOW_SETTINGS],
            env=env | {"CONNECT_API_EMBEDDED_SHARED_BUFFERS_MB": str(buffers)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [f"{buffers}MB", "15min", "4GB", "200"]
        assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()


def test_serve_with_the_embedded_database_keeps_data_across_restarts(tmp_path: Path) -> None:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CONNECT_API_DATABASE_URL")
        },
        "CONNECT_API_DATA_DIR": str(tmp_path / "data"),
        "CONNECT_API_LOG_LEVEL": "warning",
    }

    def serve(workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "connect_api", "serve", "--port", str(port)]  # noqa: RUF005
            + ["--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "serve.log").open("ab"),
        )
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc)
        return proc, url

    def stop(proc: subprocess.Popen[bytes]) -> None:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        # The embedded PostgreSQL stopped with the service.
        assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()

    proc, url = serve()
    try:
        # The secret `serve` made is the one `token` finds (here from another folder).
        other = tmp_path / "elsewhere"
        other.mkdir()
        out = _cli("token", "--member", "1", "--admin", env=env, cwd=other)
        assert out.returncode == 0, out.stderr
        assert not (other / ".connect-api").exists()
        headers = {"Authorization": f"Bearer {out.stdout.strip()}"}
        assert httpx.get(url + "/docs").status_code == 200
        # The demo is on by default with the embedded database (`CONNECT_API_DEMO` unset).
        assert httpx.get(url + "/demo").status_code == 200
        r = httpx.post(
            url + "/v1/members", json={"handle": "kept", "display_name": "Kept"}, headers=headers
        )
        assert r.status_code == 201, r.text
        member_id = r.json()["id"]
    finally:
        stop(proc)

    proc, url = serve(workers=2)  # worker processes find the server the parent started
    try:
        r = httpx.get(f"{url}/v1/members/{member_id}", headers=headers)
        assert r.status_code == 200 and r.json()["handle"] == "kept"
        assert httpx.get(url + "/demo").status_code == 200  # with --workers too
    finally:
        stop(proc)


def test_migrate_and_expire_on_a_fresh_embedded_database(tmp_path: Path) -> None:
    env = {"CONNECT_API_DATA_DIR": str(tmp_path / "data")}
    out = _cli("migrate", env=env)
    assert out.returncode == 0 and "schema at head" in out.stderr, out.stderr
    out = _cli("expire", env=env)
    assert out.returncode == 0 and "expired 0 invitations" in out.stderr, out.stderr
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()


def test_token_from_another_folder_refuses_to_make_a_secret(tmp_path: Path) -> None:
    """`token` never makes a secret of its own: one made here would not be the server's."""
    out = _cli("token", "--member", "1", cwd=tmp_path)
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.count("\n") == 1, out.stderr
    assert f"{tmp_path.resolve() / '.connect-api' / 'jwt-secret'}" in out.stderr
    assert "CONNECT_API_DATA_DIR" in out.stderr
    assert not (tmp_path / ".connect-api").exists()


def test_token_and_help_import_neither_the_web_framework_nor_the_orm() -> None:
    code = (
        "import sys\n"
        "from connect_api.cli import main\n"
        "assert main(['token', '--member', '7']) == 0\n"
        "heavy = {'fastapi', 'starlette', 'sqlalchemy', 'asyncpg', 'alembic', 'connect_api.app'}\n"
        "print(sorted(m for m in sys.modules if m in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], "CONNECT_API_JWT_SECRET": "t" * 64},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "[]"


def _mistakes(database_url: str) -> dict[str, tuple[list[str], dict[str, str], str]]:
    secret = {"CONNECT_API_JWT_SECRET": "k" * 64}
    down = f"postgresql://postgres@127.0.0.1:{_free_port()}/connect"
    missing = make_url(database_url).set(database="no_such_database").render_as_string(False)
    return {
        "bad setting": (["serve"], {"CONNECT_API_PORT": "eighty"}, "CONNECT_API_PORT"),
        "bad policy setting": (
            ["token", "--member", "1"],
            {**secret, "CONNECT_API_COOLDOWN_DAYS": "-1"},
            "CONNECT_API_COOLDOWN_DAYS",
        ),
        "RS256 without a key": (
            ["serve"],
            {"CONNECT_API_JWT_ALGORITHM": "RS256"},
            "CONNECT_API_JWT_PUBLIC_KEY",
        ),
        "RS256 token without a private key": (
            ["token", "--member", "1"],
            {"CONNECT_API_JWT_ALGORITHM": "RS256"},
            "CONNECT_API_JWT_PRIVATE_KEY",
        ),
        "RS256 with DATABASE_URL without a cursor secret": (
            ["serve"],
            {
                "CONNECT_API_JWT_ALGORITHM": "RS256",
                "CONNECT_API_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----",
                "DATABASE_URL": database_url,
            },
            "CONNECT_API_CURSOR_SECRET",
        ),
        "cursor secret too short": (
            ["serve"],
            {**secret, "CONNECT_API_CURSOR_SECRET": "short-cursor-secret"},
            "CONNECT_API_CURSOR_SECRET",
        ),
        "database down": (["serve"], {**secret, "DATABASE_URL": down}, "cannot connect"),
        "database down (migrate)": (["migrate"], {"DATABASE_URL": down}, "cannot connect"),
        "not a PostgreSQL URL": (["migrate"], {"DATABASE_URL": "mysql://h/d"}, "PostgreSQL URL"),
        "not a URL": (["serve"], {**secret, "DATABASE_URL": "localhost"}, "PostgreSQL URL"),
        "database missing": (["serve"], {**secret, "DATABASE_URL": missing}, "does not exist"),
        "no secret with DATABASE_URL": (
            ["serve"],
            {"DATABASE_URL": database_url},
            "CONNECT_API_JWT_SECRET",
        ),
        "no secret for token with DATABASE_URL": (
            ["token", "--member", "1"],
            {"DATABASE_URL": database_url},
            "CONNECT_API_JWT_SECRET",
        ),
        "secret too short": (
            ["serve"],
            {"CONNECT_API_JWT_SECRET": "a-secret-of-31-bytes-0123456789", "DATABASE_URL": down},
            "at least 32 bytes for HS256, got 31",
        ),
        "secret too short for HS512": (
            ["token", "--member", "1"],
            {"CONNECT_API_JWT_SECRET": "k" * 48, "CONNECT_API_JWT_ALGORITHM": "HS512"},
            "at least 64 bytes for HS512",
        ),
    }


@pytest.mark.parametrize(
    "mistake",
    [
        "bad setting",
        "bad policy setting",
        "RS256 without a key",
        "RS256 token without a private key",
        "RS256 with DATABASE_URL without a cursor secret",
        "cursor secret too short",
        "database down",
        "database down (migrate)",
        "database missing",
        "not a PostgreSQL URL",
        "not a URL",
        "no secret with DATABASE_URL",
        "no secret for token with DATABASE_URL",
        "secret too short",
        "secret too short for HS512",
    ],
)
def test_a_start_up_mistake_is_one_line_saying_what_to_do(
    mistake: str, database_url: str, tmp_path: Path
) -> None:
    args, env, hint = _mistakes(database_url)[mistake]
    # A port of its own: the suite passes while `make run` holds the default one.
    base = {"CONNECT_API_DATA_DIR": str(tmp_path / "data"), "CONNECT_API_PORT": str(_free_port())}
    out = _cli(*args, env={**base, **env}, timeout=60)
    assert out.returncode != 0
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith("connect-api: ") and hint in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert "a-secret-of" not in out.stderr  # a secret is never echoed back


def test_a_port_in_use_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = _cli(
            "serve",
            "--port",
            str(port),
            env={"CONNECT_API_DATA_DIR": str(tmp_path / "data")},
            timeout=60,
        )
    assert out.returncode == 2, out.stderr
    assert out.stderr == (
        f"connect-api: port {port} on 127.0.0.1 is already in use (another `connect-api "
        "serve`?): stop it, or choose another port with --port or CONNECT_API_PORT\n"
    )
    assert not (tmp_path / "data").exists()  # refused before the database was started
