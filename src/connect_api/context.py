"""What every request can reach: settings, the database, the clock and the token service."""

from __future__ import annotations

from dataclasses import dataclass

from connect_api.auth import TokenService
from connect_api.clock import Clock
from connect_api.config import Settings
from connect_api.database import Database


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock
    tokens: TokenService
