"""The phases of one ``bench.stream`` run, in order: network, plan, service, writes without
streams, streams opened by the load process, a quiet window, writes with streams, report.

Three processes take part besides PostgreSQL: the service (``connect-api serve``, one process,
on the data directory's embedded PostgreSQL, as ``bench.scale`` starts it), the load process
that holds the streams (:mod:`bench.stream.holder`), and this one, which plans, writes over
HTTP (``bench.scale.client``), reads ``/proc`` and reports. The writer and the stream reader
are different processes on one machine: both stamp with ``time.time()``, the same clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from bench.scale import report
from bench.scale.client import (
    Client,
    Response,
    Result,
    closed_loop,
    open_loop,
    percentile,
    send_accept,
)
from bench.scale.door import _cpu as cpu_of
from bench.scale.door import _postgres as postgres_of
from bench.scale.door import _wait_loaded as wait_loaded
from bench.scale.network import SeedParams, ensure_network, load_graph
from bench.scale.report import render
from bench.scale.server import SERVICE_ENV, Service, serving, settings_for, start_database
from bench.stream.holder import Event, raise_nofile, vm_rss
from bench.stream.plan import Pair, Plan, choose
from connect_api.kit.auth import TokenService
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import Settings
from connect_api.kit.tokens import jwt_secret

PROJECT = Path(__file__).resolve().parents[2]

# The targets, printed next to the figures.
TARGET_STREAMS = 10_000
TARGET_RSS = 1 << 30  # 10,000 streams under 1 GiB of the service's RSS
TARGET_P99 = 0.250  # commit-to-client p99 at 200 writes/s
TARGET_RATE = 200.0
TARGET_SHARE = 0.90  # send + accept with the streams open, of the rate without

README_BEGIN = "<!-- bench-stream:begin -->"
README_END = "<!-- bench-stream:end -->"


@dataclass
class Config:
    quick: bool
    data_dir: Path
    params: SeedParams
    streams: int  # K: streams held, one per member
    rate: float  # R: invitations per second in the write phases, open loop
    seconds: float  # length of each write phase (and of each send + accept phase)
    clients: int  # send + accept clients, closed loop (bench.scale's 32)
    concurrency: int  # streams opening at once
    quiet: float  # seconds of the quiet window (streams open, no writes)
    readme: bool
    bench_dir: Path
    timeout: float = 5.0  # a write unanswered this long after its intended time is a timeout
    open_timeout: float = 120.0  # a stream not live this long after it was asked is refused
    drain: float = 30.0  # how long to wait for events after the last write was answered


# --- the processes, from /proc -------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, from ``/proc/<pid>/stat`` (fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_of(pid: int) -> str:
    """The process's open-files limit (soft / hard), from ``/proc/<pid>/limits``."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return f"{int(soft):,} / {int(hard):,}"
    return "?"


def local_ports() -> tuple[int, int]:
    """The range of ephemeral ports: each stream is one, on 127.0.0.1."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = f.read().split()
    return int(low), int(high)


def service_pid(svc: Service) -> int:
    """The process that runs the app: ``serve`` itself with one worker (a child, if it ever
    starts one)."""
    root = psutil.Process(svc.proc.pid)
    kids = root.children(recursive=True)
    pid: int = max(kids, key=lambda p: p.cpu_times().user).pid if kids else root.pid
    return pid


def mib(n: float) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def ms(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "-"
    value = seconds * 1e3
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def metric(text: str, name: str) -> float | None:
    """One sample of the Prometheus text ``text`` (``name`` with its labels, as printed)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


# --- the two clients ----------------------------------------------------------------------------


class StampingClient(Client):
    """``bench.scale``'s client, noting when each ``201 Created`` of an invitation arrived
    (``time.time()``, before its body is parsed) and its invitee, by invitation id. The 201 is
    sent after the commit: its arrival is the latest the commit can have been."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.stamping = False
        self.stamps: dict[int, tuple[float, int]] = {}

    async def send(self, raw: bytes) -> Response:
        response = await super().send(raw)
        if self.stamping and response.status == 201:
            at = time.time()
            body = response.json()
            self.stamps[int(body["id"])] = (at, int(body["invitee"]["id"]))
        return response


class Holders:
    """The load process (``python -m bench.stream.holder``) and its line protocol."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(
        cls, port: int, streams: list[tuple[int, str]], concurrency: int, open_timeout: float
    ) -> Holders:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.stream.holder",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=PROJECT,
            env=env,
            limit=1 << 28,  # one answer line may carry every event of a phase
        )
        spec = {
            "host": "127.0.0.1",
            "port": port,
            "streams": streams,
            "concurrency": concurrency,
            "open_timeout": open_timeout,
        }
        holders = cls(proc)
        await holders._write(spec)
        return holders

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def _write(self, obj: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
        await self.proc.stdin.drain()

    async def ask(self, op: str, wait: float = 60) -> Any:
        """Send one command; its answer (at most ``wait`` seconds)."""
        assert self.proc.stdout is not None
        await self._write({"op": op})
        line = await asyncio.wait_for(self.proc.stdout.readline(), wait)
        if not line:
            raise RuntimeError(f"the load process exited ({await self.proc.wait()}) during {op!r}")
        return json.loads(line)

    async def close(self) -> dict[str, Any] | None:
        state = None
        try:
            state = await self.ask("stop", wait=60)
            await asyncio.wait_for(self.proc.wait(), 30)
        except (TimeoutError, RuntimeError, BrokenPipeError, ConnectionResetError):
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        return state


# --- what a phase measured ----------------------------------------------------------------------


@dataclass
class Usage:
    """CPU seconds spent by the service and by PostgreSQL over a window of wall time."""

    service: float
    postgres: float
    wall: float


class Meter:
    """Samples the CPU of the service process and every PostgreSQL process."""

    def __init__(self, pid: int, data_dir: Path) -> None:
        self.pid = pid
        self.data_dir = data_dir

    def start(self) -> tuple[float, float, float, list[psutil.Process]]:
        pg = postgres_of(self.data_dir)
        return cpu_seconds(self.pid), cpu_of(pg), time.perf_counter(), pg

    def stop(self, begun: tuple[float, float, float, list[psutil.Process]]) -> Usage:
        service, postgres, wall, pg = begun
        known = {p.pid for p in pg}
        pg_after = cpu_of(pg + [p for p in postgres_of(self.data_dir) if p.pid not in known])
        return Usage(
            cpu_seconds(self.pid) - service, pg_after - postgres, time.perf_counter() - wall
        )


@dataclass
class Writes:
    """One open-loop phase of invitations at R/s, and what the streams made of it."""

    result: Result
    usage: Usage
    expected: int = 0  # invitations created (201): one event each for a holder's stream
    delivered: int = 0  # of those, events received on the invitee's stream (once each)
    duplicates: int = 0
    misdelivered: int = 0  # received on another member's stream
    other: int = 0  # events of other writes (none expected)
    from_201: list[float] = field(default_factory=list)  # receive - the 201's arrival
    from_occurred: list[float] = field(default_factory=list)  # receive - occurred_at
    handed: float | None = None  # connect_api_stream_events during the phase (/metrics)


def delays(events: Sequence[Event], stamps: dict[int, tuple[float, int]], w: Writes) -> None:
    seen: set[tuple[int, int]] = set()
    for member, type_, invitation, received, occurred in events:
        stamp = stamps.get(invitation) if invitation is not None else None
        if type_ != "invitation.created" or stamp is None or invitation is None:
            w.other += 1
            continue
        at, invitee = stamp
        if member != invitee:
            w.misdelivered += 1
            continue
        if (member, invitation) in seen:
            w.duplicates += 1
            continue
        seen.add((member, invitation))
        w.delivered += 1
        w.from_201.append(received - at)
        w.from_occurred.append(received - datetime.fromisoformat(occurred).timestamp())


# --- the run ------------------------------------------------------------------------------------


class Run:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.notes: list[str] = []
        self.failures: list[str] = []
        settings: Settings = settings_for(cfg.data_dir)
        self.tokens = TokenService(settings, jwt_secret(settings))
        self.now = SystemClock().now()
        self._minted: dict[int, str] = {}

    def token(self, member: int) -> str:
        tok = self._minted.get(member)
        if tok is None:  # 3 hours: a stream ends when its token expires
            tok = self.tokens.mint(member, ttl=timedelta(hours=3), now=self.now)
            self._minted[member] = tok
        return tok

    def phase(self, text: str) -> None:
        load = os.getloadavg()[0]
        print(f"  [{time.strftime('%H:%M:%S')}] {text} (load average {load:.2f})", flush=True)

    async def writes(
        self,
        client: StampingClient,
        meter: Meter,
        pairs: list[Pair],
        holders: Holders | None,
    ) -> Writes:
        """Invitations at ``rate``/s, open loop (each sent at its intended time, whatever the
        earlier ones are doing), for ``seconds``; the CPU window is the writes and 2 s after.
        With streams open, then waits until every created invitation's event has arrived (at
        most ``drain`` seconds) and takes the events from the load process."""
        cfg = self.cfg
        raws = [
            client.raw("POST", "/v1/invitations", self.token(a), {"invitee_id": b})
            for a, b in pairs
        ]
        if holders is not None:
            await holders.ask("take")  # nothing is expected before; start clean
        client.stamps.clear()
        client.stamping = True
        before = await self.scrape(client) if holders is not None else None
        begun = meter.start()
        result = await open_loop(client, raws, cfg.rate, len(raws) / cfg.rate, cfg.timeout)
        await asyncio.sleep(2.0)
        usage = meter.stop(begun)
        client.stamping = False
        stamps = dict(client.stamps)
        w = Writes(result, usage, expected=len(stamps))
        if holders is not None:
            deadline = time.monotonic() + cfg.drain
            while time.monotonic() < deadline:
                if (await holders.ask("state"))["events"] >= w.expected:
                    break
                await asyncio.sleep(0.25)
            delays(await holders.ask("take"), stamps, w)
            after = await self.scrape(client)
            w.handed = _delta(after, before, "connect_api_stream_events_total")
        self._print_writes(w)
        return w

    def _print_writes(self, w: Writes) -> None:
        r = w.result
        line = (
            f"      offered {r.offered:g}/s, achieved {r.achieved:,.1f}/s, POST p50 "
            f"{ms(r.percentile(50))} ms, p99 {ms(r.percentile(99))} ms, errors "
            f"{dict(r.errors) or 0}; send lag p99 {ms(percentile(r.send_lag, 99))} ms; service "
            f"CPU {w.usage.service / w.usage.wall:.0%} of a core"
        )
        if w.from_201:
            line += (
                f"\n      events: {w.delivered:,} of {w.expected:,} delivered, commit-to-client "
                f"p50 {ms(percentile(w.from_201, 50))} ms, p99 {ms(percentile(w.from_201, 99))}"
                f" ms, max {ms(max(w.from_201))} ms"
            )
        print(line, flush=True)

    async def send_accept(
        self, client: Client, meter: Meter, pairs: list[Pair], holders: Holders | None
    ) -> tuple[Result, Usage, int | None]:
        """Send + accept (``bench.scale.client.send_accept``) by ``clients`` at once, closed
        loop, for ``seconds``: accepted connections per second. With streams open, also the
        events the load process received meanwhile."""
        cfg = self.cfg
        statuses: Counter[str] = Counter()
        jobs = self.flows(client, pairs, statuses)
        begun = meter.start()
        result = await closed_loop(cfg.clients, jobs, deadline=cfg.seconds)
        usage = meter.stop(begun)
        # What went wrong, by answer (closed_loop counts the successes as "2xx").
        result.statuses = Counter({k: v for k, v in result.statuses.items() if k != "2xx"})
        result.statuses.update({k: v for k, v in statuses.items() if k != "accept 200"})
        if len(result.latencies) >= len(pairs):  # every job was taken
            self.notes.append(
                f"send + accept ran out of pairs ({len(pairs):,}) before {cfg.seconds:g} s"
            )
        events = None
        if holders is not None:
            await asyncio.sleep(1.0)
            events = len(await holders.ask("take"))
        print(
            f"      {result.ok:,} accepted in {result.duration:.1f} s = {result.achieved:,.1f}/s;"
            f" answers {dict(statuses)}; service CPU {usage.service / usage.wall:.0%} of a core"
            + (f"; {events:,} events on the streams" if events is not None else ""),
            flush=True,
        )
        return result, usage, events

    def flows(self, client: Client, pairs: list[Pair], statuses: Counter[str]) -> list[Any]:
        """``bench.scale``'s send + accept job, one per pair."""
        tokens = {m: self.token(m) for pair in pairs for m in pair}
        return [send_accept(client, tokens, a, b, statuses) for a, b in pairs]

    async def scrape(self, client: Client) -> str:
        r = await client.request("GET", "/metrics")
        return r.body.decode() if r.status == 200 else ""


def _delta(after: str, before: str | None, name: str) -> float | None:
    a, b = metric(after, name), metric(before or "", name)
    return None if a is None else a - (b or 0.0)


@dataclass
class Findings:
    """Everything the report is made of, gathered phase by phase."""

    opened: dict[str, Any] = field(default_factory=dict)  # the load process's "open" answer
    held_service: float | None = None  # connect_api_streams_open{kind="member"} with K open
    rss_before: int = 0  # the service's VmRSS before the streams, bytes
    rss_open: int = 0  # with the streams open
    rss_end: int = 0  # after the writes with streams
    fds_before: int = 0
    fds_open: int = 0
    holder_rss: int = 0
    idle: tuple[Usage, int] | None = None  # the quiet window: CPU, heartbeats received
    quiet_writes: Writes | None = None
    live_writes: Writes | None = None
    sa_quiet: Result | None = None
    sa_live: Result | None = None
    sa_events: int | None = None  # events received during send + accept with streams
    ended: dict[str, int] = field(default_factory=dict)  # streams that ended, by how

    @property
    def live(self) -> int:
        return int(self.opened.get("opened", 0))


async def run(cfg: Config) -> int:
    started = time.perf_counter()
    k = cfg.streams
    soft, hard = raise_nofile()  # the harness's, inherited by the service and the load process
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"bench.stream ({'quick' if cfg.quick else 'full'}), {stamp}; data in {cfg.data_dir}",
        flush=True,
    )
    if soft < k + 1000:
        raise SystemExit(
            f"bench.stream: {k:,} streams need {k + 1000:,} open files in the service and in "
            f"the load process; the limit is {soft:,} (hard {hard:,}): raise it (ulimit -Hn)"
        )
    low, high = local_ports()
    if high - low < k + 2000:
        raise SystemExit(f"bench.stream: {k:,} streams need more local ports than {low}-{high}")
    run_ = Run(cfg)

    # --- network and plan: before the service starts ------------------------------------------
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    url = start_database(cfg.data_dir)
    how, seed_seconds = await ensure_network(cfg.data_dir, cfg.params, url)
    graph, _ = await load_graph(url)
    conn = await asyncpg.connect(url)
    members = int(await conn.fetchval("SELECT count(*) FROM members"))
    connections = int(await conn.fetchval("SELECT count(*) FROM connections")) // 2
    writes_n = round(cfg.rate * cfg.seconds)
    # Enough pairs that the send + accept clients never run out within the phase (one
    # process does less than bench.scale's two workers, for which it plans 600/s).
    accept_n = round(400 * cfg.seconds)
    plan: Plan = await choose(
        conn,
        graph,
        cfg.params.cap,
        k,
        {
            "warm-up": (300, 5),
            "writes, no streams": (writes_n, 1),
            "send + accept, no streams": (accept_n, 5),
            "writes, streams": (writes_n, 1),
            "send + accept, streams": (accept_n, 5),
        },
        random.Random(),  # new members on every run: a reused network must not repeat pairs
    )
    await conn.close()
    del graph
    for name, lacking in plan.short.items():
        run_.notes.append(f"{name}: {lacking:,} pairs short of what was wanted")
    machine = (
        f"{platform.python_implementation()} {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs; network {how} ({members:,} members, "
        f"{connections:,} connections; seed {seed_seconds:,.0f} s)"
    )
    print(machine, flush=True)
    for pair in (p for pairs in plan.phases.values() for p in pairs):
        run_.token(pair[0]), run_.token(pair[1])
    streams = [(m, run_.token(m)) for m in plan.holders]
    print(f"  {k:,} stream holders and {plan.inviters_used:,} inviters chosen; tokens minted")

    # --- the service, and the phases -------------------------------------------------------------
    env = dict(cfg.params.env)
    # CONNECT_API_STREAM_* of the caller's environment reach the service (bench.scale clears
    # CONNECT_API_*); the per-process cap is raised when K is above it.
    env |= {n: v for n, v in os.environ.items() if n.startswith("CONNECT_API_STREAM_")}
    if k > Settings.model_fields["stream_max_per_process"].default:
        env.setdefault("CONNECT_API_STREAM_MAX_PER_PROCESS", str(k))
    log = cfg.data_dir / "stream-serve.log"
    found = Findings()
    with serving(cfg.data_dir, 1, log, env) as svc:
        pid = service_pid(svc)
        print(
            f"service: connect-api serve (1 process, pid {pid}, open files {nofile_of(pid)}), "
            f"{', '.join(f'{a}={b}' for a, b in (SERVICE_ENV | env).items())}",
            flush=True,
        )
        await asyncio.to_thread(wait_loaded, svc.base)  # the graph read model, loaded first
        await phases(run_, svc, pid, plan, streams, found)
        errors = svc.error_lines()
    if errors:
        run_.notes.append(f"the service logged {errors:,} error lines (see {log})")
    if found.ended:
        run_.notes.append(f"streams that ended during the run: {found.ended}")
    w = found.live_writes
    if w is not None and (w.misdelivered or w.duplicates):
        run_.failures.append(
            f"{w.misdelivered:,} events reached another member's stream, {w.duplicates:,} twice"
        )

    # --- the report -----------------------------------------------------------------------------
    elapsed = time.perf_counter() - started
    text = render(("measure", "value", "target", ""), report_rows(cfg, found), right=set())
    print()
    print(text)
    for note in run_.notes:
        print(f"note: {note}")
    print(f"whole run: {elapsed / 60:.1f} min")
    if cfg.readme:
        section = readme_section(cfg, stamp, machine, text, run_.notes, elapsed)
        update_readme(cfg.bench_dir / "README.md", section)
        print(f"wrote the table into {cfg.bench_dir / 'README.md'}")
    for f in run_.failures:
        print(f"FAILED: {f}", file=sys.stderr)
    return 1 if run_.failures else 0


async def phases(
    run_: Run,
    svc: Service,
    pid: int,
    plan: Plan,
    streams: list[tuple[int, str]],
    found: Findings,
) -> None:
    """Warm-up; writes and send + accept without streams; K streams opened by the load
    process; a quiet window; writes and send + accept with them open."""
    cfg, k = run_.cfg, run_.cfg.streams
    meter = Meter(pid, cfg.data_dir)
    client = StampingClient("127.0.0.1", svc.port)
    holders: Holders | None = None
    try:
        run_.phase("warm-up: 300 send + accept, unmeasured")
        await closed_loop(cfg.clients, run_.flows(client, plan.phases["warm-up"], Counter()))

        run_.phase(f"invitations at {cfg.rate:g}/s for {cfg.seconds:g} s, no streams open")
        found.quiet_writes = await run_.writes(
            client, meter, plan.phases["writes, no streams"], None
        )
        run_.phase(f"send + accept, {cfg.clients} clients, {cfg.seconds:g} s, no streams open")
        found.sa_quiet, _, _ = await run_.send_accept(
            client, meter, plan.phases["send + accept, no streams"], None
        )

        await asyncio.sleep(1.0)
        found.rss_before, found.fds_before = vm_rss(pid), open_fds(pid)
        run_.phase(f"opening {k:,} streams from the load process, {cfg.concurrency} at once")
        holders = await Holders.start(svc.port, streams, cfg.concurrency, cfg.open_timeout)
        found.opened = opened = await holders.ask("open", wait=cfg.open_timeout + k / 10 + 60)
        print(
            f"      {opened['opened']:,} live in {opened['seconds']:.1f} s "
            f"({opened['opened'] / max(opened['seconds'], 1e-9):,.0f}/s), refused "
            f"{opened['failed'] or 0}; load process (pid {holders.pid}) CPU {opened['cpu']:.1f} s",
            flush=True,
        )
        await asyncio.sleep(2.0)
        found.rss_open, found.fds_open = vm_rss(pid), open_fds(pid)
        metrics = await run_.scrape(client)
        found.held_service = metric(metrics, 'connect_api_streams_open{kind="member"}')
        state = await holders.ask("state")
        found.holder_rss = int(state["rss"])
        print(
            f"      service RSS {mib(found.rss_before)} -> {mib(found.rss_open)}, open files "
            f"{found.fds_before:,} -> {found.fds_open:,}; /metrics: {found.held_service} open",
            flush=True,
        )

        if cfg.quiet > 0:
            run_.phase(f"quiet: {k:,} streams open, no writes, {cfg.quiet:g} s")
            beats = int(state["frames"].get("heartbeat", 0))
            begun = meter.start()
            await asyncio.sleep(cfg.quiet)
            usage = meter.stop(begun)
            state = await holders.ask("state")
            found.idle = (usage, int(state["frames"].get("heartbeat", 0)) - beats)
            print(
                f"      service CPU {usage.service / usage.wall:.1%} of a core, "
                f"{found.idle[1]:,} heartbeats received",
                flush=True,
            )

        run_.phase(f"invitations at {cfg.rate:g}/s for {cfg.seconds:g} s to {k:,} stream holders")
        found.live_writes = await run_.writes(
            client, meter, plan.phases["writes, streams"], holders
        )
        run_.phase(f"send + accept, {cfg.clients} clients, {cfg.seconds:g} s, {k:,} streams open")
        found.sa_live, _, found.sa_events = await run_.send_accept(
            client, meter, plan.phases["send + accept, streams"], holders
        )
        found.rss_end = vm_rss(pid)
    finally:
        if holders is not None:
            final = await holders.close()
            found.ended = dict((final or {}).get("ended") or {})
        await client.close()


def report_rows(cfg: Config, f: Findings) -> list[tuple[str, str, str, str]]:
    """The table: (measure, value, target, met or MISSED)."""

    def verdict(ok: bool | None) -> str:
        return {True: "met", False: "MISSED", None: ""}[ok]

    def window(q: Usage) -> str:
        return f"{q.service / q.wall:.1%} of a core"

    rows: list[tuple[str, str, str, str]] = []
    k, live = cfg.streams, f.live
    held = f"{live:,} of {k:,}"
    if f.opened.get("failed"):
        held += f" (refused: {', '.join(f'{c} x{n:,}' for c, n in f.opened['failed'].items())})"
    seconds = max(float(f.opened.get("seconds", 0.0)), 1e-9)
    rows += [
        ("streams held by the load process (1 process)", held, "", ""),
        (
            "streams open in the service (1 process; /metrics)",
            "-" if f.held_service is None else f"{f.held_service:,.0f}",
            "",
            "",
        ),
        ("  time to open them", f"{seconds:.1f} s ({live / seconds:,.0f}/s)", "", ""),
        ("service RSS, before the streams", mib(f.rss_before), "", ""),
    ]
    per_stream = (f.rss_open - f.rss_before) / live if live else float("nan")
    at_target = k >= TARGET_STREAMS
    rows.append(
        (
            f"service RSS, {live:,} streams open",
            mib(f.rss_open),
            f"< 1 GiB at {TARGET_STREAMS:,}" if at_target else "",
            verdict(f.rss_open < TARGET_RSS and live >= TARGET_STREAMS) if at_target else "",
        )
    )
    rows.append(("  per stream", f"{per_stream / 1024:,.1f} KiB", "", ""))
    if not at_target and live:
        projected = f.rss_before + per_stream * TARGET_STREAMS
        rows.append(
            (
                f"  projected to {TARGET_STREAMS:,} streams",
                mib(projected),
                "< 1 GiB",
                verdict(projected < TARGET_RSS) + " (projected)",
            )
        )
    rows += [
        ("service RSS, after the writes with streams", mib(f.rss_end), "", ""),
        (
            "service open files, before / with the streams",
            f"{f.fds_before:,} / {f.fds_open:,}",
            "",
            "",
        ),
        ("load process RSS, streams open", mib(f.holder_rss), "", ""),
    ]
    if f.idle is not None:
        usage, beats = f.idle
        rows.append(
            (
                f"quiet {cfg.quiet:g} s, streams open: service CPU, heartbeats",
                f"{window(usage)}, {beats:,} heartbeats",
                "",
                "",
            )
        )

    # The writes at R/s: the POST itself, without and with streams, then the events.
    for label, w in (("no streams", f.quiet_writes), (f"{live:,} streams", f.live_writes)):
        if w is None:
            continue
        r = w.result
        rows.append(
            (
                f"POST /v1/invitations at {cfg.rate:g}/s, {label}: p50 / p99",
                f"{ms(r.percentile(50))} / {ms(r.percentile(99))} ms ({r.achieved:,.1f}/s, "
                f"errors {sum(r.errors.values()):,}; service {window(w.usage)})",
                "",
                "",
            )
        )
    w = f.live_writes
    if w is not None:
        rows.append(
            (
                "events delivered / expected (invitation.created)",
                f"{w.delivered:,} / {w.expected:,}"
                + (f"; {w.duplicates:,} twice" if w.duplicates else "")
                + (f"; {w.misdelivered:,} to another member" if w.misdelivered else ""),
                "all",
                verdict(w.expected > 0 and w.delivered == w.expected),
            )
        )
        rate_note = "" if cfg.rate == TARGET_RATE else f" (this run: {cfg.rate:g}/s)"
        p99 = percentile(w.from_201, 99) if w.from_201 else None
        rows.append(
            (
                "commit-to-client delay, from the 201: p50 / p99 / max",
                f"{ms(percentile(w.from_201, 50))} / {ms(p99)} / "
                f"{ms(max(w.from_201, default=float('nan')))} ms",
                f"p99 ≤ {TARGET_P99 * 1e3:g} ms at {TARGET_RATE:g}/s" + rate_note,
                verdict(p99 is not None and p99 <= TARGET_P99 and w.delivered == w.expected),
            )
        )
        rows.append(
            (
                "  from occurred_at (an upper bound): p50 / p99 / max",
                f"{ms(percentile(w.from_occurred, 50))} / {ms(percentile(w.from_occurred, 99))}"
                f" / {ms(max(w.from_occurred, default=float('nan')))} ms",
                "",
                "",
            )
        )
        if w.delivered:
            per_event = w.usage.service / w.delivered
            rows.append(
                (
                    "service CPU per delivered event (the writes' window)",
                    f"{per_event * 1e6:,.0f} µs "
                    f"(PostgreSQL {w.usage.postgres / w.delivered * 1e6:,.0f} µs)",
                    "",
                    "",
                )
            )
            # The same writes without streams cost this much per write; the quiet window says
            # what the open streams cost per second with no event at all (heartbeats).
            q = f.quiet_writes
            own = q.usage.service / q.expected if q is not None and q.expected else 0.0
            idle = (
                (f.idle[0].service / f.idle[0].wall * w.usage.wall / w.delivered) if f.idle else 0
            )
            rows.append(
                (
                    "  of which: the write itself / idle streams / delivering",
                    f"{own * 1e6:,.0f} / {idle * 1e6:,.0f} / "
                    f"{(per_event - own - idle) * 1e6:,.0f} µs",
                    "",
                    "",
                )
            )
        if w.handed is not None:
            rows.append(
                ("  events handed to streams (/metrics, the phase)", f"{w.handed:,.0f}", "", "")
            )

    # Send + accept, closed loop, without and with the streams.
    if f.sa_quiet is not None and f.sa_live is not None:
        base, with_ = f.sa_quiet, f.sa_live
        share = with_.achieved / base.achieved if base.achieved else float("nan")
        rows += [
            (
                f"send + accept, {cfg.clients} clients, no streams",
                f"{base.achieved:,.1f}/s (errors {sum(base.errors.values()):,})",
                "",
                "",
            ),
            (
                f"send + accept, {cfg.clients} clients, {live:,} streams",
                f"{with_.achieved:,.1f}/s = {share:.0%} (errors {sum(with_.errors.values()):,}; "
                f"{f.sa_events or 0:,} events on the streams)",
                f"≥ {TARGET_SHARE:.0%} of no streams",
                verdict(share >= TARGET_SHARE),
            ),
        ]
    return rows


def readme_section(
    cfg: Config, stamp: str, machine: str, text: str, notes: list[str], elapsed: float
) -> str:
    args = f"--streams {cfg.streams} --rate {cfg.rate:g} --seconds {cfg.seconds:g}"
    lines = [
        "### Last run of `make bench-stream`",
        "",
        f"{stamp}, `python -m bench.stream {args}`, {elapsed / 60:.1f} minutes. {machine}.",
        "",
        "```text",
        text,
        *(f"note: {n}" for n in notes),
        "```",
    ]
    return "\n".join(lines)


def update_readme(readme: Path, section: str) -> None:
    """Replace what lies between the bench-stream marker comments (appended the first time)."""
    report.update_readme(readme, section, README_BEGIN, README_END)
