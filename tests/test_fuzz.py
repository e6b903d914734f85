"""Property-based fuzzing from the OpenAPI document (schemathesis) against a live server.

Every operation gets generated requests, valid and invalid; each answer must be documented:
no 5xx, a documented status code and content type, a body matching its schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connect_api.auth import TokenService
from connect_api.clock import SystemClock
from connect_api.config import Settings
from tests.conftest import JWT_SECRET
from tests.test_processes import _free_port, _wait_ready

DOC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
schema = schemathesis.openapi.from_path(DOC)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
]


@pytest.fixture(scope="module")
def live(empty_database_module: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A migrated database, a server on it, and tokens: an admin and members 1 and 2."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "CONNECT_API_DATABASE_URL": empty_database_module,
        "CONNECT_API_JWT_SECRET": JWT_SECRET,
        "CONNECT_API_LOG_LEVEL": "warning",
        "CONNECT_API_EXPIRY_SWEEP_SECONDS": "0",
        "CONNECT_API_RATE_LIMITS_ENABLED": "false",  # thousands of requests from two tokens
        "CONNECT_API_DRAIN_SECONDS": "0",
    }
    subprocess.run([sys.executable, "-m", "connect_api", "migrate"], env=env, check=True)
    port = _free_port()
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "connect_api", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        tokens = TokenService(
            Settings(database_url=empty_database_module, jwt_secret=JWT_SECRET), JWT_SECRET
        )
        now = SystemClock().now()
        mint = lambda m, admin=False: tokens.mint(m, admin=admin, ttl=timedelta(hours=2), now=now)  # noqa: E731
        admin = {"Authorization": f"Bearer {mint(1, admin=True)}"}
        for n in range(1, 6):
            r = httpx.post(
                url + "/v1/members",
                json={"handle": f"fuzz{n}", "display_name": f"Fuzz {n}"},
                headers=admin,
            )
            assert r.status_code == 201, r.text
        for inviter, invitee in ((1, 2), (3, 2), (1, 3), (4, 1)):
            r = httpx.post(
                url + "/v1/invitations",
                json={"invitee_id": invitee},
                headers={"Authorization": f"Bearer {mint(inviter)}"},
            )
            assert r.status_code == 201, r.text
        yield {"url": url, "admin": admin, "member": {"Authorization": f"Bearer {mint(2)}"}}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("CONNECT_API_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_is_documented(case: schemathesis.Case, live: dict) -> None:
    for who in ("admin", "member"):
        case.call_and_validate(base_url=live["url"], headers=live[who], checks=CHECKS)
