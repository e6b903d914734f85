"""Saturating throughput from Debian's ``wrk``: closed loop, C, epoll, far cheaper per request
than any Python client, so what it finds is the service's limit rather than the generator's.

A Lua script (written per phase) rotates over many request paths and bearer tokens, so the
requests spread over many viewers and ids instead of hitting one cached answer; it also counts
the responses by status and prints one JSON line at the end, which :func:`run` reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.scale.client import Result

LUA = r"""
local requests = {}
local paths = {
%(paths)s
}
local tokens = {
%(tokens)s
}
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
  end
  counter = (id * 7919) %% #requests
  statuses = {}
end

function request()
  counter = counter %% #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%%s": %%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRKRESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ", ")))
end
"""


@dataclass
class WrkResult:
    result: Result
    p50: float
    p90: float
    p99: float
    max: float


def ensure_wrk() -> str:
    """The ``wrk`` binary; installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            "bench.scale: `wrk` is not installed. Install Debian's package (`apt-get install -y "
            "wrk`, as root) and run again."
        )
    print("installing wrk: apt-get install -y wrk", file=sys.stderr)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)  # noqa: S607
        subprocess.run(install, env=env, check=True)  # noqa: S603
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench.scale: apt-get installed wrk but it is not on PATH")
    return found


def _lua_strings(values: Sequence[str]) -> str:
    return ",\n".join(f"  [[{v}]]" for v in values)


def run(
    base: str,
    requests: Sequence[tuple[str, str]],
    seconds: float,
    connections: int,
    script_dir: Path,
    threads: int = 2,
    timeout: float = 5,
) -> WrkResult:
    """``wrk`` for ``seconds`` with ``connections`` open, cycling over (path, token) pairs."""
    binary = ensure_wrk()
    script_dir.mkdir(parents=True, exist_ok=True)
    script = script_dir / "requests.lua"
    script.write_text(
        LUA
        % {
            "paths": _lua_strings([p for p, _ in requests]),
            "tokens": _lua_strings([t for _, t in requests]),
        }
    )
    cmd = [
        binary,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(script),
        base,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKRESULT ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    statuses: Counter[str] = Counter({k: int(v) for k, v in data["statuses"].items()})
    for kind in ("connect", "read", "write", "timeout"):
        if data[kind]:
            statuses["timeout" if kind == "timeout" else f"socket:{kind}"] += data[kind]
    duration = data["duration_us"] / 1e6
    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    result = Result(offered=None, duration=duration, statuses=statuses, ok=ok)
    return WrkResult(
        result,
        data["p50_us"] / 1e6,
        data["p90_us"] / 1e6,
        data["p99_us"] / 1e6,
        data["max_us"] / 1e6,
    )
