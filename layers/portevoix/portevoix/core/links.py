"""Links sent to people: an opaque id in the URL, everything else in the table.

A link page shows on GET and acts on POST with the page's form token (mail
scanners prefetch GETs). ``kind`` says what the link is for: ``approval``
(a post), ``mention`` (act on a message), ``freeze`` (hold publishing),
``signin`` (open a studio session), ``boost`` (a paid boost's decision), ``subscribe`` (a newsletter
sign-up's confirmation), ``newsletter`` (an issue's approval), ``pick`` (a digest item
added to the newsletter).
"""

from __future__ import annotations

import hmac
import secrets as _random
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import settings, store
from portevoix.core.timeutil import iso

KEEP_AFTER_EXPIRY = timedelta(days=30)  # "already decided" still answers a while
PATHS = {
    "approval": "a",
    "boost": "b",
    "mention": "m",
    "freeze": "m",
    "signin": "signin",
    "subscribe": "n/c",
    "newsletter": "n/a",
    "pick": "n/p",
}


def create(kind: str, expires: datetime, now: datetime | None = None, **fields: Any) -> str:
    """Store a new link of ``kind`` valid until ``expires``; return its id."""
    now = now or datetime.now(UTC)
    link_id = _random.token_urlsafe(24)
    store.batch_put(
        [
            store.with_key(
                store.link_key(link_id),
                kind=kind,
                form_token=_random.token_urlsafe(24),
                created_at=iso(now),
                expires=iso(expires),
                expires_at=int((expires + KEEP_AFTER_EXPIRY).timestamp()),
                **fields,
            )
        ]
    )
    return link_id


def valid_id(link_id: str | None) -> bool:
    return (
        bool(link_id) and len(link_id) <= 64 and link_id.replace("-", "").replace("_", "").isalnum()
    )


def get(link_id: str | None) -> dict[str, Any] | None:
    """The stored link, or None for an unknown or malformed id."""
    return store.get(*store.link_key(link_id)) if valid_id(link_id) else None


def mark_used(link_id: str, now: datetime) -> None:
    store.update(*store.link_key(link_id), {"used_at": iso(now)})


def token_ok(link: dict[str, Any], submitted: Any) -> bool:
    """Whether a POSTed form token is the link's own (constant-time comparison)."""
    return hmac.compare_digest(str(submitted or ""), str(link.get("form_token", "")))


def url(kind: str, link_id: str) -> str:
    return f"{settings.links_base_url()}/{PATHS[kind]}/{link_id}"
