"""Traces (OpenTelemetry), off unless asked for.

Off (the default), nothing of the OpenTelemetry SDK, exporter or instrumentation is imported,
FastAPI's own telemetry is told to stay out of the way, and the log filter and the edge each
test one module attribute that is ``None``.

On (``CONNECT_API_OTEL_ENABLED=true``, or unset with an ``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_TRACES_EXPORTER`` other than ``none`` set),
each process builds a tracer provider of its own from the standard ``OTEL_*`` variables (see
:mod:`connect_api.kit.tracing_otel`, which needs the ``otel`` extra) and:

* FastAPI's native instrumentation makes each request's server span, named after its route
  template (``POST /v1/invitations``, ``http.route``), continuing the caller's trace when a
  ``traceparent`` header comes in. The probes, ``/metrics``, the documentation and the live
  streams (open for hours: a span would stay open as long) have none.
* The asyncpg instrumentation makes a client span for each statement, SQLAlchemy's (which
  runs over asyncpg's prepared statements) and the hot paths' raw asyncpg calls alike, with
  ``db.system`` and ``db.statement`` (never the values).
* Every log line written under a span carries its ``trace_id`` and ``span_id``.
* A request that starts its trace here and brings no ``X-Request-ID`` takes the trace id as its
  request id, so that one id finds its log lines, its problem document and its trace.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from connect_api.kit import logs
from connect_api.kit.metrics import NOT_COUNTED

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from opentelemetry.trace import TracerProvider

    from connect_api.kit.config import Settings

EXTRA = "pip install 'connect-api[otel]'"

# The live streams: each is open for hours, and a span lasts as long as its response.
STREAMS = ("/v1/me/stream", "/v1/events/stream")
# No server span: the probes, /metrics and the documentation (as the metrics count none of
# them), and the streams.
UNTRACED = (*NOT_COUNTED, *STREAMS)

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_EXPORTERS = ("otlp", "console", "none")


class TracingUnavailable(Exception):
    """Traces were asked for and cannot be had: one line saying what to do."""


def reason(settings: Settings) -> str | None:
    """Why traces are on (the setting or variable that turned them on), or ``None``: off."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if settings.otel_enabled is not None:
        return "CONNECT_API_OTEL_ENABLED=true" if settings.otel_enabled else None
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return None if exporter == "none" else f"OTEL_TRACES_EXPORTER={exporter}"
    for name in _ENDPOINTS:
        if os.environ.get(name, "").strip():
            return f"{name} is set"
    return None


def exporter_names() -> list[str]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names (``otlp`` unless set), checked: OTLP over
    HTTP with protobuf, the console, or none."""
    raw = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    names = [name.strip() for name in raw.split(",") if name.strip()]
    for name in names:
        if name not in _EXPORTERS:
            raise TracingUnavailable(
                f"OTEL_TRACES_EXPORTER={raw}: connect-api exports traces with otlp (OTLP over "
                "HTTP), console or none"
            )
    if "otlp" in names:
        protocol = (
            os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        ).strip()
        if protocol != "http/protobuf":
            raise TracingUnavailable(
                f"OTLP protocol {protocol!r}: connect-api sends traces as http/protobuf; unset "
                "OTEL_EXPORTER_OTLP_PROTOCOL (the collector's port is usually 4318 for it)"
            )
    return [name for name in names if name != "none"]


def require(settings: Settings) -> None:
    """Refuse at start-up, in one line, traces that are asked for and cannot be had."""
    why = reason(settings)
    if why is None:
        return
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter
        import opentelemetry.instrumentation.asyncpg
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError as exc:
        raise TracingUnavailable(
            f"traces are on ({why}) but {exc.name or 'opentelemetry'} is not installed: "
            f"{EXTRA}, or turn them off with CONNECT_API_OTEL_ENABLED=false"
        ) from None
    exporter_names()


class Tracing:
    """Traces for one app: its tracer provider, the asyncpg instrumentation, the log and
    request-id hooks. :meth:`close` undoes them (and flushes the provider it built)."""

    def __init__(self, provider: TracerProvider, *, owned: bool) -> None:
        self.provider = provider
        self.owned = owned

    def telemetry(self) -> dict[str, Any]:
        """FastAPI's native instrumentation, on this provider: server spans only."""
        return {
            "tracer_provider": self.provider,
            "tracing": True,
            # Prometheus counts the requests (/metrics); no OpenTelemetry logs.
            "metrics": False,
            "logs": False,
            # No span of its own for the dependencies, the endpoint and the serialization:
            # a request is its server span and its statements.
            "operation_spans": False,
            "auto_configure": False,
            "exclude": untraced,
        }

    def close(self) -> None:
        from connect_api.kit import tracing_otel

        tracing_otel.uninstrument()
        logs.trace_ids = None
        logs.trace_request_id = None
        if self.owned:
            shutdown = getattr(self.provider, "shutdown", None)
            if shutdown is not None:
                shutdown()  # the spans still in its batch are sent


# Off: FastAPI's native instrumentation never runs, whatever providers the process has.
OFF: dict[str, Any] = {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}


def untraced(scope: MutableMapping[str, Any]) -> bool:
    path: str = scope.get("path", "")
    return path.startswith(UNTRACED)


def start(
    settings: Settings, version: str, *, provider: TracerProvider | None = None
) -> Tracing | None:
    """Turn traces on for one app when the settings ask for them (``None``: off), or always
    with ``provider`` (a test's, with an in-memory exporter)."""
    owned = provider is None
    if provider is None:
        if reason(settings) is None:
            return None
        require(settings)
    from connect_api.kit import tracing_otel

    if provider is None:
        provider = tracing_otel.provider_from_environment(version, exporter_names())
    tracing_otel.instrument(provider)
    logs.trace_ids = tracing_otel.current_ids
    logs.trace_request_id = tracing_otel.request_id_of_trace
    return Tracing(provider, owned=owned)
