"""The fetcher against hostile and unreliable servers on loopback."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time
from typing import Any

import pytest

from portevoix.core.errors import BlockedAddressError, FetchError
from portevoix.core.http import AddressPolicy, Fetcher, Limits, parse_retry_after
from tests.helpers import ChaosServer, respond, rss

LOOPBACK_ONLY = AddressPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))
FEED = rss([("Hello", "https://ex.com/1")])


def fetcher(policy: AddressPolicy = LOOPBACK_ONLY, **limits: Any) -> Fetcher:
    return Fetcher(policy, Limits(**limits))


# -- SSRF ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "0.0.0.0"])
def test_default_policy_never_connects_to_loopback(chaos: ChaosServer, host: str) -> None:
    chaos.routes["/feed"] = lambda h: respond(h, 200, FEED)
    with pytest.raises(BlockedAddressError, match="refused to connect"):
        fetcher(AddressPolicy()).get(chaos.url("/feed", host))
    assert chaos.hits("/feed") == 0


def test_redirect_to_another_private_address_is_refused(chaos: ChaosServer) -> None:
    chaos.routes["/start"] = lambda h: respond(
        h, 302, headers={"Location": chaos.url("/x", "127.0.0.2")}
    )
    chaos.routes["/x"] = lambda h: respond(h, 200, FEED)
    with pytest.raises(BlockedAddressError, match="127.0.0.2"):
        fetcher().get(chaos.url("/start"))
    assert chaos.hits("/x") == 0


def test_redirect_to_metadata_is_refused_even_with_private_allowed(chaos: ChaosServer) -> None:
    chaos.routes["/start"] = lambda h: respond(
        h, 301, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(BlockedAddressError, match="metadata"):
        fetcher(AddressPolicy(allow_private=True)).get(chaos.url("/start"))


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://x/"])
def test_redirect_to_other_schemes_is_refused(chaos: ChaosServer, target: str) -> None:
    chaos.routes["/start"] = lambda h: respond(h, 302, headers={"Location": target})
    with pytest.raises(FetchError, match="only http and https"):
        fetcher().get(chaos.url("/start"))


def test_dns_rebinding_is_caught_on_the_socket(
    chaos: ChaosServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name resolves to a public address when checked, then to loopback when connecting."""
    chaos.routes["/feed"] = lambda h: respond(h, 200, FEED)
    real = socket.getaddrinfo
    calls = {"n": 0}

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            calls["n"] += 1
            ip = "93.184.216.34" if calls["n"] == 1 else "127.0.0.1"
            return real(ip, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(BlockedAddressError, match="127.0.0.1"):
        fetcher(AddressPolicy()).get(f"http://rebind.test:{chaos.port}/feed")
    assert calls["n"] >= 2
    assert chaos.hits("/feed") == 0


# -- limits -------------------------------------------------------------------


def test_slow_server_times_out(chaos: ChaosServer) -> None:
    def slow(h: Any) -> None:
        time.sleep(2)
        respond(h, 200, FEED)

    chaos.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchError) as exc:
        fetcher(read_timeout=0.5).get(chaos.url("/slow"))
    assert exc.value.kind == "timeout"
    assert time.monotonic() - started < 1.8


def test_slow_drip_hits_the_total_deadline(chaos: ChaosServer) -> None:
    def drip(h: Any) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(100):
            h.wfile.write(b"x" * 1000)
            h.wfile.flush()
            time.sleep(0.05)

    chaos.routes["/drip"] = drip
    with pytest.raises(FetchError) as exc:
        fetcher(read_timeout=1, total_timeout=0.6).get(chaos.url("/drip"))
    assert exc.value.kind == "timeout"


def test_declared_huge_body_is_refused_before_reading(chaos: ChaosServer) -> None:
    def huge(h: Any) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(50 * 1024 * 1024))
        h.end_headers()

    chaos.routes["/huge"] = huge
    with pytest.raises(FetchError, match="exceeds") as exc:
        fetcher().get(chaos.url("/huge"))
    assert exc.value.kind == "too_large"


def test_undeclared_huge_body_stops_at_the_cap(chaos: ChaosServer) -> None:
    sent = {"bytes": 0}

    def endless(h: Any) -> None:
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"<rss>" + b"a" * 65531
        for _ in range(400):  # 26 MB if nobody stops us
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)

    chaos.routes["/endless"] = endless
    with pytest.raises(FetchError) as exc:
        fetcher(max_bytes=1024 * 1024).get(chaos.url("/endless"))
    assert exc.value.kind == "too_large"


def test_gzip_bomb_is_refused(chaos: ChaosServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200_000
    chaos.routes["/bomb"] = lambda h: respond(h, 200, bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="after decompression") as exc:
        fetcher(max_bytes=5 * 1024 * 1024).get(chaos.url("/bomb"))
    assert exc.value.kind == "too_large"


def test_gzip_feed_is_decoded(chaos: ChaosServer) -> None:
    chaos.routes["/gz"] = lambda h: respond(
        h, 200, gzip.compress(FEED), {"Content-Encoding": "gzip"}
    )
    assert fetcher().get(chaos.url("/gz")).body == FEED


def test_redirect_chain_limit(chaos: ChaosServer) -> None:
    for i in range(7):
        chaos.routes[f"/r{i}"] = lambda h, i=i: respond(h, 302, headers={"Location": f"/r{i + 1}"})
    chaos.routes["/r7"] = lambda h: respond(h, 200, FEED)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher().get(chaos.url("/r0"))
    resp = fetcher().get(chaos.url("/r2"))  # exactly 5 hops
    assert resp.status == 200 and resp.url.endswith("/r7") and len(resp.redirects) == 5


# -- HTTP semantics -------------------------------------------------------------


def test_conditional_get_sends_validators_and_reads_304(chaos: ChaosServer) -> None:
    def cond(h: Any) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            respond(h, 304, headers={"ETag": '"v1"'})
        else:
            respond(
                h, 200, FEED, {"ETag": '"v1"', "Last-Modified": "Sat, 28 Nov 2026 08:00:00 GMT"}
            )

    chaos.routes["/c"] = cond
    first = fetcher().get(chaos.url("/c"))
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    second = fetcher().get(
        chaos.url("/c"), etag='"v1"', last_modified=first.headers["last-modified"]
    )
    assert second.not_modified and second.body == b""
    sent = chaos.requests[-1]["headers"]
    assert sent["If-Modified-Since"] == "Sat, 28 Nov 2026 08:00:00 GMT"
    assert "Porte-voix" in sent["User-Agent"]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_read(chaos: ChaosServer, status: int) -> None:
    chaos.routes["/busy"] = lambda h: respond(h, status, b"slow down", {"Retry-After": "120"})
    with pytest.raises(FetchError) as exc:
        fetcher().get(chaos.url("/busy"))
    assert exc.value.status == status and exc.value.retry_after == 120


def test_retry_after_as_http_date() -> None:
    assert parse_retry_after("Sat, 28 Nov 2026 10:02:00 GMT", now=1795860000.0) == pytest.approx(
        120
    )
    assert parse_retry_after("soon") is None


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError) as exc:
        fetcher().get(f"http://127.0.0.1:{port}/feed")
    assert exc.value.kind == "network"
