"""Where webhooks may go: the egress filter against server-side request forgery.

A webhook URL is chosen by an integration, and the POST leaves from inside the platform, so
an integration must not aim it at the platform's own network (the database, Redis, the
cloud's metadata service at 169.254.169.254). The text of a URL proves little: `2130706433`,
`0x7f000001`, `0177.0.0.1` and `127.1` are all 127.0.0.1, and any public name can resolve to
a private address, today or after the check (DNS rebinding). So:

- at registration, `check_registration` refuses what is plainly bad (not http(s),
  credentials in the URL, `localhost`, or a literal address in any numeric form that is not
  public);
- at delivery, `open_connection` resolves the name once, refuses it when ANY address it
  resolves to is not public, and connects to exactly that checked address, with the name
  kept in the Host header and for TLS (SNI and the certificate check). Nothing is resolved
  between the check and the connection.

Private networks that the platform does want to reach (a partner on a VPN, the test's own
receiver on 127.0.0.1) are listed as CIDRs in the setting or environment variable
`AFTERSALES_WEBHOOK_ALLOWED_NETWORKS` (e.g. `10.8.0.0/16,127.0.0.1/32`).
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not global, yet some of them pass `is_global` on older Pythons, or reach IPv4 through IPv6
# (NAT64, 6to4, Teredo) and so could reach a private IPv4 address behind them.
SPECIAL_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "100.64.0.0/10",  # carrier-grade NAT: often internal workloads
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local NAT64
        "2001::/32",  # Teredo
        "2002::/16",  # 6to4
        "5f00::/16",  # segment routing
    )
)

_SCHEMES = {"http": 80, "https": 443}
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class ForbiddenAddress(Exception):
    """The URL's host is, or resolves to, an address webhooks may not go to."""


class UnusableURL(ValueError):
    """Not an http(s) URL with a host that a webhook can be sent to."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, without brackets or a trailing dot
    port: int
    path: str  # with the query


def allowed_networks() -> tuple[IPNetwork, ...]:
    """The private networks webhooks may reach anyway (the allow-list setting)."""
    raw = getattr(settings, "AFTERSALES_WEBHOOK_ALLOWED_NETWORKS", None)
    if raw is None:
        raw = os.environ.get("AFTERSALES_WEBHOOK_ALLOWED_NETWORKS", "")
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why webhooks may not go to `address` (e.g. "loopback"), None when they may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 is 127.0.0.1: judge the IPv4 address it carries
        address = address.ipv4_mapped
    if any(address in network for network in allowed_networks()):
        return None
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if any(address in network for network in SPECIAL_NETWORKS) or not address.is_global:
        return "special-purpose"
    return None


def parse(url: str) -> Target:
    """The parts of an http(s) URL that a delivery needs; `UnusableURL` otherwise."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError as error:  # not a number, or out of range
        raise UnusableURL("the port is not a number from 1 to 65535") from error
    if parts.scheme not in _SCHEMES or not parts.hostname or port == 0:
        raise UnusableURL("not an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UnusableURL("credentials in the URL")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    host = parts.hostname.rstrip(".")
    return Target(parts.scheme, host, port or _SCHEMES[parts.scheme], path)


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as a number stands for, in any form the C library's
    resolver accepts (127.1, 2130706433, 0x7f000001, 0177.0.0.1, ::ffff:7f00:1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_registration(url: str) -> Target:
    """Refuse, by the URL's text alone, what can never be a partner's webhook. Raises
    `UnusableURL` or `ForbiddenAddress`; names are checked again at each delivery."""
    target = parse(url)
    if target.host in _LOCAL_NAMES or target.host.endswith(".localhost"):
        raise ForbiddenAddress(f"{target.host} is this machine")
    address = literal_address(target.host)
    if address is not None and (reason := forbidden_reason(address)) is not None:
        raise ForbiddenAddress(f"{address} is a {reason} address")
    return target


def resolve(target: Target) -> IPAddress:
    """The one address to connect to: every address the name resolves to must be allowed
    (a name that also points inside is refused, whichever answer would be used)."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise ForbiddenAddress(f"{target.host} resolves to no address")
    for address in addresses:
        if (reason := forbidden_reason(address)) is not None:
            raise ForbiddenAddress(f"{target.host} resolves to {address}, a {reason} address")
    return addresses[0]


def open_connection(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    """An HTTP(S) connection to `target` that can only reach the address checked now.

    The connection keeps the name as its host (Host header; TLS SNI and certificate check
    against the name) but opens its socket to the checked address, never resolving again.
    `timeout` bounds the connect and every read."""
    address = resolve(target)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect_to_checked_address(
        _host_port: tuple[str, int], timeout: float, source_address: tuple[str, int] | None
    ) -> socket.socket:
        return socket.create_connection((str(address), target.port), timeout, source_address)

    # http.client opens its socket through this attribute (then wraps it in TLS for the name).
    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    return connection


@contextmanager
def cut_off_after(connection: http.client.HTTPConnection, seconds: float) -> Iterator[None]:
    """Bound a whole exchange, not only each read: a receiver that drips its answer a byte
    at a time under the read timeout is cut off (its socket shut down, so the blocked read
    fails) once `seconds` have passed."""

    def cut() -> None:
        sock = connection.sock
        if sock is not None:
            with suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(seconds, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
