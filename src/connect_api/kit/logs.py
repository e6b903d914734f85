"""Request ids and logging: the id of the request being served, in every log line it causes, and
the log configuration `serve` gives uvicorn (text, or JSON lines with python-json-logger)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

# The id of the request this task is serving; ``None`` outside a request (start-up, the
# background dispatcher and sweep).
request_id: ContextVar[str | None] = ContextVar("connect_api_request_id", default=None)

# Set while traces are on (connect_api.kit.tracing), else None (one test a record, a request):
# the current span's trace and span ids, for every log record written under a span; and the
# request id of a request whose trace starts here (its trace id), from its headers.
trace_ids: Callable[[], tuple[str, str] | None] | None = None
trace_request_id: Callable[[Sequence[tuple[bytes, bytes]]], str | None] | None = None

# What a client's own ``X-Request-ID`` may be: up to 128 characters that are safe in a log line,
# a header and a JSON string. Anything else is replaced by a fresh id.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")


def accept_request_id(value: bytes | None) -> str:
    """The client's id when it is acceptable, else a new one (32 hex digits)."""
    if value is not None:
        try:
            text = value.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _SAFE_ID.fullmatch(text):
            return text
    return new_request_id()


def new_request_id() -> str:
    """128 random bits as 32 hex digits (``uuid.uuid4().hex`` costs five times as much)."""
    return secrets.token_hex(16)


_TICKET = re.compile(r"([?&])ticket=[^&#\s]*")


class RequestIdFilter(logging.Filter):
    """Gives every record ``request_id`` (``-`` outside a request), and uvicorn's access lines
    ``method``, ``path`` and ``status`` of their own, for JSON logs; with traces on, a record
    written under a span its ``trace_id`` and ``span_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's, with terminal escapes
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        if trace_ids is not None and not hasattr(record, "trace_id"):
            ids = trace_ids()
            if ids is not None:
                record.trace_id, record.span_id = ids
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            path = args[2]
            if isinstance(path, str) and "ticket=" in path:
                # A stream ticket opens a stream: it is never written down.
                path = _TICKET.sub(r"\1ticket=[redacted]", path)
                args = (*args[:2], path, *args[3:])
                record.args = args
            _, record.method, record.path, _, record.status = args
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` document for uvicorn's loggers and the app's: one
    stream handler on stderr, every record with its request id. ``fmt`` is ``text`` or
    ``json`` (one JSON object a line: ``level``, ``logger``, ``message``,
    ``request_id``, for access lines ``method``, ``path``, ``status``, and ``time``; with
    traces on, ``trace_id`` and ``span_id`` under a span)."""
    formatter: dict[str, Any]
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC, microseconds
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "connect_api")
        },
        # The libraries' warnings (asyncpg's pool retrying its connections while the database
        # is away, ...) in the same format, instead of bare lines on stderr.
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
