"""Sign-in by emailed link, signed session cookies, CSRF tokens and request limits.

- A sign-in link is a ``signin`` link (``core/links``), valid 15 minutes and
  used once: the GET shows a button (mail scanners prefetch GETs), the POST
  claims it with a conditional write, so a replay finds it used.
- The session cookie is ``<session id>.<HMAC-SHA256 of the id>``; the key is
  an SSM SecureString made on first use. The session item holds the member,
  its CSRF token and its expiry, slid forward to 12 hours on use; deleting
  the item (sign out, ``portevoix sessions revoke``) ends it at once.
- Sign-in requests are counted per address and per client address in the
  table (fixed 15-minute windows, TTL) and refused past the limits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import links, settings, store
from portevoix.core.timeutil import iso, parse_iso

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
SLIDE_EVERY = timedelta(minutes=5)  # a session's expiry is rewritten at most this often
WINDOW = timedelta(minutes=15)
PER_ADDRESS = 5  # sign-in requests per email address and window
PER_CLIENT = 20  # sign-in requests per client IP and window
COOKIE = "pv_session"
PRE_COOKIE = "pv_pre"  # the sign-in form's CSRF token before there is a session
_KEY_TTL = 300.0
_key_cache: tuple[float, bytes] | None = None
_key_lock = threading.Lock()


@dataclass
class Session:
    session_id: str
    email: str
    csrf: str
    expires: datetime


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()[:254]


def is_member(config: Any, email: str) -> bool:
    return any(m.email.lower() == email for m in config.team)


# -- the signing key -----------------------------------------------------------


def signing_key() -> bytes:
    """The cookie-signing key from SSM, created (SecureString) the first time."""
    global _key_cache
    now = time.monotonic()
    with _key_lock:
        if _key_cache and _key_cache[0] > now:
            return _key_cache[1]
    from botocore.exceptions import ClientError

    from portevoix.core import aws

    ssm = aws.client("ssm")
    name = settings.session_key_parameter()
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
        value = _random.token_urlsafe(48)
        try:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False)
        except ClientError as race:  # another container made it first: use theirs
            if race.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
                raise
            value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    key = value.encode()
    with _key_lock:
        _key_cache = (now + _KEY_TTL, key)
    return key


def forget_key() -> None:
    global _key_cache
    with _key_lock:
        _key_cache = None


def _sign(value: str) -> str:
    mac = hmac.new(signing_key(), value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def cookie_value(session_id: str) -> str:
    return f"{session_id}.{_sign(session_id)}"


def _unsigned(cookie: str | None) -> str | None:
    """The session id of a cookie whose signature holds, else None."""
    session_id, _, signature = (cookie or "").partition(".")
    if not links.valid_id(session_id) or not signature:
        return None
    return session_id if hmac.compare_digest(signature, _sign(session_id)) else None


# -- request limits ------------------------------------------------------------


def allowed(kind: str, subject: str, limit: int, now: datetime) -> bool:
    """Count one request of ``kind`` by ``subject``; False past ``limit`` in the window."""
    window = int(now.timestamp() // WINDOW.total_seconds())
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]  # no address kept in clear
    count = store.increment(store.throttle_key(kind, digest, window), now=now, keep=WINDOW * 2)
    return count <= limit


# -- sign-in links -------------------------------------------------------------


def request_link(
    config: Any, email: str, client: str, now: datetime | None = None
) -> tuple[str, str | None]:
    """Record a sign-in request: ("sent" | "limited", link id for a member or None).

    The answer is the same for a member and a stranger; only a member gets a link.
    """
    now = now or datetime.now(UTC)
    email = normalise_email(email)
    if not allowed("signin-client", client or "?", PER_CLIENT, now) or not allowed(
        "signin-address", email, PER_ADDRESS, now
    ):
        return "limited", None
    if not is_member(config, email):
        return "sent", None
    return "sent", links.create("signin", now + LINK_LIFETIME, now=now, email=email)


def link_state(link_id: str, now: datetime | None = None) -> tuple[str, dict[str, Any] | None]:
    """("open" | "used" | "expired" | "invalid", link) for a sign-in link id."""
    now = now or datetime.now(UTC)
    link = links.get(link_id)
    if link is None or link.get("kind") != "signin":
        return "invalid", None
    if link.get("used_at"):
        return "used", link
    if (parse_iso(link.get("expires")) or now) <= now:
        return "expired", link
    return "open", link


def redeem(
    config: Any, link_id: str, form_token: str, now: datetime | None = None
) -> tuple[str, Session | None]:
    """Use a sign-in link once: ("ok", session) or (the reason it was refused, None)."""
    now = now or datetime.now(UTC)
    state, link = link_state(link_id, now)
    if state != "open" or link is None:
        return state, None
    if not links.token_ok(link, form_token):
        return "forged", None
    if not is_member(config, link["email"]):  # removed from the team meanwhile
        return "invalid", None
    if not store.claim_attribute(store.link_key(link_id), "used_at", iso(now)):
        return "used", None
    return "ok", start(link["email"], now)


# -- sessions --------------------------------------------------------------------


def start(email: str, now: datetime | None = None) -> Session:
    now = now or datetime.now(UTC)
    session = Session(
        _random.token_urlsafe(24), email, _random.token_urlsafe(24), now + SESSION_LIFETIME
    )
    store.batch_put(
        [
            store.with_key(
                store.session_key(session.session_id),
                GSI1PK=store.sessions_index(email),
                GSI1SK=iso(now),
                email=email,
                csrf=session.csrf,
                created_at=iso(now),
                last_seen=iso(now),
                expires=iso(session.expires),
                expires_at=int(session.expires.timestamp()),
            )
        ]
    )
    return session


def current(config: Any, cookie: str | None, now: datetime | None = None) -> Session | None:
    """The signed-in member's session, slid forward; None when absent, forged or over."""
    now = now or datetime.now(UTC)
    session_id = _unsigned(cookie)
    if session_id is None:
        return None
    item = store.get(*store.session_key(session_id))
    if item is None:
        return None
    expires = parse_iso(item.get("expires")) or now
    if expires <= now or not is_member(config, item.get("email", "")):
        return None
    seen = parse_iso(item.get("last_seen")) or now
    if now - seen >= SLIDE_EVERY:
        expires = now + SESSION_LIFETIME
        store.update(
            *store.session_key(session_id),
            {
                "last_seen": iso(now),
                "expires": iso(expires),
                "expires_at": int(expires.timestamp()),
            },
        )
    return Session(session_id, item["email"], item["csrf"], expires)


def end(session: Session) -> None:
    store.delete(*store.session_key(session.session_id))


def revoke(email: str) -> int:
    """End every session of ``email``; how many there were."""
    email = normalise_email(email)
    found = store.query_gsi1(store.sessions_index(email))
    for item in found:
        store.delete(item["PK"], item["SK"])
    return len(found)


def csrf_ok(session: Session | None, submitted: Any) -> bool:
    return session is not None and hmac.compare_digest(str(submitted or ""), session.csrf)
