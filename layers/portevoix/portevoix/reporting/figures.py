"""The report's figures and their rules (pure: the records in, the numbers out).

Spam and the brand's own posts are left out of every figure and counted
apart; share of voice counts public conversation only; a week-over-week
change is news only against a minimum base per KPI.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portevoix.core.timeutil import parse_iso
from portevoix.reporting.week import Week

STATUSES = ("new", "needs_reply", "needs_action", "replied", "ignored", "hidden")
SENTIMENTS = ("positive", "neutral", "negative")
INTENTS = ("crisis", "complaint", "question", "praise", "insult", "other")
WAITING = ("new", "needs_reply", "needs_action")
PRIVATE_SOURCES = ("email",)  # not public conversation: no share of voice
ITEM_SOURCES = ("rss",)  # already counted as feed items
HEADLINE_MIN_SCORE = 0.2  # a change under 20 % of its base is not news
ENGAGEMENT_FIELDS = ("likes", "shares", "replies", "views")


@dataclass
class Timing:
    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        if not seconds:
            return cls(0, None, None)
        if len(seconds) == 1:
            return cls(1, float(seconds[0]), float(seconds[0]))
        p90 = statistics.quantiles(seconds, n=10, method="inclusive")[8]
        return cls(len(seconds), float(statistics.median(seconds)), float(p90))


@dataclass
class Figures:
    week: Week
    mentions: int = 0
    filtered: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_day: dict[date, int] = field(default_factory=dict)
    voice: dict[str, int] = field(default_factory=dict)  # the brand first, then competitors
    items: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    sentiment_by_day: dict[date, dict[str, int]] = field(default_factory=dict)
    intents: dict[str, int] = field(default_factory=dict)
    response: dict[str, Timing] = field(default_factory=dict)  # per source, and "all"
    by_member: dict[str, Timing] = field(default_factory=dict)  # who replied or settled
    waiting: int = 0
    publishing: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    crises: list[dict[str, Any]] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)  # crisis episodes' reports
    audience: list[dict[str, Any]] = field(default_factory=list)  # followers per account
    visits: dict[str, int] = field(default_factory=dict)  # short-link clicks per account
    polls: list[dict[str, Any]] = field(default_factory=list)  # polls that ended in the week
    boosts: list[dict[str, Any]] = field(default_factory=list)  # paid boosts that ran in it

    @property
    def has_data(self) -> bool:
        return bool(self.mentions or self.items or self.published or self.crises or self.filtered)

    @property
    def published(self) -> int:
        return sum(p["published"] for p in self.publishing)

    @property
    def brand_share(self) -> float | None:
        """The brand's share of voice in percent, None when nobody was mentioned."""
        total = sum(self.voice.values())
        if not total:
            return None
        return 100 * next(iter(self.voice.values())) / total

    @property
    def engagement(self) -> int | None:
        values = [p["engagement"] for p in self.posts if p["engagement"] is not None]
        return sum(values) if values else None

    @property
    def best(self) -> dict[str, Any] | None:
        ranked = self._ranked()
        return ranked[0] if len(ranked) > 1 else None

    @property
    def worst(self) -> dict[str, Any] | None:
        ranked = self._ranked()
        return ranked[-1] if len(ranked) > 1 else None

    def _ranked(self) -> list[dict[str, Any]]:
        with_numbers = [p for p in self.posts if p["engagement"] is not None]
        return sorted(with_numbers, key=lambda p: (-p["engagement"], p["published_at"]))


def counted(mention: dict[str, Any]) -> bool:
    """Whether a mention counts in the figures (not spam, not the brand's own post)."""
    return mention.get("intent") != "spam" and not mention.get("own")


def add_mentions(fig: Figures, mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Volume, sentiment, intents and response times; returns the counted mentions."""
    week = fig.week
    kept = [m for m in mentions if counted(m)]
    fig.filtered = len(mentions) - len(kept)
    fig.mentions = len(kept)
    fig.by_day = {d: 0 for d in week.days}
    fig.sentiment_by_day = {d: dict.fromkeys(SENTIMENTS, 0) for d in week.days}
    by_source: Counter[str] = Counter()
    sentiment: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    timings: dict[str, list[float]] = {}
    members: dict[str, list[float]] = {}
    for m in kept:
        source = m.get("source") or "?"
        by_source[source] += 1
        day = week.local_day(parse_iso(m["received_at"]))
        fig.by_day[day] += 1
        if m.get("sentiment") in SENTIMENTS:
            sentiment[m["sentiment"]] += 1
            fig.sentiment_by_day[day][m["sentiment"]] += 1
        if m.get("intent"):
            intents[m["intent"] if m["intent"] in INTENTS else "other"] += 1
        if m.get("response_seconds") is not None:
            timings.setdefault(source, []).append(float(m["response_seconds"]))
            who = m.get("replied_by") or m.get("handled_by")
            if who:
                members.setdefault(who, []).append(float(m["response_seconds"]))
        if m.get("status") in WAITING:
            fig.waiting += 1
    fig.by_source = dict(by_source.most_common())
    fig.sentiment = {s: sentiment[s] for s in SENTIMENTS}
    fig.intents = {i: intents[i] for i in INTENTS if intents[i]}
    fig.response = {s: Timing.of(v) for s, v in sorted(timings.items())}
    if timings:
        fig.response["all"] = Timing.of([x for v in timings.values() for x in v])
    fig.by_member = {who: Timing.of(v) for who, v in sorted(members.items())}
    return kept


def add_items(
    fig: Figures,
    hourly: Counter[str],
    kept: list[dict[str, Any]],
    brand: str,
    competitors: Iterable[str],
) -> None:
    """Monitored items, topics, and share of voice against each competitor."""
    fig.items = hourly.get("items", 0)
    fig.topics = {
        k.split(":", 1)[1]: v
        for k, v in sorted(hourly.items(), key=lambda kv: -kv[1])
        if k.startswith("topic:") and v
    }
    public = [m for m in kept if m.get("source") not in PRIVATE_SOURCES]
    fig.voice = {brand: len(public)}
    for name in competitors:
        on_networks = sum(
            1
            for m in public
            if m.get("source") not in ITEM_SOURCES and name in (m.get("competitors") or ())
        )
        fig.voice[name] = hourly.get(f"competitor:{name}", 0) + on_networks


def cadence(account: Any, published: int, target: int | None) -> dict[str, Any]:
    """An account's posts of the week against the charter's weekly target."""
    status = None
    if target is not None:
        status = "on" if published == target else "under" if published < target else "over"
    return {
        "account": account.key,
        "network": account.network,
        "published": published,
        "target": target,
        "status": status,
    }


def post_row(
    account: Any, entry: dict[str, Any], post: dict[str, Any], post_id: str, available: bool
) -> dict[str, Any]:
    """One published post with its engagement (None where the network gives no numbers)."""
    text = ((post.get("variants") or {}).get(account.key) or {}).get("text", "")
    metrics = entry.get("metrics")
    values = {f: _int((metrics or {}).get(f)) for f in ENGAGEMENT_FIELDS}
    summed = [values[f] for f in ("likes", "shares", "replies") if values[f] is not None]
    return {
        "post_id": post_id,
        "title": post.get("title") or text[:80] or post_id,
        "account": account.key,
        "network": account.network,
        "url": entry.get("url"),
        "published_at": entry.get("published_at") or entry.get("GSI1SK"),
        "available": available,
        "read": metrics is not None,
        **values,
        "engagement": sum(summed) if metrics is not None and summed else None,
    }


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


# --------------------------------------------------------------------------
# Week over week


@dataclass
class Delta:
    kpi: str
    kind: str  # count | percent | duration
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def ratio(self) -> float | None:
        """Relative change, None when there is no base to compare with."""
        if self.change is None or not self.previous:
            return None
        return self.change / abs(self.previous)


# (kpi, kind, the smallest base a change is measured against)
KPIS: tuple[tuple[str, str, float], ...] = (
    ("mentions", "count", 5),
    ("negative", "count", 3),
    ("share_of_voice", "percent", 10),
    ("response_median", "duration", 1800),
    ("published", "count", 2),
    ("engagement", "count", 10),
    ("items", "count", 20),
)


def _kpi(fig: Figures, kpi: str) -> float | None:
    if kpi == "negative":
        return fig.sentiment.get("negative", 0)
    if kpi == "share_of_voice":
        return fig.brand_share if len(fig.voice) > 1 else None
    if kpi == "response_median":
        timing = fig.response.get("all")
        return timing.median if timing else None
    return getattr(fig, kpi)


def compare(current: Figures, previous: Figures) -> list[Delta]:
    return [
        Delta(kpi, kind, _kpi(current, kpi), _kpi(previous, kpi) if previous.has_data else None)
        for kpi, kind, _ in KPIS
    ]


def most_changed(deltas: list[Delta]) -> Delta | None:
    """The change that matters most, measured against a minimum base per KPI."""
    floors = {kpi: floor for kpi, _, floor in KPIS}
    best, best_score = None, HEADLINE_MIN_SCORE
    for d in deltas:
        if d.change is None:
            continue
        score = abs(d.change) / max(abs(d.previous or 0), floors[d.kpi])
        if score > best_score:  # 1 -> 2 mentions (0.2 of a base of 5) is no news
            best, best_score = d, score
    return best
