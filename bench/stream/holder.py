"""The load process of ``bench.stream``: it holds the live streams, one per member, and notes
every event they bring with the time it arrived.

It runs as its own process (``python -m bench.stream.holder``, started by the harness), so
that reading thousands of streams never shares an event loop, or a core's time slice, with
the harness that writes and times the writes. It speaks to the harness over its stdin and
stdout, one JSON object a line: first the spec (``host``, ``port``, ``streams``: pairs of
member id and token, ``concurrency``, ``open_timeout``), then commands, each answered by one
line:

- ``{"op": "open"}``: open every stream, at most ``concurrency`` opening at once; a stream is
  open once its first ``counts`` event arrived (its replay is done and it is live).
  Answer: how many opened, the refusals by cause, the seconds it took.
- ``{"op": "state"}``: streams open, frames received so far, this process's CPU and RSS.
- ``{"op": "take"}``: the events received since the last ``take`` (and forgets them):
  ``[member, type, invitation_id, received, occurred_at]``, ``received`` by ``time.time()``
  when the chunk that completed the event was read.
- ``{"op": "stop"}``: closes every stream, answers ``state``, exits.

Why not httpx or aiohttp: 10,000 open responses would cost more memory and CPU here than the
service spends on them. Each stream is ``asyncio.open_connection``, a GET written by hand, and
the chunked ``text/event-stream`` body parsed by hand (chunk sizes, then frames ending in a
blank line): one task, one reader and a few hundred bytes of state per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

# The fields of one delivered event, in the order ``take`` answers them.
Event = tuple[int, str, "int | None", float, str]


def raise_nofile() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard one (each stream is a file descriptor, on both ends);
    children started afterwards inherit it. Returns the (soft, hard) limits now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def vm_rss(pid: int | str = "self") -> int:
    """Resident set size of a process in bytes, from ``/proc/<pid>/status`` (``VmRSS``)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _code(body: bytes) -> str:
    """The problem ``code`` of a refusal's body, or ``""``."""
    try:
        return str(json.loads(body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _cancel(timer: asyncio.TimerHandle) -> Callable[[object], None]:
    return lambda _: timer.cancel()


class Holder:
    def __init__(self, host: str, port: int, open_timeout: float) -> None:
        self.host, self.port = host, port
        self.open_timeout = open_timeout
        self.open = 0  # streams whose response started and has not ended
        self.failed: Counter[str] = Counter()  # streams that never became live, by cause
        self.ended: Counter[str] = Counter()  # live streams that ended, by how
        self.events: list[Event] = []
        self.frames: Counter[str] = Counter()  # every frame: counts, heartbeat, event, close
        self.tasks: set[asyncio.Task[None]] = set()
        self._head = f"GET /v1/me/stream HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()

    def _request(self, token: str) -> bytes:
        return (
            self._head + f"Authorization: Bearer {token}\r\n".encode() + b"Accept: "
            b"text/event-stream\r\nCache-Control: no-store\r\n\r\n"
        )

    # --- one stream ---------------------------------------------------------------------------

    async def hold(self, member: int, token: str, live: asyncio.Future[bool]) -> None:
        """Open ``member``'s stream and read it until it ends or this task is cancelled;
        ``live`` is resolved True at its first ``counts`` event, False if it never gets there."""
        writer: asyncio.StreamWriter | None = None
        started = False
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(self._request(token))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            if status != 200:
                body = b""
                for line in lower.split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        body = await reader.readexactly(int(line[15:]))
                self._refused(live, f"{status} {_code(body)}".strip())
                return
            chunked = b"transfer-encoding: chunked" in lower
            self.open += 1
            started = True
            await self._read(member, reader, chunked, live)
            self.ended["ended by the service" if live.done() else "ended before live"] += 1
        except asyncio.CancelledError:
            raise
        except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            if live.done():
                self.ended[f"broken: {type(exc).__name__}"] += 1
            else:
                self._refused(live, type(exc).__name__)
        finally:
            if started:
                self.open -= 1
            if writer is not None:
                writer.close()
            if not live.done():
                live.set_result(False)

    def _refused(self, live: asyncio.Future[bool], cause: str) -> None:
        self.failed[cause] += 1
        if not live.done():
            live.set_result(False)

    async def _read(
        self, member: int, reader: asyncio.StreamReader, chunked: bool, live: asyncio.Future[bool]
    ) -> None:
        """The body: chunks (size line, bytes, CRLF) carrying frames that end in a blank line;
        a frame may span chunks, and one chunk may carry several frames."""
        buf = b""
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    return
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
            received = time.time()
            buf += data
            while (end := buf.find(b"\n\n")) >= 0:
                self._frame(member, buf[:end], received, live)
                buf = buf[end + 2 :]

    def _frame(self, member: int, raw: bytes, received: float, live: asyncio.Future[bool]) -> None:
        event = data = None
        comment = False
        for line in raw.split(b"\n"):
            if line.startswith(b"event:"):
                event = line[6:].strip()
            elif line.startswith(b"data:"):
                data = line[5:].strip()
            elif line.startswith(b":"):
                comment = True
        if event is None:
            # ``retry: 1000`` + ``: connected`` first, then ``: heartbeat`` on a quiet stream.
            self.frames["heartbeat" if b"heartbeat" in raw else "comment" if comment else "?"] += 1
            return
        if event == b"counts":
            self.frames["counts"] += 1
            if not live.done():
                live.set_result(True)
            return
        if event == b"close":
            self.frames["close"] += 1
            reason = json.loads(data or b"{}").get("reason", "?")
            self.ended[f"close: {reason}"] += 1
            return
        self.frames["event"] += 1
        item = json.loads(data or b"{}")
        inner = item.get("data") or {}
        invitation = inner.get("invitation_id")
        self.events.append(
            (
                member,
                str(item.get("type")),
                invitation if isinstance(invitation, int) else None,
                received,
                str(item.get("occurred_at")),
            )
        )

    # --- all of them --------------------------------------------------------------------------

    async def open_all(self, streams: list[tuple[int, str]], concurrency: int) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(concurrency)
        started = time.perf_counter()
        cpu = time.process_time()
        pending: list[asyncio.Future[bool]] = []
        for member, token in streams:
            await slots.acquire()
            live: asyncio.Future[bool] = loop.create_future()
            live.add_done_callback(lambda _: slots.release())
            task = asyncio.create_task(self.hold(member, token, live))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            timer = loop.call_later(self.open_timeout, self._too_slow, task, live)
            live.add_done_callback(_cancel(timer))
            pending.append(live)
        if pending:
            await asyncio.wait(pending)
        return {
            "opened": sum(1 for f in pending if f.result()),
            "failed": dict(self.failed),
            "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu,
        }

    def _too_slow(self, task: asyncio.Task[None], live: asyncio.Future[bool]) -> None:
        if not live.done():
            self._refused(live, f"not live after {self.open_timeout:g} s")
            task.cancel()

    def state(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "frames": dict(self.frames),
            "ended": dict(self.ended),
            "failed": dict(self.failed),
            "events": len(self.events),
            "cpu": time.process_time(),
            "rss": vm_rss(),
            "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        }

    def take(self) -> list[Event]:
        taken, self.events = self.events, []
        return taken

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=30)


async def serve(spec: dict[str, Any]) -> None:
    holder = Holder(spec["host"], int(spec["port"]), float(spec.get("open_timeout", 60)))
    streams = [(int(m), str(t)) for m, t in spec["streams"]]

    def answer(obj: object) -> None:
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:  # the harness is gone
            await holder.stop()
            return
        op = json.loads(line)["op"]
        if op == "open":
            answer(await holder.open_all(streams, int(spec.get("concurrency", 100))))
        elif op == "state":
            answer(holder.state())
        elif op == "take":
            answer(holder.take())
        elif op == "stop":
            await holder.stop()
            answer(holder.state())
            return
        else:
            answer({"error": f"unknown op {op!r}"})


def main() -> None:
    raise_nofile()
    spec = json.loads(sys.stdin.readline())
    try:
        import uvloop  # the service's own loop (uvicorn's), cheaper per socket than asyncio's
    except ImportError:
        asyncio.run(serve(spec))
    else:
        uvloop.run(serve(spec))


if __name__ == "__main__":
    main()
