"""Bearer JWTs (PyJWT). The accepted algorithm comes from configuration, never from the token."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from connect_api.kit import tokens
from connect_api.kit.clock import Clock, SystemClock
from connect_api.kit.config import Settings
from connect_api.kit.errors import (
    Forbidden,
    InvalidToken,
    MissingToken,
    Unauthorized,
    bearer_challenge,
)

ADMIN_SCOPE = tokens.ADMIN_SCOPE
# A member id as `sub`: ASCII digits only (`str.isdigit` also takes "٢" and "²"), a BIGINT.
_MEMBER_ID = re.compile(r"[0-9]{1,19}")
# Verified tokens kept per process (see TokenService._verified).
TOKEN_CACHE = 4096


@dataclass(frozen=True)
class Principal:
    member_id: int
    scopes: frozenset[str]
    # When the token expires (seconds since the epoch): a live stream closes then.
    expires_at: float | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes


class InsufficientScope(Forbidden):
    """This operation needs the `admin` scope."""

    code = "insufficient_scope"


class TokenService:
    def __init__(self, settings: Settings, secret: str | None, clock: Clock | None = None) -> None:
        # Time claims are checked against the service's clock, the one source of "now".
        self.clock = clock or SystemClock()
        self._settings = settings
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        if self.algorithm.startswith("HS"):
            if not secret:
                raise ValueError("CONNECT_API_JWT_SECRET is required for HS* algorithms")
            self._verify_key: Any = secret
            self._sign_key: Any = secret
        else:
            if not settings.jwt_public_key:
                raise ValueError(f"CONNECT_API_JWT_PUBLIC_KEY is required for {self.algorithm}")
            self._verify_key = settings.jwt_public_key
            self._sign_key = settings.jwt_private_key

        # A client sends the same token with every request: its signature is checked once
        # and the claims kept (the time claims are still checked on every request, at the
        # service clock's now). Bounded: at most TOKEN_CACHE tokens, each under the edge's
        # header limit; a token that fails is not kept.
        self._verified = functools.lru_cache(maxsize=TOKEN_CACHE)(self._verify)

    def _verify(self, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            self._verify_key,
            algorithms=[self.algorithm],
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            options={
                "require": ["exp", "sub"],
                "verify_aud": self.audience is not None,
                "verify_iss": self.issuer is not None,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        return claims

    def decode(self, token: str) -> Principal:
        try:
            claims = self._verified(token)
            self._check_times(claims)
        except jwt.ExpiredSignatureError:
            raise InvalidToken(
                "The token has expired.", headers=bearer_challenge("invalid_token", "token expired")
            ) from None
        except jwt.PyJWTError:
            raise InvalidToken("The bearer token is not valid.") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not _MEMBER_ID.fullmatch(sub) or not 0 < int(sub) < 2**63:
            raise InvalidToken("The token's subject is not a member id.")
        scope = claims.get("scope", "")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        return Principal(member_id=int(sub), scopes=scopes, expires_at=float(claims["exp"]))

    def _check_times(self, claims: dict[str, Any]) -> None:
        """``exp``, ``nbf`` and ``iat`` as PyJWT checks them, but at the service clock's now."""
        now = self.clock.now().timestamp()
        for name in ("exp", "nbf", "iat"):
            value = claims.get(name)
            if name in claims and (not isinstance(value, int | float) or isinstance(value, bool)):
                raise jwt.InvalidTokenError(f"{name} must be a number")
        if claims["exp"] <= now - self.leeway:
            raise jwt.ExpiredSignatureError("token expired")
        if "nbf" in claims and claims["nbf"] > now + self.leeway:
            raise jwt.ImmatureSignatureError("token not yet valid (nbf)")
        if "iat" in claims and claims["iat"] > now + self.leeway:
            raise jwt.ImmatureSignatureError("token not yet valid (iat)")

    def mint(self, member_id: int, *, admin: bool = False, ttl: timedelta, now: datetime) -> str:
        if self._sign_key is None:
            raise ValueError("CONNECT_API_JWT_PRIVATE_KEY is required to mint tokens")
        return tokens.mint(self._settings, self._sign_key, member_id, admin=admin, ttl=ttl, now=now)


def missing_token() -> Unauthorized:
    return MissingToken("A bearer token is required.", headers=bearer_challenge())


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise InsufficientScope(
            "This operation needs the `admin` scope.",
            headers=bearer_challenge("insufficient_scope", "the admin scope is required"),
        )
