"""Where a webhook may be delivered: public addresses only, unless private ones are allowed.

Checked twice: at registration on the URL (whose host pydantic has already normalised the way
browsers do, so ``2130706433``, ``0x7f000001``, ``127.1`` and ``①②⑦.0.0.1`` all read as
``127.0.0.1``), and at every delivery on the addresses the host name resolves to then, the
request going to the address that was checked (so a name that resolves elsewhere by the time of
sending, DNS rebinding, changes nothing).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx
from pydantic import HttpUrl

from connect_api.kit.errors import Unprocessable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookUrlNotAllowed(Unprocessable):
    """The webhook URL has credentials in it, or names a loopback, private, link-local, shared,
    multicast or reserved address."""

    code = "webhook_url_not_allowed"


class TargetRefused(Exception):
    """A delivery's host resolves to an address deliveries may not go to (or to none)."""


def _address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(ip: IPAddress) -> bool:
    """A globally routable unicast address (an IPv4 address inside IPv6 is judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public(embedded)
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_unspecified
    )


def _local_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith((".localhost", ".local", ".internal"))


def check_registration(url: HttpUrl, *, allow_private: bool) -> None:
    if url.username or url.password:
        raise WebhookUrlNotAllowed("A webhook URL must not carry a user name or password.")
    if allow_private:
        return
    host = url.host or ""
    ip = _address(host)
    if (ip is not None and not is_public(ip)) or (ip is None and _local_name(host)):
        raise WebhookUrlNotAllowed(
            "Webhooks are delivered to public addresses only; this URL names a loopback, "
            "private, link-local, shared, multicast or reserved address."
        )


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, str]


async def resolve(url: str, *, allow_private: bool) -> Target:
    """Where to send a delivery for ``url``: the URL rewritten to an address that was checked,
    with ``Host`` and the TLS server name kept as they were."""
    parsed = httpx.URL(url)
    if allow_private:
        return Target(parsed, {}, {})
    host = parsed.host
    if parsed.userinfo:
        raise TargetRefused("credentials in the URL")
    ip = _address(host)
    if ip is None:
        if _local_name(host):
            raise TargetRefused("local name")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise TargetRefused("name not resolved") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses or not all(is_public(a) for a in addresses):
            raise TargetRefused("address not allowed")
        ip = addresses[0]
    elif not is_public(ip):
        raise TargetRefused("address not allowed")
    host_header = host if parsed.port is None else f"{host}:{parsed.port}"
    return Target(
        parsed.copy_with(host=str(ip)),
        {"host": host_header},
        {"sni_hostname": host} if parsed.scheme == "https" else {},
    )
