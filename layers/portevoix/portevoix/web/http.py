"""Requests and responses of the studio, free of Lambda: the handler and ``local serve`` adapt."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

MAX_BODY = 256 * 1024
MAX_FIELDS = 200

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client: str = ""
    host: str = ""  # the API's own domain name, for links this answer sends out

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Request:
        """An API Gateway HTTP API (payload 2.0) event."""
        context = (event.get("requestContext") or {}).get("http") or {}
        raw = event.get("body") or ""
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
        cookies: dict[str, str] = {}
        for pair in event.get("cookies") or []:
            name, _, value = pair.partition("=")
            cookies.setdefault(name.strip(), value.strip())
        query = {
            k: v[-1]
            for k, v in parse_qs(event.get("rawQueryString") or "", max_num_fields=50).items()
        }
        return cls(
            method=(context.get("method") or "GET").upper(),
            path=event.get("rawPath") or context.get("path") or "/",
            query=query,
            headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
            cookies=cookies,
            body=body[:MAX_BODY],
            client=context.get("sourceIp") or "",
            host=(event.get("requestContext") or {}).get("domainName") or "",
        )

    @property
    def base_url(self) -> str:
        """Where this stack's pages answer: the configured address, else this request's API."""
        from portevoix.core import settings

        return settings.configured_base_url() or (
            f"https://{self.host}" if self.host else settings.links_base_url()
        )

    def form_all(self, name: str) -> list[str]:
        """Every value of a repeated form field (checked boxes)."""
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return []
        text = self.body.decode("utf-8", "replace")
        try:
            return parse_qs(text, max_num_fields=MAX_FIELDS).get(name, [])
        except ValueError:
            return []

    def form(self) -> dict[str, str]:
        """The urlencoded form (last value of each field); {} for another body."""
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        text = self.body.decode("utf-8", "replace")
        try:
            fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            return {}
        return {k: v[-1] for k, v in fields.items()}

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass
class Response:
    status: int
    body: str | bytes = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)

    def to_event(self) -> dict[str, Any]:
        """The HTTP API (payload 2.0) answer."""
        body = self.body
        binary = isinstance(body, bytes)
        return {
            "statusCode": self.status,
            "headers": {**SECURITY_HEADERS, "Content-Type": self.content_type, **self.headers},
            "cookies": list(self.cookies),
            "body": base64.b64encode(body).decode() if binary else body,
            "isBase64Encoded": binary,
        }


def redirect(location: str, cookies: list[str] | None = None) -> Response:
    return Response(303, "", headers={"Location": location}, cookies=cookies or [])


def cookie(name: str, value: str, max_age: int) -> str:
    """A cookie only this site's pages send back, never scripts: HttpOnly, Secure, Lax."""
    return f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax"
