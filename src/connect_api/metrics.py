"""Prometheus metrics: HTTP by route (prometheus-fastapi-instrumentator) and refusals by code."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, Counter
from prometheus_fastapi_instrumentator import Instrumentator


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

    def install(self, app: FastAPI) -> None:
        Instrumentator(
            registry=self.registry,
            excluded_handlers=[
                "/metrics",
                "/healthz",
                "/readyz",
                "/docs.*",
                "/static-offline-docs.*",
            ],
        ).instrument(app).expose(
            app,
            endpoint="/metrics",
            include_in_schema=True,
            tags=["operations"],
            summary="Prometheus metrics",
            description="Request counts and latencies by route, and refusals by problem `code`, "
            "in the Prometheus text format.",
            response_description="Prometheus text exposition format.",
            response_class=PlainTextResponse,
        )
