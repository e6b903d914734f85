"""Typed dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator

from connect_api.kit.auth import Principal, missing_token, require_admin
from connect_api.kit.context import AppContext
from connect_api.kit.ratelimits import PRINCIPAL
from connect_api.kit.replicas import note_member

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A JWT whose `sub` is the member id; scope `admin` for administration.",
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


async def get_principal(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise missing_token()
    decoded: Principal | None = request.scope.get("state", {}).get(PRINCIPAL)
    if decoded is None:  # else the rate limiter at the door has decoded this very token
        decoded = ctx.tokens.decode(credentials.credentials)
    note_member(decoded.member_id)  # with read replicas: they read their own writes
    return decoded


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_admin(principal: CurrentPrincipal) -> Principal:
    require_admin(principal)
    return principal


AdminPrincipal = Annotated[Principal, Depends(get_admin)]
