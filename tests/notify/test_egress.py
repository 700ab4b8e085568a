"""The egress filter: a webhook goes only to a public address, checked where the name
resolves at delivery time and connected to exactly as checked (no second lookup)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from aftersales.core import clock
from aftersales.notify import egress, services
from aftersales.notify.dispatcher import DeliveryResult, deliver_due
from aftersales.notify.models import WebhookEndpoint
from tests.api import file_case

real_getaddrinfo = socket.getaddrinfo

# What the partner-controlled DNS names of these tests resolve to.
FAKE_DNS = {
    "localtest.me": ["127.0.0.1"],  # a public name that points at the loopback
    "rebind.example": ["10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "half-inside.example": ["93.184.216.34", "127.0.0.1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "six-to-four.example": ["2002:7f00:1::1"],
    "partner.example": ["127.0.0.1"],  # allowed by the allow-list in one test
}


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Resolve FAKE_DNS names without the network; returns the names looked up, in order."""
    looked_up: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        if host not in FAKE_DNS:
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers = []
        for address in FAKE_DNS[host]:
            ip = ipaddress.ip_address(address)
            family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
            sockaddr = (address, port) if ip.version == 4 else (address, port, 0, 0)
            answers.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings: Any) -> None:
    # Overrides tests/notify/conftest.py: here nothing private is allowed.
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = []


def registered(market: Any, url: str) -> WebhookEndpoint:
    # Registered by the platform's own tooling, so that only the delivery-time check stands
    # between the URL and the receiver.
    return services.create_endpoint(shop=market.shop, url=url, now=clock.now(), allow_private=True)


@pytest.mark.parametrize(
    ("host", "refusal"),
    [
        ("2130706433", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("127.1", "127.1 resolves to 127.0.0.1, a loopback address"),
        ("0x7f000001", "0x7f000001 resolves to 127.0.0.1, a loopback address"),
        ("0177.0.0.1", "0177.0.0.1 resolves to 127.0.0.1, a loopback address"),
        ("127.0.0.1", "127.0.0.1 resolves to 127.0.0.1, a loopback address"),
        ("localhost.", "localhost resolves to 127.0.0.1, a loopback address"),
        ("localtest.me", "localtest.me resolves to 127.0.0.1, a loopback address"),
        ("2852039166", "2852039166 resolves to 169.254.169.254, a link-local address"),
        ("metadata.example", "metadata.example resolves to 169.254.169.254, a link-local"),
        ("rebind.example", "rebind.example resolves to 10.0.0.5, a private address"),
        ("half-inside.example", "half-inside.example resolves to 127.0.0.1, a loopback"),
        ("mapped.example", "mapped.example resolves to ::ffff:7f00:1, a loopback address"),
        ("six-to-four.example", "six-to-four.example resolves to 2002:7f00:1::1, a"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1 resolves to ::ffff:7f00:1, a loopback address"),
    ],
)
def test_a_name_that_resolves_inside_is_refused_at_delivery_and_nothing_is_sent(
    market, travel, receiver, dns, host, refusal
):
    # Given an endpoint whose host is, or resolves to, an address inside the platform, on
    # the port where a receiver listens on 127.0.0.1
    port = receiver.server.server_address[1]
    hook = registered(market, f"http://{host}:{port}/hooks")
    file_case(market.consumer, market.order())

    # When the dispatcher runs
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=1, retrying=1)

    # Then no request reached the receiver, and the delivery log says why
    assert receiver.requests == []
    delivery = hook.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error.startswith(f"not sent: {refusal}")
    assert delivery.last_error.endswith("; webhooks go to public addresses only")


def test_an_allowed_network_is_reached_at_the_checked_address_with_the_name_kept(
    market, travel, receiver, dns, settings
):
    # Given 127.0.0.1 on the allow-list, and a partner's name that resolves to it
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32, 10.8.0.0/16"
    port = receiver.server.server_address[1]
    hook = registered(market, f"http://partner.example:{port}/hooks?shop=1")
    file_case(market.consumer, market.order())

    # When the dispatcher runs
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=1, delivered=1)

    # Then the request went to the address checked, named as the partner's host, and the
    # name was resolved once (no second lookup between the check and the connection)
    (request,) = receiver.requests
    assert request.path == "/hooks?shop=1"
    assert request.headers["host"] == f"partner.example:{port}"
    assert dns.count("partner.example") == 1
    assert hook.deliveries.get().status == "delivered"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("240.0.0.1", "any"),  # reserved; Python 3.11 also calls it private
        ("::ffff:10.0.0.1", "private"),
        ("100.64.0.1", "special-purpose"),
        ("198.18.0.1", "any"),  # benchmarking
        ("64:ff9b::7f00:1", "any"),  # NAT64 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "any"),  # Teredo
        ("2002:a00:1::1", "any"),  # 6to4 of 10.0.0.1
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
    ],
)
def test_the_filter_refuses_every_kind_of_non_public_address(address, reason, settings):
    # ("any": refused; which of its several names Python's ipaddress gives varies)
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = []
    found = egress.forbidden_reason(ipaddress.ip_address(address))
    assert found is not None if reason == "any" else found == reason


def test_the_allow_list_lets_through_only_its_networks(settings):
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = ["10.8.0.0/16", "::1/128"]
    assert egress.forbidden_reason(ipaddress.ip_address("10.8.3.4")) is None
    assert egress.forbidden_reason(ipaddress.ip_address("::1")) is None
    assert egress.forbidden_reason(ipaddress.ip_address("10.9.0.1")) == "private"
    assert egress.forbidden_reason(ipaddress.ip_address("127.0.0.1")) == "loopback"


def test_a_receiver_that_redirects_is_not_followed(market, travel, receiver, settings):
    # Given an allowed receiver that answers with a redirect
    settings.AFTERSALES_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    hook = registered(market, receiver.url("/moved"))
    receiver.answers = [307]
    file_case(market.consumer, market.order())

    # When the dispatcher runs, the redirect is a failed attempt and nothing else is asked
    assert deliver_due(now=clock.now()) == DeliveryResult(claimed=1, retrying=1)
    assert [r.path for r in receiver.requests] == ["/moved"]
    assert hook.deliveries.get().last_status_code == 307
