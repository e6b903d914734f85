"""A reading of the database that probes share: taken at most once a second, by one caller at
a time, whatever the number of probes (a load balancer's, Prometheus', a flood of them)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# How long one reading answers every probe.
FRESH_SECONDS = 1.0


class SharedReading(Generic[T]):
    """``read()``'s last answer while it is younger than ``fresh`` seconds; else a new one.
    Probes that come while a reading is under way wait for it rather than start their own."""

    def __init__(
        self, source: object, read: Callable[[], Awaitable[T]], fresh: float = FRESH_SECONDS
    ) -> None:
        self.source = source  # what it reads (a new database is read anew)
        self._read = read
        self._fresh = fresh
        self._reading: tuple[float, T] | None = None  # (when it was started, what it said)
        self._lock = asyncio.Lock()

    def _stale(self, reading: tuple[float, T] | None) -> bool:
        return reading is None or time.monotonic() - reading[0] >= self._fresh

    async def get(self) -> T:
        reading = self._reading
        if self._stale(reading):
            async with self._lock:
                reading = self._reading
                if self._stale(reading):
                    started = time.monotonic()
                    reading = (started, await self._read())
                    self._reading = reading
        assert reading is not None
        return reading[1]
