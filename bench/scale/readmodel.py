"""The graph read model's rows (bench/README.md, "The graph read model"): what the in-memory
graph of :mod:`connect_api.graph` costs to load and to hold, its answer per pair against the
floor's in this process, the second degree of members nobody asked about before, how far each
``serve`` process's model trails a burst of 1,000 new connections, and how many graph answers
came from the model and how many from SQL.

Each ``serve --workers N`` process holds a model of its own and answers ``/readyz`` and
``/metrics`` for itself. :class:`Workers` keeps a keep-alive connection to each of them: it
opens connections until every worker holds one, telling them apart by the owner of the
connection's server side (``/proc/net/tcp`` gives the socket's inode, ``/proc/<pid>/fd`` the
worker whose descriptor it is).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import numpy as np

from bench.scale.client import IDLE_MAX, Client, Response, _Conn, closed_loop
from bench.scale.report import Row, ms
from bench.scale.report import render as render_table
from bench.scale.server import Service, serving
from connect_api.graph import repository as graph_repository
from connect_api.graph.model import Graph as ModelGraph
from connect_api.kit.replicas import format_lsn, parse_lsn

if TYPE_CHECKING:
    from bench.scale.harness import Choices, Harness, Target
    from bench.scale.network import Graph

SECOND_DEGREE = "/v1/network/second-degree?limit=20"
# Members picked for the cold rows by earlier runs on this data directory (never picked again
# until the pool runs out).
COLD_USED = "cold-members-used.json"
BURST = 1_000


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


# --- which worker answered ----------------------------------------------------------------------


def family(root: int) -> list[int]:
    """``root`` and every process below it (``serve`` and its workers)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children[ppid].append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def socket_inode(tcp_table: str, server_port: int, client_port: int) -> str | None:
    """The inode of the server side of the connection between the two ports, from the text of
    ``/proc/net/tcp`` (or ``tcp6``): local port ``server_port``, remote port ``client_port``."""
    local, remote = f":{server_port:04X}", f":{client_port:04X}"
    for line in tcp_table.splitlines()[1:]:
        f = line.split()
        if len(f) > 9 and f[1].endswith(local) and f[2].endswith(remote):
            return f[9]
    return None


def server_pid(server_port: int, client_port: int, pids: Sequence[int]) -> int | None:
    """Which of ``pids`` holds the server side of the connection from ``client_port``."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            inode = socket_inode(Path(table).read_text(), server_port, client_port)
        except OSError:
            continue
        if inode is not None:
            break
    if inode is None or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
    return None


class Workers:
    """One keep-alive connection to each ``serve`` worker, keyed by the worker's pid (by a
    negative number when ``/proc`` did not say: then the workers are not told apart)."""

    def __init__(self, svc: Service, count: int) -> None:
        self.port = svc.port
        self.root = svc.proc.pid
        self.count = count
        self.conns: dict[int, _Conn] = {}
        self.locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.told_apart = True
        self._unknown = 0

    def raw(self, path: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode()

    async def pin(self, tries: int = 400) -> None:
        """Open connections until every worker holds one (or ``tries`` run out)."""
        now = time.monotonic()
        for pid, conn in list(self.conns.items()):
            if now - conn.idle_since > IDLE_MAX:  # the server may be closing it: start again
                conn.close()
                del self.conns[pid]
        pids: list[int] | None = None
        for _ in range(tries):
            if len(self.conns) >= self.count:
                return
            if pids is None:
                pids = family(self.root)
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            conn = _Conn(reader, writer)
            try:
                _, reusable = await conn.exchange(self.raw("/healthz"))
            except (OSError, asyncio.IncompleteReadError):
                conn.close()
                continue
            if not reusable:
                conn.close()
                continue
            found = server_pid(self.port, writer.get_extra_info("sockname")[1], pids)
            if found is None:
                self.told_apart = False
                self._unknown -= 1
            pid = self._unknown if found is None else found
            if pid in self.conns:
                conn.close()
                await asyncio.sleep(0.002)
                continue
            conn.idle_since = time.monotonic()
            self.conns[pid] = conn

    async def get(self, pid: int, path: str) -> Response | None:
        """``GET path`` from worker ``pid``; ``None`` when its connection is gone."""
        async with self.locks[pid]:
            conn = self.conns.get(pid)
            if conn is None:
                return None
            response: Response | None = None
            reusable = False
            try:
                response, reusable = await conn.exchange(self.raw(path))
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:  # a failure, a cancellation: the connection is in an unknown state
                if reusable:
                    conn.idle_since = time.monotonic()
                else:
                    conn.close()
                    self.conns.pop(pid, None)
            return response

    async def each(self, path: str) -> dict[int, Response]:
        """``GET path`` from every worker there is a connection to (pinned first)."""
        await self.pin()
        out: dict[int, Response] = {}
        for pid in list(self.conns):
            r = await self.get(pid, path)
            if r is None:  # closed meanwhile: once more, on a new connection
                await self.pin()
                r = await self.get(pid, path)
            if r is not None:
                out[pid] = r
        return out

    def seen(self, n: int) -> str:
        text = f"{n} of {self.count} workers"
        return text if self.told_apart else text + " (not told apart: /proc did not say)"

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()
        self.conns.clear()


def graph_of(r: Response) -> dict[str, Any] | None:
    """The ``graph`` object of a ``/readyz`` answer (``None``: the model is off)."""
    try:
        body = r.json()
    except ValueError:
        return None
    found = body.get("graph") if isinstance(body, dict) else None
    return found if isinstance(found, dict) else None


# --- graph answers, from memory or from SQL -------------------------------------------------------


def graph_answers(metrics: str) -> dict[str, float]:
    """``connect_api_graph_answers_total`` by source, from one process's ``/metrics``."""
    found = {"memory": 0.0, "sql": 0.0}
    for line in metrics.splitlines():
        if not line.startswith("connect_api_graph_answers_total{"):
            continue
        labels, _, value = line.rpartition(" ")
        for source in found:
            if f'source="{source}"' in labels:
                found[source] = float(value)
    return found


async def answers(workers: Workers) -> dict[int, dict[str, float]]:
    got = await workers.each("/metrics")
    return {pid: graph_answers(r.body.decode()) for pid, r in got.items() if r.status == 200}


def answered(
    before: dict[int, dict[str, float]], after: dict[int, dict[str, float]]
) -> tuple[float, float, int]:
    """(from memory, from SQL, workers counted) between two scrapes."""
    memory = sql = 0.0
    counted = 0
    for pid, a in after.items():
        b = before.get(pid)
        if b is None:
            continue
        counted += 1
        memory += a["memory"] - b["memory"]
        sql += a["sql"] - b["sql"]
    return memory, sql, counted


@contextlib.asynccontextmanager
async def counted(h: Harness, label: str) -> AsyncIterator[None]:
    """Scrape every worker's ``/metrics`` before and after: how many graph answers ``label``
    got from the model and how many from SQL (printed, and a note)."""
    workers = h.workers
    if workers is None:
        yield
        return
    before = await answers(workers)
    yield
    after = await answers(workers)
    memory, sql, n = answered(before, after)
    text = f"{memory:,.0f} from memory, {sql:,.0f} from SQL ({workers.seen(n)})"
    print(f"      graph answers, {label}: {text}", flush=True)
    h.notes.append(f"graph answers, {label}: {text}")
    if sql and not memory:
        h.notes.append(f"every graph answer of {label} came from SQL: the model answered none")


async def wait_loaded(h: Harness, seconds: float) -> None:
    """Until every worker's model says ``ok`` (it loads beside the first requests, which SQL
    answers meanwhile); each worker's own load time and size, from its ``/readyz``."""
    workers = h.workers
    assert workers is not None
    h.phase("graph read model: every worker's model loaded (/readyz)")
    began = time.monotonic()
    deadline = began + seconds
    graphs: dict[int, dict[str, Any] | None] = {}
    while True:
        got = await workers.each("/readyz")
        graphs = {pid: graph_of(r) for pid, r in got.items()}
        if graphs and all(g is None for g in graphs.values()):
            h.notes.append("/readyz has no graph object: the graph read model is off")
            print("      no graph object in /readyz: the graph read model is off", flush=True)
            return
        ready = [g for g in graphs.values() if g is not None and g.get("state") == "ok"]
        # Every worker; or, when some could not be reached for 30 s, every one reached.
        reached_all = len(graphs) >= workers.count or time.monotonic() - began > 30
        if ready and len(ready) == len(graphs) and reached_all:
            break
        if time.monotonic() > deadline:
            h.notes.append(
                f"the graph read model was not loaded in every worker after {seconds:g} s: "
                f"{ {p: (g or {}).get('state') for p, g in graphs.items()} }"
            )
            break
        await asyncio.sleep(0.2)
    for pid, g in sorted(graphs.items()):
        if g is None:
            continue
        text = (
            f"{g.get('state')}, {int(g.get('connections') or 0):,} connections, "
            f"{mb(float(g.get('bytes') or 0))}, loaded in {g.get('load_seconds')} s "
            f"(loads: {g.get('loads')})"
        )
        print(f"      worker {pid}: {text}", flush=True)
        h.facts.append((f"service worker {pid}: its model at start (/readyz)", text))
    print(f"      {workers.seen(len(graphs))}", flush=True)


# --- the model in this process: load, memory, per-pair compute ------------------------------------


def _status_kb(name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (``VmHWM``), so the next reading is the load's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def load_here(h: Harness, url: str) -> ModelGraph:
    """``connect_api.graph.repository.load`` on a connection of this process: its time, the
    model's ``Graph.nbytes`` and what the load added to this process's RSS (after, and at its
    peak)."""
    load = h.phase("graph read model: connect_api.graph.repository.load in this process")
    gc.collect()
    before = _status_kb("VmRSS")
    peak_reset = _reset_peak()
    conn = await asyncpg.connect(url)
    try:
        loaded = await graph_repository.load(conn)
    finally:
        await conn.close()
    gc.collect()
    after = _status_kb("VmRSS")
    peak = _status_kb("VmHWM") if peak_reset else None
    model = loaded.graph
    edges = model.connections.edges // 2
    parts = (
        f"connections {mb(model.connections.nbytes)}, blocks "
        f"{mb(model.blocks_placed.nbytes + model.blocks_received.nbytes)}, groups "
        f"{mb(model.groups_of.nbytes + model.members_of.nbytes)}"
    )
    rss = "-" if before is None or after is None else f"+{mb((after - before) * 1024)}"
    at_peak = "-" if before is None or peak is None else f"+{mb((peak - before) * 1024)}"
    print(
        f"      {edges:,} connections in {loaded.seconds:.2f} s; Graph.nbytes "
        f"{mb(model.nbytes)} ({parts}); RSS {rss} after the load, {at_peak} at its peak",
        flush=True,
    )
    h.add(
        Row(
            f"graph model: load in this process ({edges:,} connections; binary COPY + arrays)",
            "once",
            None,
            loaded.seconds,
            None,
            load=load,
        )
    )
    h.facts += [
        ("load in this process (repository.load: binary COPY + arrays)", f"{loaded.seconds:.2f} s"),
        ("connections in the model (each once)", f"{edges:,}"),
        ("Graph.nbytes", f"{mb(model.nbytes)} ({parts})"),
        ("this process's RSS: after the load / at its peak", f"{rss} / {at_peak}"),
    ]
    return model


def model_answer(model: ModelGraph, v: int, t: int) -> tuple[int | None, int]:
    """Degree (1, 2, 3 or None) and mutual count from the model, as the floor's ``answer``:
    connected, the mutual count, and the within-two mask only when neither says."""
    mutual = model.mutual_count(v, t)
    if model.connected(v, t):
        return 1, mutual
    if mutual:
        return 2, mutual
    if model.third_degree(v, t, model.within_two(v)):
        return 3, 0
    return None, 0


def _service_compute() -> Callable[[ModelGraph, int, int], tuple[int | None, int]] | None:
    """The relationships look-up's own per-id compute on the model (``model_pairs``), when the
    service has it; as (degree, mutual count)."""
    try:
        from connect_api.relationships.service import model_pairs
    except ImportError:
        return None

    def compute(model: ModelGraph, v: int, t: int) -> tuple[int | None, int]:
        pair = model_pairs(model, v, [t])[t]
        if pair.connected:
            return 1, int(pair.mutual_connections)
        if pair.mutual_connections:
            return 2, int(pair.mutual_connections)
        return (3 if pair.third_degree else None), 0

    return compute


def compute_per_pair(h: Harness, floor: Graph, model: ModelGraph, choices: Choices) -> str:
    """Degree and mutual count for every pair of the comparison, in this process: the model's
    (``connected``, ``mutual_count``, the within-two mask for the 3rd degree) and the service's
    own ``model_pairs`` against the floor's ``answer``, interleaved, 20 times per pair. Each
    answer is checked against the floor's. Returns the table; adds the worst class's row."""
    from bench.scale.harness import DEGREE_NAMES, Pair

    load = h.phase("degree and mutual count in this process: graph model against the floor")
    service = _service_compute()
    pairs = list(choices.pairs)
    if choices.hub_pair:
        a, b, d = choices.hub_pair
        pairs.append(Pair("two at the cap", a, b, d))
    reps = 20
    # (class, degree) -> per pair: (floor p50, model p50, service p50 or nan)
    cells: dict[tuple[str, int | None], list[tuple[float, float, float]]] = defaultdict(list)
    wrong = 0
    for p in pairs:
        expected = floor.answer(p.viewer, p.target)
        answers_ = {"model": model_answer(model, p.viewer, p.target)}
        if service is not None:
            try:
                answers_["service"] = service(model, p.viewer, p.target)
            except Exception as exc:  # the look-up's code changed under the harness
                h.notes.append(f"model_pairs not timed: {type(exc).__name__}: {exc}")
                service = None
        for who, got in answers_.items():
            if got != expected:
                wrong += 1
                h.failures.append(
                    f"answer differs, viewer {p.viewer} target {p.target}: {who} (in "
                    f"process) {got}, floor {expected}"
                )
        f, m, s = [], [], []
        clock = time.perf_counter
        for _ in range(reps):
            t0 = clock()
            floor.answer(p.viewer, p.target)
            t1 = clock()
            model_answer(model, p.viewer, p.target)
            t2 = clock()
            f.append(t1 - t0)
            m.append(t2 - t1)
            if service is not None:
                t3 = clock()
                service(model, p.viewer, p.target)
                s.append(clock() - t3)
        cells[p.viewer_class, p.degree].append(
            (
                statistics.median(f),
                statistics.median(m),
                statistics.median(s) if s else math.nan,
            )
        )
    print(f"      {len(pairs)} pairs, {wrong} answers differ from the floor's", flush=True)

    def us(x: float) -> str:
        return "-" if math.isnan(x) else f"{x * 1e6:,.1f}"

    def ratio(a: float, b: float) -> str:
        return "-" if math.isnan(a) or not b else f"{a / b:,.1f}"

    body = []
    classes: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for (cls, degree), rows in cells.items():
        classes[cls] += rows
        fl = statistics.median(r[0] for r in rows)
        mo = statistics.median(r[1] for r in rows)
        sv = statistics.median(r[2] for r in rows)
        body.append(
            (
                cls,
                DEGREE_NAMES[degree],
                str(len(rows)),
                us(mo),
                us(sv),
                us(fl),
                ratio(mo, fl),
                ratio(sv, fl),
            )
        )
    worst: tuple[float, str] | None = None
    worst_service: tuple[float, str] | None = None
    for cls, rows in classes.items():
        # The class as a whole: the sum over its pairs, so the mix of pairs does not matter.
        fl, mo, sv = (sum(r[i] for r in rows) for i in range(3))
        body.append(
            (cls, "all", str(len(rows)), us(mo), us(sv), us(fl), ratio(mo, fl), ratio(sv, fl))
        )
        if fl and (worst is None or mo / fl > worst[0]):
            worst = (mo / fl, cls)
        if fl and not math.isnan(sv) and (worst_service is None or sv / fl > worst_service[0]):
            worst_service = (sv / fl, cls)
    if worst is not None:
        h.add(
            Row(
                f"degree+mutual in process, graph model/floor, worst class: {worst[1]}",
                "sequential",
                None,
                None,
                None,
                target=f"≤ 20 (is {worst[0]:,.1f})",
                met=worst[0] <= 20 and not wrong,
                load=load,
            )
        )
    if worst_service is not None:
        h.add(
            Row(
                f"degree+mutual in process, the look-up's model_pairs/floor, worst class: "
                f"{worst_service[1]}",
                "sequential",
                None,
                None,
                None,
                target=f"≤ 20 (is {worst_service[0]:,.1f})",
                met=worst_service[0] <= 20 and not wrong,
                load=load,
            )
        )
    elif service is None:
        h.notes.append("the relationships service has no model_pairs: only the model was timed")
    header = (
        "viewer (connections)",
        "degree",
        "pairs",
        "model p50 µs",
        "model_pairs p50 µs",
        "floor p50 µs",
        "model/floor",
        "model_pairs/floor",
    )
    return render_table(header, body, right={2, 3, 4, 5, 6, 7})


# --- the second degree of members nobody asked about -------------------------------------------


async def cold_members(
    h: Harness, conn: asyncpg.Connection, graph: Graph, choices: Choices, count: int
) -> list[int]:
    """``count`` typical members (degree within a fifth of the median) never asked about: no
    token minted for them in this run, no network snapshot in the database, not picked by an
    earlier run on this data directory (until the pool runs out: then it starts again), in a
    random order of this run."""
    deg = graph.degrees
    members = choices.member_ids
    median = int(np.median(deg[members]))
    band = max(2, median // 5)
    near = members[(deg[members] > 0) & (np.abs(deg[members] - median) <= band)]
    snapshots = {int(r[0]) for r in await conn.fetch("SELECT member_id FROM network_snapshots")}
    path = h.cfg.data_dir / COLD_USED
    used: set[int] = set(json.loads(path.read_text())) if path.exists() else set()
    skip = set(h._tokens) | snapshots | set(choices.hubs)
    pool = [int(m) for m in near if int(m) not in skip]
    fresh = [m for m in pool if m not in used]
    if len(fresh) < count and used:
        h.notes.append(
            f"cold second degree: {len(fresh):,} members never picked left, {count:,} wanted: "
            f"the record of earlier runs' picks ({path.name}) starts again"
        )
        used, fresh = set(), pool
    if len(fresh) < count:
        h.notes.append(
            f"cold second degree: {len(fresh):,} typical members nobody asked about, "
            f"{count:,} wanted"
        )
    random.Random().shuffle(fresh)
    picked = fresh[:count]
    path.write_text(json.dumps(sorted(used | set(picked))))
    print(
        f"      {len(near):,} typical members (degree {median - band}-{median + band}); "
        f"{len(fresh):,} never asked about (no token this run, no network snapshot, not picked "
        f"before); {len(picked):,} picked at random",
        flush=True,
    )
    return picked


def rate_at_least(n: float) -> Target:
    from bench.scale.harness import Target

    return Target(f"≥ {n:g}/s", lambda r: None if r.achieved is None else r.achieved >= n)


async def cold_second_degree(
    h: Harness,
    svc: Service,
    client: Client,
    conn: asyncpg.Connection,
    graph: Graph,
    choices: Choices,
) -> None:
    """The second degree's first page of typical members nobody asked about before, a new one
    each request: at 20/s, open loop, then saturated by wrk over thousands of others."""
    from bench.scale.harness import _degrees, p99_at_most

    cfg = h.cfg
    rate = 20.0
    seconds = min(2 * cfg.phase, max(cfg.phase, 200 / rate))
    n_open = math.ceil(rate * seconds)
    n_wrk = max(500, int(500 * cfg.phase))
    h.phase("second degree, cold: members never asked about")
    members = await cold_members(h, conn, graph, choices, n_open + n_wrk)
    if len(members) < n_open + 100:
        h.notes.append(f"cold second degree: only {len(members)} members to ask: not measured")
        return
    first, rest = members[:n_open], members[n_open:]
    raws = [client.raw("GET", SECOND_DEGREE, h.token(v)) for v in first]
    label = f"second degree, first page, cold, typical ({_degrees(graph, first)})"
    async with counted(h, label):
        await h.open(client, label, raws, rate, seconds=seconds, target=p99_at_most(100))
    requests = [(SECOND_DEGREE, h.token(v)) for v in rest]
    label = f"second degree, first page, cold, typical, {len(rest):,} members in turn"
    async with counted(h, label):
        row = await h.saturate(svc, label, requests, rate_at_least(200))
    if row.total > len(rest):
        h.notes.append(
            f"{label}: wrk sent {row.total:,} requests over {len(rest):,} members, so some "
            "were a second look"
        )


# --- how far the models trail a burst of writes ----------------------------------------------


async def burst_lag(
    h: Harness, client: Client, conn: asyncpg.Connection, graph: Graph, choices: Choices
) -> None:
    """1,000 new connections as fast as the send + accept clients make them; then each worker's
    ``/readyz`` until its model's ``position`` is past the last ``Connect-Read-After`` of the
    burst: the time from the burst's end to that, per worker."""
    from bench.scale.harness import fresh_pairs

    workers = h.workers
    if workers is None:
        return
    cfg = h.cfg
    pairs = await fresh_pairs(conn, graph, choices, BURST, 5, h.write_rng, set(), cfg.params.cap)
    if len(pairs) < BURST:
        h.notes.append(f"only {len(pairs):,} fresh pairs for the burst (wanted {BURST:,})")
    if not pairs:
        return
    for a, b in pairs:
        h.token(a), h.token(b)
    positions: list[int] = []
    refusals: Counter[str] = Counter()

    def note(r: Response) -> None:
        at = parse_lsn(r.read_after or "")
        if at is not None:
            positions.append(at)

    def flow(a: int, b: int) -> Callable[[], Any]:
        async def job() -> bool:
            async with asyncio.timeout(cfg.timeout):
                r = await client.request("POST", "/v1/invitations", h.token(a), {"invitee_id": b})
            if r.status != 201:
                refusals[f"send {r.status}"] += 1
                return False
            note(r)
            path = f"/v1/invitations/{r.json()['id']}/accept"
            async with asyncio.timeout(cfg.timeout):
                r = await client.request("POST", path, h.token(b))
            if r.status != 200:
                refusals[f"accept {r.status}"] += 1
                return False
            note(r)
            return True

        return job

    # Each worker's count of connections before the burst: nobody else writes meanwhile, so
    # the model holds the whole burst once it counts as many more as the burst made.
    base = {
        pid: int(g.get("connections") or 0)
        for pid, r in (await workers.each("/readyz")).items()
        if (g := graph_of(r)) is not None
    }
    expected = len(workers.conns)
    lags: list[float] = []  # /readyz lag_seconds seen during the burst
    past: dict[int, float] = {}  # worker -> seconds after the end: position past the burst's
    held: dict[int, float] = {}  # worker -> seconds after the end: every connection in it
    # "ended": perf_counter at the burst's end; "made": its connections; "required": its LSN
    mark: dict[str, float] = {}
    marked = asyncio.Event()  # set once "required" is: the poller stops waiting at once

    def done() -> bool:
        return len(past) >= expected and len(held) >= len(base)

    async def poll() -> None:
        while True:
            if len(workers.conns) < expected:  # one was closed: a new connection to it
                await workers.pin()
            for pid in list(workers.conns):
                if pid in past and (pid in held or pid not in base):
                    continue
                r = await workers.get(pid, "/readyz")
                g = graph_of(r) if r is not None else None
                if g is None:
                    continue
                if "required" not in mark:
                    if g.get("lag_seconds") is not None:
                        lags.append(float(g["lag_seconds"]))
                    continue
                after = time.perf_counter() - mark["ended"]
                position = parse_lsn(str(g.get("position") or ""))
                if pid not in past and position is not None and position > mark["required"]:
                    past[pid] = after
                count = int(g.get("connections") or 0)
                if pid not in held and pid in base and count >= base[pid] + mark["made"]:
                    held[pid] = after
            if "required" in mark:
                if done() or time.perf_counter() - mark["ended"] > 60:
                    return
                await asyncio.sleep(0.005)
            else:  # during the burst: the lag, and the connections kept alive
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(marked.wait(), 0.1)

    load = h.phase(
        f"graph model: a burst of {len(pairs):,} connections (send + accept, {cfg.clients} "
        f"clients), then each worker's /readyz until its model holds them"
    )
    poller = asyncio.create_task(poll())
    result = await closed_loop(cfg.clients, [flow(a, b) for a, b in pairs])
    mark["ended"] = time.perf_counter()
    mark["made"] = result.ok
    if positions:
        said = f"last Connect-Read-After {format_lsn(max(positions))}"
        mark["required"] = max(positions)
    else:  # no header (the model off?): every commit of the burst is before this position
        now = parse_lsn(str(await conn.fetchval("SELECT pg_current_wal_lsn()::text"))) or 0
        said = f"no Connect-Read-After; the WAL position at the end, {format_lsn(now)}"
        mark["required"] = now
    marked.set()
    await poller
    made = result.ok
    rate = made / result.duration if result.duration else 0.0
    errors = dict(refusals) | {k: v for k, v in result.statuses.items() if k != "2xx"}

    def each(found: dict[int, float]) -> str:
        return ", ".join(f"worker {pid}: {ms(s)} ms" for pid, s in sorted(found.items()))

    missing = expected - len(past)
    print(
        f"      {made:,} connections in {result.duration:.1f} s ({rate:,.0f}/s), "
        f"failures {errors or 0}; {said}; after the burst's end, position past it: "
        f"{each(past) or 'none'}; every connection in the model: {each(held) or 'none'}"
        + (f"; {missing} worker(s) not past it within 60 s" if missing else "")
        + (f"; /readyz lag_seconds during the burst at most {max(lags):.3f} s" if lags else ""),
        flush=True,
    )
    if missing or len(held) < len(base):
        h.notes.append(
            f"graph model: {missing} worker(s) not past the burst's position, "
            f"{len(base) - len(held)} not holding all its connections, within 60 s"
        )
    for what, found in (
        ("position past its last Connect-Read-After", past),
        ("all its connections in the model", held),
    ):
        times = sorted(found.values())
        h.add(
            Row(
                f"graph model: lag after a burst of {made:,} connections, {what} "
                f"({len(found)} of {workers.count} workers: p50, max)",
                f"{cfg.clients} clients",
                rate,
                statistics.median(times) if times else None,
                None,
                errors,
                len(pairs),
                load=load,
                max=times[-1] if times else None,
            )
        )
    h.facts += [
        (
            f"burst: {made:,} connections, send + accept, {cfg.clients} clients",
            f"{result.duration:.1f} s ({rate:,.0f}/s); {said}",
        ),
        ("after the burst's end: each worker's position past it", each(past) or "none"),
        ("after the burst's end: each worker holding all of it", each(held) or "none"),
    ]
    if lags:
        h.facts.append(("/readyz lag_seconds during the burst, at most", f"{max(lags):.3f} s"))


# --- the relationships look-up without the model (the way it was answered before it) ---------


async def sql_baseline(h: Harness, op: str, requests: list[tuple[str, str]], ours: Row) -> None:
    """The same wrk phase against a service with ``CONNECT_API_GRAPH_READ_MODEL=sql`` (each
    answer from the statements, as before the model): the model's rate against it."""
    cfg = h.cfg
    env = cfg.params.env | {"CONNECT_API_GRAPH_READ_MODEL": "sql"}
    h.phase("service again, with CONNECT_API_GRAPH_READ_MODEL=sql")
    with serving(cfg.data_dir, cfg.workers, cfg.data_dir / "serve-sql.log", env) as svc:
        client = Client("127.0.0.1", svc.port)
        for path, tok in requests[:20]:  # warm, unmeasured
            await client.request("GET", path, tok)
        await client.close()
        row = await h.saturate(svc, f"{op}, CONNECT_API_GRAPH_READ_MODEL=sql", requests, None)
    print("  service (sql) stopped", flush=True)
    if not row.achieved or not ours.achieved:
        return
    ratio = ours.achieved / row.achieved
    h.add(
        Row(
            f"{op}, wrk: graph model / CONNECT_API_GRAPH_READ_MODEL=sql",
            "wrk",
            None,
            None,
            None,
            target=f"≥ 4 (is {ratio:,.1f})",
            met=ratio >= 4,
        )
    )


def facts_table(h: Harness) -> str:
    return render_table(("graph read model", ""), h.facts, right=set())


async def run_answers(h: Harness, before: dict[int, dict[str, float]]) -> None:
    """The graph answers of the whole run, from memory and from SQL: a row of the table."""
    if h.workers is None:
        return
    memory, sql, n = answered(before, await answers(h.workers))
    text = f"{memory:,.0f} from memory, {sql:,.0f} from SQL ({h.workers.seen(n)})"
    print(f"      graph answers during the run: {text}", flush=True)
    h.add(Row(f"graph answers during the run: {text}", "scraped", None, None, None))
    h.facts.append(("graph answers during the run (/metrics, every worker)", text))
    if sql and not memory:
        h.notes.append("every graph answer of the run came from SQL: the model answered none")
