"""The holding statement ("message d'attente"): one voice for every network during a crisis.

Its text, per language, starts from ``crisis.holding_statement`` and is
edited in the crisis room. Each account gets it in its language
(``language``, else the brand's), with what its network's charter requires
appended; the whole goes through the usual workflow as one post (one
approval), skips the charter's timing rules and the freeze, and publishes on
every account at once. Once approved, it can answer the episode's waiting
messages in bulk, each in its language and each once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portevoix.core import store
from portevoix.core.errors import PostError
from portevoix.core.i18n import t

APPROVED = ("approved", "held", "publishing", "published", "partially_published")


def languages(config: Any) -> list[str]:
    """The languages the statement needs: the brand's, the accounts', the configured ones."""
    wanted = {config.language, *(a.language for a in config.accounts if a.language)}
    wanted |= set(config.crisis.holding_statement)
    return sorted(wanted, key=lambda lang: (lang != config.language, lang))


def drafts(config: Any) -> dict[str, str]:
    """The configured statement per language, rendered (``{{ brand }}``); empty where none."""
    from jinja2 import TemplateError

    from portevoix.inbox.replies import sandbox

    out = {}
    for lang in languages(config):
        source = config.crisis.holding_statement.get(lang, "")
        try:
            out[lang] = sandbox().from_string(source).render(brand=config.brand.name).strip()
        except TemplateError:
            out[lang] = source.strip()  # shown as written: the member fixes it before sending
    return out


def text_for(texts: dict[str, str], lang: str, default: str) -> str:
    return texts.get(lang) or texts.get(default) or next((v for v in texts.values() if v), "")


def variants(config: Any, texts: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each account's text: its language's statement, plus what its charter requires."""
    out = {}
    for account in config.accounts:
        lang = account.language or config.language
        text = text_for(texts, lang, config.language).strip()
        rules = config.charter.for_network(account.network)
        for needed in rules.required or []:
            if needed.casefold() not in text.casefold():
                text = f"{text}\n\n{needed}"
        out[account.key] = {"text": text, "language": lang}
    return out


def propose(config: Any, episode: dict[str, Any], texts: dict[str, str], by: str) -> dict[str, Any]:
    """Create the statement's post (now, every account) and ask for its approval."""
    from portevoix.inbox import episodes
    from portevoix.publishing import posts

    texts = {lang: (texts.get(lang) or "").strip() for lang in languages(config)}
    missing = [lang for lang, text in texts.items() if not text]
    if missing:
        raise PostError(t(config.language, "statement.missing", langs=", ".join(missing)))
    current = store.get(*store.post_key(episode.get("statement_post") or "-"))
    if current and current.get("status") not in posts.FINAL:
        raise PostError(t(config.language, "statement.pending", post=current["post_id"]))
    draft = posts.parse_draft(
        {
            "author": by,
            "title": t(config.language, "statement.title"),
            "variants": variants(config, texts),
        },
        config,
    )
    post = posts.create(config, draft, holding=True, episode_id=episode["episode_id"])
    posts.start(post)
    store.update(
        *store.episode_key(episode["episode_id"]),
        {"statement_post": post["post_id"], "statement_texts": texts},
    )
    episodes.log(episode["episode_id"], by, "statement", post=post["post_id"])
    return posts.get(post["post_id"])


def approved_texts(episode: dict[str, Any]) -> dict[str, str] | None:
    """The statement's texts once approved (None before)."""
    post = store.get(*store.post_key(episode.get("statement_post") or "-"))
    if not post or post.get("status") not in APPROVED:
        return None
    return episode.get("statement_texts") or None


def reply_all(
    config: Any, episode: dict[str, Any], messages: list[dict[str, Any]], by: str
) -> dict[str, list[str]]:
    """Answer each waiting message of the episode with the approved statement, once."""
    from portevoix.core.errors import ReplyError
    from portevoix.inbox import episodes, replies

    texts = approved_texts(episode)
    if texts is None:
        raise PostError(t(config.language, "statement.not_approved"))
    sent, failed = [], []
    for m in messages:
        if m.get("status") not in ("new", "needs_reply"):
            continue
        if m.get("assigned_to") and m["assigned_to"] != by:
            continue  # someone else holds it: theirs to answer
        mention_id = store.id_of(m["PK"])
        lang = m.get("language") or config.language
        try:
            replies.reply(
                config, mention_id, text_for(texts, lang, config.language), datetime.now(UTC), by=by
            )
        except ReplyError as exc:
            failed.append(f"{m.get('author_handle') or mention_id}: {exc}")
            continue
        sent.append(mention_id)
    episodes.log(episode["episode_id"], by, "replied", count=len(sent), waiting=len(failed))
    return {"sent": sent, "failed": failed}
