"""Opening live streams, stream tickets, and the badge's numbers."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connect_api.events import repository as events
from connect_api.kit.auth import Principal, require_admin
from connect_api.kit.context import AppContext
from connect_api.kit.database import Work
from connect_api.kit.errors import BadRequest, DomainError, Forbidden, Unauthorized, member_gone
from connect_api.live import repository as tickets
from connect_api.live.hub import PAGE, Hub, ends_at
from connect_api.live.stream import EventStream
from connect_api.members import repository as members

TICKET_PREFIX = "st_"


class InvalidTicket(Unauthorized):
    """The stream ticket is unknown, used already or expired: ask for another."""

    code = "invalid_ticket"


class TicketNotYours(Forbidden):
    """The stream ticket was given to another member than the bearer token's."""

    code = "ticket_not_yours"


class InvalidLastEventId(BadRequest):
    """`Last-Event-ID` (or `after`) is not a position of the event feed."""

    code = "invalid_last_event_id"


class StreamPositionExpired(DomainError):
    """The stream would resume from further back than it replays: reload, then open it anew."""

    status, code, title = 410, "stream_position_expired", "Position expired"


@dataclass(frozen=True)
class Minted:
    ticket: str
    expires_at: datetime
    expires_in: int


def _digest(ticket: str) -> bytes:
    return hashlib.sha256(ticket.encode("utf-8")).digest()


async def mint_ticket(ctx: AppContext, principal: Principal) -> Minted:
    """A single-use ticket for the caller's stream, valid ``stream_ticket_seconds``."""
    now = ctx.clock.now()
    seconds = ctx.settings.stream_ticket_seconds
    ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=seconds)
    token_expires = (
        datetime.fromtimestamp(principal.expires_at, UTC)
        if principal.expires_at is not None
        else expires_at
    )

    async def keep(tx: Work) -> None:
        if await members.get(tx, principal.member_id) is None:
            raise member_gone()
        await tickets.mint(
            tx,
            _digest(ticket),
            principal.member_id,
            token_expires_at=token_expires,
            now=now,
            expires_at=expires_at,
        )

    await ctx.db.write(keep)
    return Minted(ticket, expires_at, seconds)


async def caller_of_ticket(ctx: AppContext, ticket: str, bearer: Principal | None) -> Principal:
    """Whom a ticket opens the stream for (it is used up by this call), as a principal whose
    token expires when the one that asked for the ticket does."""
    redeemed = None
    if ticket.startswith(TICKET_PREFIX) and len(ticket) < 100:
        redeemed = await ctx.db.write(tickets.redeem, _digest(ticket))
    if redeemed is None or redeemed.expires_at <= ctx.clock.now():
        raise InvalidTicket("The stream ticket is unknown, used already or expired.")
    if bearer is not None and bearer.member_id != redeemed.member_id:
        raise TicketNotYours("The stream ticket was given to another member.")
    return Principal(
        member_id=redeemed.member_id,
        scopes=frozenset(),
        expires_at=redeemed.token_expires_at.timestamp(),
    )


def parse_position(given: str | None) -> int | None:
    """``Last-Event-ID`` or ``after``: a feed position (ASCII digits), ``None`` when absent."""
    if given is None or given == "":
        return None
    if not (given.isascii() and given.isdigit()) or len(given) > 19:
        raise InvalidLastEventId("`Last-Event-ID` (or `after`) must be an event id of the stream.")
    return int(given)


async def _check_position(ctx: AppContext, after: int) -> None:
    """Refuse a position past the feed's end, or one that would replay more than
    ``stream_replay_hours`` (everything committed is published by then)."""
    last, first_missed = (await ctx.db.fetch_primary(events.RESUMING, after))[0]
    if after > last:
        raise InvalidLastEventId("`Last-Event-ID` (or `after`) is past the end of the feed.")
    window = timedelta(hours=ctx.settings.stream_replay_hours)
    if first_missed is not None and first_missed < ctx.clock.now() - window:
        raise StreamPositionExpired(
            f"The stream replays at most {ctx.settings.stream_replay_hours:g} hours; reload, "
            "then open the stream without `Last-Event-ID`."
        )


async def open_stream(
    ctx: AppContext, hub: Hub, principal: Principal, after: int | None, *, everything: bool
) -> EventStream:
    """The caller's stream (or, ``everything``, an admin's of the whole feed), registered with
    the hub, resuming after ``after`` (``None``: from now on)."""
    if everything:
        require_admin(principal)
    member_id = None if everything else principal.member_id
    stream = hub.open(member_id)
    try:
        # Registered first, then everything committed so far given its position: the hub
        # hands this stream every event after it, and a new stream starts after it.
        newest = await hub.newest()
        hub.stand_at(newest)
        if after is not None:
            await _check_position(ctx, after)
        # The badge, read after registering: a change after this read reaches the stream
        # (and the hub reads the badge again); none: the member is gone.
        counts = None
        if member_id is not None:
            found = await members.received_counts_of(ctx.db, [member_id], ctx.clock.now())
            counts = found.get(member_id)
            if counts is None:
                raise member_gone()
    except BaseException:
        hub.release(stream)
        raise
    start = newest if after is None else after

    async def replay(since: int) -> list[object]:
        if member_id is None:
            return list(await ctx.db.fetch_primary(events.EVERY_AFTER, since, PAGE))
        return list(await ctx.db.fetch_primary(events.MEMBERS_AFTER, since, PAGE, member_id))

    return EventStream(
        hub,
        stream,
        after=start,
        replay=replay,
        counts=counts,
        deadline=ends_at(principal.expires_at, ctx.clock.now().timestamp()),
    )


async def mark_seen(ctx: AppContext, member_id: int) -> dict[str, int]:
    """The caller has looked at their inbox up to now; the badge's numbers after it."""
    row = await ctx.db.write(members.mark_received_seen, member_id, ctx.clock.now())
    if row is None:
        raise member_gone()
    return {"pending_received": row["pending_received"], "unseen_received": row["unseen_received"]}
