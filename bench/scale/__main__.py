"""``python -m bench.scale`` (``make bench-scale``): the load harness. See bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import warnings
from pathlib import Path

from bench.scale.harness import Config, run
from bench.scale.network import SeedParams

PROJECT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"BENCH_SCALE_{name}") or default


def parse(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description="Seed (or reuse) a network, serve it with `connect-api serve` and measure "
        "it over real HTTP from this process. The network and phase options also read "
        "BENCH_SCALE_<NAME> (DIR, MEMBERS, AVG_DEGREE, HUBS, GROUPS, SEED, CAP, WORKERS, "
        "PHASE_SECONDS; QUICK=1 for --quick).",
    )
    p.add_argument("--quick", action="store_true", help="small network, short phases (~2 min)")
    p.add_argument("--dir", type=Path, help="data directory (BENCH_SCALE_DIR; .bench-scale)")
    p.add_argument("--members", type=int, help="members to seed (100,000; quick 5,000)")
    p.add_argument("--avg-degree", type=float, help="mean connections (50; quick 30)")
    p.add_argument("--hubs", type=int, help="members at the cap (10; quick 4)")
    p.add_argument("--groups", type=int, help="groups (the seed's default)")
    p.add_argument("--seed", type=int, help="random seed of the network (1)")
    p.add_argument("--cap", type=int, help="connection cap (the service's; quick 1,500)")
    p.add_argument("--workers", type=int, help="`serve --workers` (2)")
    p.add_argument("--phase-seconds", type=float, help="length of each load phase (10; quick 2)")
    p.add_argument(
        "--readme",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the table and chart into bench/ (default: yes, not with --quick)",
    )
    p.add_argument(
        "--seed-only", action="store_true", help="seed (or check) the network, then stop"
    )
    p.add_argument(
        "--client-overhead",
        action="store_true",
        help="only measure the load generator's own cost against /healthz",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="only the profile rows (a member's profile by random viewers, and members at the "
        "cap by their connections, who are shown the counts) and the profile statement's "
        "EXPLAIN for a viewer with blocks (README not written)",
    )
    p.add_argument(
        "--replica",
        action="store_true",
        help="only the read-replica rows: the reads with and without a streaming replica of "
        "the seeded database, and writers reading their own writes (README not written)",
    )
    p.add_argument(
        "--graph",
        action="store_true",
        help="only the graph read model's rows: its load and memory in this process, degree and "
        "mutual count against the floor in process, the relationships look-up, the second "
        "degree and suggestions (cold, and at the cap), the lag after a burst of 1,000 "
        "connections, and the look-up without the model (README not written)",
    )
    p.add_argument(
        "--writes",
        action="store_true",
        help="only the door and the writes: /healthz, /v1/me and a profile saturated, pgbench -N "
        "on the same server, send + accept, decline and withdraw, the rules after (README not "
        "written)",
    )
    a = p.parse_args(argv)
    quick = a.quick or _env("QUICK", "") not in ("", "0", "false")
    base = Path(a.dir or _env("DIR", str(PROJECT / ".bench-scale")))
    members = a.members or int(_env("MEMBERS", "5000" if quick else "100000"))
    cap = a.cap or int(_env("CAP", "1500" if quick else "30000"))
    groups = a.groups or (int(_env("GROUPS", "0")) or None)
    params = SeedParams(
        members=members,
        avg_degree=a.avg_degree or float(_env("AVG_DEGREE", "50" if not quick else "30")),
        hubs=a.hubs if a.hubs is not None else int(_env("HUBS", "4" if quick else "10")),
        groups=groups,
        seed=a.seed if a.seed is not None else int(_env("SEED", "1")),
        cap=cap,
    )
    phase = a.phase_seconds or float(_env("PHASE_SECONDS", "2" if quick else "10"))
    return Config(
        quick=quick,
        data_dir=(base / ("quick" if quick else "full")).resolve(),
        params=params,
        workers=a.workers or int(_env("WORKERS", "2")),
        phase=phase,
        readme=(not quick and not a.replica and not a.profile and not a.graph and not a.writes)
        if a.readme is None
        else a.readme,
        bench_dir=PROJECT / "bench",
        overhead_only=a.client_overhead,
        seed_only=a.seed_only,
        replica_only=a.replica,
        profile_only=a.profile,
        graph_only=a.graph,
        writes_only=a.writes,
    )


def main(argv: list[str] | None = None) -> int:
    config = parse(argv)
    warnings.filterwarnings("ignore", module="platformdirs")  # XDG_RUNTIME_DIR, from the seed
    try:
        return asyncio.run(run(config))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
