"""The JWT secret kept beside the embedded database, and minting tokens: only the standard
library, PyJWT and the settings, so that `connect-api token` starts fast."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connect_api.kit.config import Settings

ADMIN_SCOPE = "admin"


class MissingSecret(RuntimeError):
    """There is no generated secret where this process looked, and it may not create one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no JWT secret in {path}; run this from the folder where `connect-api serve` runs, "
            "or set CONNECT_API_DATA_DIR (or CONNECT_API_JWT_SECRET)"
        )


def embedded_jwt_secret(settings: Settings, *, create: bool = True) -> str:
    """A per-installation secret, generated once and kept beside the embedded database.
    ``create=False``: refuse (:class:`MissingSecret`) rather than make a new one."""
    path = settings.secret_file
    if path.exists():
        return path.read_text().strip()
    if not create:
        raise MissingSecret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def jwt_secret(settings: Settings, *, create: bool = True) -> str | None:
    """The HMAC secret tokens are checked with: the configured one or, with the embedded
    database and none configured, the one generated for this installation."""
    if (
        settings.jwt_secret is None
        and settings.embedded
        and settings.jwt_algorithm.startswith("HS")
    ):
        return embedded_jwt_secret(settings, create=create)
    return settings.jwt_secret


def mint(
    settings: Settings, key: Any, member_id: int, *, admin: bool, ttl: timedelta, now: datetime
) -> str:
    """A token for ``member_id`` signed with ``key`` the way the service checks tokens."""
    import jwt

    claims: dict[str, Any] = {
        "sub": str(member_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if admin:
        claims["scope"] = ADMIN_SCOPE
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)
