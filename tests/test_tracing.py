"""Traces (OpenTelemetry): a request is a server span named after its route, with a client span
for each statement under it; the caller's ``traceparent`` is continued; log lines carry the
trace id; the probes and streams make no span; and traces off cost no import of the SDK."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pythonjsonlogger.json import JsonFormatter

from connect_api import __version__, cli
from connect_api.app import create_app
from connect_api.kit import logs, tracing, tracing_otel
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from tests.helpers import Api, empty_tables

ROOT = Path(__file__).resolve().parents[1]
OTEL_VARIABLES = (
    "CONNECT_API_OTEL_ENABLED",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


class Traced:
    def __init__(self, app: FastAPI, http: AsyncClient, exporter: InMemorySpanExporter) -> None:
        self.app = app
        self.http = http
        self.exporter = exporter
        self.api = Api(http, app.state.ctx)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def servers(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.kind is SpanKind.SERVER]


@pytest.fixture(scope="module")
async def traced(settings: Settings, clock: ManualClock) -> AsyncIterator[Traced]:
    """An app of its own with traces on, every span kept in memory."""
    exporter = InMemorySpanExporter()
    provider = tracing_otel.make_provider(__version__, [SimpleSpanProcessor(exporter)])
    application = create_app(
        settings.model_copy(), clock=clock, migrate=True, tracer_provider=provider
    )

    @application.get("/v1/test-log-line", include_in_schema=False)
    async def log_line() -> dict[str, str]:
        logging.getLogger("connect_api").warning("a line written while serving")
        return {}

    async with application.router.lifespan_context(application):
        async with AsyncClient(
            transport=ASGITransport(app=application), base_url="http://testserver", timeout=60
        ) as http:
            yield Traced(application, http, exporter)
        await empty_tables(application.state.ctx.db.engine)
    assert logs.trace_ids is None, "closing the app turned the log hook off"


@pytest.fixture
def fresh(traced: Traced) -> Iterator[Traced]:
    traced.exporter.clear()
    yield traced
    traced.exporter.clear()


def _hex(number: int, digits: int) -> str:
    return format(number, f"0{digits}x")


async def test_an_invitation_is_a_server_span_with_its_statements_under_it(fresh: Traced) -> None:
    api = fresh.api
    inviter, invitee = await api.member(), await api.member()
    fresh.exporter.clear()

    r = await api.invite(inviter, invitee)

    assert r.status_code == 201, r.text
    servers = fresh.servers()
    assert len(servers) == 1, [s.name for s in fresh.spans()]
    server = servers[0]
    assert server.name == "POST /v1/invitations"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/v1/invitations"
    assert server.attributes["http.response.status_code"] == 201
    assert server.attributes["http.request.method"] == "POST"
    assert server.parent is None  # no traceparent came in: the trace starts here
    assert server.resource.attributes["service.name"] == "connect-api"
    assert server.resource.attributes["service.version"] == __version__
    trace_id = server.context.trace_id
    # One id for the request, its log lines and its trace: the trace started here.
    assert r.headers["x-request-id"] == _hex(trace_id, 32)

    by_id = {s.context.span_id: s for s in fresh.spans()}
    statements = [s for s in fresh.spans() if s.kind is SpanKind.CLIENT]
    assert statements, "no database span"
    for span in statements:
        assert span.context.trace_id == trace_id
        assert span.attributes is not None
        assert span.attributes["db.system"] == "postgresql"
        assert isinstance(span.attributes["db.statement"], str)
        assert "db.statement.parameters" not in span.attributes  # never the values
        chain = span
        while chain.parent is not None and chain is not server:
            chain = by_id[chain.parent.span_id]
        assert chain is server, f"{span.name} does not lead to the server span"
        assert span.start_time is not None and server.start_time is not None
        assert span.end_time is not None and server.end_time is not None
        assert server.start_time <= span.start_time <= span.end_time <= server.end_time
    # The insert went through the hot-write path (raw asyncpg) or SQLAlchemy: either way seen.
    assert any(
        "invitations" in str(s.attributes["db.statement"]) for s in statements if s.attributes
    )


async def test_a_traceparent_is_continued(fresh: Traced) -> None:
    api = fresh.api
    member = await api.member()
    fresh.exporter.clear()
    caller_trace, caller_span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"

    r = await fresh.http.get(
        "/v1/me",
        headers={
            "Authorization": f"Bearer {api.token(member)}",
            "traceparent": f"00-{caller_trace}-{caller_span}-01",
        },
    )

    assert r.status_code == 200, r.text
    (server,) = fresh.servers()
    assert server.name == "GET /v1/me"
    assert _hex(server.context.trace_id, 32) == caller_trace
    assert server.parent is not None and server.parent.is_remote
    assert _hex(server.parent.span_id, 16) == caller_span
    # The caller's trace id is shared by its other requests: the request id stays its own.
    assert r.headers["x-request-id"] != caller_trace
    assert len(r.headers["x-request-id"]) == 32
    assert all(s.context.trace_id == server.context.trace_id for s in fresh.spans())


async def test_a_client_request_id_is_kept(fresh: Traced) -> None:
    r = await fresh.http.get("/v1/me", headers={"X-Request-ID": "client-chosen-id"})
    assert r.status_code == 401
    assert r.headers["x-request-id"] == "client-chosen-id"
    assert r.json()["request_id"] == "client-chosen-id"
    (server,) = fresh.servers()
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 401


async def test_a_problem_document_carries_the_trace_id_as_its_request_id(fresh: Traced) -> None:
    r = await fresh.http.get("/v1/me")
    assert r.status_code == 401
    (server,) = fresh.servers()
    assert r.json()["request_id"] == _hex(server.context.trace_id, 32)


async def test_log_lines_carry_the_trace_and_span_ids(fresh: Traced) -> None:
    made = dict(logs.log_config("info", "json")["formatters"]["default"])  # serve's own
    formatter = JsonFormatter(
        made["fmt"], rename_fields=made["rename_fields"], timestamp=made["timestamp"]
    )
    assert made.pop("()") == "pythonjsonlogger.json.JsonFormatter"
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.setFormatter(formatter)
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("connect_api")
    logger.addHandler(handler)
    try:
        r = await fresh.http.get("/v1/test-log-line")
        logger.warning("a line written outside any request")
    finally:
        logger.removeHandler(handler)

    assert r.status_code == 200, r.text
    (server,) = fresh.servers()
    inside, outside = (json.loads(line) for line in lines)
    assert inside["message"] == "a line written while serving"
    assert inside["trace_id"] == _hex(server.context.trace_id, 32)
    assert inside["span_id"] == _hex(server.context.span_id, 16)
    assert inside["request_id"] == r.headers["x-request-id"] == inside["trace_id"]
    assert "trace_id" not in outside and outside["request_id"] == "-"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_and_metrics_make_no_span(fresh: Traced, path: str) -> None:
    r = await fresh.http.get(path)
    assert r.status_code in (200, 401, 403), r.text
    # Not even their statements, each of which would be a trace of its own.
    assert fresh.spans() == []


async def test_background_statements_make_no_span(fresh: Traced) -> None:
    ctx = fresh.app.state.ctx
    rows = await ctx.db.fetch("SELECT 1")
    assert rows[0][0] == 1
    assert fresh.spans() == []


def test_streams_are_not_traced() -> None:
    """Open for hours: a server span lasts as long as its response."""
    assert tracing.untraced({"path": "/v1/me/stream"})
    assert tracing.untraced({"path": "/v1/events/stream"})
    assert tracing.untraced({"path": "/healthz"})
    assert not tracing.untraced({"path": "/v1/invitations"})


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("variables", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, False),
        ({"CONNECT_API_OTEL_ENABLED": "true"}, True),
        ({"CONNECT_API_OTEL_ENABLED": "auto"}, False),
        ({"CONNECT_API_OTEL_ENABLED": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, False),
        ({"CONNECT_API_OTEL_ENABLED": "true", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_the_switch(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], on: bool) -> None:
    _clean_environment(monkeypatch)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert (tracing.reason(Settings()) is not None) is on


def test_the_service_name_and_resource_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clean_environment(monkeypatch)
    resource = tracing_otel.make_provider("1.2.3").resource.attributes
    assert resource["service.name"] == "connect-api"
    assert resource["service.version"] == "1.2.3"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "connect-api-eu")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    resource = tracing_otel.make_provider("1.2.3").resource.attributes
    assert resource["service.name"] == "connect-api-eu"
    assert resource["deployment.environment"] == "staging"


@pytest.mark.parametrize(
    ("variables", "blocked", "said"),
    [
        (
            {"CONNECT_API_OTEL_ENABLED": "true"},
            "opentelemetry.sdk.trace",
            "traces are on (CONNECT_API_OTEL_ENABLED=true) but opentelemetry.sdk.trace is not "
            "installed: pip install 'connect-api[otel]'",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"},
            "opentelemetry.instrumentation.asyncpg",
            "traces are on (OTEL_EXPORTER_OTLP_ENDPOINT is set) but "
            "opentelemetry.instrumentation.asyncpg is not installed",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "zipkin"},
            None,
            "OTEL_TRACES_EXPORTER=zipkin: connect-api exports traces with otlp",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            None,
            "OTLP protocol 'grpc': connect-api sends traces as http/protobuf",
        ),
    ],
)
def test_traces_that_cannot_be_had_stop_serve_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    variables: dict[str, str],
    blocked: str | None,
    said: str,
) -> None:
    _clean_environment(monkeypatch)
    monkeypatch.setenv("CONNECT_API_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CONNECT_API_JWT_SECRET", "s" * 48)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    if blocked is not None:
        monkeypatch.setitem(sys.modules, blocked, None)  # as if the extra were not installed

    status = cli.main(["serve", "--port", "0"])

    assert status == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert said in err
    assert not (tmp_path / "pgdata").exists(), "the database started before the refusal"


def test_traces_off_import_nothing_of_opentelemetry(tmp_path: Path) -> None:
    """Off: no SDK, exporter or instrumentation module; only the API modules FastAPI itself
    imports; and FastAPI's own instrumentation stays off even with a global provider set."""
    program = textwrap.dedent(
        """
        import sys
        import fastapi
        from_fastapi = {m for m in sys.modules if m.startswith("opentelemetry")}
        from connect_api.app import create_app
        from connect_api.kit.config import Settings
        app = create_app(Settings())
        loaded = {m for m in sys.modules if m.startswith("opentelemetry")}
        assert loaded <= from_fastapi, sorted(loaded - from_fastapi)
        assert not any(
            m.startswith(("opentelemetry.sdk", "opentelemetry.exporter",
                          "opentelemetry.instrumentation"))
            for m in sys.modules
        )
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider())
        assert not app._native_telemetry.enabled()
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in OTEL_VARIABLES}
    env["CONNECT_API_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
