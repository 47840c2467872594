"""HTTP for network APIs: one error mapping and one retry policy for all.

- 401 (and 403 that says the token is bad) -> AuthError: reconnect the account;
  a 403 for a missing permission, scope or role -> Rejected that says so.
- 429, and 503 with Retry-After -> RateLimited with the delay; retried here
  only when the wait fits the call's budget, otherwise raised for later.
- 5xx, timeouts, dropped connections -> TransientError, retried with backoff
  when the request is safe to repeat.
- A request that went out and got no answer -> LostResponse: never repeated
  blindly unless it is idempotent; the caller looks for its effect first.
- Other 4xx -> Rejected, with the API's own error message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from portevoix.core.errors import BlockedAddressError
from portevoix.core.http import (
    AddressPolicy,
    GuardedAdapter,
    find_cause,
    parse_retry_after,
    user_agent,
)
from portevoix.networks.base import (
    AuthError,
    LostResponse,
    NetworkError,
    NotSent,
    RateLimited,
    Rejected,
    TransientError,
)

ErrorReader = Callable[[requests.Response], str]


def default_error(resp: requests.Response) -> str:
    """The API's error text: JSON ``error``/``message``/``detail`` or the start of the body."""
    try:
        body = resp.json()
    except ValueError:
        return (resp.text or resp.reason or "").strip()[:300]
    if isinstance(body, dict):
        parts = []
        for key in ("error", "message", "error_description", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value not in parts:
                parts.append(value)
            elif isinstance(value, dict) and isinstance(value.get("message"), str):
                parts.append(value["message"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            parts.append(str(errors[0].get("message") or errors[0].get("detail") or ""))
        if parts:
            return ": ".join(p for p in parts if p)[:300]
    return json.dumps(body)[:300]


class ApiClient:
    """A requests session with timeouts, the SSRF guard and the error mapping."""

    def __init__(
        self,
        account: str,
        *,
        policy: AddressPolicy | None = None,
        timeout: tuple[float, float] = (5.0, 20.0),
        max_attempts: int = 3,
        budget_seconds: float = 30.0,
        error_reader: ErrorReader = default_error,
        rate_reader: Callable[[requests.Response], float | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.account = account
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.budget_seconds = budget_seconds
        self.error_reader = error_reader
        self.rate_reader = rate_reader  # a network's own "rate limited, wait N s" answers
        self.sleep = sleep
        self.calls = 0  # requests sent, for benchmarks
        self.session = requests.Session()
        self.session.trust_env = False
        adapter = GuardedAdapter(policy or AddressPolicy(), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = user_agent()

    def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send with retries where safe; return a 2xx response or raise a NetworkError."""
        idempotent = (
            method.upper() in ("GET", "HEAD", "PUT", "DELETE") if idempotent is None else idempotent
        )
        kwargs.setdefault("timeout", self.timeout)
        deadline = time.monotonic() + self.budget_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(method, url, **kwargs)
            except RateLimited as exc:
                # A 429 was refused, not applied: waiting and repeating is safe.
                wait = exc.retry_after
                if attempt >= self.max_attempts or time.monotonic() + wait > deadline:
                    raise
            except TransientError as exc:
                # A 5xx or a lost answer may have been applied: only a request
                # that is idempotent (or was never sent) is repeated here.
                if attempt >= self.max_attempts or not (idempotent or isinstance(exc, NotSent)):
                    raise
                wait = min(8.0, 0.5 * 2 ** (attempt - 1))
            if time.monotonic() + wait > deadline:
                raise TransientError(
                    self.account, f"gave up after {attempt} attempt(s) on {_short(url)}"
                )
            self.sleep(wait)

    def _once(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls += 1
        try:
            resp = self.session.request(method, url, **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise NotSent(self.account, f"could not connect to {_short(url)} in time") from None
        except requests.exceptions.ReadTimeout:
            raise LostResponse(
                self.account, f"no answer from {_short(url)} (the request was sent)"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            blocked = find_cause(exc, BlockedAddressError)
            if blocked:
                raise Rejected(self.account, str(blocked)) from None
            text = str(exc)
            if any(
                s in text for s in ("NewConnectionError", "Connection refused", "Name or service")
            ):
                raise NotSent(self.account, f"cannot reach {_short(url)}") from None
            raise LostResponse(
                self.account, f"connection to {_short(url)} dropped before the answer"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise TransientError(self.account, f"request to {_short(url)} failed: {exc}") from None
        status = resp.status_code
        if status < 400:
            return resp
        wait = self.rate_reader(resp) if self.rate_reader else None
        if wait is not None:
            raise RateLimited(self.account, wait, status=status)
        detail = self.error_reader(resp)
        if status == 401:
            raise AuthError(self.account, detail or "401 Unauthorized", status=status)
        if status == 429 or (status == 503 and resp.headers.get("Retry-After")):
            raise RateLimited(self.account, _retry_after(resp), status=status)
        if status >= 500:
            raise TransientError(
                self.account, f"HTTP {status} from {_short(url)}: {detail}", status=status
            )
        if status == 403:
            raise forbidden(self.account, detail)
        raise Rejected(self.account, f"HTTP {status}: {detail}", status=status)


_REFUSED_TOKEN = ("token", "expired", "revoked", "session")
_MISSING_GRANT = ("permission", "scope", "not authorized", "not permitted", "role")


def forbidden(account: str, detail: str) -> NetworkError:
    """A 403: a refused token means reconnecting; a missing scope or role does not."""
    low = detail.lower()
    if any(w in low for w in _MISSING_GRANT):
        return Rejected(
            account,
            f"HTTP 403: {detail} (the token is valid but lacks a permission, scope or role "
            "for this action: grant it to the account or the app, then try again)",
            status=403,
        )
    if any(w in low for w in _REFUSED_TOKEN):
        return AuthError(account, detail, status=403)
    return Rejected(account, f"HTTP 403: {detail}", status=403)


def _retry_after(resp: requests.Response) -> float:
    """Seconds to wait: Retry-After, or the rate-limit reset headers networks send."""
    delay = parse_retry_after(resp.headers.get("Retry-After"))
    if delay is not None:
        return delay
    reset = (
        resp.headers.get("X-RateLimit-Reset")
        or resp.headers.get("RateLimit-Reset")
        or resp.headers.get("x-rate-limit-reset")
    )
    if reset:
        reset = reset.strip()
        now = time.time()
        if reset.replace(".", "", 1).isdigit():
            value = float(reset)
            # An epoch timestamp (X, Bluesky) or a number of seconds (IETF draft).
            return max(0.0, value - now) if value > 10**9 else value
        from datetime import datetime

        try:  # Mastodon: an ISO 8601 timestamp
            return max(0.0, datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp() - now)
        except ValueError:
            pass
    return 60.0


def _short(url: str) -> str:
    return url.split("?", 1)[0][:120]
