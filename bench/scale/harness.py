"""The phases of one run, in order: network, machine, choices, service, reads, comparisons,
writes, rules, report. Everything the service is asked goes over HTTP from this process."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
import numpy as np

from bench.scale import baseline, readmodel, replay, replica, wrk
from bench.scale.client import Client, Result, closed_loop, open_loop, percentile
from bench.scale.network import Graph, SeedParams, ensure_network, load_graph
from bench.scale.overhead import compare, render
from bench.scale.report import Row, chart, ms, table, update_readme
from bench.scale.report import render as render_table
from bench.scale.server import (
    SERVICE_ENV,
    Service,
    clean_env,
    connect_api_bin,
    serving,
    settings_for,
    start_database,
)
from bench.scale.sql import UsualApproach, machine_facts, rule_violations
from connect_api.kit.auth import TokenService
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import PolicySettings
from connect_api.kit.tokens import jwt_secret

DEGREES = (1, 2, 3, None)
DEGREE_NAMES = {1: "1st", 2: "2nd", 3: "3rd", None: "none"}


@dataclass
class Config:
    quick: bool
    data_dir: Path
    params: SeedParams
    workers: int
    phase: float  # seconds of each load phase
    readme: bool
    bench_dir: Path
    overhead_only: bool = False
    seed_only: bool = False
    replica_only: bool = False  # only the rows of bench/scale/replica.py
    profile_only: bool = False  # only the profile rows (and the statement's EXPLAIN)
    graph_only: bool = False  # only the rows of the graph read model (bench/scale/readmodel.py)
    writes_only: bool = False  # only the door and the writes (and pgbench -N beside them)
    timeout: float = 5.0  # a request unanswered this long after its intended time is an error
    usual_timeout: float = 10.0  # statement_timeout of the usual approach
    connections: int = 32  # wrk's open connections
    clients: int = 32  # send + accept clients
    model_timeout: float = 900.0  # how long every worker's graph read model may take to load

    @property
    def rel1_rates(self) -> list[float]:
        return [50, 250] if self.quick else [50, 100, 250, 400]

    @property
    def rel100_rates(self) -> list[float]:
        return [10] if self.quick else [5, 10, 20]

    @property
    def me_rates(self) -> list[float]:
        return [250] if self.quick else [100, 250, 500]

    @property
    def list_rates(self) -> list[float]:
        return [50] if self.quick else [25, 50, 100]

    @property
    def viewers_per_class(self) -> int:
        return 2 if self.quick else 3

    @property
    def targets_per_degree(self) -> int:
        return 2 if self.quick else 3

    @property
    def ours_reps(self) -> int:
        return 3 if self.quick else 5

    @property
    def usual_budget(self) -> float:
        return 25.0 if self.quick else 120.0


@dataclass
class Target:
    text: str
    test: Callable[[Row], bool | None]


def p99_at_most(limit_ms: float) -> Target:
    return Target(
        f"p99 ≤ {limit_ms:g} ms", lambda r: None if r.p99 is None else r.p99 <= limit_ms / 1e3
    )


def share_at_least(share: float) -> Target:
    return Target(
        f"≥ {share:.0%} of healthz", lambda r: None if r.share is None else r.share >= share
    )


@dataclass
class Pair:
    viewer_class: str
    viewer: int
    target: int
    degree: int | None  # breadth-first, from the CSR


@dataclass
class Cell:
    ours: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    usual: list[float] = field(default_factory=list)
    usual_timeouts: int = 0
    usual_skipped: int = 0
    pairs: int = 0


class Harness:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.params.seed)
        # Writes pick new pairs on every run: a reused network must not offer the same ones.
        self.write_rng = random.Random()
        self.rows: list[Row] = []
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.healthz: float | None = None
        self.pgbench: float | None = None  # pgbench -N transactions/s, when it ran
        self.url = ""  # the harness's database (libpq URL), once started
        self.loads: dict[str, float] = {}
        self._tokens: dict[int, str] = {}
        # The graph read model's: one connection to each worker, and its facts (load, memory,
        # lag), printed as a table of their own.
        self.workers: readmodel.Workers | None = None
        self.facts: list[tuple[str, str]] = []
        # The 100-id look-ups of typical viewers saturated by wrk, for the run without the model.
        self.rel100_wrk: tuple[str, list[tuple[str, str]], Row] | None = None
        settings = settings_for(cfg.data_dir)
        self.token_service = TokenService(settings, jwt_secret(settings))
        self.now = SystemClock().now()

    # --- small helpers ------------------------------------------------------------------------

    def token(self, member: int) -> str:
        tok = self._tokens.get(member)
        if tok is None:
            tok = self.token_service.mint(member, ttl=timedelta(hours=3), now=self.now)
            self._tokens[member] = tok
        return tok

    def phase(self, name: str) -> float:
        load = os.getloadavg()[0]
        print(f"  [{time.strftime('%H:%M:%S')}] {name} (load average {load:.2f})", flush=True)
        return load

    def add(self, row: Row, target: Target | None = None) -> Row:
        if target is not None:
            row.target = target.text
            row.met = self._judge(row, target)
        self.rows.append(row)
        return row

    def _judge(self, row: Row, target: Target) -> bool | None:
        verdict = target.test(row)
        if verdict is None:
            return None
        failed = sum(row.errors.values())
        return verdict and (row.total == 0 or failed / row.total < 0.01)

    def open_row(self, op: str, result: Result, load: float, chart: str | None = None) -> Row:
        lag = percentile(result.send_lag, 99) * 1e3
        core_share = result.cpu / result.duration if result.duration else 0.0
        print(
            f"      offered {result.offered:g}/s, achieved {result.achieved:,.1f}/s, "
            f"p50 {ms(result.percentile(50))} ms, p99 {ms(result.percentile(99), self.cfg.timeout)}"
            f" ms, errors {dict(result.errors) or 0}; driver: send lag p99 {lag:.1f} ms, "
            f"{core_share:.0%} of a core",
            flush=True,
        )
        return Row(
            operation=op,
            rate=f"{result.offered:g}/s",
            achieved=result.achieved,
            p50=result.percentile(50),
            p99=result.percentile(99),
            p90=result.percentile(90),
            max=max(result.latencies, default=None),
            errors=result.errors,
            total=len(result.latencies),
            load=load,
            offered=result.offered,
            chart=chart or op,
        )

    def wrk_row(self, op: str, res: wrk.WrkResult, load: float) -> Row:
        r = res.result
        print(
            f"      wrk: {r.achieved:,.1f} req/s, p50 {ms(res.p50)} ms, p99 {ms(res.p99)} ms, "
            f"errors {dict(r.errors) or 0}",
            flush=True,
        )
        total = sum(r.statuses.values())
        share = r.achieved / self.healthz if self.healthz else None
        return Row(
            operation=op,
            rate=f"wrk {self.cfg.connections} conn",
            achieved=r.achieved,
            p50=res.p50,
            p99=res.p99,
            p90=res.p90,
            max=res.max,
            errors=r.errors,
            total=total,
            share=share,
            load=load,
        )

    async def saturate(
        self, svc: Service, op: str, requests: Sequence[tuple[str, str]], target: Target | None
    ) -> Row:
        load = self.phase(f"{op}: wrk, {self.cfg.connections} connections, {self.cfg.phase:g} s")
        res = await asyncio.to_thread(
            wrk.run,
            svc.base,
            requests,
            self.cfg.phase,
            self.cfg.connections,
            self.cfg.data_dir / "wrk",
            2,
            self.cfg.timeout,
        )
        return self.add(self.wrk_row(op, res, load), target)

    async def open(
        self,
        client: Client,
        op: str,
        raws: Sequence[bytes],
        rate: float,
        seconds: float | None = None,
        target: Target | None = None,
        chart_name: str | None = None,
    ) -> Row:
        seconds = seconds or self.cfg.phase
        load = self.phase(f"{op}: open loop at {rate:g}/s, {seconds:g} s")
        result = await open_loop(client, raws, rate, seconds, self.cfg.timeout)
        row = self.add(self.open_row(op, result, load, chart_name), target)
        await self.settle(client, long=bool(result.errors))
        return row

    async def settle(self, client: Client, long: bool) -> None:
        """Requests given up on may still be running in the service (it does not cancel them):
        wait until ``/readyz``, which takes a pooled database connection, answers quickly
        twice in a row (at most 60 s)."""
        await asyncio.sleep(0.5)
        if not long:
            return
        deadline, quick = time.monotonic() + 60, 0
        raw = client.raw("GET", "/readyz")
        while quick < 2 and time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(10):
                    await client.send(raw)
            except (TimeoutError, OSError):
                pass
            quick = quick + 1 if time.perf_counter() - t0 < 0.05 else 0
            await asyncio.sleep(0.5)


# --- choosing members and pairs ---------------------------------------------------------------


@dataclass
class Choices:
    member_ids: np.ndarray
    classes: dict[str, list[int]]  # viewer class label -> viewers
    pairs: list[Pair]
    hub_pair: tuple[int, int, int | None] | None  # two members at the cap, 3rd degree or none
    hubs: list[int]
    blocked: set[tuple[int, int]]
    random_viewers: list[int]
    distances: dict[int, np.ndarray]


def _sample(rng: random.Random, pool: Sequence[int], k: int) -> list[int]:
    return list(pool) if len(pool) <= k else rng.sample(list(pool), k)


def _sample_array(
    rng: random.Random, pool: np.ndarray, k: int, keep: Callable[[int], bool] = lambda _: True
) -> list[int]:
    """Up to ``k`` distinct members of ``pool`` drawn at random, each passing ``keep``."""
    picks = rng.sample(range(len(pool)), min(len(pool), 4 * k + 50))
    out = [int(pool[i]) for i in picks if keep(int(pool[i]))]
    return out[:k]


def _distances(choices_distances: dict[int, np.ndarray], graph: Graph, v: int) -> np.ndarray:
    dist = choices_distances.get(v)
    if dist is None:
        dist = choices_distances[v] = graph.distances(v)
    return dist


async def choose(
    conn: asyncpg.Connection, graph: Graph, cfg: Config, rng: random.Random
) -> Choices:
    member_ids = np.array(
        [r[0] for r in await conn.fetch("SELECT id FROM members ORDER BY id")], dtype=np.int64
    )
    is_member = np.zeros(graph.size, dtype=bool)
    is_member[member_ids] = True
    blocked: set[tuple[int, int]] = set()
    for a, b in await conn.fetch("SELECT blocker_id, blocked_id FROM blocks"):
        blocked |= {(a, b), (b, a)}
    deg = graph.degrees
    top = int(deg[member_ids].max())
    hubs = [int(h) for h in member_ids[deg[member_ids] == top]]
    median = int(np.median(deg[member_ids]))
    connected = member_ids[deg[member_ids] > 0]
    order = np.argsort(np.abs(deg[connected] - median), kind="stable")
    typical_pool = [int(x) for x in connected[order[:200]]]
    below = connected[deg[connected] < top]
    order = np.argsort(np.abs(deg[below] - 1000), kind="stable")
    thousand_pool = [int(x) for x in below[order[:20]]]
    k = cfg.viewers_per_class
    picked = {
        "typical": _sample(rng, typical_pool, k),
        "~1,000": thousand_pool[:k],
        "cap": hubs[:k],
    }
    classes = {
        f"{name} ({'/'.join(sorted({f'{int(deg[v]):,}' for v in vs}))})": vs
        for name, vs in picked.items()
    }
    distances: dict[int, np.ndarray] = {}
    pairs: list[Pair] = []
    for label, viewers in classes.items():
        for v in viewers:
            dist = _distances(distances, graph, v)
            for d in DEGREES:
                code = -1 if d is None else d
                pool = np.flatnonzero((dist == code) & is_member)
                pool = pool[pool != v]
                visible = lambda t, v=v: (v, t) not in blocked  # noqa: E731
                for t in _sample_array(rng, pool, cfg.targets_per_degree, visible):
                    pairs.append(Pair(label, v, t, d))
    hub_pair = None
    if len(hubs) >= 2:
        for h1 in hubs[:3]:
            dist = _distances(distances, graph, h1)
            far = [h for h in hubs if h != h1 and dist[h] in (3, -1) and (h1, h) not in blocked]
            if far:
                d = int(dist[far[0]])
                hub_pair = (h1, far[0], None if d == -1 else d)
                break
    hub_set = set(hubs)
    others = [int(x) for x in connected if int(x) not in hub_set]
    random_viewers = _sample(rng, others, 2000)
    return Choices(member_ids, classes, pairs, hub_pair, hubs, blocked, random_viewers, distances)


def mixed_ids(
    graph: Graph, dist: np.ndarray, viewer: int, member_ids: np.ndarray, rng: random.Random
) -> list[int]:
    """100 ids as a page of people would show them: a quarter each 1st, 2nd and 3rd degree
    where the viewer has them, the rest anyone."""
    ids: dict[int, None] = {}
    for d in (1, 2, 3):
        for t in _sample_array(rng, np.flatnonzero(dist == d), 25):
            ids[t] = None
    while len(ids) < 100:
        t = int(member_ids[rng.randrange(len(member_ids))])
        if t != viewer:
            ids[t] = None
    return [t for t in ids if t != viewer][:100]


# --- the run ----------------------------------------------------------------------------------


async def run(cfg: Config) -> int:
    started = time.perf_counter()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    h = Harness(cfg)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick" if cfg.quick else "full"
    print(f"bench.scale ({mode}), {stamp}; data in {cfg.data_dir}", flush=True)
    url = start_database(cfg.data_dir)
    h.url = url
    how, seed_seconds = await ensure_network(cfg.data_dir, cfg.params, url)
    print(f"network {how} (seed took {seed_seconds:,.0f} s)", flush=True)
    if cfg.seed_only:
        return 0

    if cfg.overhead_only:
        with serving(cfg.data_dir, cfg.workers, cfg.data_dir / "serve.log", cfg.params.env) as s:
            print(render(await compare(s.base, s.port)))
        return 0

    graph, load_seconds = await load_graph(url)
    conn = await asyncpg.connect(url)
    facts = await machine_facts(conn)
    machine = machine_text(cfg, facts, how, seed_seconds)
    print(machine, flush=True)
    print(f"connections read into the CSR in {load_seconds:.1f} s", flush=True)
    choices = await choose(conn, graph, cfg, h.rng)
    for label, viewers in choices.classes.items():
        print(f"  viewers {label}: {viewers}")
    if choices.hub_pair:
        a, b, d = choices.hub_pair
        print(f"  members at the cap, {DEGREE_NAMES[d]} degree to each other: {a} and {b}")
    tags = await hub_tags(conn, choices.hubs)
    compute_table = ""
    if cfg.writes_only:
        return await writes_only(h, url, conn, graph, choices, started)
    if not (cfg.replica_only or cfg.profile_only):
        # The graph read model in this process, on a quiet machine: before the service starts.
        model = await readmodel.load_here(h, url)
        compute_table = readmodel.compute_per_pair(h, graph, model, choices)
        del model

    print(
        "service: connect-api serve --workers "
        f"{cfg.workers}, with {', '.join(f'{k}={v}' for k, v in SERVICE_ENV.items())} "
        "(the per-caller rate limits are off: the load comes from a few callers)",
        flush=True,
    )
    if not cfg.graph_only:
        await refresh_networks(h)
    await refresh_checked(h, graph, choices)
    if cfg.graph_only:
        return await graph_only(h, url, conn, graph, choices, compute_table, started)
    if cfg.replica_only:
        await replica.compare(h, url, graph, choices, replica.viewers_of(choices, graph))
        await conn.close()
        print()
        print(table(h.rows, cfg.timeout))
        for note in h.notes:
            print(f"note: {note}")
        print(f"whole run: {(time.perf_counter() - started) / 60:.1f} min")
        for f in h.failures:
            print(f"FAILED: {f}", file=sys.stderr)
        return 1 if h.failures else 0
    if cfg.profile_only:
        with serving(cfg.data_dir, cfg.workers, cfg.data_dir / "serve.log", cfg.params.env) as s:
            client = Client("127.0.0.1", s.port)
            healthz = await h.saturate(s, "GET /healthz (ceiling)", [("/healthz", "")], None)
            h.healthz = healthz.achieved
            healthz.share = 1.0
            await profile_rows(h, s, client, graph, choices)
            await client.close()
        print(await explain_profile(conn, graph, choices))
        await conn.close()
        print()
        print(table(h.rows, cfg.timeout))
        for f in h.failures:
            print(f"FAILED: {f}", file=sys.stderr)
        return 1 if h.failures else 0
    cells: dict[tuple[str, int | None], Cell] = defaultdict(Cell)
    answers: dict[tuple[int, int], tuple[int | None, int]] = {}
    log = cfg.data_dir / "serve.log"
    with serving(cfg.data_dir, cfg.workers, log, cfg.params.env) as svc:
        client = Client("127.0.0.1", svc.port)
        before = await start_graph(h, svc)
        await reads(h, svc, client, graph, choices, tags)
        await readmodel.cold_second_degree(h, svc, client, conn, graph, choices)
        async with readmodel.counted(h, "the mutual connections rows"):
            await mutual_reads(h, svc, client, graph, choices, conn)
        async with readmodel.counted(h, "degree and mutual count, ours"):
            await ours_per_pair(h, client, choices, cells, answers)
        await cross_check_many(h, client, graph, choices)
        # The floor and the usual approach read the graph the service answered from: before
        # the writes change it.
        floor_per_pair(h, graph, choices, cells)
        await usual_per_pair(h, url, choices, cells, answers, graph)
        await pgbench_row(h, url)
        await writes(h, client, conn, graph, choices)
        await readmodel.burst_lag(h, client, conn, graph, choices)
        await stop_graph(h, before)
        await client.close()
        error_lines = svc.error_lines()
    print("  service stopped", flush=True)
    if h.rel100_wrk is not None:
        await readmodel.sql_baseline(h, *h.rel100_wrk)
    if error_lines:
        h.notes.append(f"the service logged {error_lines:,} error lines (see {log})")

    load = h.phase("rules: counters, cap, pending pairs, mirrors")
    violations = await rule_violations(conn, cfg.params.cap)
    await conn.close()
    for v in violations:
        h.failures.append(f"rule violated after the writes: {v}")
    for row in h.rows:
        if row.operation.startswith("send + accept") and violations:
            row.met = False
    print(f"      {len(violations)} violations (load {load:.2f})")

    comparison = comparison_table(h, cells)
    model_table = readmodel.facts_table(h)
    elapsed = time.perf_counter() - started
    main_table = table(h.rows, cfg.timeout)
    print()
    print(main_table)
    print()
    print(comparison)
    print()
    print(compute_table)
    print()
    print(model_table)
    for note in h.notes:
        print(f"note: {note}")
    png = (cfg.bench_dir if cfg.readme else cfg.data_dir) / "scale-latency.png"
    drawn = chart(
        h.rows,
        png,
        f"connect-api serve --workers {cfg.workers}, {facts['members']:,} members, {stamp}",
    )
    if drawn:
        print(f"chart: {png}")
    print(f"whole run: {elapsed / 60:.1f} min")
    if cfg.readme:
        notes = h.notes + [f"FAILED: {f}" for f in h.failures]
        section = readme_section(
            cfg,
            stamp,
            machine,
            main_table,
            "\n\n".join([comparison, compute_table, model_table]),
            notes,
            elapsed,
            drawn,
            png,
        )
        update_readme(cfg.bench_dir / "README.md", section)
        print(f"wrote the table into {cfg.bench_dir / 'README.md'}")
    if h.failures:
        print(f"\nFAILED ({len(h.failures)}):", file=sys.stderr)
        for f in h.failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


async def writes_only(
    h: Harness,
    url: str,
    conn: asyncpg.Connection,
    graph: Graph,
    choices: Choices,
    started: float,
) -> int:
    """The door (``/healthz``, ``/v1/me``, a profile), ``pgbench -N`` on the same server, and
    the writes with the rules checked after them."""
    cfg = h.cfg
    with serving(cfg.data_dir, cfg.workers, cfg.data_dir / "serve.log", cfg.params.env) as svc:
        client = Client("127.0.0.1", svc.port)
        me = [("/v1/me", h.token(v)) for v in choices.random_viewers]
        for path, tok in me[:50]:
            await client.request("GET", path, tok)
        healthz = await h.saturate(svc, "GET /healthz (ceiling)", [("/healthz", "")], None)
        h.healthz = healthz.achieved
        healthz.share = 1.0
        await h.saturate(svc, "GET /v1/me", me, share_at_least(0.50))
        await profile_rows(h, svc, client, graph, choices)
        await mutual_reads(h, svc, client, graph, choices, conn)
        await pgbench_row(h, url)
        await writes(h, client, conn, graph, choices)
        await client.close()
        error_lines = svc.error_lines()
    if error_lines:
        h.notes.append(f"the service logged {error_lines:,} error lines")
    violations = await rule_violations(conn, cfg.params.cap)
    await conn.close()
    for v in violations:
        h.failures.append(f"rule violated after the writes: {v}")
    print()
    print(table(h.rows, cfg.timeout))
    for note in h.notes:
        print(f"note: {note}")
    minutes = (time.perf_counter() - started) / 60
    print(f"{len(violations)} rule violations; whole run: {minutes:.1f} min")
    for f in h.failures:
        print(f"FAILED: {f}", file=sys.stderr)
    return 1 if h.failures else 0


async def pgbench_row(h: Harness, url: str) -> None:
    """``pgbench -N`` at the writes' clients on the harness's server, for the writes' share."""
    cfg = h.cfg
    load = h.phase(f"pgbench -N: {cfg.clients} clients, {cfg.phase * 2:g} s")
    result = await baseline.run(url, cfg.clients, cfg.phase * 2)
    if result is None:
        h.notes.append("pgbench not found: the writes' share of it was not measured")
        return
    print(f"      {result.tps:,.0f} transactions/s, latency {result.latency_ms} ms", flush=True)
    h.pgbench = result.tps
    h.add(
        Row(
            "pgbench -N (simple update; PostgreSQL alone)",
            f"{cfg.clients} clients",
            result.tps,
            (result.latency_ms or 0) / 1e3 or None,
            None,
            {},
            int(result.tps * result.seconds),
            load=load,
        )
    )


async def start_graph(h: Harness, svc: Service) -> dict[int, dict[str, float]]:
    """A connection to each worker; until every worker's graph read model is loaded; the graph
    answers so far (the run's are counted from here)."""
    h.workers = readmodel.Workers(svc, h.cfg.workers)
    await readmodel.wait_loaded(h, h.cfg.model_timeout)
    return await readmodel.answers(h.workers)


async def stop_graph(h: Harness, before: dict[int, dict[str, float]]) -> None:
    await readmodel.run_answers(h, before)
    if h.workers is not None:
        h.workers.close()
        h.workers = None


def rel1_requests(h: Harness, choices: Choices) -> list[tuple[str, str]]:
    """The 1-id look-ups: each random viewer about a random member."""
    members = choices.member_ids
    return [
        (f"/v1/relationships?ids={int(members[h.rng.randrange(len(members))])}", h.token(v))
        for v in choices.random_viewers
    ]


async def graph_only(
    h: Harness,
    url: str,
    conn: asyncpg.Connection,
    graph: Graph,
    choices: Choices,
    compute_table: str,
    started: float,
) -> int:
    """``--graph``: the rows the graph read model answers (the relationships look-up, the
    second degree and suggestions, cold and at the cap), its lag after a burst, and the
    look-up without it. The README is not written."""
    cfg = h.cfg
    with serving(cfg.data_dir, cfg.workers, cfg.data_dir / "serve.log", cfg.params.env) as svc:
        client = Client("127.0.0.1", svc.port)
        before = await start_graph(h, svc)
        rel1 = rel1_requests(h, choices)
        for path, tok in rel1[:100]:
            r = await client.request("GET", path, tok)
            if r.status != 200:
                h.failures.append(f"warm-up: GET {path} answered {r.status}: {r.body[:300]!r}")
        healthz = await h.saturate(svc, "GET /healthz (ceiling)", [("/healthz", "")], None)
        h.healthz = healthz.achieved
        healthz.share = 1.0
        async with readmodel.counted(h, "the relationships rows"):
            await relationship_reads(h, svc, client, graph, choices, rel1)
        async with readmodel.counted(h, "the second degree and suggestions rows"):
            await network_reads(h, client, graph, choices)
        await readmodel.cold_second_degree(h, svc, client, conn, graph, choices)
        await readmodel.burst_lag(h, client, conn, graph, choices)
        await stop_graph(h, before)
        await client.close()
        error_lines = svc.error_lines()
    print("  service stopped", flush=True)
    if error_lines:
        h.notes.append(f"the service logged {error_lines:,} error lines (see its serve.log)")
    if h.rel100_wrk is not None:
        await readmodel.sql_baseline(h, *h.rel100_wrk)
    await conn.close()
    print()
    print(table(h.rows, h.cfg.timeout))
    print()
    print(compute_table)
    print()
    print(readmodel.facts_table(h))
    for note in h.notes:
        print(f"note: {note}")
    print(f"whole run: {(time.perf_counter() - started) / 60:.1f} min")
    for f in h.failures:
        print(f"FAILED: {f}", file=sys.stderr)
    return 1 if h.failures else 0


def machine_text(cfg: Config, facts: dict[str, object], how: str, seed_seconds: float) -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(x.split()[1])
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024**2:.1f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    version = str(facts["version"]).split(" on ")[0]
    rows = int(facts["connection_rows"])  # type: ignore[call-overload]
    p = cfg.params
    return "\n".join(
        [
            f"machine: {os.cpu_count()} CPUs ({model}), {memory}, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
            f"database: {version} (embedded), shared_buffers {facts['shared_buffers']}, "
            f"size {facts['db_size']}",
            f"network: {facts['members']:,} members, {rows // 2:,} connections "
            f"({rows:,} rows), {facts['follows']:,} follows, {facts['groups']:,} groups "
            f"({facts['memberships']:,} memberships), {facts['blocks']:,} blocks, "
            f"{facts['pending']:,} pending invitations, {facts['tags']:,} tags",
            f"seed: --members {p.members:,} --avg-degree {p.avg_degree:g} --hubs {p.hubs} "
            f"--seed {p.seed}{f' --groups {p.groups}' if p.groups else ''}, cap {p.cap:,}; "
            f"{how} ({seed_seconds:,.0f} s to seed)",
        ]
    )


async def hub_tags(conn: asyncpg.Connection, hubs: list[int]) -> dict[int, str]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (author_id) author_id, name, count(*) OVER w AS n
           FROM connection_tags WHERE author_id = ANY($1::bigint[])
           WINDOW w AS (PARTITION BY author_id, key)
           ORDER BY author_id, n DESC""",
        hubs,
    )
    return {int(r["author_id"]): str(r["name"]) for r in rows}


# --- reads ------------------------------------------------------------------------------------


async def reads(
    h: Harness,
    svc: Service,
    client: Client,
    graph: Graph,
    choices: Choices,
    tags: dict[int, str],
) -> None:
    cfg, rng = h.cfg, h.rng
    members = choices.member_ids

    def any_member() -> int:
        return int(members[rng.randrange(len(members))])

    rel1 = rel1_requests(h, choices)
    me = [("/v1/me", h.token(v)) for v in choices.random_viewers]
    profile = [(f"/v1/members/{any_member()}", h.token(v)) for v in choices.random_viewers]
    lists: dict[str, list[tuple[str, str]]] = {"recent": [], "name": []}
    for hub in choices.hubs:
        viewers = [hub, *_sample(rng, [int(x) for x in graph.neighbours(hub)], 20)]
        for sort, out in lists.items():
            out += [(f"/v1/members/{hub}/connections?sort={sort}", h.token(v)) for v in viewers]
    tagged = [
        (f"/v1/members/{hub}/connections?sort=recent&tag={quote(name)}", h.token(hub))
        for hub, name in tags.items()
    ]

    def raws(pairs: Sequence[tuple[str, str]]) -> list[bytes]:
        return [client.raw("GET", p, t) for p, t in pairs]

    # Warm up every path the phases use (plans, caches, connections), unmeasured.
    load = h.phase("warm-up")
    warm = [*rel1[:100], *me[:50], *profile[:50]]
    for group in (lists["recent"], lists["name"], tagged):
        warm += group[:20]
    for path, tok in warm:
        r = await client.request("GET", path, tok)
        if r.status != 200:
            h.failures.append(f"warm-up: GET {path} answered {r.status}: {r.body[:300]!r}")
    del load

    healthz = await h.saturate(svc, "GET /healthz (ceiling)", [("/healthz", "")], None)
    h.healthz = healthz.achieved
    healthz.share = 1.0
    for rate in cfg.rel1_rates:
        await h.open(client, "GET /healthz", [client.raw("GET", "/healthz")], rate)

    async with readmodel.counted(h, "the relationships rows"):
        await relationship_reads(h, svc, client, graph, choices, rel1)

    await h.saturate(svc, "GET /v1/me", me, share_at_least(0.50))
    for rate in cfg.me_rates:
        await h.open(client, "GET /v1/me", raws(me), rate)
    await profile_rows(h, svc, client, graph, choices)

    cap_label = f"at the cap ({_degrees(graph, choices.hubs)})"
    for sort, group in lists.items():
        op = f"connections sort={sort}, first page, {cap_label}"
        await h.saturate(svc, op, group, None)
        for rate in cfg.list_rates:
            target = p99_at_most(20) if rate == 50 else None
            await h.open(client, op, raws(group), rate, target=target)
    if tagged:
        op = f"connections ?tag=, first page, {cap_label}"
        await h.saturate(svc, op, tagged, None)
        for rate in cfg.list_rates:
            await h.open(client, op, raws(tagged), rate)
    else:
        h.notes.append("no member at the cap has tags: the ?tag= list was not measured")

    async with readmodel.counted(h, "the second degree and suggestions rows"):
        await network_reads(h, client, graph, choices)


async def relationship_reads(
    h: Harness,
    svc: Service,
    client: Client,
    graph: Graph,
    choices: Choices,
    rel1: list[tuple[str, str]],
) -> None:
    """The relationships look-up: 1 id (``rel1``: random viewers about random members), 100
    ids of typical viewers and of viewers at the cap, and two members at the cap about each
    other."""
    cfg, rng = h.cfg, h.rng
    members = choices.member_ids

    def raws(pairs: Sequence[tuple[str, str]]) -> list[bytes]:
        return [client.raw("GET", p, t) for p, t in pairs]

    await h.saturate(svc, "relationships, 1 id", rel1, share_at_least(0.35))
    for rate in cfg.rel1_rates:
        await h.open(
            client,
            "relationships, 1 id",
            raws(rel1),
            rate,
            target=p99_at_most(25) if rate == 250 else None,
        )

    for name, viewers, limit in (
        ("typical", typical_pool(choices, graph), 30),
        ("cap", choices.hubs, 60),
    ):
        page = []
        for v in viewers:
            dist = _distances(choices.distances, graph, v)
            ids = mixed_ids(graph, dist, v, members, rng)
            page.append((f"/v1/relationships?ids={','.join(map(str, ids))}", h.token(v)))
        for path, tok in page[:5]:  # warm, unmeasured
            await client.request("GET", path, tok)
        # The same look-ups without the preview of mutual connections, to price it.
        bare = [(f"{path}&mutual_preview=false", tok) for path, tok in page]
        label = f"relationships, 100 ids, {name} viewers ({_degrees(graph, viewers)})"
        for rate in cfg.rel100_rates:
            seconds = min(2 * cfg.phase, max(cfg.phase, 200 / rate))
            target = p99_at_most(limit) if rate == 10 else None
            await h.open(
                client, f"{label}, mutual_preview=false", raws(bare), rate, seconds=seconds
            )
            await h.open(client, label, raws(page), rate, seconds=seconds, target=target)
            if rate == 10:
                op = f"relationships, 100 ids, {name} viewers"
                h.add(await preview_cost(h, client, op, raws(page), raws(bare)))
        if name == "typical":
            # Saturated: the graph model's rate against the service without it (the run's end).
            row = await h.saturate(svc, label, page, None)
            h.rel100_wrk = (label, page, row)

    if choices.hub_pair:
        a, b, d = choices.hub_pair
        pair = [
            (f"/v1/relationships?ids={b}", h.token(a)),
            (f"/v1/relationships?ids={a}", h.token(b)),
        ]
        label = f"relationships, 1 id, two at the cap ({DEGREE_NAMES[d]} degree)"
        for rate in (10, 50):
            await h.open(
                client, label, raws(pair), rate, target=p99_at_most(50) if rate == 10 else None
            )


# --- the network around a member: second degree and suggestions --------------------------------


async def profile_rows(
    h: Harness, svc: Service, client: Client, graph: Graph, choices: Choices
) -> None:
    """A profile by random viewers (most are strangers, who are not shown the counts), and a
    member at the cap by their own connections, who are shown the three counts less those a
    block hides from them: the stored counters and a probe per block partner, never a recount
    (spec 2.11)."""
    cfg, rng = h.cfg, h.rng
    members = choices.member_ids
    profile = [
        (f"/v1/members/{int(members[rng.randrange(len(members))])}", h.token(v))
        for v in choices.random_viewers
    ]
    hub_profile = [
        (f"/v1/members/{hub}", h.token(v))
        for hub in choices.hubs
        for v in _sample(rng, [int(x) for x in graph.neighbours(hub)], 20)
    ]
    for path, tok in [*profile[:20], *hub_profile[:20]]:
        r = await client.request("GET", path, tok)
        if r.status != 200:
            h.failures.append(f"warm-up: GET {path} answered {r.status}: {r.body[:300]!r}")
    raw_profile = [client.raw("GET", p, t) for p, t in profile]
    raw_hub = [client.raw("GET", p, t) for p, t in hub_profile]
    await h.saturate(svc, "GET /v1/members/{id}", profile, share_at_least(0.50))
    for rate in cfg.me_rates:
        await h.open(client, "GET /v1/members/{id}", raw_profile, rate)
    op = "GET /v1/members/{id}, at the cap, by their connections (counts shown)"
    await h.saturate(svc, op, hub_profile, share_at_least(0.50))
    for rate in cfg.me_rates:
        await h.open(client, op, raw_hub, rate)


async def explain_profile(conn: asyncpg.Connection, graph: Graph, choices: Choices) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the profile statement for a member at the cap seen by
    one of their connections, first with no block, then after that viewer blocked 20 others of
    the member's connections (in a transaction rolled back: the network is left as it was)."""
    from connect_api.members.repository import _PROFILE_AS_SEEN_BY

    hub = choices.hubs[0]
    near = [int(x) for x in graph.neighbours(hub)[:21]]
    viewer, others = near[0], near[1:]
    out = [f"EXPLAIN (ANALYZE, BUFFERS) of the profile statement: member {hub} at the cap"]
    tx = conn.transaction()
    await tx.start()
    try:
        for label in ("no block", f"{len(others)} blocks"):
            if label != "no block":
                await conn.executemany(
                    "INSERT INTO blocks (blocker_id, blocked_id, created_at)"
                    " VALUES ($1, $2, now()) ON CONFLICT DO NOTHING",
                    [(viewer, o) for o in others],
                )
            await conn.fetch(_PROFILE_AS_SEEN_BY, viewer, hub)  # warm
            plan = await conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) " + _PROFILE_AS_SEEN_BY, viewer, hub
            )
            out.append(f"-- viewer {viewer}, {label}:")
            out += [f"   {r[0]}" for r in plan]
            row = (await conn.fetch(_PROFILE_AS_SEEN_BY, viewer, hub))[0]
            if "hidden_connections" not in row:
                continue  # a service from before the counts were corrected
            out.append(
                f"   connection_count {row['connection_count']} less {row['hidden_connections']}"
                f", follower_count {row['follower_count']} less {row['hidden_followers']}"
            )
    finally:
        await tx.rollback()
    return "\n".join(out)


async def refresh_networks(h: Harness) -> None:
    """`connect-api suggestions refresh` before serving: the snapshots of the members with many
    connections (what `serve`'s background refresh would do), timed as a row of its own."""
    load = h.phase("network snapshots of the members with many connections (refresh command)")
    cmd = [connect_api_bin(), "suggestions", "refresh"]
    env = clean_env(h.cfg.data_dir) | h.cfg.params.env
    t0 = time.perf_counter()
    done = await asyncio.to_thread(
        subprocess.run, cmd, env=env, check=False, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    said = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    print(f"      {said} ({seconds:.1f} s with start-up)", flush=True)
    if done.returncode != 0:
        h.failures.append(f"suggestions refresh failed ({done.returncode}): {said}")
    h.add(
        Row(
            "suggestions refresh (members ≥ 1,000 connections)",
            "once",
            None,
            seconds,
            None,
            load=load,
        )
    )
    h.notes.append(f"network refresh before serving: {said}")


def network_viewers(choices: Choices, graph: Graph) -> list[int]:
    """The members whose second degree and suggestions the harness reads and checks."""
    thousand = next((vs for label, vs in choices.classes.items() if label.startswith("~1,000")), [])
    return [*typical_pool(choices, graph), *thousand, *choices.hubs]


async def refresh_checked(h: Harness, graph: Graph, choices: Choices) -> None:
    """Compute the snapshots of the members whose first pages are checked against the floor,
    from the graph the floor has just read. A snapshot lives for an hour: one left by an earlier
    run predates that run's accepted connections, and its counts (rightly, within its lifetime)
    differ from the floor's by those connections. Not timed: the refresh row above is."""
    h.phase("network snapshots of the members the cross-check reads (refresh command, untimed)")
    cmd = [connect_api_bin(), "suggestions", "refresh"]
    for v in network_viewers(choices, graph):
        cmd += ["--member", str(v)]
    env = clean_env(h.cfg.data_dir) | h.cfg.params.env
    done = await asyncio.to_thread(
        subprocess.run, cmd, env=env, check=False, capture_output=True, text=True
    )
    said = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    print(f"      {said}", flush=True)
    if done.returncode != 0:
        h.failures.append(f"suggestions refresh --member failed ({done.returncode}): {said}")


def floor_second_degree(graph: Graph, v: int, k: int = 20) -> tuple[list[tuple[int, int]], int]:
    """The first ``k`` of ``v``'s second degree by (mutual connections desc, id) from the CSR,
    and how many are at degree 2: what the service's snapshot lists first."""
    mine = graph.neighbours(v)
    reached = graph._gather(mine)
    counts = np.bincount(reached, minlength=graph.size)
    counts[v] = 0
    counts[mine] = 0
    ids = np.flatnonzero(counts)
    order = np.lexsort((ids, -counts[ids]))[:k]
    return [(int(ids[i]), int(counts[ids[i]])) for i in order], int(ids.size)


async def network_reads(h: Harness, client: Client, graph: Graph, choices: Choices) -> None:
    """Second degree (first page) and suggestions (top 20), for typical members and members at
    the cap, open loop; the first pages checked against the floor, which is timed too."""
    typical = typical_pool(choices, graph)
    thousand = next((vs for label, vs in choices.classes.items() if label.startswith("~1,000")), [])
    hubs = choices.hubs
    # Warm-up, and the check: every snapshot read here was computed after the floor read the
    # graph (refresh_checked), so the first pages must be the floor's.
    h.phase("network: warm-up and cross-check of first pages against the floor")
    checked = 0
    for v in network_viewers(choices, graph):
        for path in ("/v1/network/second-degree?limit=20", "/v1/suggestions?limit=20"):
            r = await client.request("GET", path, h.token(v))
            if r.status != 200:
                h.failures.append(f"GET {path} as {v}: {r.status} {r.body[:200]!r}")
                continue
            if "second-degree" in path:
                body = r.json()
                got = [(i["member"]["id"], i["mutual_connections"]) for i in body["items"]]
                floor, reached = floor_second_degree(graph, v, 40)
                floor = [p for p in floor if (v, p[0]) not in choices.blocked][: len(got)]
                checked += 1
                if got != floor or body["reached"] != reached:
                    h.failures.append(
                        f"second degree of {v} differs from the floor: {got[:5]} vs {floor[:5]}, "
                        f"reached {body['reached']} vs {reached}"
                    )
    print(f"      cross-check: {checked} second-degree first pages against the floor", flush=True)

    # The typical members' rows are asked about again and again (the cold ones are in
    # readmodel.cold_second_degree); those at the cap are ranked anew on each request by the
    # graph read model.
    rows = (
        ("second degree, first page", "/v1/network/second-degree?limit=20", typical, 20, 25),
        ("second degree, first page", "/v1/network/second-degree?limit=20", hubs, 10, 150),
        ("suggestions, top 20", "/v1/suggestions?limit=20", [*typical, *thousand], 20, 50),
        ("suggestions, top 20", "/v1/suggestions?limit=20", hubs, 10, 150),
    )
    for name, path, viewers, rate, limit in rows:
        if not viewers:
            continue
        label = f"{name}, {_degrees(graph, viewers)}"
        raws = [client.raw("GET", path, h.token(v)) for v in viewers]
        row = await h.open(client, label, raws, rate, target=p99_at_most(limit))
        floor_times: list[float] = []
        for v in viewers:
            for _ in range(5):
                t0 = time.perf_counter()
                floor_second_degree(graph, v)
                floor_times.append(time.perf_counter() - t0)
        floor_p50 = statistics.median(floor_times)
        ratio = (row.p50 / floor_p50) if row.p50 and floor_p50 else float("nan")
        note = (
            f"{label}: p50 {ms(row.p50)} ms, floor (numpy CSR: count, rank, top 20) p50 "
            f"{floor_p50 * 1e3:.2f} ms, ours/floor {ratio:,.1f}"
        )
        print(f"      {note}", flush=True)
        h.notes.append(note)


async def preview_cost(
    h: Harness, client: Client, op: str, page: list[bytes], bare: list[bytes]
) -> Row:
    """The preview of mutual connections may cost at most a fifth of the look-up without it,
    p99 against p99. Measured with both sent at once, 5/s each (10/s in all) for 40 s: 200
    of each, meeting the same moments of the machine. Two phases one after the other (the
    rows above) put ~100 samples on each side of whatever the machine did meanwhile, and
    their p99 ratio went from 1.01 to 1.26 between two runs of the same code."""
    seconds = 10.0 if h.cfg.quick else 40.0
    load = h.phase(f"{op}: with and without the preview at once, 5/s each, {seconds:g} s")
    with_, without = await asyncio.gather(
        open_loop(client, page, 5, seconds, h.cfg.timeout),
        open_loop(client, bare, 5, seconds, h.cfg.timeout),
    )
    ratio = with_.percentile(99) / without.percentile(99) if without.percentile(99) else None
    median = with_.percentile(50) / without.percentile(50) if without.percentile(50) else None
    note = (
        f"{op}, with / without the mutual preview, sent together: p50 "
        f"{ms(with_.percentile(50))} / {ms(without.percentile(50))} ms"
        + (f" ({median:.2f})" if median else "")
        + f", p99 {ms(with_.percentile(99))} / {ms(without.percentile(99))} ms, "
        f"{len(with_.latencies)} + {len(without.latencies)} requests"
    )
    print(f"      {note}", flush=True)
    h.notes.append(note)
    failed = sum(with_.errors.values()) + sum(without.errors.values())
    return Row(
        f"{op}: with the mutual preview / without, p99",
        "5/s + 5/s",
        None,
        None,
        None,
        errors={"errors": failed} if failed else {},
        target="≤ 1.20" + (f" (is {ratio:.2f})" if ratio is not None else ""),
        met=None if ratio is None else ratio <= 1.2 and not failed,
        load=load,
    )


def floor_mutual_page(
    graph: Graph, place: np.ndarray, v: int, t: int, limit: int = 20
) -> tuple[int, list[int]]:
    """The floor's answer to a first page of mutual connections: how many members ``v`` and
    ``t`` have in common, and the ``limit`` first of them by ``place`` (each member's rank in
    name order)."""
    both = np.intersect1d(graph.neighbours(v), graph.neighbours(t), assume_unique=True)
    k = min(limit, both.size)
    first = both[np.argpartition(place[both], k - 1)[:k]] if k else both
    first = first[np.argsort(place[first])]
    return int(both.size), [int(m) for m in first]


async def mutual_reads(
    h: Harness,
    svc: Service,
    client: Client,
    graph: Graph,
    choices: Choices,
    conn: asyncpg.Connection,
) -> None:
    """`GET /v1/members/{id}/mutual-connections`, first page: a typical member asking about
    members at the 1st and 2nd degree, and members at the cap asking about each other; every
    answer checked once against the CSR (total and the page, in name order), and the CSR's
    own time for the same answer as the floor."""
    rng = h.rng
    typical: list[tuple[int, int]] = []
    for v in typical_pool(choices, graph):
        dist = _distances(choices.distances, graph, v)
        visible = lambda t, v=v: (v, t) not in choices.blocked  # noqa: E731
        for d, k in ((2, 4), (1, 2)):
            typical += [(v, t) for t in _sample_array(rng, np.flatnonzero(dist == d), k, visible)]
    hubs = choices.hubs[:4]
    cap = [(a, b) for a in hubs for b in hubs if a != b and (a, b) not in choices.blocked]
    if choices.hub_pair and choices.hub_pair[:2] not in cap:
        cap.append(choices.hub_pair[:2])
    # Every member's place in name order (PostgreSQL's lower(display_name), then id), once:
    # the floor's first page is then the 20 smallest places among the intersection.
    by_name = await conn.fetch("SELECT id FROM members ORDER BY lower(display_name), id")
    place = np.full(graph.size, np.iinfo(np.int64).max, dtype=np.int64)
    place[np.array([r[0] for r in by_name], dtype=np.int64)] = np.arange(len(by_name))

    def floor_page(v: int, t: int) -> tuple[int, list[int]]:
        return floor_mutual_page(graph, place, v, t)

    h.phase("mutual connections: every first page against the CSR, and the floor's time")
    # Targets: a typical first page p99 ≤ 10 ms at 50/s; two members at the cap ≤ 50 ms at 10/s.
    for label, pairs, limit, judged_at in (
        (f"typical ({_degrees(graph, sorted({v for v, _ in typical}))})", typical, 10, 50),
        (f"two at the cap ({_degrees(graph, hubs)})", cap, 50, 10),
    ):
        floor_times: list[float] = []
        for v, t in pairs:
            t0 = time.perf_counter()
            expected = floor_page(v, t)
            floor_times.append(time.perf_counter() - t0)
            r = await client.request("GET", f"/v1/members/{t}/mutual-connections", h.token(v))
            if r.status != 200:
                h.failures.append(f"mutual connections {v} -> {t}: {r.status}")
                continue
            body = r.json()
            got = (body["total"], [m["id"] for m in body["items"]])
            if got != expected:
                h.failures.append(
                    f"mutual connections differ, {v} -> {t}: service total {got[0]}, floor "
                    f"{expected[0]}; first pages {'agree' if got[1] == expected[1] else 'differ'}"
                )
        floor_times.sort()
        h.add(
            Row(
                f"mutual connections, first page, {label}: the floor (numpy CSR, sorted by name)",
                "sequential",
                None,
                statistics.median(floor_times) if floor_times else None,
                floor_times[max(0, int(len(floor_times) * 0.99) - 1)] if floor_times else None,
            )
        )
        requests = [(f"/v1/members/{t}/mutual-connections", h.token(v)) for v, t in pairs]
        op = f"mutual connections, first page, {label}"
        if not requests:
            h.notes.append(f"no pairs for {op}: not measured")
            continue
        ours = await h.saturate(svc, op, requests, None)
        if pairs is typical:
            await replayed(h, op, requests, ours)
        for rate in (10, 50):
            target = p99_at_most(limit) if rate == judged_at else None
            raws = [client.raw("GET", p, tok) for p, tok in requests]
            await h.open(client, op, raws, rate, target=target)


async def replayed(h: Harness, op: str, requests: list[tuple[str, str]], ours: Row) -> None:
    """The statements the same requests make, captured through the service in this process
    and replayed straight to PostgreSQL at wrk's concurrency (bench/scale/replay.py): the
    service's saturated rate as a share of that."""
    load = h.phase(f"{op}: its statements replayed, {h.cfg.connections} connections")
    captured = await replay.capture(h.cfg.data_dir, requests)
    if not captured:
        h.notes.append(f"{op}: no statement captured; the replay was not measured")
        return
    result = await replay.replay(h.url, captured, h.cfg.connections, h.cfg.phase)
    share = (ours.achieved or 0) / result.rate if result.rate else None
    per = result.statements / result.requests if result.requests else 0
    print(
        f"      replay: {result.rate:,.0f} requests/s ({per:.1f} statements each); the service "
        f"{share:.0%} of it",
        flush=True,
    )
    h.add(
        Row(
            f"{op}: its statements straight to PostgreSQL (replay)",
            f"{h.cfg.connections} conn",
            result.rate,
            None,
            None,
            {},
            result.requests,
            load=load,
            target=f"service ≥ 40% of it (is {share:.0%})" if share is not None else "",
            met=share is not None and share >= 0.40,
        )
    )


def _degrees(graph: Graph, members: Sequence[int]) -> str:
    values = sorted({int(graph.degrees[m]) for m in members})
    if len(values) > 3:
        return f"{values[0]:,}-{values[-1]:,} connections"
    return "/".join(f"{v:,}" for v in values) + " connections"


def typical_pool(choices: Choices, graph: Graph) -> list[int]:
    """Up to 20 members of the median degree (the typical class widened, for variety)."""
    deg = graph.degrees
    ids = choices.member_ids[deg[choices.member_ids] > 0]
    median = int(np.median(deg[choices.member_ids]))
    order = np.argsort(np.abs(deg[ids] - median), kind="stable")
    return [int(x) for x in ids[order[:20]]]


# --- degree and mutual count: ours, the floor, the usual approach ------------------------------


async def ours_per_pair(
    h: Harness,
    client: Client,
    choices: Choices,
    cells: dict[tuple[str, int | None], Cell],
    answers: dict[tuple[int, int], tuple[int | None, int]],
) -> None:
    pairs = list(choices.pairs)
    if choices.hub_pair:
        a, b, d = choices.hub_pair
        pairs.append(Pair("two at the cap", a, b, d))
    h.loads["ours"] = h.phase(
        f"degree and mutual count, ours: {len(pairs)} pairs x {h.cfg.ours_reps}, one at a time"
    )
    raws = {
        (p.viewer, p.target): client.raw(
            "GET", f"/v1/relationships?ids={p.target}", h.token(p.viewer)
        )
        for p in pairs
    }
    for rep in range(h.cfg.ours_reps):
        for p in pairs:
            t0 = time.perf_counter()
            r = await client.send(raws[p.viewer, p.target])
            elapsed = time.perf_counter() - t0
            if r.status != 200:
                h.failures.append(f"relationships {p.viewer} -> {p.target}: {r.status}")
                continue
            cell = cells[p.viewer_class, p.degree]
            cell.ours.append(elapsed)
            if rep == 0:
                cell.pairs += 1
                item = r.json()["items"][0]
                answers[p.viewer, p.target] = (item["degree"], item["mutual_connections"])


async def cross_check_many(h: Harness, client: Client, graph: Graph, choices: Choices) -> None:
    """The 100-id look-ups of two viewers per class, every item against the floor."""
    checked = 0
    for viewers in choices.classes.values():
        for v in viewers[:2]:
            dist = choices.distances[v]
            ids = mixed_ids(graph, dist, v, choices.member_ids, h.rng)
            r = await client.request(
                "GET", f"/v1/relationships?ids={','.join(map(str, ids))}", h.token(v)
            )
            if r.status != 200:
                h.failures.append(f"relationships as {v}, 100 ids: {r.status}")
                continue
            for item in r.json()["items"]:
                t = item["member_id"]
                if (v, t) in choices.blocked:
                    continue
                expected = graph.answer(v, t)
                got = (item["degree"], item["mutual_connections"])
                checked += 1
                if got != expected:
                    h.failures.append(
                        f"answer differs, viewer {v} target {t}: service {got}, floor {expected}"
                    )
    print(
        f"      cross-check: {checked} answers of 100-id look-ups agree with the floor"
        if not h.failures
        else f"      cross-check: {checked} answers compared"
    )


def floor_per_pair(
    h: Harness, graph: Graph, choices: Choices, cells: dict[tuple[str, int | None], Cell]
) -> None:
    h.phase("degree and mutual count, the floor (numpy CSR in this process)")
    pairs = list(choices.pairs)
    if choices.hub_pair:
        a, b, d = choices.hub_pair
        pairs.append(Pair("two at the cap", a, b, d))
    for p in pairs:
        for _ in range(20):
            t0 = time.perf_counter()
            graph.answer(p.viewer, p.target)
            cells[p.viewer_class, p.degree].floor.append(time.perf_counter() - t0)


async def usual_per_pair(
    h: Harness,
    url: str,
    choices: Choices,
    cells: dict[tuple[str, int | None], Cell],
    answers: dict[tuple[int, int], tuple[int | None, int]],
    graph: Graph,
) -> None:
    cfg = h.cfg
    h.phase(
        f"degree and mutual count, the usual approach (recursive CTE + join count, "
        f"statement_timeout {cfg.usual_timeout:g} s, budget {cfg.usual_budget:g} s)"
    )
    usual = await UsualApproach.open(url, cfg.usual_timeout)
    # Round-robin over the cells, so that the budget leaves none without a sample: the first
    # pair of every cell, then the second of every cell, and so on.
    by_cell: dict[tuple[str, int | None], list[Pair]] = defaultdict(list)
    if choices.hub_pair:
        a, b, d = choices.hub_pair
        by_cell["two at the cap", d].append(Pair("two at the cap", a, b, d))
    for p in choices.pairs:
        by_cell[p.viewer_class, p.degree].append(p)
    rounds = max(len(group) for group in by_cell.values())
    pairs = [g[i] for i in range(rounds) for g in by_cell.values() if i < len(g)]
    timed_out: set[int] = set()  # the walk does not depend on the target: skip the viewer
    spent = 0.0
    mismatches = 0
    try:
        for p in pairs:
            cell = cells[p.viewer_class, p.degree]
            floor = graph.answer(p.viewer, p.target)
            service = answers.get((p.viewer, p.target))
            if service is not None and service != floor:
                mismatches += 1
                h.failures.append(
                    f"answer differs, viewer {p.viewer} target {p.target}: "
                    f"service {service}, floor {floor}"
                )
            if p.viewer in timed_out:
                cell.usual_timeouts += 1
                continue
            if spent > cfg.usual_budget:
                cell.usual_skipped += 1
                continue
            u = await usual.answer(p.viewer, p.target)
            spent += u.seconds
            if u.timed_out:
                timed_out.add(p.viewer)
                cell.usual_timeouts += 1
                continue
            cell.usual.append(u.seconds)
            if (u.degree, u.mutual) != floor:
                mismatches += 1
                h.failures.append(
                    f"answer differs, viewer {p.viewer} target {p.target}: "
                    f"usual approach {(u.degree, u.mutual)}, floor {floor}"
                )
    finally:
        await usual.close()
    print(
        f"      cross-check: {len(pairs)} pairs, service and usual approach (where it finished)"
        f" against the floor: {mismatches} differences; usual approach spent {spent:.1f} s",
        flush=True,
    )


def comparison_table(h: Harness, cells: dict[tuple[str, int | None], Cell]) -> str:
    timeout = h.cfg.usual_timeout
    body = []
    worst_floor: tuple[float, str] | None = None
    worst_usual: tuple[float, str] | None = None
    for (cls, degree), c in cells.items():
        if not c.ours:
            continue
        ours = statistics.median(c.ours)
        floor = statistics.median(c.floor) if c.floor else float("nan")
        usual_samples = c.usual + [timeout] * c.usual_timeouts
        usual = statistics.median(usual_samples) if usual_samples else None
        at_least = bool(c.usual_timeouts) and usual is not None and usual >= timeout
        of_floor = ours / floor if floor else float("nan")
        name = f"{cls}, {DEGREE_NAMES[degree]}"
        if worst_floor is None or of_floor > worst_floor[0]:
            worst_floor = (of_floor, name)
        usual_text, ratio_text = "-", "-"
        if usual is not None:
            ratio = usual / ours
            usual_text = ms(usual, timeout) + (" (timeout)" if at_least else "")
            ratio_text = ("≥" if at_least else "") + f"{ratio:,.1f}"
            if degree == 3 and (worst_usual is None or ratio < worst_usual[0]):
                worst_usual = (ratio, name)
        elif c.usual_skipped:
            usual_text = "skipped (budget)"
        body.append(
            (
                cls,
                DEGREE_NAMES[degree],
                str(c.pairs),
                ms(ours),
                f"{floor * 1e3:.3f}",
                usual_text,
                f"{of_floor:,.0f}",
                ratio_text,
            )
        )
    header = (
        "viewer (connections)",
        "degree",
        "pairs",
        "ours p50 ms",
        "floor p50 ms",
        "usual p50 ms",
        "ours/floor",
        "usual/ours",
    )
    if worst_floor:
        h.add(
            Row(
                f"degree+mutual, ours/floor, worst: {worst_floor[1]}",
                "sequential",
                None,
                None,
                None,
                target=f"≤ 20 (is {worst_floor[0]:,.0f})",
                met=worst_floor[0] <= 20,
                load=h.loads.get("ours", 0.0),
            )
        )
    if worst_usual:
        h.add(
            Row(
                f"degree+mutual, usual/ours, 3rd degree, worst: {worst_usual[1]}",
                "sequential",
                None,
                None,
                None,
                target=f"≥ 100 (is {worst_usual[0]:,.1f})",
                met=worst_usual[0] >= 100,
                load=h.loads.get("ours", 0.0),
            )
        )
    return render_table(header, body, right={2, 3, 4, 5, 6, 7})


# --- writes -----------------------------------------------------------------------------------


async def fresh_pairs(
    conn: asyncpg.Connection,
    graph: Graph,
    choices: Choices,
    count: int,
    per_inviter: int,
    rng: random.Random,
    exclude: set[int],
    cap: int,
) -> list[tuple[int, int]]:
    """Pairs never invited either way, not connected, no block, the invitee below the cap,
    inviters and invitees disjoint; an inviter gets at most ``per_inviter`` and never more
    than its hourly and weekly allowance leaves (with a margin)."""
    rules = PolicySettings()  # the service reads the same CONNECT_API_* variables
    per_hour, per_week = rules.invitations_per_hour - 2, rules.invitations_per_week - 5

    def allowance_of(member: int) -> int:
        hour, week = sent.get(member, (0, 0))
        return int(max(0, min(per_inviter, per_hour - hour, per_week - week)))

    sent = {
        int(r[0]): (int(r[1]), int(r[2]))
        for r in await conn.fetch(
            """SELECT inviter_id,
                      count(*) FILTER (WHERE created_at > now() - interval '1 hour'),
                      count(*) FILTER (WHERE created_at > now() - interval '7 days')
               FROM invitations GROUP BY inviter_id"""
        )
    }
    restricted = {
        int(r[0]) for r in await conn.fetch("SELECT id FROM members WHERE restricted_until > now()")
    }
    invited = {
        (int(a), int(b))
        for a, b in await conn.fetch(
            "SELECT DISTINCT least(inviter_id, invitee_id), greatest(inviter_id, invitee_id) "
            "FROM invitations"
        )
    }
    special = set(choices.hubs) | {v for vs in choices.classes.values() for v in vs} | exclude
    pool = [
        int(m) for m in choices.member_ids if int(m) not in special and int(m) not in restricted
    ]
    rng.shuffle(pool)
    # Inviters first, each with its allowance; the rest of the pool are the invitees.
    inviters: list[int] = []
    allowance = 0
    while allowance < count and len(inviters) < len(pool) // 2:
        m = pool[len(inviters)]
        inviters.append(m)
        allowance += allowance_of(m)
    invitees = iter(m for m in pool[len(inviters) :] if graph.degrees[m] < cap - 50)
    out: list[tuple[int, int]] = []
    for a in inviters:
        for _ in range(allowance_of(a)):
            for b in invitees:
                key = (min(a, b), max(a, b))
                if key in invited or (a, b) in choices.blocked:
                    continue
                nb = graph.neighbours(a)
                i = int(np.searchsorted(nb, b))
                if i < nb.size and nb[i] == b:
                    continue
                out.append((a, b))
                break
            if len(out) >= count:
                return out
    return out


async def writes(
    h: Harness, client: Client, conn: asyncpg.Connection, graph: Graph, choices: Choices
) -> None:
    cfg = h.cfg
    seconds = cfg.phase * 2
    wanted = int(600 * seconds)
    pairs = await fresh_pairs(conn, graph, choices, wanted, 5, h.write_rng, set(), cfg.params.cap)
    used = {m for pair in pairs for m in pair}
    spare = await fresh_pairs(
        conn, graph, choices, int(40 * cfg.phase) + 10, 1, h.write_rng, used, cfg.params.cap
    )
    half = len(spare) // 2
    to_decline, to_withdraw = spare[:half], spare[half:]
    if len(pairs) < wanted:
        h.notes.append(f"only {len(pairs):,} fresh pairs for send + accept (wanted {wanted:,})")

    sends: list[float] = []
    accepts: list[float] = []
    statuses: Counter[str] = Counter()
    t_out = cfg.timeout

    def flow(a: int, b: int) -> Callable[[], object]:
        send_raw = client.raw("POST", "/v1/invitations", h.token(a), {"invitee_id": b})

        async def job() -> bool:
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(t_out):
                    r = await client.send(send_raw)
            except TimeoutError:
                statuses["send timeout"] += 1
                return False
            sends.append(time.perf_counter() - t0)
            if r.status != 201:
                statuses[f"send {r.status} {_code(r.body)}"] += 1
                return False
            invitation = r.json()["id"]
            t1 = time.perf_counter()
            try:
                async with asyncio.timeout(t_out):
                    r = await client.request(
                        "POST", f"/v1/invitations/{invitation}/accept", h.token(b)
                    )
            except TimeoutError:
                statuses["accept timeout"] += 1
                return False
            accepts.append(time.perf_counter() - t1)
            if r.status != 200:
                statuses[f"accept {r.status} {_code(r.body)}"] += 1
                return False
            return True

        return job

    jobs = [flow(a, b) for a, b in pairs]
    for a, b in pairs:  # mint outside the measured phase
        h.token(a), h.token(b)
    load = h.phase(
        f"send + accept: {cfg.clients} clients, closed loop, {seconds:g} s, "
        f"{len(pairs):,} fresh pairs ready"
    )
    result = await closed_loop(cfg.clients, jobs, deadline=seconds)  # type: ignore[arg-type]
    result.statuses = Counter({k: v for k, v in result.statuses.items() if k != "2xx"})
    result.statuses.update(statuses)
    flows = len(result.latencies)
    print(
        f"      {result.ok:,} accepted in {result.duration:.1f} s = {result.achieved:,.1f}/s; "
        f"{flows:,} flows, refusals {dict(statuses) or 0}",
        flush=True,
    )
    h.add(
        Row(
            "send + accept, fresh pairs (accepted connections/s)",
            f"{cfg.clients} clients",
            result.achieved,
            percentile(result.latencies, 50),
            percentile(result.latencies, 99),
            dict(result.statuses),
            flows,
            load=load,
            p90=percentile(result.latencies, 90),
            max=max(result.latencies, default=None),
        ),
        Target("≥ 400/s, no rule broken", lambda r: (r.achieved or 0) >= 400),
    )
    if h.pgbench:
        h.rows[-1].share = (result.achieved or 0) / h.pgbench
        print(f"      {h.rows[-1].share:.1%} of pgbench -N's {h.pgbench:,.0f}/s", flush=True)
    for name, samples in (
        ("  of which POST /v1/invitations", sends),
        ("  of which accept", accepts),
    ):
        h.add(
            Row(
                name,
                f"{cfg.clients} clients",
                None,
                percentile(samples, 50),
                percentile(samples, 99),
                {},
                len(samples),
                load=load,
                p90=percentile(samples, 90),
                max=max(samples, default=None),
            )
        )

    # Decline and withdraw: invitations made for them first (unmeasured), then each answered
    # once, open loop.
    prepared: dict[str, list[tuple[int, int, int]]] = {"decline": [], "withdraw": []}
    for kind, group in (("decline", to_decline), ("withdraw", to_withdraw)):
        for a, b in group:
            r = await client.request("POST", "/v1/invitations", h.token(a), {"invitee_id": b})
            if r.status == 201:
                prepared[kind].append((a, b, int(r.json()["id"])))
            else:
                h.notes.append(f"preparing {kind}: send {a} -> {b} answered {r.status}")
    rate = 20.0
    for kind, items in prepared.items():
        if not items:
            continue
        if kind == "decline":
            raws = [
                client.raw("POST", f"/v1/invitations/{i}/decline", h.token(b), {"reason": "ignore"})
                for _, b, i in items
            ]
        else:
            raws = [
                client.raw("POST", f"/v1/invitations/{i}/withdraw", h.token(a)) for a, _, i in items
            ]
        await h.open(client, f"{kind} an invitation", raws, rate, seconds=len(raws) / rate)


def _code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


# --- README -----------------------------------------------------------------------------------


def readme_section(
    cfg: Config,
    stamp: str,
    machine: str,
    main_table: str,
    comparison: str,
    notes: list[str],
    elapsed: float,
    drawn: bool,
    png: Path,
) -> str:
    lines = [
        "## Last run of `make bench-scale`",
        "",
        f"{stamp}, whole run {elapsed / 60:.1f} min. Written by the harness; replaced on each run.",
        "",
        "```text",
        machine,
        "",
        main_table,
        "",
        comparison,
        *[f"note: {n}" for n in notes],
        "```",
    ]
    if drawn:
        lines += ["", f"![latency against offered rate]({png.name})"]
    return "\n".join(lines) + "\n"
