"""Which failures are the service being out of capacity, or its database out of reach: those are
answered 503 with ``Retry-After``, never 500."""

from __future__ import annotations

from dataclasses import dataclass

from asyncpg.exceptions import InterfaceError, InternalClientError, PostgresConnectionError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from connect_api.kit.database import PoolExhausted

# Connection exceptions (class 08), the server shutting down or starting (57P01-57P03), too
# many connections (53300), and a statement cancelled by the statement timeout (57014).
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
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
