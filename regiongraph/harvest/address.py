"""The one address rule for every URL regiongraph fetches on a member's behalf.

Source URLs, paging links, redirects and the distribution URLs `quality --check-urls`
probes all come, in the end, from members' portals: a link to `127.0.0.1`, `10.0.0.5`
or `169.254.169.254` would make the server read its own network (SSRF). So the host of
every connection is resolved once (getaddrinfo, which also reads `127.1`, `2130706433`
and `0x7f000001` as loopback), every address it resolves to must be public, and the
connection is then made to one of exactly those checked addresses: a DNS answer that
changes between the check and the connect (rebinding) cannot slip through. The check
sits in the HTTP client's network backend, so each redirect hop passes it too.

`allow_private` (`REGIONGRAPH_HARVEST_ALLOW_PRIVATE=1`) admits loopback and private
networks (an intranet portal, a test server on loopback); link-local (cloud metadata),
unspecified, multicast and reserved addresses are refused even then.
"""

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from regiongraph.loaders.base import RefusedURL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SETTING = "REGIONGRAPH_HARVEST_ALLOW_PRIVATE=1"


def refusal(address: Address, *, allow_private: bool) -> str | None:
    """Why `address` may not be connected to, or None when it may."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = refusal(embedded, allow_private=allow_private)
        return f"{reason} ({embedded} inside IPv6)" if reason else None
    for kind, always in (("unspecified", True), ("link-local", True), ("multicast", True),
                         ("loopback", False), ("private", False), ("reserved", True)):
        if getattr(address, f"is_{kind.replace('-', '_')}"):
            if always or not allow_private:
                return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
            return None
    if not address.is_global:
        return None if allow_private else "not a public address"
    return None


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses `host` resolves to, all of them allowed; else `RefusedURL`."""
    name = host.strip("[]")
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise httpcore.ConnectError(f"cannot resolve {name}: {error}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        reason = refusal(address, allow_private=allow_private)
        if reason:
            shown = name if name == text else f"{name} ({text})"
            hint = f"; {SETTING} allows it" if refusal(address, allow_private=True) is None \
                else ""
            raise RefusedURL(f"{shown} is {reason}; refused{hint}")
    return addresses


def http_client(*, allow_private: bool, **options: Any) -> httpx.Client:
    """An httpx client whose every connection (redirects included) obeys the rule.

    It connects directly: environment proxies are not used, since through a proxy the
    address connected to is the proxy's, and the rule could not see the real one.
    """
    return httpx.Client(transport=_CheckedTransport(allow_private), **options)


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        # httpx builds its connection pool without a network-backend option; this is
        # the one place the pool opens sockets, so the rule goes there.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_CheckedBackend(allow_private))


class _CheckedBackend(httpcore.NetworkBackend):
    """Resolve, check every address, connect to a checked one (never re-resolve)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, allow_private=self.allow_private)
        failure: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address,
                                              socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise RefusedURL(f"unix socket {path}: refused")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
