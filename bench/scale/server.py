"""The service under test: ``connect-api serve`` as its own process, and the database beside it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connect_api.kit.config import Settings
from connect_api.kit.embedded import start_embedded

# The per-caller rate limits would refuse a load generator that makes thousands of requests as
# a few members: the harness measures the cost of the work, so it turns them off (and says so).
# The networks of members with many connections are computed before the service starts, as a
# phase of its own (`connect-api suggestions refresh`, timed), rather than by `serve`'s background
# refresh in the middle of the measurements.
SERVICE_ENV = {
    "CONNECT_API_RATE_LIMITS_ENABLED": "false",
    "CONNECT_API_LOG_LEVEL": "warning",
    "CONNECT_API_NETWORK_REFRESH_SECONDS": "0",
}


def settings_for(data_dir: Path) -> Settings:
    """Settings of the embedded mode in ``data_dir``, whatever DATABASE_URL says outside."""
    return Settings(database_url=None, data_dir=data_dir)


def in_process_settings(data_dir: Path) -> Settings:
    """The service's settings for an app built in the harness's own process (the profiles, the
    statement capture): the embedded database of ``data_dir``, no per-caller limits, no
    background work."""
    return Settings(
        data_dir=data_dir,
        database_url=None,
        rate_limits_enabled=False,
        log_level="warning",
        expiry_sweep_seconds=0,
        webhook_dispatch_seconds=0,
        network_refresh_seconds=0,
    )


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env = {k: v for k, v in env.items() if not k.startswith("CONNECT_API_")}
    env["CONNECT_API_DATA_DIR"] = str(data_dir)
    env["PYTHONWARNINGS"] = "ignore:XDG_RUNTIME_DIR"  # platformdirs, under root without a session
    return env


def start_database(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL of ``data_dir``; return its plain libpq URL.

    The harness holds a handle for the whole run, so the server outlives the service process
    and the seed command, and stops when the harness exits.
    """
    url: str = start_embedded(settings_for(data_dir))
    return "postgresql://" + url.split("://", 1)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def connect_api_bin() -> str:
    candidate = Path(sys.executable).with_name("connect-api")
    return str(candidate) if candidate.exists() else "connect-api"


class Service:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.base = f"http://127.0.0.1:{port}"

    def error_lines(self) -> int:
        """Lines of the service's log that report a failure (5xx, tracebacks)."""
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return 0
        return sum(1 for line in text.splitlines() if "Traceback" in line or "ERROR" in line)


@contextmanager
def serving(
    data_dir: Path, workers: int, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Service]:
    """``connect-api serve --workers N`` on a free port of 127.0.0.1, ready when yielded;
    stopped on the way out (SIGTERM, then SIGKILL after 15 s)."""
    port = free_port()
    env = clean_env(data_dir) | SERVICE_ENV | (extra_env or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            [connect_api_bin(), "serve", "--workers", str(workers), "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(proc, port, log)
    try:
        _wait_ready(service, timeout=120)
        yield service
    finally:
        stop(proc)


def _wait_ready(service: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            raise RuntimeError(
                f"connect-api serve exited with {service.proc.returncode}; its log:\n"
                + service.log.read_text(errors="replace")[-3000:]
            )
        try:
            with urllib.request.urlopen(service.base + "/readyz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"connect-api serve not ready after {timeout:.0f} s (log: {service.log})")


def stop(proc: subprocess.Popen[bytes], grace: float = 15) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
