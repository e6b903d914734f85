"""``python -m bench.tracing``: what traces (OpenTelemetry) cost when on.

``connect-api serve`` (one worker) on the quick network of ``bench.scale`` runs once per round in
each mode: traces off (as shipped); on, every request traced and exported as OTLP over HTTP to a
sink in this process (which reads and counts the spans and throws them away); on with 1 request
in 10 sampled (``OTEL_TRACES_SAMPLER=parentbased_traceidratio``, 0.1); and on with every span
made but none exported (``OTEL_TRACES_EXPORTER=none``: the instrumentation's share). The modes
take turns, in the opposite order every other round, so that whatever else the machine does
falls on each. Each run drives the same closed-loop load, one kind after another:
``GET /healthz`` (no span: the server itself), ``GET /v1/me`` (a hot read: one statement), and
``POST /v1/invitations`` then ``POST …/accept`` (two writes of a few statements each). It prints
requests/s, p50 and p99 of each, and the ratio of each mode's requests/s to off's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.flood import QUICK, quick_network
from bench.scale.client import Client, Result, closed_loop, send_accept
from bench.scale.report import render
from bench.scale.server import free_port, serving
from connect_api.kit.clock import SystemClock

KINDS = ("GET /healthz", "GET /v1/me", "send + accept")


def _modes(sink: int) -> dict[str, dict[str, str]]:
    on = {
        "CONNECT_API_OTEL_ENABLED": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink}",
    }
    return {
        "off": {"CONNECT_API_OTEL_ENABLED": "false"},
        "on": on,
        "on, 10% sampled": on
        | {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
        "on, not exported": on | {"OTEL_TRACES_EXPORTER": "none"},
    }


class Sink:
    """An OTLP/HTTP trace receiver on 127.0.0.1: ``POST /v1/traces`` is read, its spans are
    counted, and the answer is an empty ``ExportTraceServiceResponse``."""

    def __init__(self) -> None:
        self.spans = 0
        self.requests = 0
        self.bytes = 0
        self.port = free_port()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.count(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def count(self, body: bytes) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.requests += 1
        self.bytes += len(body)
        self.spans += sum(
            len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans
        )

    @contextmanager
    def running(self) -> Iterator[Sink]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


async def _drive(
    port: int,
    kind: str,
    tokens: dict[int, str],
    pairs: list[tuple[int, int]],
    concurrency: int,
    seconds: float,
) -> tuple[Result, Counter[str]]:
    client = Client("127.0.0.1", port, max_connections=concurrency)
    statuses: Counter[str] = Counter()
    jobs: list[Callable[[], Awaitable[bool]]]
    if kind == "send + accept":
        jobs = [send_accept(client, tokens, a, b, statuses) for a, b in pairs]
    else:
        member = next(iter(tokens))
        raw = client.raw("GET", kind.split()[1], tokens[member] if kind != "GET /healthz" else None)

        async def one() -> bool:
            status = (await client.send(raw)).status
            statuses[str(status)] += 1
            return status == 200

        jobs = [one] * 10_000_000
    # Warm the connections and the statement caches first, uncounted.
    await closed_loop(concurrency, jobs[: concurrency * 5] if kind != "send + accept" else [])
    result = await closed_loop(concurrency, jobs, deadline=seconds)
    await client.close()
    return result, statuses


async def run(rounds: int, seconds: float, concurrency: int) -> int:
    data_dir, how, service_tokens = await quick_network()
    now = SystemClock().now()
    members = list(range(1, QUICK.members + 1))
    tokens = {m: service_tokens.mint(m, ttl=timedelta(hours=2), now=now) for m in members}
    # Pairs never used before in this run (nor, with a seed of the clock, in another one):
    # most are strangers, so the invitation is sent and accepted.
    rng = random.Random(time.time_ns())
    pairs = [(a, b) for a, b in (rng.sample(members, 2) for _ in range(200_000))]
    cursor = 0
    print(
        f"bench.tracing: network {how} ({QUICK.members:,} members), {os.cpu_count()} cores, "
        f"{rounds} rounds, {seconds:g} s per load, {concurrency} clients"
    )
    # A member may send as many invitations as the load asks for: the bench measures the work.
    limits = {
        "CONNECT_API_INVITATIONS_PER_HOUR": "1000000",
        "CONNECT_API_INVITATIONS_PER_WEEK": "1000000",
    }
    results: dict[tuple[str, str], list[Result]] = {}
    spans: dict[str, int] = {}
    with Sink().running() as sink:
        modes = _modes(sink.port)
        for round_ in range(rounds):
            order = list(modes) if round_ % 2 == 0 else list(reversed(modes))
            for mode in order:
                env = QUICK.env | limits | modes[mode]
                log = data_dir / f"tracing-serve-{mode.split(',')[0]}-{order.index(mode)}.log"
                before = sink.spans
                with serving(data_dir, 1, log, env) as svc:
                    for kind in KINDS:
                        chunk = pairs[cursor : cursor + 20_000]
                        result, statuses = await _drive(
                            svc.port, kind, tokens, chunk, concurrency, seconds
                        )
                        if kind == "send + accept":
                            cursor += len(result.latencies) + concurrency  # the pairs taken
                        results.setdefault((kind, mode), []).append(result)
                        bad = {k: v for k, v in statuses.items() if k not in ("200", "accept 200")}
                        print(
                            f"  round {round_ + 1}, traces {mode}, {kind}: "
                            f"{result.ok / result.duration:,.0f}/s"
                            + (f" (other answers: {dict(bad)})" if bad else ""),
                            flush=True,
                        )
                    errors = svc.error_lines()
                # The service's last batch is sent as it stops.
                spans[mode] = spans.get(mode, 0) + sink.spans - before
                if errors:
                    print(f"  service log: {log} ({errors} error lines)")
    rows: list[list[str]] = []
    for kind in KINDS:
        per: dict[str, tuple[float, float, float]] = {}
        for mode in modes:
            runs = results[(kind, mode)]
            latencies = sorted(x for r in runs for x in r.latencies)
            ok = sum(r.ok for r in runs)
            duration = sum(r.duration for r in runs)
            p50 = latencies[len(latencies) // 2]
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            per[mode] = (ok / duration, p50, p99)
        for mode, (rate, p50, p99) in per.items():
            ratio = rate / per["off"][0]
            rows.append([kind, mode, f"{rate:,.0f}", f"{ratio:.2f}", _ms(p50), _ms(p99)])
    header = ["load", "traces", "req/s", "vs off", "p50 ms", "p99 ms"]
    print()
    print(
        f"closed loop, {concurrency} clients, {seconds:g} s per load and run, {rounds} runs each "
        "(send + accept: a pair's two requests count as one)"
    )
    print(render(header, rows, right={2, 3, 4, 5}))
    received = ", ".join(f"{mode}: {spans.get(mode, 0):,}" for mode in modes)
    print(
        f"spans received by the sink: {received} "
        f"({sink.requests:,} exports, {sink.bytes / 2**20:,.1f} MiB)"
    )
    exported = spans.get("on", 0) > spans.get("on, 10% sampled", 0) > 0
    return 0 if exported and spans.get("off", 0) == spans.get("on, not exported", 0) == 0 else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tracing", description=__doc__)
    p.add_argument("--rounds", type=int, default=2, help="runs of each mode (2)")
    p.add_argument("--seconds", type=float, default=10, help="length of each load (10)")
    p.add_argument("--concurrency", type=int, default=16, help="clients of the closed loop (16)")
    a = p.parse_args(argv)
    started = time.perf_counter()
    code = asyncio.run(run(a.rounds, a.seconds, a.concurrency))
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
