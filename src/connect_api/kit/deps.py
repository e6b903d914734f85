"""Typed dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPBearer
from pydantic import BeforeValidator

from connect_api.kit.auth import Principal, missing_token, require_admin
from connect_api.kit.context import AppContext
from connect_api.kit.ratelimits import PRINCIPAL
from connect_api.kit.replicas import note_member


class _BearerPrincipal(HTTPBearer):
    """The caller, from the ``Authorization: Bearer`` token: the security scheme of the OpenAPI
    document and the check itself in one dependency. Every route asks for it, and FastAPI
    solves each dependency of a route anew on every request (a profile of ``GET /v1/me``: the
    solving cost about as much as the route's statement), so it depends on nothing else."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            raise missing_token()
        decoded: Principal | None = request.scope.get("state", {}).get(PRINCIPAL)
        if decoded is None:  # else the rate limiter at the door has decoded this very token
            ctx: AppContext = request.app.state.ctx
            decoded = ctx.tokens.decode(credentials.credentials)
        note_member(decoded.member_id)  # with read replicas: they read their own writes
        return decoded


BEARER_DESCRIPTION = (
    "A JWT whose `sub` is the member id; scope `admin` for administration. To get "
    "one for trying the API: `.venv/bin/connect-api token --member 1` on the machine that runs "
    "the service (from its project directory), or the demo's `POST /demo/token` when the demo "
    "is on (see the description above)."
)

get_principal = _BearerPrincipal(
    auto_error=False, scheme_name="bearer", bearerFormat="JWT", description=BEARER_DESCRIPTION
)


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


def ascii_digits(value: object) -> object:
    """A path id is written in ASCII digits only: no sign, no whitespace, no other script's
    digits (``int()`` would read ``" 3 "``, Arabic-Indic ``"٣"`` and
    full-width digits as 3)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a positive integer written in the digits 0-9")
    return value


# Put after ``Path(...)`` on every id in a path (before it, the schema loses its bounds).
AsciiDigits = BeforeValidator(ascii_digits)

MemberId = Annotated[int, Path(gt=0, le=2**63 - 1, description="A member's id."), AsciiDigits]


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_admin(principal: CurrentPrincipal) -> Principal:
    require_admin(principal)
    return principal


AdminPrincipal = Annotated[Principal, Depends(get_admin)]
