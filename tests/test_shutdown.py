"""SIGTERM: `/readyz` turns 503 for the drain period while requests are still served, then the
process stops."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from tests.conftest import JWT_SECRET
from tests.test_processes import _free_port, _serve, _wait_ready


def test_sigterm_drains_before_stopping(database_url: str, app: object, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONNECT_API_DATABASE_URL": database_url,
        "CONNECT_API_JWT_SECRET": JWT_SECRET,
        "CONNECT_API_LOG_LEVEL": "warning",
        "CONNECT_API_EXPIRY_SWEEP_SECONDS": "0",
        "CONNECT_API_WEBHOOK_DISPATCH_SECONDS": "0",
        "CONNECT_API_DRAIN_SECONDS": "3",
    }
    env.pop("DATABASE_URL", None)
    port = _free_port()
    proc = _serve(env, port, tmp_path / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        with httpx.Client(base_url=url, timeout=10) as client:
            proc.send_signal(signal.SIGTERM)
            ready = client.get("/readyz")
            deadline = time.monotonic() + 10
            while ready.status_code == 200 and time.monotonic() < deadline:
                time.sleep(0.05)
                ready = client.get("/readyz")
            # Before: /readyz never said 503; the process just stopped.
            assert ready.status_code == 503, ready.text
            assert ready.json() == {"status": "unavailable", "detail": "shutting down"}
            # Still serving during the drain, on a new connection too.
            assert httpx.get(url + "/healthz", timeout=10).status_code == 200
            assert proc.poll() is None
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
