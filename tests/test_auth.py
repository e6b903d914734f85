"""Bearer tokens: the accepted algorithm is configuration's, never the token's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from httpx import AsyncClient

from connect_api.kit.auth import TokenService
from connect_api.kit.clock import ManualClock
from connect_api.kit.config import Settings
from connect_api.kit.errors import InvalidToken
from tests.conftest import JWT_SECRET
from tests.helpers import Api, problem

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _pem_pair(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _claims(**extra: object) -> dict[str, object]:
    exp = datetime.now(UTC) + timedelta(hours=1)
    return {"sub": "7", "exp": int(exp.timestamp())} | extra


def _hs(**overrides: object) -> TokenService:
    return TokenService(Settings(database_url="postgresql://x/y", **overrides), JWT_SECRET)


def test_hs256_round_trip_and_admin_scope() -> None:
    tokens = _hs()
    token = tokens.mint(7, admin=True, ttl=timedelta(hours=1), now=datetime.now(UTC))
    principal = tokens.decode(token)
    assert principal.member_id == 7 and principal.is_admin


def test_a_token_checked_before_is_still_held_to_its_times() -> None:
    """The signature of a token is verified once per process; its expiry and not-before are
    checked on every request, at the service clock's now."""
    clock = ManualClock(NOW)
    tokens = TokenService(Settings(database_url="postgresql://x/y"), JWT_SECRET, clock)
    soon = tokens.mint(7, ttl=timedelta(minutes=5), now=NOW)
    later = jwt.encode(
        {
            "sub": "8",
            "exp": int((NOW + timedelta(hours=2)).timestamp()),
            "nbf": int((NOW + timedelta(hours=1)).timestamp()),
        },
        JWT_SECRET,
        algorithm="HS256",
    )
    assert tokens.decode(soon).member_id == 7
    with pytest.raises(InvalidToken):
        tokens.decode(later)  # not valid yet
    clock.advance(timedelta(minutes=30))
    with pytest.raises(InvalidToken, match="expired"):
        tokens.decode(soon)
    clock.advance(timedelta(minutes=31))
    assert tokens.decode(later).member_id == 8
    forged = soon[: soon.rindex(".") + 1] + ("A" * len(soon.rsplit(".", 1)[1]))
    with pytest.raises(InvalidToken):
        tokens.decode(forged)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "7"},  # no exp
        {"exp": 4102444800},  # no sub
        _claims(sub="abc"),
        _claims(sub="0"),
        _claims(sub=7),
        _claims(exp=int((datetime.now(UTC) - timedelta(hours=2)).timestamp())),
    ],
)
def test_bad_claims_are_refused(claims: dict[str, object]) -> None:
    token = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        _hs().decode(token)


def test_wrong_secret_and_alg_none_are_refused() -> None:
    with pytest.raises(InvalidToken):
        _hs().decode(jwt.encode(_claims(), "another-secret-" + "y" * 32, algorithm="HS256"))
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode())
    unsigned = header.rstrip(b"=").decode() + "." + body.rstrip(b"=").decode() + "."
    with pytest.raises(InvalidToken):
        _hs().decode(unsigned)
    # HS512 with the right secret is still not the configured HS256.
    with pytest.raises(InvalidToken):
        _hs().decode(jwt.encode(_claims(), JWT_SECRET, algorithm="HS512"))


def test_issuer_and_audience_are_checked_when_configured() -> None:
    tokens = _hs(jwt_issuer="https://id.example", jwt_audience="connect-api")
    good = jwt.encode(
        _claims(iss="https://id.example", aud="connect-api"), JWT_SECRET, algorithm="HS256"
    )
    assert tokens.decode(good).member_id == 7
    for claims in (
        _claims(aud="connect-api"),
        _claims(iss="https://id.example"),
        _claims(iss="https://evil.example", aud="connect-api"),
        _claims(iss="https://id.example", aud="other"),
    ):
        with pytest.raises(InvalidToken):
            tokens.decode(jwt.encode(claims, JWT_SECRET, algorithm="HS256"))


@pytest.mark.parametrize(
    ("alg", "key"),
    [
        ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
    ],
)
def test_asymmetric_keys_and_no_hs_confusion(alg: str, key: object) -> None:
    private, public = _pem_pair(key)  # type: ignore[arg-type]
    settings = Settings(
        database_url="postgresql://x/y",
        jwt_algorithm=alg,
        jwt_public_key=public,
        jwt_private_key=private,
    )
    tokens = TokenService(settings, None)
    assert tokens.decode(jwt.encode(_claims(), private, algorithm=alg)).member_id == 7
    # The classic confusion: an HS256 token "signed" with the public key as its secret.
    payload = json.dumps(_claims()).encode()
    signing_input = (
        base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
        + b"."
        + base64.urlsafe_b64encode(payload).rstrip(b"=")
    )
    signature = base64.urlsafe_b64encode(
        hmac.new(public.encode(), signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(InvalidToken):
        tokens.decode((signing_input + b"." + signature).decode())


async def test_http_401_carries_www_authenticate(http: AsyncClient, api: Api) -> None:
    r = await http.get("/v1/me")
    problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = await http.get("/v1/me", headers={"Authorization": "Bearer not-a-jwt"})
    problem(r, 401, "invalid_token")
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    r = await http.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    problem(r, 401, "unauthorized")
    expired = api.token(1, ttl_hours=-1)
    r = await http.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    body = problem(r, 401, "invalid_token")
    assert "expired" in body["detail"]


async def test_token_for_unknown_member_is_401_on_every_member_route(api: Api) -> None:
    member = await api.member()
    ghost = api.as_(123456)
    for r in (
        await ghost.get("/v1/me"),
        await ghost.post("/v1/invitations", json={"invitee_id": member}),
        await ghost.get("/v1/invitations/received"),
        await ghost.get("/v1/invitations/sent"),
        await ghost.get("/v1/invitations/1"),
        await ghost.get(f"/v1/members/{member}/connections"),
        await ghost.delete(f"/v1/connections/{member}"),
        await ghost.get("/v1/events"),
    ):
        problem(r, 401, "invalid_token")
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_admin_scope_is_needed_to_create_members(api: Api) -> None:
    member = await api.member()
    r = await api.as_(member).post("/v1/members", json={"handle": "eve", "display_name": "Eve"})
    problem(r, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
