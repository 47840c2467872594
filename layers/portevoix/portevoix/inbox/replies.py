"""Reply templates and replying: rendered in a sandbox, sent through the mention's network once.

Templates come from the configuration and only ever receive the message's
data as variables (author, handle, brand, network, excerpt): a message that
says ``{{ config }}`` is text, never template source.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from portevoix.core import store
from portevoix.core.errors import NetworkError, PortevoixError, ReplyError  # noqa: F401
from portevoix.core.timeutil import iso, parse_iso
from portevoix.inbox import inbound

_sandbox = None


def sandbox() -> Any:
    """Jinja2 for text that reaches a network: sandboxed, strict, unescaped."""
    global _sandbox
    if _sandbox is None:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        # Plain text for networks: no HTML escaping, but no access to anything but the variables.
        _sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    return _sandbox


def variables(config: Any, mention: dict[str, Any]) -> dict[str, str]:
    author = mention.get("author") or mention.get("author_handle") or ""
    return {
        "author": author.split(" (")[0],
        "handle": mention.get("author_handle") or "",
        "brand": config.brand.name,
        "network": mention.get("source") or "",
        "excerpt": (mention.get("text") or mention.get("title") or "")[:200],
    }


def suggestions(config: Any, mention: dict[str, Any]) -> dict[str, str]:
    """Every template that fits the mention's intent, rendered in its language."""
    lang = mention.get("language") or config.language
    out = {}
    for name, template in config.inbox.templates.items():
        if template.intents and mention.get("intent") not in template.intents:
            continue
        try:
            out[name] = render(config, name, mention, lang)
        except ReplyError:
            continue  # reported when someone picks it; not offered broken
    if mention.get("draft_reply"):  # the model's draft, after the brand's own templates
        out.setdefault("model", str(mention["draft_reply"]))
    return out


def render(config: Any, name: str, mention: dict[str, Any], lang: str | None = None) -> str:
    from jinja2 import TemplateError

    template = config.inbox.templates.get(name)
    if template is None:
        raise ReplyError(
            f"no reply template {name!r} (templates: {', '.join(config.inbox.templates) or 'none'})"
        )
    lang = lang or mention.get("language") or config.language
    source = (template.en if lang == "en" else template.fr) or template.fr or template.en
    try:
        text = sandbox().from_string(source).render(**variables(config, mention))
    except TemplateError as exc:
        raise ReplyError(
            f"template {name!r} failed to render ({type(exc).__name__}: {exc}); nothing was sent"
        ) from None
    text = re.sub(
        r"[ \t]+([,.])", r"\1", text
    )  # "Bonjour , merci" when the author is unknown (French keeps " !")
    if not text.strip():
        raise ReplyError(f"template {name!r} rendered an empty reply; nothing was sent")
    return text.strip()


INBOX_STATUSES = ("new", "needs_reply", "needs_action", "replied", "ignored", "hidden")


def matching(prefix: str) -> list[str]:
    """Mention ids equal to ``prefix`` or starting with it (with or without ``source#``)."""
    if store.get(*store.mention_key(prefix)):
        return [prefix]
    found = {
        store.id_of(m["PK"])
        for status in INBOX_STATUSES
        for m in store.query_gsi1(store.inbox_index(status))
    }
    return sorted(
        mid for mid in found if mid.startswith(prefix) or mid.split("#", 1)[-1].startswith(prefix)
    )


def short_id(mention_id: str) -> str:
    """What the inbox shows: the source and the id's first 10 characters."""
    source, _, rest = mention_id.partition("#")
    return f"{source}#{rest[:10]}" if rest else mention_id[:12]


def get(mention_id: str) -> dict[str, Any]:
    mention = store.get(*store.mention_key(mention_id))
    if mention is None:
        raise ReplyError(f"no mention {mention_id!r} (see `portevoix inbox`)")
    return mention


def reply(
    config: Any,
    mention_id: str,
    text: str,
    now: datetime | None = None,
    networks: dict[str, Any] | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Send ``text`` as a reply through the mention's network, once; record the response time
    (and ``by``, the member who sent it)."""

    now = now or datetime.now(UTC)
    mention = get(mention_id)
    if mention.get("status") == "replied":
        raise ReplyError(
            f"already replied on {mention.get('replied_at')}: {mention.get('reply_url') or ''}".strip()
        )
    account = config.account(mention.get("account"))
    if account is None and mention.get("source") != "email":
        raise ReplyError(
            f"this mention comes from {mention.get('source')}: answer it there ({mention.get('link')})"
        )
    until = parse_iso(mention.get("reply_until"))
    if until is not None and now > until:
        raise ReplyError(
            f"{mention.get('source')} lets a Page answer a message within 24 hours; this one "
            f"closed on {iso(until)}: answer from the Page's own inbox (Meta Business Suite)"
        )
    claimed = store.update(
        mention["PK"],
        "MENTION",
        {"reply_claimed_at": iso(now)},
        condition=("status", ("new", "needs_reply")),
    )
    if not claimed:
        raise ReplyError(f"mention {mention_id} is {get(mention_id).get('status')}: not replied")
    # The networks' clients (and requests) are loaded when a reply goes out, not by every
    # stream batch that imports this module to file mentions.
    from portevoix.networks import Published, build

    try:
        if account is None:  # an email: answered by email, in its thread
            sent = inbound.reply(config, mention, text)
            published = Published(sent["ref"] or "", None, "email")
        else:
            net = (networks or {}).get(account.key) or build(account, config)
            published = net.reply(mention["ref"], text, key=f"reply:{mention_id}")
    except (NetworkError, PortevoixError) as exc:
        store.update(
            mention["PK"], "MENTION", {"reply_claimed_at": None, "reply_error": str(exc)[:500]}
        )
        raise ReplyError(f"the reply was not sent: {exc}") from None
    received = parse_iso(mention.get("received_at")) or now
    values = {
        "status": "replied",
        "GSI1PK": store.inbox_index("replied"),
        "replied_at": iso(now),
        "reply_text": text[:2000],
        "reply_url": published.url,
        "reply_ref": published.ref,
        "response_seconds": int(max(0, (now - received).total_seconds())),
        "replied_by": by,
    }
    store.update(mention["PK"], "MENTION", values)
    return {**mention, **values}


def set_status(
    mention_id: str, status: str, now: datetime | None = None, by: str | None = None
) -> dict[str, Any]:
    """Mark handled (``replied`` elsewhere: its response time is recorded) or ``ignored``."""
    now = now or datetime.now(UTC)
    mention = get(mention_id)
    values: dict[str, Any] = {
        "status": status,
        "GSI1PK": store.inbox_index(status),
        "handled_at": iso(now),
        "handled_by": by,
    }
    if status == "replied" and mention.get("response_seconds") is None:
        received = parse_iso(mention.get("received_at")) or now
        values["response_seconds"] = int(max(0, (now - received).total_seconds()))
    store.update(mention["PK"], "MENTION", values)
    return get(mention_id)
