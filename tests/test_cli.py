"""The `connect-api` command: help, tokens, migrations, and `serve` on the embedded database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from connect_api.auth import TokenService
from connect_api.config import Settings
from tests.test_processes import _free_port, _wait_ready


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120):  # type: ignore[no-untyped-def]
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    full_env.pop("CONNECT_API_DATABASE_URL", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "connect_api", *args],
        env=full_env,
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

    admin = _cli("token", "--member", "1", "--admin", env=env).stdout.strip()
    assert (tmp_path / "data" / "jwt-secret").exists()
    headers = {"Authorization": f"Bearer {admin}"}

    proc, url = serve()
    try:
        assert httpx.get(url + "/docs").status_code == 200
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
    finally:
        stop(proc)


def test_migrate_and_expire_on_a_fresh_embedded_database(tmp_path: Path) -> None:
    env = {"CONNECT_API_DATA_DIR": str(tmp_path / "data")}
    out = _cli("migrate", env=env)
    assert out.returncode == 0 and "schema at head" in out.stderr, out.stderr
    out = _cli("expire", env=env)
    assert out.returncode == 0 and "expired 0 invitations" in out.stderr, out.stderr
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()
