"""The morning digest: what is new, grouped, brand mentions on top."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from portevoix.core import mail, settings, store
from portevoix.core.i18n import format_date, t
from portevoix.core.timeutil import iso, parse_iso

if TYPE_CHECKING:
    from portevoix.core.config import Config

EXCERPT_CHARS = 240


@dataclass
class Group:
    kind: str  # mentions | topic | competitor | other
    title: str
    items: list[dict[str, Any]]
    more: int = 0


@dataclass
class Digest:
    lang: str
    start: datetime
    end: datetime
    groups: list[Group] = field(default_factory=list)
    items: int = 0
    mentions: int = 0
    troubled_feeds: list[dict[str, Any]] = field(default_factory=list)


def _days(start: datetime, end: datetime) -> list[str]:
    day = start.astimezone(UTC).date()
    last = end.astimezone(UTC).date()
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


def collect(config: Config, end: datetime, hours: int = 24) -> tuple[list[dict], list[dict]]:
    """New items and new brand mentions first seen in the window ending at ``end``."""
    start = end - timedelta(hours=hours)
    lo, hi = iso(start), iso(end) + "~"
    items: list[dict[str, Any]] = []
    for day in _days(start, end):
        items.extend(store.query_gsi1(store.day_index(day), lo, hi))
    horizon = iso(start - timedelta(days=config.digest.backlog_days))

    def is_news(record: dict[str, Any]) -> bool:
        # Backlog imported on a feed's first poll, or an old post re-surfacing,
        # is stored but is no news.
        published = record.get("published")
        return not published or published >= horizon

    fresh = [i for i in items if is_news(i)]
    # Every mention of the window, whatever the inbox did with it, but spam and hidden ones.
    mentions = [
        m
        for status in ("new", "needs_reply", "needs_action", "replied")
        for m in store.query_gsi1(store.inbox_index(status), lo, hi)
        if is_news(m)
    ]
    return fresh, mentions


def _newest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        items, key=lambda i: i.get("published") or i.get("first_seen") or "", reverse=True
    )


def _view(item: dict[str, Any], config: Config, lang: str) -> dict[str, Any]:
    published = item.get("published")
    when = None
    if published:
        dt = parse_iso(published).astimezone(config.tz)
        when = format_date(dt, lang)
    text = item.get("summary") or item.get("text") or ""
    if len(text) > EXCERPT_CHARS:
        text = text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"
    link = item.get("link")
    if link and not link.startswith(("http://", "https://")):
        link = None
    title = item.get("title") or t(lang, "digest.untitled")
    compose = {"title": title[:200], **({"link": link} if link else {})}
    return {
        "title": title,
        "link": link,
        # "Write a post": the studio's composer, opened with the item's title and link
        "compose": f"{settings.links_base_url()}/compose?{urlencode(compose)}",
        # "Add to the newsletter": the studio's pick page for this item
        "pick": (
            f"{settings.links_base_url()}/newsletter/pick/{quote(item['item_id'], safe='')}"
            if config.newsletter.enabled and item.get("item_id")
            else None
        ),
        "source": item.get("feed_name") or item.get("source") or "",
        "when": when,
        "excerpt": text,
        "keywords": list(item.get("keywords") or item.get("brand_terms") or []),
    }


def build(config: Config, end: datetime, lang: str, hours: int = 24) -> Digest:
    items, mentions = collect(config, end, hours)
    cap = config.digest.max_items_per_group
    digest = Digest(lang=lang, start=end - timedelta(hours=hours), end=end)
    digest.items, digest.mentions = len(items), len(mentions)

    def add(kind: str, title: str, group_items: list[dict[str, Any]]) -> None:
        if group_items:
            ordered = _newest_first(group_items)
            digest.groups.append(
                Group(
                    kind,
                    title,
                    [_view(i, config, lang) for i in ordered[:cap]],
                    max(0, len(ordered) - cap),
                )
            )

    shown = {m.get("source_id") for m in mentions if m.get("source") == "rss"}
    add("mentions", t(lang, "digest.mentions", brand=config.brand.name), mentions)
    rest = [i for i in items if i.get("item_id") not in shown]
    grouped: set[str] = set()
    for topic in config.topics:
        members = [i for i in rest if topic in (i.get("topics") or [])]
        grouped |= {i["item_id"] for i in members}
        add("topic", t(lang, "digest.topic", name=topic), members)
    feed_topics = sorted({tp for f in config.feeds for tp in f.topics} - set(config.topics))
    for topic in feed_topics:
        members = [i for i in rest if topic in (i.get("topics") or [])]
        grouped |= {i["item_id"] for i in members}
        add("topic", t(lang, "digest.topic", name=topic), members)
    for comp in config.competitors:
        members = [i for i in rest if comp.name in (i.get("competitors") or [])]
        grouped |= {i["item_id"] for i in members}
        add("competitor", t(lang, "digest.competitor", name=comp.name), members)
    add("other", t(lang, "digest.other"), [i for i in rest if i["item_id"] not in grouped])
    digest.troubled_feeds = _troubled_feeds(config, lang)
    return digest


def _troubled_feeds(config: Config, lang: str) -> list[dict[str, Any]]:
    if not config.feeds:
        return []
    states = store.batch_get([store.feed_key(f.key) for f in config.feeds])
    by_key = {s["PK"]: s for s in states}
    out = []
    for feed in config.feeds:
        state = by_key.get(store.feed_key(feed.key)[0])
        if state and state.get("failures") and state.get("url") == feed.url:
            retry = state.get("retry_at")
            retry_local = (
                format_date(parse_iso(retry).astimezone(config.tz), lang) if retry else "?"
            )
            out.append(
                {
                    "name": feed.label,
                    "url": feed.url,
                    "line": t(
                        lang,
                        "digest.feed_failures",
                        count=state["failures"],
                        retry=retry_local,
                        error=state.get("last_error", ""),
                    ),
                }
            )
    return out


def render(config: Config, digest: Digest) -> Any:
    lang = digest.lang
    local_end = digest.end.astimezone(config.tz)
    subject = t(
        lang,
        "digest.subject",
        brand=config.brand.name,
        date=format_date(local_end, lang, with_time=False),
        items=t(lang, "count.items", count=digest.items),
        mentions=t(lang, "count.mentions", count=digest.mentions),
    )
    return mail.render(
        "digest",
        subject=subject,
        lang=lang,
        brand=config.brand.name,
        digest=digest,
        start=format_date(digest.start.astimezone(config.tz), lang),
        end=format_date(local_end, lang),
        tz=config.timezone,
        feeds=len(config.feeds),
    )


def send(
    config: Config, end: datetime | None = None, *, once_per_day: bool = False
) -> list[dict[str, Any]]:
    """Send the digest to each language group of the team; return what was sent.

    With ``once_per_day`` (the schedule), a marker per local day and message makes a
    retried invocation send nothing twice and finish what a stopped one left.
    """

    end = (end or datetime.now(UTC)).astimezone(UTC)
    day = end.astimezone(config.tz).date().isoformat()
    return mail.send_groups_once(
        config,
        config.recipients(),
        lambda lang: render(config, build(config, end, lang)),
        kind="digest",
        period=day if once_per_day else None,
        now=end,
    )
