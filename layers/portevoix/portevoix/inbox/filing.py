"""The inbox: new mentions classified and filed, urgent ones told at once, the rest batched.

A mention is notified once: ``notified_at`` is claimed with a conditional
write before the email goes out (released if sending fails), so a retried
stream batch or a second inbox run never repeats an alert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portevoix.core import links, mail, notices, store
from portevoix.core.i18n import languages, t
from portevoix.core.timeutil import parse_iso
from portevoix.inbox import actions, crisis, moderation
from portevoix.inbox.classify import Classifier
from portevoix.inbox.replies import suggestions

EXCERPT = 280


def triage(
    config: Any, mention: dict[str, Any], now: datetime | None = None, *, moderate: bool = False
) -> dict[str, Any] | None:
    """Classify a new mention and file it: needs_reply, or ignored (spam, our own posts).

    The filed mention is written whole, only while it is still ``new``: a
    replayed stream record (a retried batch) finds it filed and changes
    nothing (None), so nobody's reply or decision is undone. ``moderate``: the
    moderation rule it breaks is decided now and written with it, so that a
    record redelivered after a failed archive or hide still finishes the job.
    """
    classifier = Classifier.for_config(config)
    author, handle = mention.get("author"), mention.get("author_handle")
    labels = {author, handle, f"{author} ({handle})"}  # a network mention's title is its author
    text = " ".join(x for x in (mention.get("title"), mention.get("text")) if x and x not in labels)
    result = classifier.classify(
        text, author=mention.get("author_handle") or mention.get("author") or ""
    )
    if config.inbox.comprehend.enabled and text.strip():
        result.sentiment, result.score = _comprehend(
            config, text, result.language, result.sentiment, result.score
        )
    draft = None
    if config.inbox.bedrock.enabled and text.strip():
        from portevoix.inbox import bedrock

        result, draft = bedrock.refine(config, text, result)
    declared = mention.get("declared_language")
    if declared in languages():  # what the author's network says beats a guess from words
        result.language = declared
    status = "ignored" if result.intent == "spam" or result.own else "needs_reply"
    values = {
        "intent": result.intent,
        "sentiment": result.sentiment,
        "sentiment_score": str(result.score),
        "urgency": result.urgency,
        "language": result.language,
        "signals": {k: v[:10] for k, v in result.signals.items()},
        "status": status,
        "GSI1PK": store.inbox_index(status),
        "own": True if result.own else None,  # the brand's own posts: no alert, not counted
        "classified_by": "model" if "model" in result.signals else "rules",
        "draft_reply": draft,
    }
    filed = {**mention, **values}
    rule = moderation.rule_for(config, filed, now) if moderate else None
    if rule:
        filed["moderation_rule"] = rule
    if not store.put_if(filed, "status", ("new",)):
        return None
    return filed


def _comprehend(
    config: Any, text: str, lang: str, sentiment: str, score: float
) -> tuple[str, float]:
    """Amazon Comprehend's sentiment; the rules' answer when it cannot be had."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.client("comprehend", region_name=config.inbox.comprehend.region)
        resp = client.detect_sentiment(
            Text=text.encode("utf-8")[:4900].decode("utf-8", "ignore"), LanguageCode=lang
        )
    except (BotoCoreError, ClientError):
        return sentiment, score
    scores = resp.get("SentimentScore") or {}
    mapped = {"POSITIVE": "positive", "NEGATIVE": "negative"}.get(
        resp.get("Sentiment", ""), "neutral"
    )
    return mapped, round(float(scores.get("Positive", 0)) - float(scores.get("Negative", 0)), 2)


def _line(m: dict[str, Any]) -> dict[str, Any]:
    text = (m.get("text") or m.get("title") or "").strip()
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1].rsplit(" ", 1)[0] + "…"
    who = m.get("author_handle") or m.get("author") or m.get("feed_name") or "?"
    label = {
        lang: f"{t(lang, 'inbox.intent.' + m.get('intent', 'other'))} · {who} · {m.get('source')}"
        for lang in languages()
    }
    return {
        "label": label["fr"],
        "label_i18n": label,
        "text": text or "—",
        "link": m.get("link"),
        "level": "error" if m.get("urgency") in ("immediate", "high") else None,
    }


def _card(config: Any, m: dict[str, Any], url: str, lang: str) -> dict[str, Any]:
    """One message of an inbox email: who, what, the suggested reply, and its buttons, each a
    plain link to a page that shows the action before doing it (mail scanners click links)."""
    from urllib.parse import quote

    from portevoix.core import settings
    from portevoix.networks import network_class

    line = _line(m)
    offered = suggestions(config, m)
    name, body = next(iter(offered.items()), ("", ""))
    buttons = [
        {"action": "reply", "label": t(lang, "inbox.card.reply"), "url": url},
        {"action": "handled", "label": t(lang, "inbox.card.handled"), "url": f"{url}?do=handled"},
    ]
    try:
        can_hide = network_class(m.get("source") or "").limits.can_hide
    except (KeyError, ValueError):
        can_hide = False
    if can_hide:
        buttons.append(
            {"action": "hide", "label": t(lang, "inbox.card.hide"), "url": f"{url}?do=hide"}
        )
    studio = f"{settings.links_base_url()}/inbox/m/{quote(store.id_of(m['PK']), safe='')}"
    buttons.append({"action": "take", "label": t(lang, "inbox.card.take"), "url": studio})
    link = m.get("link") or ""
    return {
        "who": m.get("author") or m.get("author_handle") or m.get("feed_name") or "?",
        "source": m.get("feed_name") or m.get("source") or "",
        "intent": t(lang, "inbox.intent." + (m.get("intent") or "other")),
        "urgent": t(lang, "inbox.page.urgent") if line["level"] else "",
        "excerpt": line["text"],
        "suggested": t(lang, "inbox.suggested"),
        "suggestion_name": name,
        "suggestion": body,
        "buttons": buttons,
        "source_link": link if link.startswith(("https://", "http://")) else "",
        "source_label": t(lang, "inbox.page.source"),
    }


def notify(
    config: Any, mentions: list[dict[str, Any]], key: str, now: datetime | None = None
) -> list[str]:
    """Email these mentions to the team once each; return the ids notified."""

    now = now or datetime.now(UTC)
    keys = [(m["PK"], m["SK"]) for m in mentions]
    with store.once(*keys, now=now, attribute="notified_at") as claim:
        held = set(claim.keys)
        claimed = [m for m in mentions if (m["PK"], m["SK"]) in held]
        if not claimed:
            return []
        urls = [links.url("mention", actions.create_link(m, now)) for m in claimed]
        values = {"brand": config.brand.name, "count": len(claimed)}
        for lang, recipients in notices.groups(config, [m.email for m in config.team]).items():
            rendered = mail.render(
                "inbox_cards",
                subject=t(lang, f"{key}.subject", **values),
                lang=lang,
                brand=config.brand.name,
                heading=t(lang, f"{key}.title", **values),
                intro=t(lang, f"{key}.intro", **values),
                cards=[_card(config, m, url, lang) for m, url in zip(claimed, urls, strict=True)],
            )
            mail.send_chunked(config, recipients, rendered, kind=key.replace(".", "-"), lang=lang)
        claim.delivered = True
    return [m["PK"] for m in claimed]


def is_urgent(filed: dict[str, Any]) -> bool:
    return filed.get("status") in ("needs_reply", "needs_action") and filed.get("urgency") in (
        "immediate",
        "high",
    )


def notify_urgent(config: Any, mentions: list[dict[str, Any]], now: datetime | None = None) -> None:
    """One email for the crises, one for the other urgent messages."""
    crises = [m for m in mentions if m.get("intent") == "crisis"]
    others = [m for m in mentions if m.get("intent") != "crisis"]
    if crises:
        notify(config, crises, "inbox.crisis", now)
    if others:
        notify(config, others, "inbox.urgent", now)


def handle_new(
    config: Any, mention: dict[str, Any], now: datetime | None = None, *, alert: bool = True
) -> dict[str, Any]:
    """What the stream consumer does with one new mention (``alert=False``: the caller groups alerts)."""
    if mention.get("status", "new") != "new":
        return mention  # a restored or replayed item that was already handled
    filed = triage(config, mention, now, moderate=True)
    auto_hide = config.inbox.moderation.auto_hide
    if filed is None:  # already filed: a record redelivered after a failure
        current = store.get(mention["PK"], mention["SK"]) or mention
        unfinished = current.get("moderation_rule") and not current.get("archive_key")
        if auto_hide and unfinished and current.get("status") in ("needs_reply", "ignored"):
            # its archive or its hiding is what failed (and nobody acted on it since): finish it
            current = moderation.hide(config, current, current["moderation_rule"], now)
        _count_negative(current, now)  # its count, if that is what failed
        return current
    if filed.get("moderation_rule") and auto_hide:
        filed = moderation.hide(config, filed, filed["moderation_rule"], now)
    if _count_negative(filed, now):
        if alert:  # a stream batch checks once, after its last mention (the caller)
            crisis.check(config, now)
    if alert and is_urgent(filed):
        notify_urgent(config, [filed], now)
    return filed


def _count_negative(filed: dict[str, Any], now: datetime | None) -> bool:
    """Count a negative message (not the brand's own) in the hour it arrived, once: a retried
    record neither loses nor doubles it. True when it is one to count."""
    import hashlib

    if filed.get("sentiment") != "negative" or filed.get("own"):
        return False
    when = parse_iso(filed.get("received_at")) or now or datetime.now(UTC)
    crisis.count_negative(when, once=hashlib.sha256(filed["PK"].encode()).hexdigest()[:12])
    return True


def send_batch(config: Any, now: datetime | None = None) -> list[str]:
    """The grouped inbox email: every mention needing a reply not yet notified."""
    pending = [
        m for m in store.query_gsi1(store.inbox_index("needs_reply")) if not m.get("notified_at")
    ]
    if not pending:
        return []
    return notify(
        config, sorted(pending, key=lambda m: m.get("received_at", "")), "inbox.batch", now
    )
