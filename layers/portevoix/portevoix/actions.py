"""Actions on a mention behind a link: edit and send the reply, mark handled, ignore, hide.

Same mechanism as approval links: an opaque id in the URL, the rest in the
table; GET shows, POST acts with the page's form token; once the mention is
handled, later clicks say who handled it and when.
"""

from __future__ import annotations

import secrets as _random
from datetime import UTC, datetime, timedelta
from typing import Any

from . import store
from .approval import token_ok
from .timeutil import iso, parse_iso

LINK_DAYS = 14
DONE = ("replied", "ignored", "hidden", "needs_action")


def _new_link(kind: str, now: datetime | None = None, **fields: Any) -> str:
    now = now or datetime.now(UTC)
    link_id = _random.token_urlsafe(24)
    store.batch_put(
        [
            {
                "PK": f"LINK#{link_id}",
                "SK": "LINK",
                "kind": kind,
                "form_token": _random.token_urlsafe(24),
                "expires": iso(now + timedelta(days=LINK_DAYS)),
                "expires_at": int((now + timedelta(days=LINK_DAYS + 30)).timestamp()),
                **fields,
            }
        ]
    )
    return link_id


def create_link(mention: dict[str, Any], now: datetime | None = None) -> str:
    """A link to the page that answers, handles, ignores or hides this mention."""
    return _new_link("mention", now, mention_pk=mention["PK"])


def create_freeze_link(now: datetime | None = None) -> str:
    """A link to a page that freezes scheduled posts, or lifts the freeze."""
    return _new_link("freeze", now)


def freeze_page(
    config: Any, link: dict[str, Any], method: str, form: dict[str, str], lang: str
) -> tuple[int, str]:
    from . import crisis
    from .i18n import t
    from .mail import page as page_html

    status, message = 200, None
    if method == "POST":
        if not token_ok(link, form.get("form_token")):
            status, message = 403, t(lang, "page.forged")
        elif form.get("action") in ("freeze", "lift"):
            crisis.freeze(form["action"] == "freeze", by="link")
        else:
            status, message = 400, t(lang, "page.forged")
    frozen = bool((store.get("FREEZE", "STATE") or {}).get("frozen"))
    message = message or t(lang, "freeze.on" if frozen else "freeze.off")
    html = page_html(
        "freeze_page.html",
        lang=lang,
        brand=config.brand.name,
        message=message,
        frozen=frozen,
        form_token=link["form_token"],
    )
    return status, html


def page(
    config: Any, link_id: str, method: str, form: dict[str, str], lang: str
) -> tuple[int, str]:
    from . import moderation, replies
    from .i18n import t
    from .mail import page as page_html

    now = datetime.now(UTC)
    link = store.get(f"LINK#{link_id}", "LINK") if link_id and len(link_id) <= 64 else None
    if link and link.get("kind") == "freeze" and (parse_iso(link.get("expires")) or now) > now:
        return freeze_page(config, link, method, form, lang)
    mention = (
        store.get(link["mention_pk"], "MENTION") if link and link.get("kind") == "mention" else None
    )
    status, message = 200, None
    if mention is None:
        status, message = 404, t(lang, "page.invalid")
    elif (parse_iso(link.get("expires")) or now) <= now:
        status, message = 410, t(lang, "page.expired")
    elif method == "POST":
        action = form.get("action")
        if not token_ok(link, form.get("form_token")):
            status, message = 403, t(lang, "page.forged")
        elif mention.get("status") in DONE:
            status = 409
        elif action == "send":
            try:
                mention = replies.reply(config, mention["PK"][8:], (form.get("text") or "").strip())
                message = t(lang, "action.sent")
            except replies.ReplyError as exc:
                status, message = 400, str(exc)
        elif action in ("handled", "ignore"):
            mention = replies.set_status(
                mention["PK"][8:], "replied" if action == "handled" else "ignored"
            )
            message = t(lang, "action.done")
        elif action == "hide":
            mention = moderation.hide(config, mention, mention.get("moderation_rule") or "manual")
            message = (
                t(lang, "action.hidden")
                if mention["status"] == "hidden"
                else mention.get("moderation_note")
            )
        else:
            status, message = 400, t(lang, "page.forged")
    if mention is not None and mention.get("status") in DONE and message is None:
        when = parse_iso(
            mention.get("replied_at") or mention.get("handled_at") or mention.get("archived_at")
        )
        message = t(
            lang,
            "action.already",
            status=t(lang, f"action.status.{mention['status']}"),
            when=when.astimezone(config.tz).strftime("%d/%m/%Y %H:%M") if when else "?",
        )
    suggestions = replies.suggestions(config, mention) if mention else {}
    html = page_html(
        "action_page.html",
        lang=lang,
        brand=config.brand.name,
        message=message,
        mention=mention,
        suggestion=next(iter(suggestions.values()), ""),
        suggestions=suggestions,
        open=mention is not None and mention.get("status") not in DONE and status not in (404, 410),
        form_token=link["form_token"] if link else "",
    )
    return status, html
