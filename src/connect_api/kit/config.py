"""Settings, read from the environment (prefix ``CONNECT_API_``) by pydantic-settings."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from connect_api.kit import urls


class PolicySettings(BaseSettings):
    """Every number of the product rules (spec section 2). Each is a setting, not a constant."""

    model_config = SettingsConfigDict(env_prefix="CONNECT_API_", extra="ignore")

    connection_cap: int = Field(30_000, ge=1, description="Most connections a member may have.")
    message_max_length: int = Field(300, ge=0, description="Longest personal message, characters.")
    cooldown_days: float = Field(
        21, ge=0, description="Days before re-inviting after a decline or own withdrawal."
    )
    invitations_per_hour: int = Field(20, ge=1, description="Invitations per rolling hour.")
    invitations_per_week: int = Field(100, ge=1, description="Invitations per rolling 7 days.")
    pending_outgoing_max: int = Field(5_000, ge=1, description="Most pending sent invitations.")
    restriction_reports: int = Field(
        5, ge=1, description="`dont_know`/`spam` declines in the window that restrict an inviter."
    )
    restriction_min_decided: int = Field(
        20, ge=1, description="Decided invitations needed before the decline ratio applies."
    )
    restriction_window_days: float = Field(30, gt=0, description="Window for reports and ratio.")
    restriction_days: float = Field(7, gt=0, description="How long a restriction lasts.")
    invitation_expiry_days: float = Field(180, gt=0, description="Days a pending invitation lives.")

    @property
    def cooldown(self) -> timedelta:
        return timedelta(days=self.cooldown_days)

    @property
    def restriction_window(self) -> timedelta:
        return timedelta(days=self.restriction_window_days)

    @property
    def restriction(self) -> timedelta:
        return timedelta(days=self.restriction_days)

    @property
    def invitation_expiry(self) -> timedelta:
        return timedelta(days=self.invitation_expiry_days)


def _quarter_of_memory_mb() -> int:
    """A quarter of the machine's memory in MB, between 128 and 1024 (PostgreSQL's advice for
    shared buffers on a machine of its own, bounded for one that runs more than the database)."""
    import os

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 128
    return max(128, min(1024, total // 4 // 2**20))


class Settings(BaseSettings):
    """Service settings. ``DATABASE_URL`` is accepted as well as ``CONNECT_API_DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="CONNECT_API_", extra="ignore")

    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("CONNECT_API_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL URL. Unset: an embedded PostgreSQL in the data directory.",
    )
    data_dir: Path = Field(
        Path(".connect-api"),
        description="Where the embedded PostgreSQL and the generated JWT secret live "
        "(relative to the current directory).",
    )
    embedded_restart_attempts: int = Field(
        5,
        ge=0,
        description="Attempts to restart a dead embedded PostgreSQL (backoff 0.5 s doubling, "
        "at most 8 s) before `/healthz` turns 503 and `serve` exits 1.",
    )
    embedded_shared_buffers_mb: int = Field(
        default_factory=_quarter_of_memory_mb,
        ge=16,
        description="Shared buffers of the embedded PostgreSQL, in MB: a quarter of the "
        "machine's memory, at most 1024 and at least 128, unless set. Applied when the server "
        "starts (see `connect-api.conf` in its data directory).",
    )
    embedded_check_seconds: float = Field(
        0.5, gt=0, description="How often each `serve` process checks the embedded postmaster."
    )
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port `serve` listens on.")
    db_pool_size: int = Field(
        20,
        ge=1,
        description="Database connections kept per process (a connection opened beyond them is "
        "closed when it comes back: each new one costs a connect and asyncpg's type look-ups).",
    )
    db_max_overflow: int = Field(10, ge=0, description="Extra connections allowed under load.")
    db_pool_timeout: float = Field(
        2,
        gt=0,
        description="Seconds to wait for a free connection, and to open a new one; then 503, "
        "`Retry-After`.",
    )
    db_statement_timeout_ms: int = Field(
        5_000,
        ge=0,
        description="Longest a database statement may run, in milliseconds, on both pools; "
        "past it the request is 503 `service_unavailable`. 0: no limit.",
    )
    db_read_pool_size: int = Field(
        10,
        ge=1,
        description="Connections per process for the hot reads (the relationships look-up, "
        "`me`, profiles, connection lists), beside the pool above.",
    )
    db_pooler: Literal["none", "transaction"] = Field(
        "none",
        description="`transaction`: `DATABASE_URL` is a pooler in transaction mode (PgBouncer "
        "`pool_mode = transaction`), which may give each transaction another server "
        "connection: no named prepared statements, no statement cache, no session settings "
        "(each transaction sets its statement timeout itself). `none`: PostgreSQL itself, or "
        "a pooler in session mode.",
    )
    read_database_url: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Streaming replicas of the primary for the read side, one URL or several "
        "separated by commas. Unset: every read on the primary. A member reads their own "
        "writes whatever the replicas' lag (see Read replicas).",
    )
    replica_max_lag_seconds: float = Field(
        5,
        gt=0,
        description="A replica further behind the primary than this is skipped until it "
        "catches up: the most other members' reads may be behind, plus one check interval.",
    )
    replica_check_seconds: float = Field(
        0.5, gt=0, description="How often each process checks its replicas' replay and lag."
    )

    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256", "ES256"] = Field(
        "HS256", description="The one algorithm tokens must be signed with."
    )
    jwt_secret: str | None = Field(
        None,
        description="HMAC secret (HS*), at least 32 bytes for HS256. Unset with the embedded "
        "database: `serve` or `migrate` generates one once and keeps it in the data directory.",
    )
    cursor_secret: SecretStr | None = Field(
        None,
        description="Key material for the MAC of list cursors, the same in every process. "
        "Unset: made from the JWT secret (HS*), or with RS256/ES256 generated once into the "
        "data directory of the embedded database; required with RS256/ES256 and DATABASE_URL.",
    )
    jwt_public_key: str | None = Field(None, description="PEM public key (RS256/ES256).")
    jwt_private_key: str | None = Field(
        None, description="PEM private key, only for `connect-api token` with RS256/ES256."
    )
    jwt_issuer: str | None = Field(None, description="Required `iss` claim, when set.")
    jwt_audience: str | None = Field(None, description="Required `aud` claim, when set.")
    jwt_leeway_seconds: int = Field(30, ge=0, description="Clock skew allowed on `exp`.")

    expiry_sweep_seconds: float = Field(
        300, ge=0, description="How often old pending invitations are marked expired; 0: never."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API, as a JSON list, e.g. "
        '`["https://app.example.com"]`; empty: no CORS headers.',
    )
    webhook_dispatch_seconds: float = Field(
        1, ge=0, description="How often webhook deliveries due are looked for; 0: never."
    )
    webhook_timeout_seconds: float = Field(
        10, gt=0, description="How long a webhook endpoint has to answer one delivery, in all."
    )
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [0.0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
        min_length=1,
        description="Seconds before each attempt of a delivery, after the previous one failed "
        "(the first counts from the event), as a JSON list; its length is the number of "
        "attempts. Default: the Standard Webhooks schedule.",
    )
    webhook_retry_jitter: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Random spread of each retry delay, as a fraction: 0.1 is up to 10 % "
        "earlier or later.",
    )
    webhook_retry_after_max_seconds: float = Field(
        86400,
        ge=0,
        description="Longest `Retry-After` of a 429, 502, 503 or 504 answer that is honoured.",
    )
    webhook_disable_after_days: float = Field(
        5,
        gt=0,
        description="An endpoint whose deliveries have all failed for this long is disabled.",
    )
    webhook_concurrency: int = Field(
        50, ge=1, description="Deliveries a process has in flight at once, to all endpoints."
    )
    webhook_endpoint_concurrency: int = Field(
        10, ge=1, description="Deliveries a process has in flight at once to one endpoint."
    )
    serve_dispatch: bool = Field(
        True,
        description="`serve` delivers webhooks and runs the expiry sweep itself; false (or "
        "`serve --no-dispatch`) leaves both to `connect-api worker`.",
    )
    worker_metrics_port: int = Field(
        0, ge=0, le=65535, description="Port for `worker`'s Prometheus metrics; 0: none."
    )
    db_background_pool_size: int = Field(
        2,
        ge=1,
        description="Database connections of the webhook dispatcher and the expiry sweep, "
        "apart from the pool requests use.",
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs on loopback, private and link-local addresses "
        "(local development only).",
    )
    idempotency_ttl_hours: float = Field(
        24, gt=0, description="How long an `Idempotency-Key` and its first response are kept."
    )
    log_level: str = Field("info", description="Log level for `serve`.")
    log_format: Literal["text", "json"] = Field(
        "text", description="`serve`'s log lines: `text`, or `json` (one object a line)."
    )
    otel_enabled: bool | None = Field(
        None,
        description="Traces (OpenTelemetry, the `otel` extra): true, false, or unset (`auto`): "
        "on when `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or "
        "`OTEL_TRACES_EXPORTER` (other than `none`) is set. Configured by the standard "
        "`OTEL_*` variables; `OTEL_SDK_DISABLED=true` turns them off (see Traces).",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="When set, `/metrics` needs `Authorization: Bearer <this>`; unset: open.",
    )
    drain_seconds: float = Field(
        5, ge=0, description="After SIGTERM, how long `/readyz` answers 503 before `serve` stops."
    )
    shutdown_timeout_seconds: int = Field(
        30, gt=0, description="Then, how long requests in flight have to finish."
    )
    send_timeout_seconds: float = Field(
        30, gt=0, description="Longest wait for a client to take one write of a response."
    )
    rate_limits_enabled: bool = Field(
        True, description="Count every request against its caller's quota (429 past it)."
    )
    rate_limit_read: str = Field("600/minute", description="Reads (GET) per caller.")
    rate_limit_write: str = Field(
        "120/minute", description="Writes (POST/PUT/PATCH/DELETE) per caller."
    )
    rate_limit_expensive: str = Field(
        "30/minute",
        description="Exports, relationships look-ups of over 20 ids, bulk declines and bulk "
        "withdrawals, per caller.",
    )
    rate_limit_anonymous: str = Field(
        "60/minute", description="Requests without a valid token, per client address."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the proxies in front of `serve` whose "
        "`X-Forwarded-For` and `X-Forwarded-Proto` are believed, separated by commas. Empty: "
        "none, and a request's client address is its peer's.",
    )
    rate_limit_refusal_delay_seconds: float = Field(
        1,
        ge=0,
        le=10,
        description="How long a request past its quota waits before its 429 (at most until "
        "the quota frees up): a caller that keeps sending regardless gets one answer a second "
        "per connection instead of thousands; 0: answer at once.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis for rate-limit counters shared by every process; unset: each "
        "process counts alone.",
    )
    max_body_bytes: int = Field(
        65_536, ge=1_024, description="Largest request body, in bytes; larger is 413 unread."
    )
    max_url_bytes: int = Field(
        8_192, ge=1_024, description="Longest request target (path and query); longer is 414."
    )
    max_header_bytes: int = Field(
        16_384, ge=4_096, description="Most bytes of request headers; more is 431."
    )
    export_concurrency_per_caller: int = Field(
        2, ge=0, description="Export downloads one member may have running at once; 0: any."
    )

    graph_read_model: Literal["memory", "sql"] = Field(
        "memory",
        description="Where the graph questions (degrees, mutual connections, the second degree, "
        "suggestion candidates) are answered: `memory`, each process's graph read model, kept "
        "from the graph's outbox (it answers from SQL until loaded, and while behind); `sql`, "
        "PostgreSQL for every answer.",
    )
    graph_sync: Literal["notify", "every_read"] = Field(
        "notify",
        description="How the graph read model keeps up: `notify`, on each commit's "
        "notification and every `CONNECT_API_GRAPH_POLL_SECONDS` (a member's own writes, and a "
        "`Connect-Read-After` position, are always applied before answering); `every_read`, "
        "it also looks for changes before every answer (one round trip more, never behind).",
    )
    graph_poll_seconds: float = Field(
        1.0, gt=0, description="How often the graph read model looks for changes unnotified."
    )
    graph_max_lag_seconds: float = Field(
        5.0,
        gt=0,
        description="A graph read model that could not catch up for this long answers from "
        "SQL until it has (`/readyz` and `/metrics` say how far behind it is).",
    )
    graph_wait_ms: int = Field(
        50,
        ge=0,
        description="How long a request waits for the graph read model to apply a position it "
        "must see (its member's write, `Connect-Read-After`) before answering from SQL.",
    )
    graph_changes_keep_hours: float = Field(
        1,
        gt=0,
        description="How long the graph's outbox keeps a change; a process that was away "
        "longer loads the whole graph again.",
    )
    listen_database_url: str | None = Field(
        None,
        description="A direct connection to the primary for `LISTEN` (the live streams and "
        "the graph read model are woken by notifications on it). Unset: `DATABASE_URL`, except "
        "behind a pooler in transaction mode (`CONNECT_API_DB_POOLER=transaction`), which cannot "
        "carry `LISTEN`: then both poll (`CONNECT_API_STREAM_POLL_SECONDS`).",
    )
    stream_per_member: int = Field(
        5, ge=1, description="Live streams one member may hold open on one process (over: 429)."
    )
    stream_max_per_process: int = Field(
        20_000,
        ge=1,
        description="Live streams one process holds at most (over: 503 with `Retry-After`); "
        "each costs a file descriptor, which `serve` raises its limit for.",
    )
    stream_heartbeat_seconds: float = Field(
        15, gt=0, description="A comment line on every quiet live stream this often."
    )
    stream_stall_seconds: float = Field(
        5,
        gt=0,
        description="A live stream whose client takes no write for this long (its buffer "
        "full) is cut; it reconnects with `Last-Event-ID`.",
    )
    stream_buffer_events: int = Field(
        1_000,
        ge=10,
        description="Events waiting for one live stream's client at most; past it the stream "
        "is cut (the client resumes from its last event).",
    )
    stream_replay_hours: float = Field(
        24,
        gt=0,
        description="How far back a live stream replays (`Last-Event-ID`, `after`); a position "
        "older than this is 410 `stream_position_expired`: reload, then open the stream anew.",
    )
    stream_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often the live streams look for new events without a notification.",
    )
    stream_retry_ms: int = Field(
        1_000,
        ge=0,
        description="The `retry:` hint a live stream closed by a shutdown sends: how long a "
        "client waits before reconnecting (to another process).",
    )
    stream_ticket_seconds: int = Field(
        60, ge=1, le=600, description="How long a stream ticket is valid (single use)."
    )
    network_snapshot_ttl_seconds: float = Field(
        3600,
        ge=0,
        description="How old a member's second degree and suggestion ranking may be before a "
        "first page computes them again.",
    )
    network_refresh_seconds: float = Field(
        300,
        ge=0,
        description="How often `serve` (or `worker`) recomputes the networks of members with "
        "many connections before anyone asks; 0: never. Only with "
        "`CONNECT_API_GRAPH_READ_MODEL=sql`: the graph read model ranks on each request.",
    )
    network_refresh_min_connections: int = Field(
        1_000,
        ge=0,
        description="Members with at least this many connections have their network kept "
        "fresh by the background refresh; the others' is computed when they ask.",
    )
    network_candidates_max: int = Field(
        500,
        ge=1,
        le=100_000,
        description="Most members kept per member and computation: the top of the second "
        "degree by mutual connections, and the top by suggestion score.",
    )
    suggestion_dismiss_days: float = Field(
        90, gt=0, description="Days a dismissed suggestion stays hidden."
    )

    demo: bool | None = Field(
        None,
        description="The `/demo` page and its token endpoint (which mints short-lived tokens "
        "for any member, for requests from this machine only): true, false, or unset (`auto`): "
        "on with the embedded database, off with `DATABASE_URL`.",
    )

    policy: PolicySettings = Field(default_factory=PolicySettings)

    @field_validator("demo", "otel_enabled", mode="before")
    @classmethod
    def _auto(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("", "auto"):
            return None
        return value

    @field_validator(
        "rate_limit_read", "rate_limit_write", "rate_limit_expensive", "rate_limit_anonymous"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        parse(value)  # "20/minute", "5 per second", "1000/hour"…: refuses anything else
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: str | None, info: ValidationInfo) -> str | None:
        algorithm = info.data.get("jwt_algorithm", "HS256")
        # RFC 7518 3.2: an HMAC key at least as long as the hash (PyJWT warns below that).
        need = {"HS256": 32, "HS384": 48, "HS512": 64}.get(algorithm, 0)
        if value is not None and len(value.encode()) < need:
            raise ValueError(
                f"at least {need} bytes for {algorithm}, got {len(value.encode())}; make one with "
                "`openssl rand -base64 48`"
            )
        return value

    @field_validator("cursor_secret")
    @classmethod
    def _cursor_secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("at least 32 bytes; make one with `openssl rand -base64 48`")
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: list[float]) -> list[float]:
        if any(not 0 <= v <= 366 * 86400 for v in value):
            raise ValueError("each delay is between 0 and a year, in seconds")
        return value

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        return urls.normalize(value) if value else None

    @field_validator("read_database_url", mode="before")
    @classmethod
    def _replica_urls(cls, value: object) -> object:
        if isinstance(value, str):
            value = urls.split(value)
        if isinstance(value, list):
            return [urls.normalize(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        if isinstance(value, list):
            for part in value:
                try:
                    ipaddress.ip_network(str(part), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{part!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                    ) from None
        return value

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def demo_enabled(self) -> bool:
        """`CONNECT_API_DEMO`, or when unset: on with the embedded database only."""
        return self.embedded if self.demo is None else self.demo

    @property
    def network_snapshot_ttl(self) -> timedelta:
        return timedelta(seconds=self.network_snapshot_ttl_seconds)

    @property
    def suggestion_dismissal(self) -> timedelta:
        return timedelta(days=self.suggestion_dismiss_days)

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(hours=self.idempotency_ttl_hours)

    @property
    def pgdata(self) -> Path:
        return self.data_dir.resolve() / "pgdata"

    @property
    def secret_file(self) -> Path:
        return self.data_dir.resolve() / "jwt-secret"

    @property
    def cursor_secret_file(self) -> Path:
        return self.data_dir.resolve() / "cursor-secret"
