"""SQL for stream tickets (only a ticket's SHA-256 digest is ever stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connect_api.kit.database import Work, driver

_MINT = """
WITH gone AS (DELETE FROM stream_tickets WHERE expires_at < $4)
INSERT INTO stream_tickets (digest, member_id, token_expires_at, expires_at)
VALUES ($1, $2, $3, $5)
"""
# Single use: whoever deletes it has it, expired or not.
_REDEEM = """
DELETE FROM stream_tickets WHERE digest = $1
RETURNING member_id, token_expires_at, expires_at
"""


@dataclass(frozen=True)
class Redeemed:
    member_id: int
    token_expires_at: datetime
    expires_at: datetime


async def mint(
    tx: Work,
    digest: bytes,
    member_id: int,
    *,
    token_expires_at: datetime,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Keep a new ticket's digest (and forget the expired ones)."""
    conn = await driver(tx)
    await conn.execute(_MINT, digest, member_id, token_expires_at, now, expires_at)


async def redeem(tx: Work, digest: bytes) -> Redeemed | None:
    """Take the ticket of this digest (it is gone afterwards); ``None``: there is none."""
    conn = await driver(tx)
    row = await conn.fetchrow(_REDEEM, digest)
    if row is None:
        return None
    return Redeemed(row["member_id"], row["token_expires_at"], row["expires_at"])
