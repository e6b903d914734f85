"""The network measured on: seeded (or reused) in the harness's own data directory, and read
back into an in-memory CSR (numpy) that answers degree and mutual counts independently."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import numpy as np
import numpy.typing as npt

from bench.scale.server import clean_env, connect_api_bin

MARKER = "bench-scale-network.json"
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SeedParams:
    members: int
    avg_degree: float
    hubs: int
    groups: int | None  # None: the seed's default
    seed: int
    cap: int  # the connection cap, for the seed and the service alike

    def argv(self) -> list[str]:
        out = ["--members", str(self.members), "--avg-degree", f"{self.avg_degree:g}"]
        out += ["--hubs", str(self.hubs), "--seed", str(self.seed)]
        return out + (["--groups", str(self.groups)] if self.groups else [])

    @property
    def env(self) -> dict[str, str]:
        return {"CONNECT_API_CONNECTION_CAP": str(self.cap)}


def generator_fingerprint() -> str:
    """A hash of the seed's generator: a network another version would make differently is
    made again (changes to how it is loaded or reported do not count)."""
    import hashlib

    import connect_api_seeding

    source = Path(connect_api_seeding.__file__).parent / "generator.py"
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def read_marker(data_dir: Path) -> dict[str, object] | None:
    path = data_dir / MARKER
    if not path.exists():
        return None
    data: dict[str, object] = json.loads(path.read_text())
    return data


async def ensure_network(data_dir: Path, params: SeedParams, url: str) -> tuple[str, float]:
    """Seed the network unless the data directory already holds one seeded with ``params``.

    Returns ("reused" or "seeded", seconds the seed took, then or when it was made)."""
    marker = read_marker(data_dir)
    fingerprint = generator_fingerprint()
    if (
        marker is not None
        and marker.get("params") == asdict(params)
        and marker.get("generator") == fingerprint
    ):
        return "reused", float(marker.get("seconds", 0.0))  # type: ignore[arg-type]
    populated = await _member_count(url) > 0
    (data_dir / MARKER).unlink(missing_ok=True)
    cmd = [connect_api_bin(), "seed", *params.argv()] + (["--replace"] if populated else [])
    print(f"seeding: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    env = clean_env(data_dir) | params.env
    done = await asyncio.to_thread(subprocess.run, cmd, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench.scale: `connect-api seed` failed with {done.returncode}")
    (data_dir / MARKER).write_text(
        json.dumps(
            {"params": asdict(params), "generator": fingerprint, "seconds": round(seconds, 1)},
            indent=2,
        )
        + "\n"
    )
    return "seeded", seconds


async def _member_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('members') IS NOT NULL")
        return int(await conn.fetchval("SELECT count(*) FROM members")) if exists else 0
    finally:
        await conn.close()


# --- the floor: an in-memory CSR of the connections table -------------------------------------


class Graph:
    """Undirected adjacency in compressed sparse rows: the neighbours of ``v`` are
    ``indices[indptr[v]:indptr[v + 1]]``, sorted. Member ids index the rows directly."""

    def __init__(self, indptr: I64, indices: I64) -> None:
        self.indptr = indptr
        self.indices = indices
        self.size = len(indptr) - 1
        self.degrees: I64 = np.diff(indptr)

    @classmethod
    def from_pairs(cls, a: I64, b: I64, max_id: int = 0) -> Graph:
        n = int(max(a.max(initial=0), b.max(initial=0), max_id)) + 1
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
        return cls(indptr, b.astype(np.int64))

    def neighbours(self, v: int) -> I64:
        return self.indices[self.indptr[v] : self.indptr[v + 1]]

    def _gather(self, rows: I64) -> I64:
        """All neighbours of all ``rows``, concatenated (with repeats)."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return self.indices[offsets + np.arange(total)]

    def answer(self, v: int, t: int) -> tuple[int | None, int]:
        """(degree of ``t`` seen from ``v``: 1, 2, 3 or None; their mutual connections)."""
        nv, nt = self.neighbours(v), self.neighbours(t)
        mutual = int(np.intersect1d(nv, nt, assume_unique=True).size)
        i = int(np.searchsorted(nv, t))
        if i < nv.size and nv[i] == t:
            return 1, mutual
        if mutual:
            return 2, mutual
        if nv.size == 0 or nt.size == 0:
            return None, 0
        # 3rd degree: some neighbour of v is connected to some neighbour of t. Expand the side
        # whose neighbours have fewer connections, and look for the other side among them.
        if self.degrees[nv].sum() <= self.degrees[nt].sum():
            near, far = nv, nt
        else:
            near, far = nt, nv
        mask = np.zeros(self.size, dtype=bool)
        mask[far] = True
        return (3 if bool(mask[self._gather(near)].any()) else None), 0

    def distances(self, v: int, depth: int = 3) -> npt.NDArray[np.int8]:
        """Breadth-first distance from ``v`` to every member, up to ``depth`` (-1: further)."""
        dist = np.full(self.size, -1, dtype=np.int8)
        dist[v] = 0
        frontier = np.array([v], dtype=np.int64)
        for d in range(1, depth + 1):
            reached = np.unique(self._gather(frontier))
            reached = reached[dist[reached] < 0]
            dist[reached] = d
            frontier = reached
        return dist


async def load_graph(url: str) -> tuple[Graph, float]:
    """The ``connections`` table (both directions) as a :class:`Graph`, read with a binary
    ``COPY``; returns it and the seconds it took."""
    started = time.perf_counter()
    buf = io.BytesIO()
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_from_query(
            "SELECT member_id, other_id FROM connections", output=buf, format="binary"
        )
        max_id = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM members"))
    finally:
        await conn.close()
    raw = buf.getbuffer()
    # Binary COPY: an 11-byte signature, flags and extension length (4 + 4), then per row a
    # field count (int16) and, per field, a length (int32) and the value (int64 big-endian);
    # a trailing int16 -1. No NULLs here, so every row is the same 26 bytes.
    row = np.dtype([("n", ">i2"), ("la", ">i4"), ("a", ">i8"), ("lb", ">i4"), ("b", ">i8")])
    body = raw[19 : len(raw) - 2]
    rows = np.frombuffer(body, dtype=row)
    graph = Graph.from_pairs(rows["a"].astype(np.int64), rows["b"].astype(np.int64), max_id)
    return graph, time.perf_counter() - started
