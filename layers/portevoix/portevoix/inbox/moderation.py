"""Moderation: flag what breaks the rules, archive it, then hide it where the network allows.

The archive (text, author, link, time, classification, rule) is written to
the stack's bucket before any hide. Where a network cannot hide (Mastodon,
Bluesky, LinkedIn), the mention is marked ``needs_action`` and the team is
asked to act on it. Nothing is ever deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import aws, store
from portevoix.core.errors import ModerationError, NetworkError, Unsupported  # noqa: F401
from portevoix.core.text import compile_terms, fold
from portevoix.core.timeutil import iso


def rule_for(config: Any, mention: dict[str, Any], now: datetime | None = None) -> str | None:
    """The first moderation rule the mention breaks, or None.

    Hiding needs explicit evidence: the word lists' own insult or spam words (the
    ``signals``), not the learnt model's guess, which only sorts the inbox.
    """
    rules = config.inbox.moderation
    text = mention.get("text") or mention.get("title") or ""
    signals = mention.get("signals") or {}
    if rules.insults and mention.get("intent") == "insult" and signals.get("insult"):
        return "insult"
    if (
        rules.spam_links
        and mention.get("intent") == "spam"
        and signals.get("spam")
        and ("http" in text or "www." in text)
    ):
        return "spam_link"
    if rules.banned_words:
        pattern = compile_terms(list(rules.banned_words))
        if pattern and pattern.search(fold(text)):
            return "banned_words"
    if rules.repeated and mention.get("author_handle"):
        now = now or datetime.now(UTC)
        digest = hashlib.sha256(
            f"{mention['author_handle']}|{fold(text).strip()}".encode()
        ).hexdigest()[:24]
        seen = store.increment(  # once per message: a redelivered one is not counted again
            store.repeat_key(digest), now=now, keep=timedelta(days=1), once=mention.get("PK")
        )
        if seen >= rules.repeated:
            return "repeated"
    return None


def archive(mention: dict[str, Any], rule: str, now: datetime) -> str:
    """Write the original to the bucket; return its key."""
    bucket = os.environ.get("DATA_BUCKET")
    if not bucket:
        raise ModerationError("DATA_BUCKET is not set: no archive, so nothing is hidden")
    key = f"archive/{mention.get('source', 'unknown')}/{now.strftime('%Y/%m/%d')}/{hashlib.sha256(mention['PK'].encode()).hexdigest()[:32]}.json"
    body = {
        "archived_at": iso(now),
        "rule": rule,
        "mention": {k: v for k, v in mention.items() if k not in ("GSI1PK", "GSI1SK")},
    }
    aws.client("s3").put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(body, ensure_ascii=False, default=str).encode(),
        ContentType="application/json",
        ServerSideEncryption="AES256",
    )
    return key


def hide(
    config: Any,
    mention: dict[str, Any],
    rule: str,
    now: datetime | None = None,
    networks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Archive, then hide through the network, or ask the team when it cannot."""

    now = now or datetime.now(UTC)
    key = archive(mention, rule, now)
    values: dict[str, Any] = {"moderation_rule": rule, "archive_key": key, "archived_at": iso(now)}
    account = config.account(mention.get("account"))
    if account is None:
        values.update(
            status="needs_action",
            GSI1PK=store.inbox_index("needs_action"),
            moderation_note="not on a network we can act on: hide or report it where it is",
        )
    else:
        from portevoix.networks import build  # loaded when something is to be hidden

        net = (networks or {}).get(account.key) or build(account, config)
        try:
            net.hide(mention["ref"])
            values.update(status="hidden", GSI1PK=store.inbox_index("hidden"), hidden_at=iso(now))
        except Unsupported as exc:
            values.update(
                status="needs_action",
                GSI1PK=store.inbox_index("needs_action"),
                moderation_note=str(exc),
            )
        except NetworkError as exc:
            values.update(
                status="needs_action",
                GSI1PK=store.inbox_index("needs_action"),
                moderation_note=f"hide failed: {exc}",
            )
    store.update(mention["PK"], mention["SK"], values)
    return {**mention, **values}
