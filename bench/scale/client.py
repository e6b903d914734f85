"""A small HTTP/1.1 client on asyncio streams, and the drivers built on it.

Why not aiohttp or httpx: on this 2-core machine the load generator shares the CPU with the
service and PostgreSQL, so every microsecond the client spends is taken from what it measures.
``python -m bench.scale --client-overhead`` measures it against ``GET /healthz``; the figures are
in bench/README.md (this client costs a fraction of aiohttp's CPU per request, and httpx is
slower still). The client only has to speak to one uvicorn: keep-alive connections,
``Content-Length`` or chunked bodies, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

IDLE_MAX = 3.0  # uvicorn closes keep-alive connections idle for 5 s; never reuse one near that


class Response:
    __slots__ = ("body", "read_after", "status")

    def __init__(self, status: int, body: bytes, read_after: str | None = None) -> None:
        self.status = status
        self.body = body
        self.read_after = read_after  # the Connect-Read-After header, when there is one

    def json(self) -> Any:
        return json.loads(self.body)


class _Conn:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    async def exchange(self, raw: bytes) -> tuple[Response, bool]:
        """Send one request; return the response and whether the connection may be reused."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        chunked, reusable = False, True
        read_after = None
        for line in head[:-4].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection" and b"close" in value.lower():
                reusable = False
            elif name == b"connect-read-after":
                read_after = value.strip().decode("ascii")
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.readexactly(length) if length else b""
        return Response(status, body, read_after), reusable

    def close(self) -> None:
        self.writer.close()


class Client:
    """Keep-alive connections to one host, at most ``max_connections`` open at once."""

    def __init__(self, host: str, port: int, max_connections: int = 512) -> None:
        self.host, self.port = host, port
        self._idle: list[_Conn] = []
        self._slots = asyncio.Semaphore(max_connections)  # one per open connection
        self._host_header = f"Host: {host}:{port}\r\n".encode()

    def raw(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """The bytes of one request; build them ahead of time, so sending costs nothing more."""
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._host_header
        if token:
            head += f"Authorization: Bearer {token}\r\n".encode()
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n".encode()
        payload = b""
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode()
            head += b"Content-Type: application/json\r\n"
        if payload or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {len(payload)}\r\n".encode()
        return head + b"\r\n" + payload

    def _discard(self, conn: _Conn) -> None:
        conn.close()
        self._slots.release()

    async def _acquire(self) -> tuple[_Conn, bool]:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if now - conn.idle_since < IDLE_MAX:
                return conn, True
            self._discard(conn)
        await self._slots.acquire()
        if self._idle:  # one came back while this waited for a slot
            self._slots.release()
            return self._idle.pop(), True
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self._slots.release()
            raise
        return _Conn(reader, writer), False

    async def send(self, raw: bytes) -> Response:
        """One request on a free connection. A connection the server closed while idle is
        replaced once, transparently; any other failure propagates."""
        for attempt in (1, 2):
            conn, reused = await self._acquire()
            try:
                response, reusable = await conn.exchange(raw)
            except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
                self._discard(conn)
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:  # timeout or cancellation: the connection is in an unknown state
                self._discard(conn)
                raise
            if reusable:
                conn.idle_since = time.monotonic()
                self._idle.append(conn)
            else:
                self._discard(conn)
            return response
        raise AssertionError("unreachable")

    async def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return await self.send(self.raw(method, path, token, body, headers))

    async def close(self) -> None:
        while self._idle:
            self._discard(self._idle.pop())


# --- drivers ----------------------------------------------------------------------------------


@dataclass
class Result:
    """What one phase of load did: latencies in seconds, from the intended send time."""

    offered: float | None  # requests per second asked for (None: closed loop)
    duration: float
    latencies: list[float] = field(default_factory=list)  # every request; timeouts at `timeout`
    statuses: Counter[str] = field(default_factory=Counter)  # "200", "500", "timeout", "error"
    ok: int = 0
    send_lag: list[float] = field(default_factory=list)  # actual start - intended start
    cpu: float = 0.0  # CPU seconds this process spent in the phase

    @property
    def achieved(self) -> float:
        return self.ok / self.duration if self.duration else 0.0

    @property
    def errors(self) -> dict[str, int]:
        return {k: v for k, v in self.statuses.items() if not k.startswith("2")}

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def open_loop(
    client: Client,
    requests: Sequence[bytes],
    rate: float,
    duration: float,
    give_up: float = 5.0,
    expect: Callable[[int], bool] = lambda status: 200 <= status < 300,
) -> Result:
    """Send ``requests`` (cycled) at ``rate`` per second for ``duration`` seconds, each at its
    intended time whatever the previous ones are doing. Latency counts from the intended time,
    so a service that falls behind shows its queue; a request unanswered ``give_up`` seconds
    after its intended time is abandoned and counted as ``timeout`` (at ``give_up`` seconds)."""
    loop = asyncio.get_running_loop()
    count = max(1, round(rate * duration))
    result = Result(offered=rate, duration=duration)
    cpu0 = time.process_time()
    start = loop.time() + 0.05
    last_done = start

    async def one(intended: float, raw: bytes) -> None:
        nonlocal last_done
        result.send_lag.append(loop.time() - intended)
        try:
            async with asyncio.timeout_at(intended + give_up):
                response = await client.send(raw)
        except TimeoutError:
            result.latencies.append(give_up)
            result.statuses["timeout"] += 1
            return
        except Exception as exc:  # a broken connection or response: an error, not a crash
            result.latencies.append(loop.time() - intended)
            result.statuses[f"error:{type(exc).__name__}"] += 1
            return
        done = loop.time()
        last_done = max(last_done, done)
        result.latencies.append(done - intended)
        result.statuses[str(response.status)] += 1
        if expect(response.status):
            result.ok += 1

    tasks = []
    for i in range(count):
        intended = start + i / rate
        delay = intended - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(intended, requests[i % len(requests)])))
    await asyncio.gather(*tasks)
    result.duration = max(duration, last_done - start)
    result.cpu = time.process_time() - cpu0
    return result


async def closed_loop(
    workers: int,
    jobs: Sequence[Callable[[], Awaitable[bool]]],
    deadline: float | None = None,
) -> Result:
    """``workers`` clients, each taking the next job when its last one is done, until the jobs
    run out (or ``deadline`` seconds pass). A job returns whether it succeeded."""
    loop = asyncio.get_running_loop()
    result = Result(offered=None, duration=0.0)
    queue = iter(jobs)
    cpu0 = time.process_time()
    start = loop.time()
    stop_at = start + deadline if deadline else float("inf")

    async def worker() -> None:
        for job in queue:
            if loop.time() >= stop_at:
                return
            t0 = loop.time()
            try:
                ok = await job()
            except Exception as exc:  # counted, and the client goes on
                result.statuses[f"error:{type(exc).__name__}"] += 1
                ok = False
            result.latencies.append(loop.time() - t0)
            if ok:
                result.ok += 1
                result.statuses["2xx"] += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    result.duration = loop.time() - start
    result.cpu = time.process_time() - cpu0
    return result


def send_accept(
    client: Client, tokens: dict[int, str], a: int, b: int, statuses: Counter[str]
) -> Callable[[], Awaitable[bool]]:
    """One send + accept between ``a`` and ``b`` (their tokens in ``tokens``), as a job of
    :func:`closed_loop`: true once they are connected; what else came back counted in
    ``statuses``."""

    async def job() -> bool:
        r = await client.request("POST", "/v1/invitations", tokens[a], {"invitee_id": b})
        if r.status != 201:
            statuses[f"send {r.status}"] += 1
            return False
        r = await client.request("POST", f"/v1/invitations/{r.json()['id']}/accept", tokens[b])
        statuses[f"accept {r.status}"] += 1
        return r.status == 200

    return job
