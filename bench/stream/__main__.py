"""``python -m bench.stream`` (``make bench-stream``): live streams at scale. See bench/README.md.

One run, side by side: the service as its own process (``connect-api serve``, one process) on
the seeded network of ``bench.scale``; a load process holding K live streams for K members;
this process writing invitations to those members at R/s, open loop, and sending + accepting
with and without the streams open. It prints one table, with the targets next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import warnings
from pathlib import Path

from bench.scale.__main__ import parse as scale_parse
from bench.stream.harness import PROJECT, Config, run


def parse(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        prog="python -m bench.stream",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        epilog="The network is bench.scale's, in the same data directory, seeded there if "
        "missing: BENCH_SCALE_DIR and the other BENCH_SCALE_* variables apply. "
        "CONNECT_API_STREAM_* variables in the environment are passed to the service.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="bench.scale's quick network (5,000 members) and small defaults: 300 streams, "
        "50 writes/s, 10 s phases (about 2 minutes); checks the harness itself",
    )
    p.add_argument("--dir", type=Path, help="data directory (BENCH_SCALE_DIR; .bench-scale)")
    p.add_argument("--streams", type=int, help="K: streams held, one per member (10,000)")
    p.add_argument("--rate", type=float, help="R: invitations per second, open loop (200)")
    p.add_argument("--seconds", type=float, help="length of each write phase (30)")
    p.add_argument("--clients", type=int, default=32, help="send + accept clients (32)")
    p.add_argument(
        "--open-concurrency", type=int, default=100, help="streams opening at once (100)"
    )
    p.add_argument(
        "--quiet-seconds",
        type=float,
        default=15.0,
        help="the quiet window with the streams open and no writes: one heartbeat period "
        "(15; 0 skips it)",
    )
    p.add_argument(
        "--readme",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the table into bench/README.md (default: yes, not with --quick)",
    )
    a = p.parse_args(argv)
    # The network, its data directory and its parameters exactly as bench.scale reads them,
    # so that the two harnesses share one seeded network.
    scale = scale_parse((["--quick"] if a.quick else []) + (["--dir", str(a.dir)] if a.dir else []))
    quick = scale.quick
    streams = a.streams or (300 if quick else 10_000)
    if streams < 1:
        p.error("--streams must be at least 1")
    return Config(
        quick=quick,
        data_dir=scale.data_dir,
        params=scale.params,
        streams=streams,
        rate=a.rate or (50.0 if quick else 200.0),
        seconds=a.seconds or (10.0 if quick else 30.0),
        clients=a.clients,
        concurrency=a.open_concurrency,
        quiet=a.quiet_seconds,
        readme=(not quick) if a.readme is None else a.readme,
        bench_dir=PROJECT / "bench",
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
