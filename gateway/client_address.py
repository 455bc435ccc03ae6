"""Which address a customer connects from, for the per-address rate limits: the TCP peer, or,
when the peer is one of our reverse proxies (GATEWAY_TRUSTED_PROXIES), the client address the
proxies wrote into `X-Forwarded-For`. Pure: the server passes in what the request carried
(`connection_address` reads it from a socket.io connection's environ).

Each proxy appends the address of its own peer to `X-Forwarded-For`, so only the right-hand end
of the chain was written by proxies we trust; whatever a client sends is on the left. The client
is therefore the right-most address that is not itself a trusted proxy: a client cannot choose
its bucket by prepending addresses, and without trusted proxies the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class InvalidTrustedProxies(ValueError):
    """GATEWAY_TRUSTED_PROXIES holds something that is not an IP address or network."""


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or CIDR networks ("10.0.0.0/8, 192.0.2.7"); empty: none.
    Raises InvalidTrustedProxies naming every entry that is not one (a network with host bits
    set, like 10.0.0.1/8, is refused: it is usually a typo)."""
    networks: list[Network] = []
    wrong: list[str] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError:
            wrong.append(repr(entry))
    if wrong:
        raise InvalidTrustedProxies(
            f"GATEWAY_TRUSTED_PROXIES: not an IP address or network: {', '.join(wrong)} "
            "(write addresses like 10.0.0.5 or networks like 10.0.0.0/8, comma-separated)"
        )
    return tuple(networks)


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The customer's address: the peer, unless the peer is a trusted proxy; then the right-most
    address of `X-Forwarded-For` (all its headers, in order) that is not a trusted proxy. An
    entry that is not an address stops the walk at the last trusted hop (a proxy of ours would
    not write it); a chain of trusted proxies only gives its left-most one."""
    peer_address = _parse(peer)
    if peer_address is None or not _is_trusted(peer_address, trusted):
        return str(peer_address) if peer_address is not None else peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    nearest = peer_address
    for hop in reversed([hop for hop in hops if hop]):
        address = _parse(hop)
        if address is None:
            break
        if not _is_trusted(address, trusted):
            return str(address)
        nearest = address
    return str(nearest)


def connection_address(environ: Mapping[str, Any], trusted: Sequence[Network]) -> str:
    """The client address of a socket.io connection from its WSGI-style environ: the peer's,
    or, from a trusted proxy, the one its `X-Forwarded-For` names. Never logged."""
    request = environ.get("aiohttp.request")
    peer = str(getattr(request, "remote", None) or environ.get("REMOTE_ADDR") or "unknown")
    headers = getattr(request, "headers", None)
    forwarded_for = headers.getall("X-Forwarded-For", []) if headers is not None else []
    return client_address(peer, forwarded_for, trusted)


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def _parse(text: str) -> Address | None:
    """An address as a peer or a proxy writes it: `192.0.2.1`, `2001:db8::1`, with a port
    (`192.0.2.1:5150`, `[2001:db8::1]:5150`) or IPv4 mapped into IPv6 (`::ffff:192.0.2.1`)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
