"""The newsletter's subscribers: double opt-in, one-click unsubscribe, SES suppression.

``SUB#<hash of the address>`` / ``SUB`` holds the address, its language, its
status (``pending`` -> ``confirmed`` -> ``unsubscribed`` | ``suppressed``),
the consent (when, from where) and a permanent unsubscribe token
(``NLU#<token>`` points back). GSI1 ``SUBS#<status>`` lists them by status.
Nothing is sent to an address before it confirms; an address that bounced for
good or complained is never written to again.
"""

from __future__ import annotations

import hashlib
import secrets as _random
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import links, store
from portevoix.core.errors import NewsletterError
from portevoix.core.timeutil import iso

CONFIRM_DAYS = 7
STATUSES = ("pending", "confirmed", "unsubscribed", "suppressed")


def normal(email: str) -> str:
    from portevoix.core.compiled import check_email
    from portevoix.core.text import clean_text

    try:
        return check_email(clean_text(email or "", 254)).lower()
    except ValueError:
        raise NewsletterError(f"{(email or '')[:80]!r} is not an email address") from None


def digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def key(email_digest: str) -> store.Key:
    return f"SUB#{email_digest}", "SUB"


def index(status: str) -> str:
    return f"SUBS#{status}"


def record(address: str, status: str, **fields: Any) -> dict[str, Any]:
    """A subscriber's item: keyed by the address's digest, listed under its status."""
    h = digest(address)
    return store.with_key(
        key(h), email=address, status=status, GSI1PK=index(status), GSI1SK=h, **fields
    )


def unsubscribe_url(token: str) -> str:
    from portevoix.core import settings

    return f"{settings.links_base_url()}/n/u/{token}"


def get(email: str) -> dict[str, Any] | None:
    return store.get(*key(digest(normal(email))))


def by_token(token: str) -> dict[str, Any] | None:
    if not links.valid_id(token):
        return None
    pointer = store.get(f"NLU#{token}", "NLU")
    return store.get(*key(pointer["sub"])) if pointer else None


def subscribe(
    config: Any, email: str, language: str, source: str, now: datetime | None = None
) -> str:
    """Record a sign-up and email the confirmation link; returns what happened (for tests and
    logs only: the page says the same thing whatever it is, so it reveals no subscriber)."""
    from portevoix.core.i18n import languages

    now = now or datetime.now(UTC)
    address = normal(email)
    lang = language if language in languages() else config.language
    h = digest(address)
    current = store.get(*key(h))
    if current and current["status"] in ("confirmed", "suppressed"):
        return current["status"]  # nothing to do, and a suppressed address is never mailed
    token = (current or {}).get("token") or _random.token_urlsafe(24)
    store.put(
        record(
            address,
            "pending",
            language=lang,
            token=token,
            source=source[:100],
            asked_at=iso(now),
            created_at=(current or {}).get("created_at") or iso(now),
        )
    )
    store.put(store.with_key((f"NLU#{token}", "NLU"), sub=h))
    link = links.create("subscribe", now + timedelta(days=CONFIRM_DAYS), now=now, sub=h)
    _mail(config, address, lang, "newsletter.confirm", links.url("subscribe", link))
    return "asked"


def confirm(link_id: str, form_token: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The confirmation link's POST: the address is subscribed, with the consent's time."""
    now = now or datetime.now(UTC)
    link = links.get(link_id)
    if link is None or link.get("kind") != "subscribe" or not links.token_ok(link, form_token):
        return None
    if (link.get("expires") or "") < iso(now):
        return None
    sub = store.get(*key(link["sub"]))
    if sub is None or sub["status"] == "suppressed":
        return None
    if sub["status"] != "confirmed":
        store.update(
            *key(link["sub"]),
            {
                "status": "confirmed",
                "consent_at": iso(now),
                "consent": f"double opt-in: {sub.get('source', '?')}, confirmed by email link",
                "GSI1PK": index("confirmed"),
            },
        )
        links.mark_used(link_id, now)
    return store.get(*key(link["sub"]))


def unsubscribe(token: str, how: str, now: datetime | None = None) -> dict[str, Any] | None:
    """One click: no session, no form token (RFC 8058); idempotent."""
    now = now or datetime.now(UTC)
    sub = by_token(token)
    if sub is None:
        return None
    if sub["status"] in ("pending", "confirmed"):
        store.update(
            *key(digest(sub["email"])),
            {
                "status": "unsubscribed",
                "unsubscribed_at": iso(now),
                "unsubscribed_by": how[:40],
                "GSI1PK": index("unsubscribed"),
            },
        )
    return store.get(*key(digest(sub["email"])))


def suppress(email: str, reason: str, now: datetime | None = None) -> bool:
    """Never write to this address again (a permanent bounce, a complaint)."""
    now = now or datetime.now(UTC)
    try:
        address = normal(email)
    except NewsletterError:
        return False
    h = digest(address)
    current = store.get(*key(h))
    if current is None:
        store.put(
            record(
                address,
                "suppressed",
                token=_random.token_urlsafe(24),
                created_at=iso(now),
                suppressed_at=iso(now),
                suppressed_reason=reason[:200],
            )
        )
        return True
    store.update(
        *key(h),
        {
            "status": "suppressed",
            "suppressed_at": iso(now),
            "suppressed_reason": reason[:200],
            "GSI1PK": index("suppressed"),
        },
    )
    return True


def ses_event(message: dict[str, Any], now: datetime | None = None) -> list[str]:
    """An SES event (configuration set -> SNS): suppress who bounced for good or complained.

    docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html: the
    ``eventType`` is ``Bounce`` (``bounce.bounceType`` ``Permanent`` suppresses; a
    ``Transient`` one does not) or ``Complaint``; the addresses are in
    ``bounce.bouncedRecipients`` / ``complaint.complainedRecipients``.
    """
    kind = message.get("eventType") or message.get("notificationType")
    done = []
    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        for r in bounce.get("bouncedRecipients") or []:
            reason = f"bounce: {bounce.get('bounceSubType', '')} {r.get('diagnosticCode', '')}"
            if suppress(r.get("emailAddress", ""), reason.strip(), now):
                done.append(r.get("emailAddress", ""))
    elif kind == "Complaint":
        complaint = message.get("complaint") or {}
        for r in complaint.get("complainedRecipients") or []:
            reason = f"complaint: {complaint.get('complaintFeedbackType') or 'abuse'}"
            if suppress(r.get("emailAddress", ""), reason, now):
                done.append(r.get("emailAddress", ""))
    return done


def confirmed() -> list[dict[str, Any]]:
    return store.query_gsi1(index("confirmed"))


def counts() -> dict[str, int]:
    return {s: len(store.query_index("GSI1", index(s), fields=("PK",))) for s in STATUSES}


def _mail(config: Any, address: str, lang: str, key_: str, button: str) -> None:
    from portevoix.core import notices

    notices.send(config, [address], key_, [], button=button, language=lang)
