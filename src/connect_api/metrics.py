"""Prometheus metrics (prometheus-client): requests by route template, method and status, their
latency, refusals by problem code, and how webhook deliveries went.

Requests are counted by a pure ASGI layer that reads the route the router has already matched
(``scope["route"]``). prometheus-fastapi-instrumentator, used before, matched every request
against the whole route table a second time (and rebuilt that table's flat list first): about a
third of the CPU of a `GET /healthz` in a profile, on every request.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Not counted: the probes, the metrics themselves and the documentation.
NOT_COUNTED = ("/healthz", "/readyz", "/metrics", "/docs", "/static-offline-docs", "/openapi")


class Metrics:
    def __init__(self) -> None:
        # One registry per app, so several apps in one process (tests) never collide.
        self.registry = CollectorRegistry()
        self.refusals = Counter(
            "connect_api_refusals",
            "Requests refused by a rule or a check, by problem code.",
            ["code"],
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

        self.webhooks = WebhookMetrics(self.registry)

    def install(self, app: FastAPI) -> None:
        router = APIRouter(tags=["operations"])

        @router.get(
            "/metrics",
            summary="Prometheus metrics",
            description="Request counts and latencies by route, refusals by problem `code` "
            "and webhook delivery outcomes, in the Prometheus text format.",
            response_class=PlainTextResponse,
            responses={200: {"description": "Prometheus text exposition format."}},
        )
        async def metrics() -> PlainTextResponse:
            return PlainTextResponse(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        app.include_router(router)
        app.add_middleware(RequestMetrics, metrics=self)


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


class RequestMetrics:
    """Counts each answered request under its route template (``/v1/members/{member_id}``),
    never its concrete path, so the label set stays as small as the route table."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_COUNTED):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def counted_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counted_send)
        finally:
            route = scope.get("route")
            handler = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(handler, method, str(status)).inc()
            self.metrics.latency.labels(handler, method).observe(time.perf_counter() - start)
