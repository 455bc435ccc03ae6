"""Which address a customer's requests count against: the peer, or behind a trusted reverse
proxy the right-most address of X-Forwarded-For that is not itself a trusted proxy."""

from __future__ import annotations

import pytest

from gateway.client_address import (
    InvalidTrustedProxies,
    client_address,
    parse_trusted_proxies,
)
from gateway.settings import GatewaySettings
from infra.env import SettingsError

PROXIES = parse_trusted_proxies("10.0.0.0/8, 192.0.2.7, 2001:db8::/32")


def test_trusted_proxies_are_addresses_and_networks_and_none_by_default() -> None:
    assert [str(network) for network in PROXIES] == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]
    assert parse_trusted_proxies("") == ()
    assert parse_trusted_proxies(" , ") == ()


@pytest.mark.parametrize("text", ["proxy.example", "10.0.0.1/8", "10.0.0.0/33", "300.1.1.1"])
def test_a_trusted_proxy_that_is_not_an_address_or_network_is_refused(text: str) -> None:
    with pytest.raises(InvalidTrustedProxies) as refused:
        parse_trusted_proxies(f"10.0.0.5, {text}")
    assert repr(text) in str(refused.value)
    assert "'10.0.0.5'" not in str(refused.value)  # only the wrong entries are named


def test_the_gateway_does_not_start_with_bad_trusted_proxies() -> None:
    env = {
        "CUSTOMER_SIGNING_SECRET": "s" * 32,
        "SERVICE_TOKEN": "token",
        "GATEWAY_TRUSTED_PROXIES": "10.0.0.5,nginx",
    }
    with pytest.raises(SettingsError, match="GATEWAY_TRUSTED_PROXIES.*'nginx'"):
        GatewaySettings.from_env(env)
    env["GATEWAY_TRUSTED_PROXIES"] = "10.0.0.5, 10.1.0.0/16"
    assert len(GatewaySettings.from_env(env).trusted_proxies) == 2
    del env["GATEWAY_TRUSTED_PROXIES"]
    assert GatewaySettings.from_env(env).trusted_proxies == ()


def test_without_trusted_proxies_x_forwarded_for_is_ignored() -> None:
    assert client_address("198.51.100.9", ["203.0.113.7"], ()) == "198.51.100.9"
    assert client_address("198.51.100.9", ["203.0.113.7"], PROXIES) == "198.51.100.9"


def test_from_a_trusted_proxy_the_client_is_the_address_it_forwards() -> None:
    assert client_address("10.0.0.5", ["203.0.113.7"], PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", [], PROXIES) == "10.0.0.5"  # no header: the proxy's own


def test_the_right_most_untrusted_address_wins_through_a_chain_of_proxies() -> None:
    # client -> 192.0.2.7 (CDN) -> 10.0.0.5 (load balancer) -> gateway
    assert client_address("10.0.0.5", ["203.0.113.7, 192.0.2.7"], PROXIES) == "203.0.113.7"
    # the same chain over two headers
    assert client_address("10.0.0.5", ["203.0.113.7", "192.0.2.7"], PROXIES) == "203.0.113.7"


def test_a_client_cannot_choose_its_address_by_prepending_to_the_header() -> None:
    """The client sends `X-Forwarded-For: 1.2.3.4`; our proxy appends the real peer."""
    spoofed = ["1.2.3.4, 198.51.100.1, 203.0.113.7"]
    assert client_address("10.0.0.5", spoofed, PROXIES) == "203.0.113.7"
    # pretending to be one of our proxies moves nothing either
    assert client_address("10.0.0.5", ["1.2.3.4, 10.0.0.9, 203.0.113.7"], PROXIES) == (
        "203.0.113.7"
    )


def test_garbage_in_the_chain_stops_at_the_last_trusted_hop() -> None:
    assert client_address("10.0.0.5", ["unknown"], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", ["203.0.113.7, _hidden, 192.0.2.7"], PROXIES) == ("192.0.2.7")
    assert client_address("10.0.0.5", ["10.0.0.7"], PROXIES) == "10.0.0.7"  # all proxies


def test_ports_brackets_ipv6_and_mapped_ipv4_give_one_address_each() -> None:
    assert client_address("10.0.0.5", ["203.0.113.7:5150"], PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", ["[2001:DB9::1]:5150"], PROXIES) == "2001:db9::1"
    assert client_address("2001:db8::5", ["2001:db9:0:0::1"], PROXIES) == "2001:db9::1"
    assert client_address("::ffff:10.0.0.5", ["203.0.113.7"], PROXIES) == "203.0.113.7"
    assert client_address("::ffff:198.51.100.9", [], ()) == "198.51.100.9"
    assert client_address("unknown", ["203.0.113.7"], PROXIES) == "unknown"
