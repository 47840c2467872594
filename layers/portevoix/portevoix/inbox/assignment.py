"""Who answers what: taking a message, acting on it as a member, escalating past the SLA.

A member takes a message (``assigned_to``, set only when nobody holds it);
replies and settlements record who did them (``replied_by``, ``handled_by``),
for the response time per member in the weekly report. An urgent message
still waiting ``inbox.sla_minutes`` after it arrived alerts its assignee (or
the team when nobody took it), and the team after twice that; each alert is
sent once (a claimed attribute on the message).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.errors import ReplyError
from portevoix.core.timeutil import iso, parse_iso

URGENT = ("immediate", "high")


def take(mention_id: str, email: str) -> str:
    """``email`` takes the message: "taken", or ReplyError naming who holds it."""
    key = store.mention_key(mention_id)
    if store.claim_attribute(key, "assigned_to", email):
        store.update(*key, {"assigned_at": iso(datetime.now(UTC))})
        return "taken"
    holder = (store.get(*key) or {}).get("assigned_to")
    if holder == email:
        return "taken"
    raise ReplyError(f"{holder} has taken this message already")


def assign(mention_id: str, to: str, by: str, config: Any) -> str:
    """Give the message to a member (whoever holds it now)."""
    if not any(m.email.lower() == to.lower() for m in config.team):
        raise ReplyError(f"{to} is not in the team")
    store.update(
        *store.mention_key(mention_id),
        {"assigned_to": to, "assigned_at": iso(datetime.now(UTC)), "assigned_by": by},
    )
    return "taken"


def release(mention_id: str, email: str) -> str:
    """Give the message back (only its holder can)."""
    if not store.update(
        *store.mention_key(mention_id),
        {"assigned_to": None, "assigned_at": None},
        condition=("assigned_to", (email,)),
    ):
        raise ReplyError("only the member who took this message can give it back")
    return "released"


def act(config: Any, mention_id: str, action: str, email: str, form: dict[str, str]) -> str:
    """One action of the inbox page by a member; the word the page says after it."""
    from portevoix.inbox import moderation, replies

    if action == "take":
        return take(mention_id, email)
    if action == "release":
        return release(mention_id, email)
    if action == "assign":
        return assign(mention_id, form.get("to", ""), email, config)
    mention = replies.get(mention_id)
    holder = mention.get("assigned_to")
    if holder and holder != email and action in ("reply", "hide"):
        raise ReplyError(f"{holder} has taken this message: ask them, or take it over first")
    if action == "reply":
        text = (form.get("text") or "").strip()
        if not text:
            raise ReplyError("the reply is empty")
        replies.reply(config, mention_id, text, by=email)
        return "replied"
    if action in ("handled", "ignore"):
        if mention.get("status") not in ("new", "needs_reply"):
            raise ReplyError(f"this message is {mention.get('status')} already")
        replies.set_status(mention_id, "replied" if action == "handled" else "ignored", by=email)
        return "handled" if action == "handled" else "ignored"
    if action == "hide":
        done = moderation.hide(config, mention, mention.get("moderation_rule") or "manual")
        if done.get("status") != "hidden":
            raise ReplyError(done.get("moderation_note") or "this message could not be hidden")
        return "hidden"
    raise ReplyError(f"unknown action {action!r}")


def escalate(config: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Alert about urgent messages waiting past the SLA: once at the SLA, once at twice it."""
    from portevoix.core import notices

    now = now or datetime.now(UTC)
    sla = timedelta(minutes=config.inbox.sla_minutes)
    sent: list[dict[str, Any]] = []
    for m in store.query_index("GSI1", store.inbox_index("needs_reply")):
        received = parse_iso(m.get("received_at"))
        if m.get("urgency") not in URGENT or received is None or m.get("own"):
            continue
        waited = now - received
        key = store.mention_key(store.id_of(m["PK"]))
        holder = m.get("assigned_to")
        if waited >= 2 * sla and holder:
            step, to = "escalated_team_at", [member.email for member in config.team]
        elif waited >= sla:
            step = "escalated_at"
            to = [holder] if holder else [member.email for member in config.team]
        else:
            continue
        if m.get(step) or not store.claim_attribute(key, step, iso(now)):
            continue
        line = {
            "label": f"{m.get('author') or m.get('author_handle') or '?'} · {m.get('source')}",
            "text": (m.get("text") or m.get("title") or "")[:300],
            "link": _page_url(store.id_of(m["PK"])),
            "level": "error",
        }
        minutes = int(waited.total_seconds() // 60)
        sent += notices.send(
            config,
            to,
            "inbox.escalation",
            [line],
            values={"minutes": minutes},
            button=_page_url(store.id_of(m["PK"])),
        )
    return sent


def _page_url(mention_id: str) -> str:
    from urllib.parse import quote

    from portevoix.core import settings

    return f"{settings.links_base_url()}/inbox/m/{quote(mention_id, safe='')}"
