"""Actions on a mention behind a link: edit and send the reply, mark handled, ignore, hide.

Same mechanism as approval links: an opaque id in the URL, the rest in the
table; GET shows, POST acts with the page's form token; once the mention is
handled, later clicks say who handled it and when.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import links, store
from portevoix.core.i18n import t
from portevoix.core.mail import page as page_html
from portevoix.core.timeutil import parse_iso
from portevoix.inbox import crisis, moderation, replies

LINK_LIFE = timedelta(days=14)
DONE = ("replied", "ignored", "hidden", "needs_action")


def create_link(mention: dict[str, Any], now: datetime | None = None) -> str:
    """A link to the page that answers, handles, ignores or hides this mention."""
    now = now or datetime.now(UTC)
    return links.create("mention", now + LINK_LIFE, now, mention_pk=mention["PK"])


def freeze_page(
    config: Any, link: dict[str, Any], method: str, form: dict[str, str], lang: str
) -> tuple[int, str]:

    status, message = 200, None
    if method == "POST":
        if not links.token_ok(link, form.get("form_token")):
            status, message = 403, t(lang, "page.forged")
        elif form.get("action") in ("freeze", "lift"):
            done = crisis.freeze(form["action"] == "freeze", by="link", config=config)
            if not done["frozen"]:
                message = t(
                    lang,
                    "freeze.lifted",
                    released=len(done["released"]),
                    count=len(done["waiting"]),
                )
        else:
            status, message = 400, t(lang, "page.forged")
    frozen = bool((store.get(*store.freeze_key()) or {}).get("frozen"))
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
    config: Any,
    link_id: str,
    method: str,
    form: dict[str, str],
    lang: str,
    focus: str | None = None,
) -> tuple[int, str]:
    """The page of a mention's link; ``focus`` (an email's button: handled, ignore, hide) puts
    that action first, still behind a button: opening the link changes nothing."""
    now = datetime.now(UTC)
    link = links.get(link_id)
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
        if not links.token_ok(link, form.get("form_token")):
            status, message = 403, t(lang, "page.forged")
        elif mention.get("status") in DONE:
            status = 409
        elif action == "send":
            try:
                mention = replies.reply(
                    config, store.id_of(mention["PK"]), (form.get("text") or "").strip()
                )
                message = t(lang, "action.sent")
            except replies.ReplyError as exc:
                status, message = 400, str(exc)
        elif action in ("handled", "ignore"):
            mention = replies.set_status(
                store.id_of(mention["PK"]), "replied" if action == "handled" else "ignored"
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
        focus=focus if focus in ("handled", "ignore", "hide") and method == "GET" else None,
    )
    return status, html
