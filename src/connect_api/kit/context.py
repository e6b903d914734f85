"""What every request can reach: settings, the database, the clock, the token service and the
metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connect_api.kit.auth import TokenService
from connect_api.kit.clock import Clock
from connect_api.kit.config import Settings
from connect_api.kit.database import Database
from connect_api.kit.pagination import Cursors

if TYPE_CHECKING:
    from connect_api.kit.metrics import Metrics
    from connect_api.kit.supervisor import Supervisor


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock
    tokens: TokenService
    metrics: Metrics | None = None
    # Watches the embedded PostgreSQL (None with DATABASE_URL: its operator restarts it).
    supervisor: Supervisor | None = None
    # Mints and reads every list's cursors with the deployment's cursor key.
    cursors: Cursors = field(kw_only=True)
    # The graph read model (``connect_api.graph.feed.GraphFeed``) when it is on; rooms reach it
    # through ``connect_api.graph.feed.of``. Typed loosely: the kit knows no domain.
    graph: object | None = field(default=None, kw_only=True)
    # The live streams' hub (``connect_api.live.hub.Hub``), for the metrics to read.
    live: object | None = field(default=None, kw_only=True)
