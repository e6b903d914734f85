"""The engine, the hot-read and hot-write pools and the per-request transaction (Database.run,
.write, .read, .fetch)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from connect_api.kit import replicas as read_after
from connect_api.kit import urls
from connect_api.kit.config import Settings
from connect_api.kit.replicas import Replica, Replicas

log = logging.getLogger("connect_api.database")

P = ParamSpec("P")
T = TypeVar("T")

# Deadlocks and serialization failures are safe to retry: the transaction was rolled back whole.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


def _session_settings(settings: Settings) -> dict[str, str]:
    """What every pooled connection sets for its session: its name, and the statement timeout
    (a statement cancelled by it is answered 503, see faults.py).

    Behind a transaction pooler the session is not ours: only the name, which PgBouncer keeps
    for each client and sets on whichever server connection it lends. The statement timeout
    travels with each transaction instead (:func:`_pooled_connection_class`)."""
    if settings.db_pooler == "transaction":
        return {"application_name": "connect-api"}
    return {
        "application_name": "connect-api",
        "statement_timeout": str(settings.db_statement_timeout_ms),
    }


def _pooled_connection_class(settings: Settings) -> type[asyncpg.Connection]:
    """An asyncpg connection whose every ``BEGIN`` also sets the statement timeout for that
    transaction, in the same simple query: one round trip, as before.

    Behind a transaction pooler each transaction may run on another server connection, so a
    setting made for the session (a startup parameter, a ``SET``) holds on whichever server
    connection happened to take it, and a ``SET`` another client left on a server connection
    would hold for us. ``SET LOCAL`` inside the transaction is the one place it holds for
    exactly our statements. The other ways were worse: ``ALTER ROLE … SET statement_timeout``
    costs nothing per transaction but lives in the database, apart from the setting, and a
    client's plain ``SET`` overrides it on the server connection for every later client;
    PgBouncer's ``ignore_startup_parameters`` only drops the timeout silently. asyncpg's
    ``Transaction.start`` sends its ``BEGIN …;`` through ``execute`` without arguments, and
    only it does here (SQLAlchemy's asyncpg dialect starts every transaction that way)."""
    suffix = f" SET LOCAL statement_timeout = {int(settings.db_statement_timeout_ms)};"

    class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
        async def execute(
            self,
            query: str,
            *args: Any,
            timeout: float | None = None,  # noqa: ASYNC109 (asyncpg's own signature)
        ) -> str:
            if not args and query.startswith("BEGIN"):
                query += suffix
            status: str = await super().execute(query, *args, timeout=timeout)
            return status

    return PooledConnection


def _unnamed() -> str:
    """The name of each statement SQLAlchemy prepares behind a transaction pooler: none.

    An unnamed statement lasts until the next one on its server connection, and SQLAlchemy
    prepares and runs it inside the same transaction, so on the same server connection. A
    unique name (SQLAlchemy's advice for PgBouncer) would be just as safe, but asyncpg closes
    a statement it no longer needs only at its connection's next prepare, which the pooler
    often sends to another server connection: there the Close is a no-op, and the statement
    stays in the first server's memory until the pooler closes that connection."""
    return ""


def make_engine(url: str, settings: Settings) -> AsyncEngine:
    # Opening a connection gets the pool's timeout too: a server that does not answer (its
    # machine gone, a failover under way) costs a request no more than that, then a 503.
    connect_args: dict[str, Any] = {
        "server_settings": _session_settings(settings),
        "timeout": settings.db_pool_timeout,
    }
    if settings.db_pooler == "transaction":
        connect_args |= {
            "statement_cache_size": 0,  # asyncpg's own cache of named statements
            "prepared_statement_cache_size": 0,  # SQLAlchemy's, over asyncpg's prepare()
            "prepared_statement_name_func": _unnamed,
            "connection_class": _pooled_connection_class(settings),
        }
    return create_async_engine(
        urls.engine_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        # No ping on checkout: with asyncpg it is BEGIN, a statement and ROLLBACK, three round
        # trips before every transaction. A connection the server dropped fails its first
        # statement instead; that answers 503 database_unavailable and the pool discards it.
        pool_pre_ping=False,
        # Errors (and so logs) never carry the statement's values: messages, tags, secrets.
        hide_parameters=True,
        connect_args=connect_args,
    )


def _plain_pool(url: str, settings: Settings) -> tuple[str, dict[str, Any]]:
    """The DSN and the connection options of a plain asyncpg pool, set up as the engine's
    connections are: the same session settings; behind a transaction pooler, no statement
    kept prepared and the statement timeout with each ``BEGIN``."""
    dsn = urls.driver_dsn(url)
    options: dict[str, Any] = {
        "server_settings": _session_settings(settings),
        "timeout": settings.db_pool_timeout,
    }
    if settings.db_pooler == "transaction":
        options |= {
            "statement_cache_size": 0,
            "connection_class": _pooled_connection_class(settings),
        }
    return dsn, options


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset: the hot reads change no session state (a transaction left open by a
    cancelled statement is still rolled back by asyncpg itself)."""


async def make_read_pool(url: str, settings: Settings) -> asyncpg.Pool:
    """A plain asyncpg pool for the few reads every page view makes (the button look-up, `me`,
    a profile, a connection list): one prepared statement per request, rows as tuples, no ORM,
    no pre-ping and no reset query between requests. Each such read is one statement, so it
    sees one snapshot without an explicit transaction.

    Its statements are written so that one plan serves every member (each fact an index walk
    from the cheaper side), and they run on that generic plan: left to choose, PostgreSQL
    planned the relationships look-up afresh on every call, 1.5 ms of planning for 0.2 ms of
    execution (SNAP ego-Facebook, its best-connected member).

    Behind a transaction pooler (``CONNECT_API_DB_POOLER=transaction``) a statement cannot be
    kept prepared on the server, so there is no generic plan to reuse: each read is parsed
    and planned on each call, inside a transaction of its own that carries the statement
    timeout (see :meth:`Database.fetch`)."""
    dsn, options = _plain_pool(url, settings)
    if settings.db_pooler != "transaction":
        options["server_settings"]["plan_cache_mode"] = "force_generic_plan"
    # No floor of open connections: asyncpg keeps a floor by reconnecting in the background,
    # which while the server is away (a restart, a failover, a replica that is the primary
    # now) is a traceback in the log every second. Connections open as reads need them.
    pool = await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=settings.db_read_pool_size,
        reset=_keep_session,
        **options,
    )
    assert pool is not None
    return pool


async def _end_transaction(conn: asyncpg.Connection) -> None:
    """What a hot-write connection needs before it is lent again: no transaction left open (a
    use case's transaction always ends in a commit or a rollback; this is for a bug)."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def make_write_pool(url: str, settings: Settings) -> asyncpg.Pool:
    """A plain asyncpg pool for the hot writes (send, accept, decline, withdraw): each a plain
    transaction of a few prepared statements (:meth:`Database.write`), with no session, no
    ORM and no SQL compilation on the way. Its connections (:func:`_plain_pool`) are opened as
    they are first needed."""
    dsn, options = _plain_pool(url, settings)
    pool = await asyncpg.create_pool(
        dsn, min_size=0, max_size=settings.db_pool_size, reset=_end_transaction, **options
    )
    assert pool is not None
    return pool


class PoolExhausted(RuntimeError):
    """Every connection of a pool stayed busy for the whole pool timeout (answered 503)."""


class ReadPoolExhausted(PoolExhausted):
    """Every hot-read connection stayed busy for the whole pool timeout."""


@dataclass(eq=False)
class Tx:
    """One plain asyncpg transaction of :meth:`Database.write`: the connection it runs on, and
    what the use case notes for after its commit (as in ``AsyncSession.info``)."""

    conn: asyncpg.Connection
    info: dict[Any, Any] = field(default_factory=dict)


# What the hot writes' statements run in: a plain transaction or, from the use cases that
# also use the ORM (a block ends the pair's invitations), a session's.
Work = AsyncSession | Tx


def _is_retryable(exc: DBAPIError | asyncpg.PostgresError) -> bool:
    if isinstance(exc, asyncpg.PostgresError):  # from a statement sent through driver()
        return exc.sqlstate in _RETRYABLE_SQLSTATES
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )
    return code in _RETRYABLE_SQLSTATES


def _primary_gone(exc: BaseException) -> bool:
    """Whether a failure says the primary is out of reach, or is no longer the primary (a
    failover demoted it while the connection stayed open: 25006, read-only)."""
    return read_after.unreachable(exc) or read_after.sqlstate(exc) == "25006"


def _leaves_connection_unfit(exc: BaseException) -> bool:
    """Whether a failure leaves its connection of no use, so it is not lent out again: the
    primary gone (:func:`_primary_gone`), or a statement cancelled mid-operation."""
    return _primary_gone(exc) or isinstance(exc, asyncio.CancelledError)


async def _discard_connection(session: AsyncSession) -> None:
    """Invalidate the session's connection, so the pool closes it instead of lending it out
    again (SQLAlchemy does so for a failure it sees; a statement sent through :func:`driver`
    fails where it cannot see)."""
    with contextlib.suppress(Exception):
        if session.in_transaction():
            await (await session.connection()).invalidate()


async def driver(session: Work) -> asyncpg.Connection:
    """The asyncpg connection a plain transaction runs on, or the one under ``session``, in
    the session's transaction (begun here if no statement has begun it yet): the hot writes
    send their statements on it, prepared once per connection by asyncpg's statement cache,
    with no ORM and no SQL compilation on the way, and they commit or roll back with
    everything else the transaction does.

    SQLAlchemy's asyncpg adapter begins its transaction at its first statement; a statement
    sent around it before then would run outside any transaction, so the transaction is begun
    here the way the adapter begins it (tests/test_write_statements.py holds it to that)."""
    if isinstance(session, Tx):
        return session.conn
    conn = await session.connection()
    adapted: Any = (await conn.get_raw_connection()).dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    raw: asyncpg.Connection = adapted.driver_connection
    return raw


class Database:
    """Owns the engine and runs each use case in one transaction, retried on deadlock.

    With read replicas (:mod:`connect_api.kit.replicas`), :meth:`fetch`, :meth:`read` and
    :meth:`read_engines` run on a replica that has replayed what the request must see, and
    :meth:`run` (every write, and every read that guards a rule) on the primary, noting where
    the primary's WAL stood after the commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        reads: asyncpg.Pool,
        *,
        attempts: int = 5,
        acquire_timeout: float = 30,
        pooler: str = "none",
        replicas: Replicas | None = None,
        writes: asyncpg.Pool | None = None,
        url: str | None = None,
    ) -> None:
        self.engine = engine
        # The primary's URL as configured, every host of a multi-host one: what a connection
        # of its own (LISTEN, the graph read model, the background jobs' engine) is opened
        # with. The engine's URL names those hosts in its query, which asyncpg reads as one.
        self.url = url or engine.url.render_as_string(hide_password=False)
        self.reads = reads
        # The hot writes' plain transactions; without it (the background worker), they run in
        # a session like every other use case.
        self.writes = writes
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.attempts = attempts
        self.acquire_timeout = acquire_timeout
        # Behind a transaction pooler each hot read is a transaction of its own: the statement
        # timeout comes with its BEGIN (two round trips more than on PostgreSQL itself).
        self.reads_in_transaction = pooler == "transaction"
        self.replicas = replicas
        self._forgot_at = -float("inf")  # monotonic: when the pools last dropped every connection
        # Called with each statement the hot reads send (tests count them).
        self.statement_hooks: list[Callable[[str], None]] = []
        # Called after each commit whose session noted something in ``session.info`` (the
        # graph read model learns which members' graph a commit changed this way).
        self.commit_hooks: list[Callable[[dict[Any, Any]], Awaitable[None]]] = []

    def _replica(self) -> Replica | None:
        return self.replicas.pick(read_after.current()) if self.replicas is not None else None

    def _counted(self, where: str) -> None:
        if self.replicas is not None:
            self.replicas.reads[where] += 1

    async def _fetch_on(self, pool: asyncpg.Pool, sql: str, args: tuple[Any, ...]) -> list[Any]:
        conn = await self._take(pool, ReadPoolExhausted)
        try:
            if self.reads_in_transaction:
                async with conn.transaction():
                    rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            else:
                rows = await conn.fetch(sql, *args)
        finally:
            await pool.release(conn)
        return rows

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Run one read statement on the hot-read pool (a replica's when one may serve it); its
        rows as tuples. No connection free within the pool timeout is
        :class:`ReadPoolExhausted` (answered 503)."""
        for hook in self.statement_hooks:
            hook(sql)
        replica = self._replica()
        if replica is not None:
            try:
                rows = await self._fetch_on(replica.reads, sql, args)
            except Exception as exc:
                if not (isinstance(exc, ReadPoolExhausted) or read_after.falls_back(exc)):
                    raise
                _on_replica_failure(replica, exc)
            else:
                self._counted("replica")
                return rows
        try:
            rows = await self._fetch_on(self.reads, sql, args)
        except Exception as exc:
            await self._forget_connections(exc)
            raise
        self._counted("primary")
        return rows

    async def fetch_primary(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Like :meth:`fetch`, always on the primary: for a read that must see every commit
        acknowledged so far (the live streams' outbox reads, which a replica's lag would leave
        a gap in)."""
        for hook in self.statement_hooks:
            hook(sql)
        rows: list[asyncpg.Record] = await self._fetch_on(self.reads, sql, args)
        return rows

    async def run(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Call ``fn(session, *args)`` inside one transaction: all of it commits, or none."""
        for attempt in range(1, self.attempts + 1):
            try:
                async with self.sessions() as session, session.begin():
                    try:
                        result = await fn(session, *args, **kwargs)
                    except BaseException as failed:
                        if _leaves_connection_unfit(failed):
                            await _discard_connection(session)
                            await self._forget_connections(failed)
                        raise
                noted = session.info
                break
            except (DBAPIError, asyncpg.PostgresError) as exc:
                if not await self._before_retry(exc, attempt):
                    raise
        else:
            raise AssertionError("unreachable")
        await self._committed(noted)
        return result

    async def write(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Call ``fn(tx, *args)`` inside one plain asyncpg transaction (:class:`Tx`): all of it
        commits, or none; retried whole on a deadlock or a serialization failure, and followed
        by the same commit hooks as :meth:`run`. For the hot writes, whose statements all go
        through :func:`driver`: against a session, BEGIN, one statement and COMMIT took 2.3x
        the CPU (435 against 186 µs in process, most of it SQLAlchemy's session and pool)."""
        if self.writes is None:
            return await self.run(fn, *args, **kwargs)
        for attempt in range(1, self.attempts + 1):
            try:
                conn = await self._take(self.writes)
                tx = Tx(conn)
                try:
                    async with conn.transaction():
                        result = await fn(tx, *args, **kwargs)
                except BaseException as failed:
                    if _leaves_connection_unfit(failed):
                        conn.terminate()
                        await self._forget_connections(failed)
                    raise
                finally:
                    await self.writes.release(conn)
                break
            except asyncpg.PostgresError as exc:
                if not await self._before_retry(exc, attempt):
                    raise
        else:
            raise AssertionError("unreachable")
        await self._committed(tx.info)
        return result

    async def _forget_connections(self, failed: BaseException) -> None:
        """After a failure that says the server is gone or no longer the primary (a restart,
        a failover): drop every pooled connection to the primary, so that the others, as
        stale as the one that failed, are not each lent to a request that then fails too.
        New connections find the primary again (with a multi-host ``DATABASE_URL``, the new
        one). At most once a second: an outage's failures come in bursts."""
        if not _primary_gone(failed):
            return  # a cancelled statement spoils its own connection only
        now = asyncio.get_running_loop().time()
        if now - self._forgot_at < 1.0:
            return
        self._forgot_at = now
        log.info("dropping the pooled connections to the primary (%s)", type(failed).__name__)
        with contextlib.suppress(Exception):
            await self.engine.dispose(close=False)  # checked-out ones end with their requests
        for pool in (self.reads, self.writes):
            if pool is not None:
                with contextlib.suppress(Exception):
                    await pool.expire_connections()

    async def _before_retry(self, exc: DBAPIError | asyncpg.PostgresError, attempt: int) -> bool:
        """Whether a transaction that failed with ``exc`` is run again (a deadlock or a
        serialization failure, attempts left): then after a short wait."""
        if attempt == self.attempts or not _is_retryable(exc):
            return False
        log.info("retrying transaction after %s (attempt %d)", getattr(exc, "orig", exc), attempt)
        await asyncio.sleep(0.005 * attempt)
        return True

    async def _committed(self, noted: dict[Any, Any]) -> None:
        """After a commit: where the primary's WAL stands (with replicas), and the commit hooks
        when the transaction noted something."""
        if self.replicas is not None and (state := read_after.current()) is not None:
            await self._note_commit(self.replicas, state)
        if noted:
            for hook in self.commit_hooks:
                await hook(noted)

    async def _take(
        self, pool: asyncpg.Pool, exhausted: type[PoolExhausted] = PoolExhausted
    ) -> asyncpg.Connection:
        """A connection of ``pool`` within the pool timeout, else ``exhausted`` (503)."""
        conn: asyncpg.Connection
        if pool.get_size() == pool.get_max_size() and pool.get_idle_size():
            # Every connection is open and one is free: it is taken at once, so no timer is
            # armed (asyncpg's costs ~10% of a one-row read's CPU). Nothing can wait here: no
            # await comes between, and no connection has to be opened.
            conn = await pool.acquire()
            return conn
        try:
            conn = await pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError:
            raise exhausted("no pooled connection came free in time") from None
        return conn

    async def _note_commit(self, replicas: Replicas, state: read_after.ReadAfter) -> None:
        """Where the primary's WAL stands now, past the commit just made: what this request,
        and its member's next ones, must see. If the primary does not say, this request reads
        from the primary for the rest of it."""
        lsn = await self.wal_position()
        if lsn is None:
            state.on_primary = True
        else:
            replicas.committed(state, lsn)

    async def wal_position(self) -> int | None:
        """The primary's WAL position now (read after a commit: at or past it); ``None`` if it
        could not be read (the write has committed: it is not to fail for this)."""
        try:
            conn = await self.reads.acquire(timeout=self.acquire_timeout)
            try:
                text_lsn = await conn.fetchval("SELECT pg_current_wal_lsn()::text")
            finally:
                await self.reads.release(conn)
        except Exception as exc:
            log.warning("commit position not read: %s", type(exc).__name__)
            return None
        return read_after.parse_lsn(text_lsn)

    async def read(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Like :meth:`run`, for reads: one consistent snapshot, nothing written; on a replica
        when one may serve it."""
        replica = self._replica()
        if replica is not None:
            try:
                result = await self._read_in(replica.sessions, fn, args, kwargs)
            except Exception as exc:
                if not read_after.falls_back(exc):
                    raise
                _on_replica_failure(replica, exc)
            else:
                self._counted("replica")
                return result
        try:
            result = await self._read_in(self.sessions, fn, args, kwargs)
        except Exception as exc:
            await self._forget_connections(exc)
            raise
        self._counted("primary")
        return result

    @staticmethod
    async def _read_in(sessions: Any, fn: Callable[..., Awaitable[T]], args: Any, kwargs: Any) -> T:
        async with sessions() as session, session.begin():
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            return await fn(session, *args, **kwargs)

    def read_engines(self) -> list[AsyncEngine]:
        """Where a long read of its own (the export) may open its snapshot, in order: a
        replica that may serve it, then the primary."""
        replica = self._replica()
        return [self.engine] if replica is None else [replica.engine, self.engine]

    async def dispose(self) -> None:
        await self.reads.close()
        if self.writes is not None:
            await self.writes.close()
        await self.engine.dispose()


def _on_replica_failure(replica: Replica, exc: BaseException) -> None:
    """A read failed on ``replica`` and runs on the primary instead; a replica that could not
    be reached is skipped until a check finds it again."""
    if isinstance(exc, ReadPoolExhausted) or read_after.unreachable(exc):
        replica.down(f"a read failed ({type(exc).__name__})")
    else:
        code = read_after.sqlstate(exc)
        log.info("a read ran on the primary: replica %d answered %s", replica.index, code)
