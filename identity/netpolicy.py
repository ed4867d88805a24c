"""Where the portal agrees to connect for federated sign-in: OIDC providers and LDAP directories.

An administrator types a provider's issuer; anonymous visitors then make the portal fetch it.
So the portal only calls https URLs on the public Internet: never its own machine, a private
or link-local network, or a cloud metadata service, unless a setting allows it for a provider
or a test server of your own. Plain functions of the standard library, so the settings can use
them too (the LDAP check at start-up); no Django model here.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS ECS; Alibaba; AWS over IPv6): they
# hand out the machine's credentials to whoever asks. Refused whatever the settings say.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


@dataclass(frozen=True)
class Refusal:
    """Why a URL or an address is refused: ``kind`` is scheme, credentials, invalid,
    loopback, link-local, private or metadata; ``address`` the address concerned."""

    kind: str
    address: str = ""

    def __str__(self) -> str:
        return f"{self.address} ({self.kind})" if self.address else self.kind


def _unwrap(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_kind(address: Address) -> str:
    """public, loopback, link-local, metadata or private (every other non-global address:
    RFC 1918, unique-local, shared, reserved, documentation, multicast, unspecified)."""
    address = _unwrap(address)
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast or not address.is_global:
        return "private"
    return "public"


def address_refusal(
    address: Address, *, allow_loopback: bool, allow_private: bool
) -> Refusal | None:
    kind = address_kind(address)
    if kind == "public":
        return None
    if kind == "loopback" and (allow_loopback or allow_private):
        return None
    if kind in ("private", "link-local") and allow_private:
        return None
    return Refusal(kind, str(address))


def resolve(host: str, port: int | None = None) -> list[Address]:
    """Every address ``host`` resolves to (an IP literal is its own address)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def url_refusal(
    url: str, *, allow_http_loopback: bool, allow_private: bool, check_addresses: bool = True
) -> Refusal | None:
    """Why the portal must not fetch ``url`` (None: it may).

    https only; http only to this machine (loopback) when ``allow_http_loopback`` (debug, or
    a test provider). Every address the host resolves to is checked; a name that does not
    resolve now is let through here, and checked again at every connection anyway.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return Refusal("invalid")
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        return Refusal("scheme" if host else "invalid")
    if parts.username is not None or parts.password is not None:
        return Refusal("credentials")
    if not check_addresses:
        return None
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if scheme == "http":
        loopback = (host.lower() in LOOPBACK_NAMES or bool(addresses)) and all(
            address_kind(a) == "loopback" for a in addresses
        )
        if not (allow_http_loopback and loopback):
            return Refusal("scheme")
    for address in addresses:
        refusal = address_refusal(
            address, allow_loopback=allow_http_loopback, allow_private=allow_private
        )
        if refusal is not None:
            return refusal
    return None


def _is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return address_kind(ipaddress.ip_address(host.strip("[]"))) == "loopback"
    except ValueError:
        return False


def ldap_refusal(uri: str, *, start_tls: bool, allow_insecure: bool) -> str | None:
    """Why a directory URI must not be used (None: it may), in the words of a log line.

    ldaps:// and ldapi:// (a local socket) are fine; ldap:// needs StartTLS, or
    ``allow_insecure`` and a loopback host (a test directory on this machine).
    """
    for one in uri.split():
        scheme, _sep, rest = one.partition("://")
        scheme = scheme.lower()
        if scheme in ("ldaps", "ldapi"):
            continue
        if scheme != "ldap":
            return f"uses an unknown scheme {scheme!r} (ldaps:// or ldap:// with StartTLS)"
        if start_tls:
            continue
        if not allow_insecure:
            return "uses ldap:// without StartTLS: passwords would cross the network in clear"
        netloc = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        host = netloc[1:].split("]", 1)[0] if netloc.startswith("[") else netloc.rsplit(":", 1)[0]
        if not _is_loopback_host(host):
            return (
                f"uses ldap:// without StartTLS to {host or '(no host)'}, not a loopback "
                "address (CIVIS_LDAP_ALLOW_INSECURE is for a test directory on this "
                "machine only)"
            )
    return None
