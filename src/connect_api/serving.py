"""The server of `connect-api serve`: uvicorn, with a drain period before shutting down."""

from __future__ import annotations

import asyncio
import logging
from types import FrameType

import uvicorn
from fastapi import FastAPI

log = logging.getLogger("connect_api")


class DrainingServer(uvicorn.Server):
    """On SIGTERM (or SIGINT), first drain: ``/readyz`` answers 503 for ``drain`` seconds while
    requests are still accepted and served, so that a load balancer stops sending new ones; then
    stop accepting, and give the requests in flight ``timeout_graceful_shutdown`` seconds to
    finish. A second signal during the drain stops at once."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, drain: float) -> None:
        super().__init__(config)
        self.app = app
        self.drain = drain
        self.draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain <= 0 or self.draining or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self.draining = True
        self.app.state.draining = True
        log.warning("draining for %ss: /readyz answers 503, requests are still served", self.drain)
        loop = asyncio.get_event_loop()
        loop.call_soon_threadsafe(loop.call_later, self.drain, super().handle_exit, sig, None)
