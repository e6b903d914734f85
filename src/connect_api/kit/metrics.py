"""Prometheus metrics (prometheus-client): requests by route template, method and status, their
latency, refusals by problem code, and how webhook deliveries went.

Requests are counted by a pure ASGI layer that reads the route the router has already matched
(``scope["route"]``). prometheus-fastapi-instrumentator, used before, matched every request
against the whole route table a second time (and rebuilt that table's flat list first): about a
third of the CPU of a `GET /healthz` in a profile, on every request.
"""

from __future__ import annotations

import hmac
import logging
import math
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from connect_api.kit.errors import Problem, Unauthorized
from connect_api.kit.readings import SharedReading

log = logging.getLogger("connect_api")

# Not counted: the probes, the metrics themselves and the documentation.
NOT_COUNTED = ("/healthz", "/readyz", "/metrics", "/docs", "/static-offline-docs", "/openapi")

# The webhook outbox at scrape time: every pending delivery, those due now, and the oldest due
# one's due time. One walk of the partial index on pending deliveries.
OUTBOX_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE next_attempt_at <= $1),
       min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1)
FROM webhook_deliveries WHERE status = 'pending'
"""
# How long a scrape waits for a connection and for that statement.
OUTBOX_TIMEOUT = 0.5


class MetricsTokenRequired(Unauthorized):
    """`/metrics` is protected (`CONNECT_API_METRICS_TOKEN`) and the bearer token is not it."""


class Metrics:
    def __init__(self, token: str | None = None) -> None:
        self.token = token
        # One registry per app, so several apps in one process (tests) never collide.
        self.registry = CollectorRegistry()
        self.refusals = Counter(
            "connect_api_refusals",
            "Problem documents sent (every 4xx and 5xx answer: refused by a rule, a limit or a "
            "check, or failed), by problem code and status.",
            ["code", "status"],
            registry=self.registry,
        )
        self.requests = Counter(
            "http_requests",
            "Requests answered, by route template, method and status.",
            ["handler", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request, by route template and method.",
            ["handler", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

        self.pool_checked_out = Gauge(
            "connect_api_db_pool_checked_out",
            "Database connections in use, by pool (`transactions`, `reads`).",
            ["pool"],
            registry=self.registry,
        )
        self.pool_open = Gauge(
            "connect_api_db_pool_open",
            "Database connections open (in use or idle), by pool.",
            ["pool"],
            registry=self.registry,
        )
        self.pool_max = Gauge(
            "connect_api_db_pool_max",
            "Most database connections the pool may open, by pool.",
            ["pool"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "connect_api_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered nor failed (NaN: the database did not answer).",
            registry=self.registry,
        )
        self.outbox_due = Gauge(
            "connect_api_webhook_deliveries_due",
            "Pending webhook deliveries whose attempt is due now.",
            registry=self.registry,
        )
        self.outbox_lag = Gauge(
            "connect_api_webhook_outbox_lag_seconds",
            "How long the oldest due webhook delivery has been due; 0 when none is.",
            registry=self.registry,
        )
        self.webhooks = WebhookMetrics(self.registry)
        self.replica_lag = Gauge(
            "connect_api_replica_lag_seconds",
            "How far each read replica is behind the primary (NaN: it did not answer).",
            ["replica"],
            registry=self.registry,
        )
        self.replica_in_use = Gauge(
            "connect_api_replica_in_use",
            "1 when reads go to the replica, 0 while it is skipped (down, lagging, promoted).",
            ["replica"],
            registry=self.registry,
        )
        self.reads = Counter(
            "connect_api_db_reads",
            "Reads of the read side, by where they ran (`primary`, `replica`), with replicas.",
            ["target"],
            registry=self.registry,
        )
        self._reads_seen = {"primary": 0, "replica": 0}
        self.graph_lag = Gauge(
            "connect_api_graph_model_lag_seconds",
            "Since the graph read model last caught up with the graph's outbox (NaN: not loaded).",
            registry=self.registry,
        )
        self.graph_position = Gauge(
            "connect_api_graph_model_position",
            "The WAL position (as a number) every commit read before is in the graph read model.",
            registry=self.registry,
        )
        self.graph_edges = Gauge(
            "connect_api_graph_model_connections",
            "Connections the graph read model holds (each once).",
            registry=self.registry,
        )
        self.graph_bytes = Gauge(
            "connect_api_graph_model_bytes",
            "Memory the graph read model's arrays take.",
            registry=self.registry,
        )
        self.graph_answers = Counter(
            "connect_api_graph_answers",
            "Graph answers, by where they came from: `memory` (the read model) or `sql` (not "
            "loaded yet, behind, or turned off).",
            ["source"],
            registry=self.registry,
        )
        self._graph_seen = {"memory": 0, "sql": 0}
        self.graph_disagreements = Counter(
            "connect_api_graph_disagreements",
            "Graph answers a statement's own snapshot contradicted (a change committed between "
            "the model's catch-up and the statement), answered by SQL instead.",
            registry=self.registry,
        )
        self._disagreements_seen = 0
        self.streams_open = Gauge(
            "connect_api_streams_open",
            "Live streams this process holds open, by kind (`member`, `service`).",
            ["kind"],
            registry=self.registry,
        )
        self.stream_events = Counter(
            "connect_api_stream_events",
            "Events handed to live streams (one per stream an event went to).",
            registry=self.registry,
        )
        self.streams_cut = Counter(
            "connect_api_streams_cut",
            "Live streams cut, by why: `overflow` (too far behind), `stalled` (stopped reading).",
            ["reason"],
            registry=self.registry,
        )
        self._streams_seen: dict[str, int] = {"delivered": 0}
        # The webhook outbox, read at most once a second whatever the number of scrapes.
        self._outbox: SharedReading[tuple[int, int, Any] | None] | None = None

    async def refresh(self, app: FastAPI) -> None:
        """Read the pools' use and the webhook outbox for a scrape. The outbox is one short
        statement on the hot-read pool, run at most once a second for every scrape of that
        second; if the database does not answer in time, its gauges are NaN and the scrape
        still succeeds."""
        ctx: Any = getattr(app.state, "ctx", None)
        if ctx is None:
            return
        engine_pool: Any = ctx.db.engine.pool
        in_use = engine_pool.checkedout()
        self.pool_checked_out.labels("transactions").set(in_use)
        self.pool_open.labels("transactions").set(in_use + engine_pool.checkedin())
        settings = ctx.settings
        self.pool_max.labels("transactions").set(settings.db_pool_size + settings.db_max_overflow)
        replicas: Any = ctx.db.replicas
        if replicas is not None:
            self._replicas(replicas)
        graph: Any = getattr(ctx, "graph", None)
        if graph is not None:
            self._graph(graph)
        live: Any = getattr(ctx, "live", None)
        if live is not None:
            self._live(live)
        reads: Any = ctx.db.reads
        self.pool_checked_out.labels("reads").set(reads.get_size() - reads.get_idle_size())
        self.pool_open.labels("reads").set(reads.get_size())
        self.pool_max.labels("reads").set(reads.get_max_size())
        if self._outbox is None or self._outbox.source is not ctx.db:

            async def read() -> tuple[int, int, Any] | None:
                try:
                    async with ctx.db.reads.acquire(timeout=OUTBOX_TIMEOUT) as conn:
                        total, due, oldest = await conn.fetchrow(
                            OUTBOX_SQL, ctx.clock.now(), timeout=OUTBOX_TIMEOUT
                        )
                except Exception as exc:
                    log.warning("metrics: webhook outbox not read: %s", type(exc).__name__)
                    return None
                return total, due, oldest

            self._outbox = SharedReading(ctx.db, read)
        outbox = await self._outbox.get()
        if outbox is None:
            for gauge in (self.outbox_pending, self.outbox_due, self.outbox_lag):
                gauge.set(math.nan)
            return
        total, due, oldest = outbox
        self.outbox_pending.set(total)
        self.outbox_due.set(due)
        lag = 0.0 if oldest is None else (ctx.clock.now() - oldest).total_seconds()
        self.outbox_lag.set(max(0.0, lag))

    def _graph(self, graph: Any) -> None:
        status = graph.status()
        self.graph_lag.set(math.nan if status.lag_seconds is None else status.lag_seconds)
        self.graph_position.set(graph.lsn)
        self.graph_edges.set(status.connections)
        self.graph_bytes.set(status.bytes)
        self.graph_disagreements.inc(graph.disagreements - self._disagreements_seen)
        self._disagreements_seen = graph.disagreements
        for source, count in graph.answered.items():
            self.graph_answers.labels(source).inc(count - self._graph_seen[source])
            self._graph_seen[source] = count

    def _live(self, hub: Any) -> None:
        self.streams_open.labels("service").set(len(hub.services))
        self.streams_open.labels("member").set(hub.count - len(hub.services))
        seen = self._streams_seen
        self.stream_events.inc(hub.delivered - seen["delivered"])
        seen["delivered"] = hub.delivered
        for reason, count in hub.cut.items():
            self.streams_cut.labels(reason).inc(count - seen.get(reason, 0))
            seen[reason] = count

    def _replicas(self, replicas: Any) -> None:
        for replica in replicas.replicas:
            label = str(replica.index)
            lag = replica.lag_seconds
            self.replica_lag.labels(label).set(math.nan if lag is None else lag)
            self.replica_in_use.labels(label).set(1 if replica.state == "ok" else 0)
        for target, count in replicas.reads.items():
            self.reads.labels(target).inc(count - self._reads_seen[target])
            self._reads_seen[target] = count

    def _check(self, request: Request) -> None:
        if self.token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = self.token.encode("utf-8")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), expected
        ):
            raise MetricsTokenRequired(
                "`/metrics` needs `Authorization: Bearer` with the metrics token.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )

    def install(self, app: FastAPI) -> None:
        router = APIRouter(tags=["operations"])

        @router.get(
            "/metrics",
            summary="Prometheus metrics",
            description="Request counts and latencies by route, refusals by problem `code`, "
            "the database pools' use, the webhook outbox and webhook delivery outcomes, the read "
            "replicas' lag and reads by target, in the "
            "Prometheus text format. When `CONNECT_API_METRICS_TOKEN` is set, it needs "
            "`Authorization: Bearer <that token>`; otherwise it is open.",
            response_class=PlainTextResponse,
            responses={
                200: {"description": "Prometheus text exposition format."},
                401: {
                    "model": Problem,
                    "description": "`CONNECT_API_METRICS_TOKEN` is set and the request does "
                    "not carry it as its bearer token. Code: `unauthorized`.",
                },
            },
        )
        async def metrics(request: Request) -> PlainTextResponse:
            self._check(request)
            await self.refresh(request.app)
            return PlainTextResponse(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        app.include_router(router)


class WebhookMetrics:
    """What became of each webhook delivery attempt this process made, and endpoints disabled."""

    OUTCOMES = ("delivered", "retrying", "given_up")
    REASONS = ("gone", "failing")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            "connect_api_webhook_attempts",
            "Webhook delivery attempts, by outcome: delivered, retrying (failed, another "
            "attempt is scheduled) or given_up (failed for the last time).",
            ["outcome"],
            registry=registry,
        )
        self.disabled = Counter(
            "connect_api_webhook_endpoints_disabled",
            "Webhook endpoints disabled by the dispatcher, by reason: gone (answered 410) or "
            "failing (every delivery failed for too long).",
            ["reason"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "connect_api_webhook_attempts_in_flight",
            "Webhook delivery attempts being sent right now.",
            registry=registry,
        )
        for outcome in self.OUTCOMES:  # every series exists from the start, at 0
            self.attempts.labels(outcome)
        for reason in self.REASONS:
            self.disabled.labels(reason)
