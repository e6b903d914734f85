"""What the service serves to browsers beside the API: the reference Connect button
(`/static/connect-button.js`, always) and the demo page that uses it (`/demo`, only when
`CONNECT_API_DEMO` is on). None of it is API, so none of it is in the OpenAPI document."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Coroutine
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, StrictInt

from connect_api.kit.deps import Ctx
from connect_api.kit.errors import NotFound
from connect_api.kit.pagination import QueryDigits
from connect_api.members import repository as members
from connect_api.members.schemas import MemberSummary

STATIC_FILES = {"connect-button.js": "text/javascript; charset=utf-8"}
DEMO_TOKEN_TTL = timedelta(hours=1)


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """A file shipped in the package's ``static/`` folder, and its ETag."""
    body = (resources.files("connect_api") / "static" / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _serve(request: Request, name: str, media_type: str) -> Response:
    body, etag = _asset(name)
    # Revalidated on every use, so a new version of the service is picked up at once.
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


static_router = APIRouter(include_in_schema=False)


@static_router.api_route("/static/{name}", methods=["GET", "HEAD"])
async def static_file(name: str, request: Request) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise NotFound()
    return _serve(request, name, media_type)


# --- the demo ---------------------------------------------------------------------------------

_FORWARDED = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
# The names a browser on this machine reaches the service by. Any other name, even one that
# resolves to 127.0.0.1 (``localhost.attacker.example``, ``127.0.0.1.nip.io``), is a page of
# another site that rebound its name to this machine (DNS rebinding).
_LOOPBACK_NAMES = frozenset(("localhost", "127.0.0.1", "[::1]"))


def _authority(value: str) -> tuple[str, int | None] | None:
    """``host[:port]`` (an IPv6 address in brackets) as (lower-case host, port or ``None``);
    ``None`` for anything else."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
    else:
        name, sep, port = value.partition(":")
        rest = sep + port
    if not rest:
        return name.lower(), None
    digits = rest[1:]
    if rest[0] != ":" or not (digits.isascii() and digits.isdigit()) or len(digits) > 5:
        return None
    return name.lower(), int(digits)


def _same_machine_host(request: Request) -> bool:
    """``Host`` is a loopback name, with the port the service listens on or none, and an
    ``Origin``, when there is one, is that same origin over http."""
    hosts = request.headers.getlist("host")
    if len(hosts) != 1 or (host := _authority(hosts[0])) is None:
        return False
    name, port = host
    server = request.scope.get("server")
    if name not in _LOOPBACK_NAMES or (port is not None and server and port != server[1]):
        return False
    for origin in request.headers.getlist("origin"):
        scheme, sep, rest = origin.partition("://")
        given = _authority(rest) if sep and scheme == "http" else None
        if given is None or given[0] != name or (given[1] or 80) != (port or 80):
            return False
    return True


def _only_from_this_machine(request: Request) -> None:
    """Every demo route answers only a browser on this machine: a loopback peer, no proxy in
    between (a proxy on the same host would make any visitor look local), a loopback name in
    ``Host`` and no other site's ``Origin`` (a page elsewhere whose name was rebound to
    127.0.0.1 would otherwise be served as if it were this one). Anyone else gets the 404 of a
    route that does not exist."""
    host = request.client.host if request.client else ""
    try:
        peer = ipaddress.ip_address(host)
    except ValueError:
        local = False
    else:  # 127.0.0.1 as a dual-stack socket reports it: ::ffff:127.0.0.1
        mapped = peer.ipv4_mapped if isinstance(peer, ipaddress.IPv6Address) else None
        local = (mapped or peer).is_loopback
    if (
        not local
        or any(h in request.headers for h in _FORWARDED)
        or not _same_machine_host(request)
    ):
        raise NotFound()


class _OnlyFromThisMachine(APIRoute):
    """A demo route: the check runs before anything of the request is read or validated, so
    a request from elsewhere learns nothing, not even that the route exists."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            _only_from_this_machine(request)
            return await handler(request)

        return guarded


demo_router = APIRouter(include_in_schema=False, route_class=_OnlyFromThisMachine)


@demo_router.api_route("/demo", methods=["GET", "HEAD"])
async def demo_page(request: Request) -> Response:
    return _serve(request, "demo.html", "text/html; charset=utf-8")


class DemoMember(MemberSummary):
    connection_count: int


class DemoMembers(BaseModel):
    items: list[DemoMember]


@demo_router.get("/demo/members")
async def demo_members(
    ctx: Ctx,
    after: Annotated[int, Query(ge=0, le=2**63 - 1), QueryDigits] = 0,
    limit: Annotated[int, Query(ge=1, le=200), QueryDigits] = 100,
) -> DemoMembers:
    """Members to act as, and to show buttons for, by id."""
    rows = await members.demo_page(ctx.db, after, limit)
    return DemoMembers(items=[DemoMember(**dict(r)) for r in rows])


class DemoTokenRequest(BaseModel):
    member_id: StrictInt = Field(gt=0, le=2**63 - 1)


class DemoToken(BaseModel):
    token: str
    expires_in: int
    member: DemoMember


@demo_router.post("/demo/token")
async def demo_token(ctx: Ctx, body: DemoTokenRequest) -> DemoToken:
    """A member's token (never admin) for an hour, so that the demo page can act as them."""
    row = await members.demo_member(ctx.db, body.member_id)
    if row is None:
        raise NotFound()
    try:
        token = ctx.tokens.mint(body.member_id, ttl=DEMO_TOKEN_TTL, now=ctx.clock.now())
    except ValueError:  # RS256/ES256 without the private key: nothing to sign with
        raise NotFound("The demo cannot mint tokens without a signing key.") from None
    return DemoToken(
        token=token,
        expires_in=int(DEMO_TOKEN_TTL.total_seconds()),
        member=DemoMember(**dict(row)),
    )
