"""OAuth 2.0 refresh (RFC 6749, section 6) for a token kept as JSON in its secret.

The secret holds ``access_token``, ``refresh_token``, ``expires_at`` and the
client's ``client_id`` (and ``client_secret`` for a confidential client). The
access token is renewed ``early`` before it expires (or after a 401) and the
new JSON is written back where it was read. A network may rotate refresh
tokens (X does): the secret is reread first, since another container may have
renewed it already, and a refused refresh is checked against a fresh read
before it becomes "reconnect this account".
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core.errors import AuthError, Rejected, SecretError
from portevoix.core.timeutil import iso, parse_iso


class RefreshedToken:
    """Mixed into a Network whose secret may be a refreshable token JSON."""

    early: timedelta = timedelta(minutes=2)
    lifetime: int = 3600  # seconds, when the answer has no expires_in
    label: str = "the network"

    def _refresh_request(self, data: dict[str, Any]) -> tuple[str, dict[str, str], Any]:
        """The token endpoint, the form, and the Basic auth (or None) for ``data``."""
        raise NotImplementedError

    @staticmethod
    def _refreshable(data: dict[str, Any] | None) -> bool:
        return bool(data and data.get("refresh_token") and data.get("client_id"))

    def token(self) -> str:
        data = self.secret_data()  # type: ignore[attr-defined]
        if data is None:
            return self._secret().strip()  # type: ignore[attr-defined]
        expires = parse_iso(data.get("expires_at"))
        if (
            self._refreshable(data)
            and expires is not None
            and expires - self.early <= datetime.now(UTC)
        ):
            self._refresh(stale=str(data.get("access_token") or ""))
            data = self.secret_data()  # type: ignore[attr-defined]
        return str((data or {}).get("access_token") or "")

    def _refresh(self, stale: str) -> bool:
        """Exchange the refresh token for a new access token and store it; False without one."""
        lock = self.__dict__.setdefault("_refreshing", threading.Lock())
        with lock:
            data = self.secret_data(fresh=True)  # type: ignore[attr-defined]
            if not data or not data.get("refresh_token"):
                return False
            if not data.get("client_id"):
                raise AuthError(
                    self.account_id,  # type: ignore[attr-defined]
                    "the secret has a refresh_token but no client_id",
                )
            if data.get("access_token") != stale:
                return True  # renewed meanwhile by another caller
            url, form, auth = self._refresh_request(data)
            try:
                resp = self.http.request(  # type: ignore[attr-defined]
                    "POST", url, data=form, auth=auth, idempotent=False
                )
            except Rejected as exc:
                if self.secret_data(fresh=True) != data:  # type: ignore[attr-defined]
                    return True  # rotated by another container while we asked
                raise AuthError(
                    self.account_id,  # type: ignore[attr-defined]
                    f"{self.label} refused the refresh token ({exc})",
                    status=exc.status,
                ) from None
            answer = resp.json()
            now = datetime.now(UTC)
            renewed = {
                **data,
                "access_token": answer["access_token"],
                "refresh_token": answer.get("refresh_token") or data["refresh_token"],
                "expires_at": iso(
                    now + timedelta(seconds=int(answer.get("expires_in") or self.lifetime))
                ),
            }
            if answer.get("refresh_token_expires_in"):
                renewed["refresh_expires_at"] = iso(
                    now + timedelta(seconds=int(answer["refresh_token_expires_in"]))
                )
            if answer.get("scope"):
                renewed["scope"] = answer["scope"]
            try:
                self._secret.save(json.dumps(renewed))  # type: ignore[attr-defined]
            except SecretError as exc:
                # A rotated refresh token is spent: the account must be connected again.
                raise AuthError(
                    self.account_id,  # type: ignore[attr-defined]
                    f"{self.label} renewed the token but it could not be stored ({exc})",
                ) from None
            return True
