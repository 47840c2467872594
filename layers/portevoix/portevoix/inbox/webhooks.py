"""Direct messages pushed by Meta (Facebook Page and Instagram), through the stack's HTTP API.

- ``GET /hooks/meta``: the subscription check; answers ``hub.challenge`` only
  when ``hub.verify_token`` is the one stored with the developer app.
- ``POST /hooks/meta``: every delivery is signed, ``X-Hub-Signature-256:
  sha256=<HMAC-SHA256 of the raw body with the app secret>``; an unsigned or
  forged one is refused before anything is read. Each message becomes an inbox
  entry keyed by its ``mid``, written only if absent: a redelivered event is
  stored once. Echoes (the Page's own messages) are skipped.

Meta lets a Page answer within 24 hours of the person's last message
(``messaging_type=RESPONSE``); the entry keeps when that window closes.
https://developers.facebook.com/docs/messenger-platform/webhooks
https://developers.facebook.com/docs/graph-api/webhooks/getting-started
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.text import clean_text, clean_written
from portevoix.core.timeutil import iso

WINDOW = timedelta(hours=24)
MENTION_TTL_DAYS = 365


def app_settings() -> dict[str, str]:
    """The developer app's secret and the webhook's verify token (SSM, with the app)."""
    from portevoix.accounts.connect import app_parameter
    from portevoix.core import secrets
    from portevoix.core.errors import SecretError

    try:
        data = json.loads(secrets.resolve("ssm:" + app_parameter("facebook")))
    except (SecretError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def verify(query: dict[str, str], settings: dict[str, str]) -> str | None:
    """The challenge to echo for a genuine subscription request, else None."""
    token = settings.get("verify_token") or ""
    if (
        query.get("hub.mode") == "subscribe"
        and token
        and hmac.compare_digest(query.get("hub.verify_token", ""), token)
    ):
        return query.get("hub.challenge", "")[:200]
    return None


def signed(body: bytes, header: str | None, secret: str) -> bool:
    """Whether ``header`` is the SHA-256 HMAC of ``body`` with the app secret."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[7:].strip().lower(), expected)


def ingest(config: Any, payload: dict[str, Any], now: datetime | None = None) -> int:
    """Store the messages of one delivery; return how many were new."""
    now = now or datetime.now(UTC)
    network = {"page": "facebook", "instagram": "instagram"}.get(payload.get("object", ""))
    if network is None:
        return 0
    owners = {
        str(getattr(a, "page_id", None) or getattr(a, "user_id", "")): a
        for a in config.accounts
        if a.network == network
    }
    created = 0
    for entry in payload.get("entry") or []:
        account = owners.get(str(entry.get("id", "")))
        if account is None:
            continue  # a Page or account this configuration does not hold
        for event in entry.get("messaging") or []:
            message = event.get("message") or {}
            sender = str((event.get("sender") or {}).get("id", ""))
            if not message.get("mid") or message.get("is_echo") or not sender:
                continue
            if store.put_if_absent(_record(account, network, event, sender, now)):
                created += 1
    return created


def _record(
    account: Any, network: str, event: dict[str, Any], sender: str, now: datetime
) -> dict[str, Any]:
    message = event["message"]
    sent = datetime.fromtimestamp(int(event.get("timestamp") or now.timestamp() * 1000) / 1000, UTC)
    mention_id = f"{network}#{account.key}:dm:{clean_text(message['mid'], 200)}"
    attachments = [a.get("type", "file") for a in message.get("attachments") or []]
    text = clean_written(message.get("text") or "", 5000).strip()
    if attachments and not text:
        text = "[" + ", ".join(clean_text(a, 20) for a in attachments) + "]"
    seen = iso(now)
    return {
        **store.with_key(store.mention_key(mention_id)),
        "GSI1PK": store.inbox_index("new"),
        "GSI1SK": f"{seen}#{mention_id}",
        "type": "mention",
        "source": network,
        "source_id": mention_id.split("#", 1)[1],
        "account": account.key,
        "ref": f"dm:{clean_text(sender, 100)}",
        "kind": "dm",
        "status": "new",
        "author": f"{network} · …{sender[-4:]}",
        "author_handle": f"dm:{clean_text(sender, 100)}",
        "title": None,
        "text": text or None,
        "published": iso(sent),
        "received_at": seen,
        "reply_until": iso(sent + WINDOW),
        "expires_at": int((now + timedelta(days=MENTION_TTL_DAYS)).timestamp()),
    }
