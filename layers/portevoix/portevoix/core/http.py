"""Safe HTTP fetching of feeds and pages.

- SSRF guard: every address a connection reaches is checked on the socket
  itself (after DNS, after each redirect), so DNS rebinding cannot slip past
  a check made earlier.
- Limits: connect/read timeouts, a total deadline, a body cap counted on the
  decompressed bytes (a gzip bomb stops at the cap), at most N redirects.
- Conditional GET with ETag / Last-Modified; Retry-After read on 429/503.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from portevoix import __version__
from portevoix.core.errors import BlockedAddressError, FetchError

# Cloud metadata endpoints: refused even when private networks are allowed.
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("169.254.170.2/32"),  # ECS task metadata
    ipaddress.ip_network("fd00:ec2::254/128"),
)
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses the fetcher may connect to."""

    allow_private: bool = False
    allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_config(cls, fetch_cfg: Any) -> AddressPolicy:
        return cls(
            allow_private=fetch_cfg.allow_private_networks,
            allow_networks=tuple(
                ipaddress.ip_network(n, strict=False) for n in fetch_cfg.allow_networks
            ),
        )

    def refusal(self, address: str) -> str | None:
        """Why ``address`` is refused, or None when it is allowed."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address!r} is not an IP address"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in net for net in _METADATA):
            return f"{ip} is a cloud metadata address"
        if any(ip.version == net.version and ip in net for net in self.allow_networks):
            return None
        if ip.is_global and not ip.is_multicast:
            return None
        if self.allow_private and not (ip.is_multicast or ip.is_unspecified):
            return None
        return f"{ip} is a private, loopback, link-local or reserved address"

    def check(self, address: str, host: str) -> None:
        reason = self.refusal(address)
        if reason:
            raise BlockedAddressError(
                f"refused to connect to {host}: {reason} "
                "(set fetch.allow_private_networks or fetch.allow_networks to allow it)"
            )


def _guarded_pools(policy: AddressPolicy) -> dict[str, type]:
    def check_peer(conn: HTTPConnection, sock: socket.socket) -> None:
        try:
            peer = sock.getpeername()[0]
        except OSError:
            sock.close()
            raise
        try:
            policy.check(peer, conn.host)
        except BlockedAddressError:
            sock.close()
            raise

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            check_peer(self, sock)
            return sock

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            check_peer(self, sock)
            return sock

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


class GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: AddressPolicy, **kwargs: Any):
        self._policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _guarded_pools(self._policy)


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5

    @classmethod
    def from_config(cls, fetch_cfg: Any) -> Limits:
        return cls(
            connect_timeout=fetch_cfg.connect_timeout_seconds,
            read_timeout=fetch_cfg.read_timeout_seconds,
            total_timeout=fetch_cfg.total_timeout_seconds,
            max_bytes=int(fetch_cfg.max_body_mb * 1024 * 1024),
            max_redirects=fetch_cfg.max_redirects,
        )


def user_agent(contact: str = "") -> str:
    extra = f"; +{contact}" if contact else ""
    return f"Porte-voix/{__version__} (feed monitor{extra})"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class Fetcher:
    """A requests session wrapped with the SSRF guard and the limits."""

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        limits: Limits | None = None,
        agent: str | None = None,
        pool_size: int = 16,
    ):
        self.policy = policy or AddressPolicy()
        self.limits = limits or Limits()
        self.session = requests.Session()
        self.session.trust_env = False  # a proxy would hide the real peer from the guard
        adapter = GuardedAdapter(
            self.policy, pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "User-Agent": agent or user_agent(),
                "Accept": (
                    "application/rss+xml, application/atom+xml, application/feed+json, "
                    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
                    "text/html;q=0.7, */*;q=0.5"
                ),
                "Accept-Encoding": "gzip, deflate",
            }
        )

    def close(self) -> None:
        self.session.close()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Response:
        """GET ``url`` following redirects safely; raise FetchError on any failure."""
        lim = self.limits
        deadline = time.monotonic() + lim.total_timeout
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        current = url
        while True:
            self._check_url(current)
            try:
                resp = self.session.get(
                    current,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(lim.connect_timeout, lim.read_timeout),
                )
            except BlockedAddressError:
                raise
            except requests.exceptions.ConnectionError as exc:
                blocked = find_cause(exc, BlockedAddressError)
                if blocked:
                    raise blocked from None
                if find_cause(exc, TimeoutError) or isinstance(
                    exc, requests.exceptions.ConnectTimeout
                ):
                    raise FetchError(
                        "timeout", f"connection to {_host(current)} timed out"
                    ) from None
                raise FetchError(
                    "network", f"cannot connect to {_host(current)}: {_short(exc)}"
                ) from None
            except requests.exceptions.Timeout:
                raise FetchError("timeout", f"{_host(current)} did not answer in time") from None
            except requests.exceptions.RequestException as exc:
                raise FetchError(
                    "network", f"request to {_host(current)} failed: {_short(exc)}"
                ) from None

            with resp:
                if resp.status_code in _REDIRECTS and resp.headers.get("Location"):
                    if len(hops) >= lim.max_redirects:
                        raise FetchError(
                            "redirects", f"more than {lim.max_redirects} redirects from {url}"
                        )
                    hops.append(current)
                    current = urljoin(current, resp.headers["Location"].strip())
                    if time.monotonic() > deadline:
                        raise FetchError(
                            "timeout", f"{url} took longer than {lim.total_timeout:g} s"
                        )
                    continue
                return self._finish(resp, current, hops, deadline)

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError("url", f"{url!r}: only http and https URLs are fetched")
        if not parts.hostname:
            raise FetchError("url", f"{url!r} has no host")
        # Early, readable refusal for literal IPs and names; the socket check
        # in the connection class is what really enforces the policy.
        host = parts.hostname
        try:
            infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError("dns", f"cannot resolve {host}: {exc}") from None
        for info in infos:
            self.policy.check(str(info[4][0]), host)

    def _finish(
        self, resp: requests.Response, url: str, hops: list[str], deadline: float
    ) -> Response:
        lim = self.limits
        status = resp.status_code
        headers = {k.lower(): v for k, v in resp.headers.items()}
        if status == 304:
            return Response(url, status, headers, b"", hops)
        if status in (429, 503) or status >= 400:
            retry = parse_retry_after(headers.get("retry-after")) if status in (429, 503) else None
            raise FetchError(
                "http",
                f"HTTP {status} {resp.reason or ''}".strip() + f" from {_host(url)}",
                status=status,
                retry_after=retry,
            )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > lim.max_bytes:
            raise FetchError(
                "too_large",
                f"body of {int(declared):,} bytes exceeds the {lim.max_bytes:,}-byte limit",
            )
        body = bytearray()
        raw = resp.raw
        try:
            while True:
                # read1 returns what has arrived (decompressed), so a server
                # that drips bytes meets the deadline, not just the read timeout.
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                body += chunk
                if len(body) > lim.max_bytes:
                    raise FetchError(
                        "too_large",
                        f"body exceeds the {lim.max_bytes:,}-byte limit (after decompression)",
                    )
                if time.monotonic() > deadline:
                    raise FetchError("timeout", f"{url} took longer than {lim.total_timeout:g} s")
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if find_cause(exc, TimeoutError) or "timed out" in str(exc).lower():
                raise FetchError("timeout", f"{_host(url)} stopped sending") from None
            raise FetchError("network", f"reading {_host(url)} failed: {_short(exc)}") from None
        return Response(url, status, headers, bytes(body), hops)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


def find_cause(exc: BaseException | None, kind: type) -> Any:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, kind):
            return exc
        for arg in getattr(exc, "args", ()):
            if isinstance(arg, BaseException):
                found = find_cause(arg, kind)
                if found:
                    return found
        reason = getattr(exc, "reason", None)
        if isinstance(reason, BaseException):
            found = find_cause(reason, kind)
            if found:
                return found
        exc = exc.__cause__ or exc.__context__
    return None
