"""Helpers shared by the tests: config builder, request counter, local HTTP servers."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

REGION = "eu-west-3"
SENDER = "veille@brand.example"


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip (fail in CI) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("PORTEVOIX_REQUIRE_SHARED"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the project")
        pytest.skip(f"{path} not found: these tests need ../shared beside the project")
    return path


# Accounts by id, for configurations that name some (their secrets are never read).
ACCOUNTS: dict[str, dict[str, Any]] = {
    "masto": {
        "network": "mastodon",
        "id": "masto",
        "instance": "https://m.example",
        "secret": "env:M",
    },
    "bsky": {"network": "bluesky", "id": "bsky", "handle": "b.example", "secret": "env:B"},
    "x": {"network": "x", "id": "x", "user_id": "42", "secret": "env:X"},
    "slack": {"network": "webhook", "id": "slack", "kind": "slack", "secret": "env:W"},
}


def accounts(*ids: str) -> list[dict[str, Any]]:
    return [ACCOUNTS[i] for i in ids]


def make_config(**overrides: Any) -> Any:
    """A valid configuration; keyword arguments replace top-level sections."""
    from portevoix.core.config import Config

    data: dict[str, Any] = {
        "brand": {"name": "Porte-voix", "aliases": ["@portevoix"]},
        "language": "fr",
        "timezone": "Europe/Paris",
        "sender": SENDER,
        "team": [
            {"email": "camille@brand.example", "language": "fr"},
            {"email": "alex@brand.example", "language": "en"},
        ],
        "topics": {"réseaux": ["réseau social", "Mastodon"]},
        "competitors": [{"name": "Hootsuite"}],
        "feeds": [],
        "fetch": {"allow_private_networks": True, "concurrency": 8},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Config.model_validate(data)


class RequestCounter:
    """Counts DynamoDB API calls made through the package's client, and the keys written."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.written: list[str] = []

    def __call__(self, event_name: str, params: Any = None, **_: Any) -> None:
        import json

        op = event_name.rsplit(".", 1)[-1]
        self.calls.append(op)
        try:
            body = json.loads((params or {}).get("body") or b"{}")
        except ValueError:
            return
        if op == "PutItem":
            self.written.append(body["Item"]["PK"]["S"])
        elif op == "BatchWriteItem":
            for requests in body["RequestItems"].values():
                self.written += [
                    r["PutRequest"]["Item"]["PK"]["S"] for r in requests if "PutRequest" in r
                ]

    def count(self, *ops: str) -> int:
        return sum(1 for c in self.calls if not ops or c in ops)

    def writes(self) -> int:
        return self.count("PutItem", "BatchWriteItem", "UpdateItem", "DeleteItem")

    def written_kinds(self) -> set[str]:
        """The entity kinds written (ITEM, MENTION, FEED...)."""
        return {pk.split("#", 1)[0] for pk in self.written}

    def reset(self) -> None:
        self.calls.clear()
        self.written.clear()


class ChaosServer:
    """An HTTP server whose routes are Python functions: slow, huge, redirecting..."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(
                    {
                        "method": self.command,
                        "path": path,
                        "query": self.path.partition("?")[2],
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                route = server.routes.get(path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_GET  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def respond(
    handler: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    headers = dict(headers or {})
    headers.setdefault("Content-Length", str(len(body)))
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    if body:
        handler.wfile.write(body)


def rss(items: list[tuple[str, str]], title: str = "Test feed", at: float | None = None) -> bytes:
    """A small RSS 2.0 document from (title, link) pairs, dated now (or ``at``, epoch seconds)."""
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(at))}</pubDate>"
        f"<description>{escape(t)}</description></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://site.example/</link>{body}</channel></rss>"
    ).encode()


class LossyProxy:
    """Forwards to an upstream server and records requests; chosen answers are dropped.

    The upstream applies the request, then the client sees the connection
    close with no answer: a lost response, as after a network cut.
    """

    def __init__(self, upstream: str) -> None:
        import re

        import requests as _requests

        self.upstream = upstream.rstrip("/")
        self.log: list[dict[str, Any]] = []
        self.drops: list[list[Any]] = []  # [method, compiled path regex, remaining]
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                proxy.log.append(
                    {"method": self.command, "path": self.path, "headers": headers, "body": body}
                )
                resp = _requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                    timeout=30,
                )
                for rule in proxy.drops:
                    if rule[2] > 0 and rule[0] == self.command and rule[1].search(self.path):
                        rule[2] -= 1
                        self.close_connection = True
                        return  # the upstream acted; the client never hears of it
                self.send_response(resp.status_code)
                for key, value in resp.headers.items():
                    if key.lower() not in (
                        "transfer-encoding",
                        "content-encoding",
                        "connection",
                        "content-length",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward  # noqa: N815

        self._re = re
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def drop(self, method: str, path_regex: str, times: int = 1) -> None:
        self.drops.append([method, self._re.compile(path_regex), times])

    def requests_to(self, method: str, path_regex: str) -> list[dict[str, Any]]:
        pattern = self._re.compile(path_regex)
        return [r for r in self.log if r["method"] == method and pattern.search(r["path"])]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def put_config(aws: Any, monkeypatch: Any, config: Any) -> None:
    """Store ``config`` where the deployed handlers read it (SSM), as the stack does."""
    import yaml

    monkeypatch.setenv("CONFIG_PARAMETER", "/portevoix/config")
    aws.client("ssm").put_parameter(
        Name="/portevoix/config",
        Value=yaml.safe_dump(config.model_dump(mode="json")),
        Type="String",
        Tier="Advanced",
        Overwrite=True,
    )
