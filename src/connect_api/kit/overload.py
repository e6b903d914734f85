"""Which failures are the service being out of capacity, or its database out of reach: those are
answered 503 with ``Retry-After``, never 500."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from asyncpg.exceptions import InterfaceError, InternalClientError, PostgresConnectionError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from connect_api.kit.database import PoolExhausted

# Connection exceptions (class 08), the server shutting down or starting (57P01-57P03), too
# many connections (53300), a write on a server that has become a standby (25006: a failover
# demoted it; the connection is discarded and the next one finds the new primary), and a
# statement cancelled by the statement timeout (57014).
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300", "25006"}
_BUSY_SQLSTATES = {"57014"}


@dataclass(frozen=True)
class Unavailable:
    code: str
    detail: str
    retry_after: int


POOL_EXHAUSTED = Unavailable(
    "service_unavailable", "The service is at capacity; retry after `Retry-After` seconds.", 1
)
STATEMENT_TIMEOUT = Unavailable(
    "service_unavailable",
    "The request took longer than the service allows its database work; retry after "
    "`Retry-After` seconds.",
    1,
)
DATABASE_UNAVAILABLE = Unavailable(
    "database_unavailable",
    "The database cannot be reached just now; retry after `Retry-After` seconds.",
    2,
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 16:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "orig", None)]
    return seen


def unavailable(exc: BaseException) -> Unavailable | None:
    """What to answer for ``exc`` if it is a capacity or reachability failure, else ``None``."""
    for item in _chain(exc):
        if isinstance(item, PoolTimeout | PoolExhausted):
            return POOL_EXHAUSTED
        state = getattr(item, "sqlstate", None)
        if isinstance(state, str):
            if state in _BUSY_SQLSTATES:
                return STATEMENT_TIMEOUT
            if state.startswith("08") or state in _UNAVAILABLE_SQLSTATES:
                return DATABASE_UNAVAILABLE
        if isinstance(item, PostgresConnectionError | OSError):
            return DATABASE_UNAVAILABLE
        if isinstance(item, InterfaceError) and "connection" in str(item).lower():
            return DATABASE_UNAVAILABLE
        if isinstance(item, InternalClientError):
            # The driver's protocol was left mid-operation on a connection the server dropped
            # (a restart, a failover): the connection is discarded, and a retry gets another.
            return DATABASE_UNAVAILABLE
        if isinstance(item, DBAPIError) and item.connection_invalidated:
            return DATABASE_UNAVAILABLE
    return None


class Outage:
    """A background loop's failures (the expiry sweep, webhook dispatch, the network refresh,
    the replica check). The database out of reach (a restart, a failover) is said once as it
    begins, as a warning with no traceback, and once as it ends, and meanwhile the loop waits
    longer between tries (doubling up to ``most`` seconds): a failover costs neither a log
    flood nor a busy loop, and the work resumes on the new primary by itself. Any other
    failure is logged with its traceback every time: that is a bug."""

    def __init__(self, what: str, logger: logging.Logger, most: float = 5.0) -> None:
        self.what = what
        self.log = logger
        self.most = most
        self.since: float | None = None
        self.delay = 0.0

    def failed(self, exc: BaseException) -> float:
        """Note a failure; how long to wait before the next try, at least."""
        if unavailable(exc) is None:
            self.log.error("%s failed; will retry", self.what, exc_info=exc)
            return 0.0
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning(
                "%s paused: the database is out of reach (%s); trying again",
                self.what,
                type(exc).__name__,
            )
        self.delay = min(max(self.delay * 2, 0.2), self.most)
        return self.delay

    def ok(self) -> None:
        """Note a success: the end of an outage, if there was one."""
        if self.since is not None:
            self.log.warning("%s resumed after %.1f s", self.what, time.monotonic() - self.since)
            self.since, self.delay = None, 0.0
