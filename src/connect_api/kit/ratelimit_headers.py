"""The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) and the windows they
describe: for the per-caller request limits at the door and for the invitation throttles of
spec 2.5 alike."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RateWindow:
    name: str
    limit: int
    window: timedelta
    used: int
    reset_after: timedelta  # until a slot frees (zero when none is used)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def retry_after_seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def rate_limit_headers(
    windows: Sequence[RateWindow], retry_after: timedelta | None = None
) -> dict[str, str]:
    if not windows:
        return {}
    policy = ", ".join(f'"{w.name}";q={w.limit};w={int(w.window.total_seconds())}' for w in windows)
    current = ", ".join(
        f'"{w.name}";r={w.remaining};t={math.ceil(w.reset_after.total_seconds())}' for w in windows
    )
    headers = {"RateLimit-Policy": policy, "RateLimit": current}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after_seconds(retry_after))
    return headers
