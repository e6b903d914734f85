"""The OpenTelemetry side of traces (see :mod:`connect_api.kit.tracing`): imported only when they
are on, as it imports the SDK, the OTLP exporter and the asyncpg instrumentation (the ``otel``
extra)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

SERVICE_NAME = "connect-api"


class RequestsOnly(Sampler):
    """Spans within requests only: a span without a parent must be a request's server span.

    Without it each statement of the background work (the graph read model's check every
    second, the live hub, the webhook dispatcher, the expiry sweep, the probes' and the
    streams' statements) would be a trace of one span of its own. Whatever the sampler the
    ``OTEL_TRACES_SAMPLER`` variables choose decides the rest."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if (
            kind is not SpanKind.SERVER
            and not trace.get_current_span(parent_context).get_span_context().is_valid
        ):
            return SamplingResult(Decision.DROP)
        return self.inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestsOnly{{{self.inner.get_description()}}}"


def make_provider(version: str, processors: Sequence[SpanProcessor] = ()) -> TracerProvider:
    """A tracer provider of this service's: ``service.name`` ``connect-api`` and
    ``service.version`` unless ``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES`` say
    otherwise, the sampler of ``OTEL_TRACES_SAMPLER`` within requests (:class:`RequestsOnly`);
    ``OTEL_SDK_DISABLED=true`` makes its tracers no-ops."""
    detected = OTELResourceDetector().detect().attributes
    resource = Resource.create(
        {"service.name": SERVICE_NAME, "service.version": version, **detected}
    )
    provider = TracerProvider(resource=resource)
    provider.sampler = RequestsOnly(provider.sampler)
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def provider_from_environment(version: str, exporters: Sequence[str]) -> TracerProvider:
    """The provider of a process: its spans batched (``OTEL_BSP_*``) to ``exporters``, the
    checked names of ``OTEL_TRACES_EXPORTER`` (``otlp``: OTLP over HTTP to the
    ``OTEL_EXPORTER_OTLP_*`` endpoint; ``console``)."""
    processors: list[SpanProcessor] = []
    for name in exporters:
        exporter: SpanExporter
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()  # endpoint, headers, timeout: the OTEL_* variables
            processors.append(BatchSpanProcessor(exporter))
        else:  # console: for a look on a developer's machine, one span at a time
            processors.append(SimpleSpanProcessor(ConsoleSpanExporter()))
    return make_provider(version, processors)


def instrument(provider: trace.TracerProvider) -> None:
    """asyncpg's statements as client spans of ``provider`` (SQLAlchemy's run through asyncpg's
    prepared statements, which it instruments too). Parameters are never recorded."""
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    if instrumentor.is_instrumented_by_opentelemetry:  # another app of this process's
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=provider)


def uninstrument() -> None:
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


def current_ids() -> tuple[str, str] | None:
    """The trace and span ids of the current span, as W3C writes them, if any."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def request_id_of_trace(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The trace id, when the request's trace starts here (no ``traceparent`` came in: a trace
    id that came in is shared by every request of the caller's trace)."""
    for name, _ in headers:
        if name == b"traceparent":
            return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
