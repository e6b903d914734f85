"""Per-caller request rate limits, at the door (a pure ASGI layer), with the `limits` library.

Every request is counted against its caller's quota for its cost class: ``read`` (GET),
``write`` (POST, PUT, DELETE) and ``expensive`` (the data export, a relationships look-up of
many ids, a bulk decline). The caller is the member of a valid bearer token; a request without
one is counted by client address (class ``anonymous``). Counters live in this process, or in
Redis when ``CONNECT_API_REDIS_URL`` is set, so that every process shares them. These limits are
separate from the invitation throttles of the spec (section 2.5), which count invitations.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import timedelta
from urllib.parse import parse_qsl

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.responses import Response
from starlette.types import Scope

from connect_api.kit.config import Settings
from connect_api.kit.errors import DomainError, RateLimited, problem_response
from connect_api.kit.ratelimit_headers import RateWindow, rate_limit_headers

log = logging.getLogger("connect_api")

# Never counted: what operators and load balancers poll, and the documentation.
_EXEMPT_PREFIXES = ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/static-")
# A relationships look-up of more ids than this is an expensive one.
MANY_IDS = 20


def storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        return "async+memory://"
    if redis_url.startswith(("redis://", "rediss://")):
        return "async+" + redis_url
    return redis_url


# Routes that may touch thousands of rows in one request.
_EXPENSIVE = frozenset(
    ("/v1/me/export", "/v1/invitations/received/decline", "/v1/invitations/sent/withdraw")
)


def cost_class(method: str, path: str, query: bytes) -> str | None:
    """The quota a request counts against; ``None``: not counted."""
    if path.startswith(_EXEMPT_PREFIXES):
        return None
    if path in (
        "/v1/me/export",
        "/v1/invitations/received/decline",
        "/v1/invitations/sent/withdraw",
    ):
        return "expensive"
    if path == "/v1/relationships":
        ids = sum(
            len(v.split(","))
            for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            if k == "ids"
        )
        if ids > MANY_IDS:
            return "expensive"
    return "read" if method in ("GET", "HEAD") else "write"


# Where a request's decoded token is kept (``scope["state"]``), for `deps.get_principal`.
PRINCIPAL = "connect_api.principal"


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.items: dict[str, RateLimitItem] = {
            "read": parse(settings.rate_limit_read),
            "write": parse(settings.rate_limit_write),
            "expensive": parse(settings.rate_limit_expensive),
            "anonymous": parse(settings.rate_limit_anonymous),
        }
        self.limiter = SlidingWindowCounterRateLimiter(
            storage_from_string(storage_uri(settings.redis_url))
        )
        self.refusal_delay = settings.rate_limit_refusal_delay_seconds

    def _caller(self, scope: Scope) -> str | None:
        """``member:<id>`` for a valid token; ``None`` for none or an invalid one."""
        token = _bearer(scope)
        ctx = getattr(scope["app"].state, "ctx", None) if "app" in scope else None
        if token is None or ctx is None:
            return None
        try:
            principal = ctx.tokens.decode(token)
        except DomainError:
            return None
        # Decoded once per request: the route's own dependency takes it from here.
        scope.setdefault("state", {})[PRINCIPAL] = principal
        return f"member:{principal.member_id}"

    async def refusal(self, scope: Scope) -> Response | None:
        """The 429 answer to this request when its caller is over a limit (after the refusal
        delay), ``None`` when it may go on (see :class:`~connect_api.kit.http_edge.Edge`)."""
        cost = cost_class(scope["method"], scope["path"], scope.get("query_string", b""))
        if cost is None:
            return None
        caller = self._caller(scope)
        if caller is None:
            client = scope.get("client")
            cost, caller = "anonymous", f"address:{client[0] if client else '-'}"
        item = self.items[cost]
        try:
            allowed = await self.limiter.hit(item, cost, caller)
            stats = None if allowed else await self.limiter.get_window_stats(item, cost, caller)
        except Exception:  # the shared store is down: serve rather than refuse everyone
            log.warning("rate limit store unavailable; request not counted", exc_info=False)
            allowed, stats = True, None
        if allowed:
            return None
        reset_at = stats.reset_time if stats else time.time() + 1
        if self.refusal_delay > 0:
            # A refusal costs next to nothing, so a caller that ignores it can have thousands a
            # second and take the process from everyone else (bench.flood: a quiet member's
            # p50 3.8 -> 59 ms with 429s answered at once). Held back, each of its connections
            # gets one answer per delay, and waiting costs no CPU.
            await asyncio.sleep(min(self.refusal_delay, max(0.0, reset_at - time.time())))
        window = timedelta(seconds=item.get_expiry())
        reset = max(1, math.ceil(reset_at - time.time()))
        headers = rate_limit_headers(
            [RateWindow(cost, item.amount, window, item.amount, timedelta(seconds=reset))],
            retry_after=timedelta(seconds=reset),
        )
        response = problem_response(
            429,
            RateLimited.code,
            f"Too many {cost} requests: at most {item.amount} per {int(window.total_seconds())} "
            "seconds. Retry after `Retry-After` seconds.",
            title=RateLimited.title,
            instance=scope["path"],
            headers=headers,
            extra={"limit": item.amount, "window_seconds": int(window.total_seconds())},
        )
        return response
