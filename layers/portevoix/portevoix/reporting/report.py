"""The weekly report: volume, share of voice, sentiment, response times, posts, engagement.

A week is an ISO week in the brand's time zone (Monday 00:00 to Monday
00:00 local, 167 to 169 hours when daylight saving changes). Figures come
from the mentions of the week (GSI1 ``INBOX#<status>``, one range query
per status), the hourly counters of feed items (``stats``), the
publication ledger (GSI1 ``PUBLISHED#<account>``, with the engagement the
collector saved) and the crisis alerts. Spam and the brand's own posts are
left out of every figure and counted apart.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from portevoix.core import mail, store
from portevoix.core.errors import ReportError  # noqa: F401 - re-exported
from portevoix.core.i18n import (
    format_date,
    format_duration,
    format_number,
    format_percent,
    t,
    weekday,
)
from portevoix.core.timeutil import iso, parse_iso, utc_hours
from portevoix.networks import network_class
from portevoix.networks.base import Network
from portevoix.reporting.engagement import FIELDS, gives_metrics, published

STATUSES = ("new", "needs_reply", "needs_action", "replied", "ignored", "hidden")
SENTIMENTS = ("positive", "neutral", "negative")
INTENTS = ("crisis", "complaint", "question", "praise", "insult", "other")
WAITING = ("new", "needs_reply", "needs_action")
PRIVATE_SOURCES = ("email",)  # not public conversation: no share of voice
ITEM_SOURCES = ("rss",)  # already counted as feed items
HEADLINE_MIN_SCORE = 0.2  # a change under 20 % of its base is not news


# --------------------------------------------------------------------------
# Weeks


_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Week:
    year: int
    number: int
    tz: ZoneInfo

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> Week:
        m = _WEEK.match(text.strip())
        if not m:
            raise ReportError(f"week {text!r}: write it as YYYY-Www, e.g. 2026-W48")
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ReportError(f"week {text!r}: {year} has no week {number}") from None
        return cls(year, number, tz)

    @classmethod
    def containing(cls, when: datetime, tz: ZoneInfo) -> Week:
        year, number, _ = when.astimezone(tz).date().isocalendar()
        return cls(year, number, tz)

    @classmethod
    def last_complete(cls, now: datetime, tz: ZoneInfo) -> Week:
        """The week before the one ``now`` falls in (what a Monday report covers)."""
        return cls.containing(now, tz).previous()

    def previous(self) -> Week:
        return Week.containing(self.start - timedelta(days=3), self.tz)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def days(self) -> list[date]:
        monday = date.fromisocalendar(self.year, self.number, 1)
        return [monday + timedelta(days=i) for i in range(7)]

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self._midnight(self.days[0])

    @property
    def end(self) -> datetime:
        return self._midnight(self.days[-1] + timedelta(days=1))

    def local_day(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()


# --------------------------------------------------------------------------
# Figures


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
    waiting: int = 0
    publishing: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    crises: list[dict[str, Any]] = field(default_factory=list)

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


def _week_mentions(week: Week) -> list[dict[str, Any]]:
    lo, hi = iso(week.start), iso(week.end)
    out = []
    for status in STATUSES:
        for m in store.query_gsi1(store.inbox_index(status), lo, hi):
            received = parse_iso(m.get("received_at"))
            if received and week.start <= received < week.end:
                out.append(m)
    return out


def _counted(m: dict[str, Any]) -> bool:
    return m.get("intent") != "spam" and not m.get("own")


def collect(config: Any, week: Week) -> Figures:
    """Every figure of the report for one week."""
    fig = Figures(week=week)
    mentions = _week_mentions(week)
    counted = [m for m in mentions if _counted(m)]
    fig.filtered = len(mentions) - len(counted)
    fig.mentions = len(counted)
    fig.by_day = {d: 0 for d in week.days}
    fig.sentiment_by_day = {d: dict.fromkeys(SENTIMENTS, 0) for d in week.days}
    by_source: Counter[str] = Counter()
    sentiment: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    timings: dict[str, list[float]] = {}
    for m in counted:
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
        if m.get("status") in WAITING:
            fig.waiting += 1
    fig.by_source = dict(by_source.most_common())
    fig.sentiment = {s: sentiment[s] for s in SENTIMENTS}
    fig.intents = {i: intents[i] for i in INTENTS if intents[i]}
    fig.response = {s: Timing.of(v) for s, v in sorted(timings.items())}
    if timings:
        fig.response["all"] = Timing.of([x for v in timings.values() for x in v])

    hourly: Counter[str] = Counter()
    for values in store.read_counts(week.start, week.end).values():
        hourly.update(values)
    fig.items = hourly.get("items", 0)
    fig.topics = {
        k.split(":", 1)[1]: v
        for k, v in sorted(hourly.items(), key=lambda kv: -kv[1])
        if k.startswith("topic:") and v
    }
    public = [m for m in counted if m.get("source") not in PRIVATE_SOURCES]
    fig.voice = {config.brand.name: len(public)}
    for comp in config.competitors:
        on_networks = sum(
            1
            for m in public
            if m.get("source") not in ITEM_SOURCES and comp.name in (m.get("competitors") or ())
        )
        fig.voice[comp.name] = hourly.get(f"competitor:{comp.name}", 0) + on_networks

    fig.publishing, fig.posts = _publishing(config, week)
    fig.crises = _crises(week)
    return fig


def _publishing(config: Any, week: Week) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:

    rows, entries = [], []
    for account in config.accounts:
        if network_class(account.network).publish is Network.publish:
            continue  # read-only sources
        found = published(account.key, week.start, week.end)
        entries += [(account, e) for e in found]
        if account.network == "webhook":
            continue  # internal channels: their messages are listed, they have no cadence
        target = config.charter.for_network(account.network).weekly_target
        rows.append(
            {
                "account": account.key,
                "network": account.network,
                "published": len(found),
                "target": target,
                "status": None
                if target is None
                else "on"
                if len(found) == target
                else "under"
                if len(found) < target
                else "over",
            }
        )
    titles = {p["PK"]: p for p in store.batch_get([(e["PK"], "POST") for _, e in entries])}
    posts = []
    for account, e in entries:
        post = titles.get(e["PK"], {})
        text = ((post.get("variants") or {}).get(account.key) or {}).get("text", "")
        metrics = e.get("metrics")
        available = gives_metrics(account.network)
        values = {f: _int((metrics or {}).get(f)) for f in FIELDS}
        counted = [values[f] for f in ("likes", "shares", "replies") if values[f] is not None]
        posts.append(
            {
                "post_id": store.id_of(e["PK"]),
                "title": post.get("title") or text[:80] or store.id_of(e["PK"]),
                "account": account.key,
                "network": account.network,
                "url": e.get("url"),
                "published_at": e.get("published_at") or e.get("GSI1SK"),
                "available": available,
                "read": metrics is not None,
                **values,
                "engagement": sum(counted) if metrics is not None and counted else None,
            }
        )
    posts.sort(key=lambda p: p["published_at"])
    return rows, posts


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _crises(week: Week) -> list[dict[str, Any]]:
    keys = [store.crisis_key(iso(h)) for h in utc_hours(week.start, week.end)]
    found = store.batch_get(keys)
    return sorted(
        (
            {
                "hour": store.id_of(a["PK"]),
                "count": a.get("count", 0),
                "threshold": a.get("threshold"),
            }
            for a in found
        ),
        key=lambda a: a["hour"],
    )


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
        if score >= best_score:
            best, best_score = d, score
    return best


# --------------------------------------------------------------------------
# What a person reads


def _fmt(kind: str, value: float | None, lang: str) -> str:

    if value is None:
        return "—"
    if kind == "percent":
        return format_percent(value, lang)
    if kind == "duration":
        return format_duration(value, lang)
    return format_number(value, lang)


def headline(current: Figures, previous: Figures, lang: str) -> str:

    if not current.has_data and not previous.has_data:
        return t(lang, "report.empty")
    if not previous.has_data:
        return t(lang, "report.first")
    d = most_changed(compare(current, previous))
    if d is None:
        return t(lang, "report.steady")
    if d.kind == "percent":
        pts = d.change or 0
        sign = "+" if pts > 0 else "−"
        change = f" ({sign}{abs(pts):.0f} pts)"
    elif d.ratio is not None:
        sign = "+" if d.ratio > 0 else "−"
        change = f" ({sign}{format_percent(abs(d.ratio) * 100, lang)})"
    else:
        change = ""
    return t(
        lang,
        "report.changed",
        what=t(lang, f"report.kpi.{d.kpi}"),
        now=_fmt(d.kind, d.current, lang),
        before=_fmt(d.kind, d.previous, lang),
        change=change,
    )


def _bars(rows: list[tuple[str, float]], lang: str) -> list[dict[str, Any]]:
    """Rows of a horizontal bar chart: width in percent of the largest value."""
    top = max((v for _, v in rows), default=0)
    return [
        {
            "label": label,
            "value": value,
            "text": format_number(value, lang),
            "pct": round(100 * value / top, 1) if top else 0,
            "color": None,
        }
        for label, value in rows
    ]


COLORS = {
    "brand": "#1a56db",
    "competitors": ["#7e57c2", "#f29900", "#00897b", "#8d6e63", "#5c6bc0", "#c2185b"],
    "positive": "#2e7d32",
    "neutral": "#9e9ea8",
    "negative": "#c62828",
    "under": "#f29900",
    "on": "#2e7d32",
    "over": "#1a56db",
    None: "#1a56db",
}


def view(config: Any, current: Figures, previous: Figures, lang: str) -> dict[str, Any]:
    """Everything the templates show, formatted for ``lang``: the templates only lay it out."""
    week = current.week
    total_voice = sum(current.voice.values())
    voice = []
    for i, (name, count) in enumerate(current.voice.items()):
        share = 100 * count / total_voice if total_voice else 0
        voice.append(
            {
                "label": name,
                "value": count,
                "text": f"{format_number(count, lang)} · {format_percent(share, lang)}",
                "pct": round(share, 1),
                "share": share,
                "color": COLORS["brand"]
                if i == 0
                else COLORS["competitors"][(i - 1) % len(COLORS["competitors"])],
            }
        )
    day_rows = [(weekday(d, lang), n) for d, n in current.by_day.items()]
    top_day = max((sum(v.values()) for v in current.sentiment_by_day.values()), default=0)
    sentiment_days = []
    for d, values in current.sentiment_by_day.items():
        segments = [
            {
                "name": s,
                "value": values[s],
                "pct": round(100 * values[s] / top_day, 1) if top_day else 0,
                "color": COLORS[s],
            }
            for s in SENTIMENTS
        ]
        sentiment_days.append(
            {
                "label": weekday(d, lang),
                "segments": segments,
                "rest": round(100 - sum(seg["pct"] for seg in segments), 1),
                "text": " / ".join(format_number(values[s], lang) for s in SENTIMENTS),
            }
        )
    top_time = max((tm.median or 0 for tm in current.response.values()), default=0)
    response = [
        {
            "label": t(lang, "report.all_networks") if source == "all" else source,
            "value": tm.median or 0,
            "pct": round(100 * (tm.median or 0) / top_time, 1) if top_time else 0,
            "color": None,
            "text": t(
                lang,
                "report.response_row",
                count=tm.count,
                median=format_duration(tm.median, lang),
                p90=format_duration(tm.p90, lang),
            ),
            "all": source == "all",
        }
        for source, tm in current.response.items()
    ]
    top_pub = max((max(p["published"], p["target"] or 0) for p in current.publishing), default=0)
    publishing = [
        {
            "label": p["account"],
            "network": p["network"],
            "value": p["published"],
            "pct": round(100 * p["published"] / top_pub, 1) if top_pub else 0,
            "target_pct": round(100 * p["target"] / top_pub, 1)
            if top_pub and p["target"]
            else None,
            "color": COLORS[p["status"]],
            "text": f"{p['published']} · "
            + (
                t(lang, "report.target", target=p["target"])
                + f" ({t(lang, 'report.' + p['status'] + '_target')})"
                if p["target"] is not None
                else t(lang, "report.no_target")
            ),
        }
        for p in current.publishing
    ]
    best, worst = current.best, current.worst

    def number(v: Any) -> str:
        return "—" if v is None else format_number(v, lang)

    posts = [
        {
            **p,
            "when": format_date(parse_iso(p["published_at"]).astimezone(config.tz), lang),
            "cells": [number(p[f]) for f in ("likes", "shares", "replies", "views")],
            "note": None
            if p["read"]
            else t(lang, "report.no_metrics" if not p["available"] else "report.not_read"),
            "rank": "best"
            if best is not None and p is best
            else "worst"
            if worst is not None and p is worst
            else None,
        }
        for p in current.posts
    ]
    deltas = {d.kpi: d for d in compare(current, previous)}

    def card(kpi: str) -> dict[str, Any]:
        d = deltas[kpi]
        arrow = ""
        if d.change:
            arrow = "▲" if d.change > 0 else "▼"
        return {
            "label": t(lang, f"report.card.{kpi}"),
            "value": _fmt(d.kind, d.current, lang),
            "before": t(lang, "report.vs", value=_fmt(d.kind, d.previous, lang)),
            "arrow": arrow,
        }

    crises = [
        t(
            lang,
            "report.crisis_row",
            when=format_date(parse_iso(c["hour"]).astimezone(config.tz), lang),
            count=c["count"],
            threshold=format_number(float(c["threshold"] or 0), lang),
        )
        for c in current.crises
    ]
    sentiment_total = sum(current.sentiment.values())
    net = (
        format_percent(
            100 * (current.sentiment["positive"] - current.sentiment["negative"]) / sentiment_total,
            lang,
        )
        if sentiment_total
        else "—"
    )
    return {
        "lang": lang,
        "brand": config.brand.name,
        "week": week.label,
        "start": format_date(week.start.astimezone(config.tz), lang, with_time=False),
        "end": format_date(
            (week.end - timedelta(seconds=1)).astimezone(config.tz), lang, with_time=False
        ),
        "tz": config.timezone,
        "headline": headline(current, previous, lang),
        "has_data": current.has_data,
        "cards": [
            card(k)
            for k in (
                "mentions",
                "share_of_voice",
                "negative",
                "response_median",
                "published",
                "engagement",
            )
        ],
        "volume": _bars(day_rows, lang),
        "sources": _bars(list(current.by_source.items()), lang),
        "voice": voice,
        "competitors": len(current.voice) > 1,
        "sentiment_days": sentiment_days,
        "sentiment_legend": [
            {
                "name": t(lang, f"report.{s}"),
                "color": COLORS[s],
                "value": number(current.sentiment[s]),
            }
            for s in SENTIMENTS
        ],
        "net": t(lang, "report.net", value=net),
        "intents": _bars(
            [(t(lang, f"inbox.intent.{i}"), n) for i, n in current.intents.items()], lang
        ),
        "filtered": t(lang, "report.filtered", count=current.filtered)
        if current.filtered
        else None,
        "response": response,
        "waiting": t(lang, "report.waiting", count=current.waiting) if current.waiting else None,
        "publishing": publishing,
        "posts": posts,
        "crises": crises,
        "topics": _bars(list(current.topics.items()), lang),
        "monitored": format_number(current.items, lang),
    }


def to_csv(current: Figures, previous: Figures) -> bytes:
    """Every figure of the report, one per row, this week and the week before (UTF-8, BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "item", "metric", "this_week", "previous_week"])

    def row(section: str, item: str, metric: str, now: Any, before: Any = "") -> None:
        writer.writerow([_cell(section), _cell(item), _cell(metric), _num(now), _num(before)])

    def counts(section: str, now: dict[str, int], before: dict[str, int], keys: Any) -> None:
        """One row per key with its mentions this week and the week before."""
        for key in keys:
            row(section, key, "mentions", now.get(key, 0), before.get(key, 0))

    row("week", current.week.label, "start_utc", iso(current.week.start), iso(previous.week.start))
    row("week", current.week.label, "end_utc", iso(current.week.end), iso(previous.week.end))
    for d in compare(current, previous):
        row("summary", d.kpi, d.kind, d.current, d.previous)
    row("volume", "all", "mentions", current.mentions, previous.mentions)
    row("volume", "all", "left_out_spam_own", current.filtered, previous.filtered)
    for i, day in enumerate(current.week.days):
        before = previous.by_day.get(previous.week.days[i], 0)
        row("volume_by_day", day.isoformat(), "mentions", current.by_day[day], before)
    counts(
        "volume_by_source",
        current.by_source,
        previous.by_source,
        sorted(set(current.by_source) | set(previous.by_source)),
    )
    totals = (sum(current.voice.values()), sum(previous.voice.values()))
    for name in current.voice:
        now, before = current.voice[name], previous.voice.get(name, 0)
        row("share_of_voice", name, "mentions", now, before)
        row(
            "share_of_voice",
            name,
            "share_pct",
            round(100 * now / totals[0], 2) if totals[0] else "",
            round(100 * before / totals[1], 2) if totals[1] else "",
        )
    counts("sentiment", current.sentiment, previous.sentiment, SENTIMENTS)
    for day, values in current.sentiment_by_day.items():
        for s in SENTIMENTS:
            row("sentiment_by_day", day.isoformat(), s, values[s])
    used = [i for i in INTENTS if i in current.intents or i in previous.intents]
    counts("intent", current.intents, previous.intents, used)
    for source in sorted(set(current.response) | set(previous.response)):
        now_t, before_t = current.response.get(source), previous.response.get(source)
        for metric in ("count", "median", "p90"):
            suffix = "" if metric == "count" else "_seconds"
            row(
                "response_time",
                source,
                metric + suffix,
                getattr(now_t, metric) if now_t else "",
                getattr(before_t, metric) if before_t else "",
            )
    row("response_time", "all", "still_waiting", current.waiting, previous.waiting)
    before_pub = {p["account"]: p for p in previous.publishing}
    for p in current.publishing:
        row(
            "publishing",
            p["account"],
            "published",
            p["published"],
            before_pub.get(p["account"], {}).get("published", ""),
        )
        row(
            "publishing",
            p["account"],
            "weekly_target",
            p["target"] if p["target"] is not None else "",
        )
    for p in current.posts:
        item = f"{p['post_id']}:{p['account']}"
        row("post", item, "title", p["title"])
        row("post", item, "published_at_utc", p["published_at"])
        row("post", item, "url", p["url"] or "")
        for f in ("likes", "shares", "replies", "views", "engagement"):
            row("post", item, f, "" if p[f] is None else p[f])
    row("items", "all", "monitored_items", current.items, previous.items)
    for topic, n in current.topics.items():
        row("items", f"topic:{topic}", "items", n, previous.topics.get(topic, 0))
    for c in current.crises:
        row("crisis", c["hour"], "negative_in_hour", c["count"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _num(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if value is None:
        return ""
    return value if isinstance(value, int) else _cell(value)


@dataclass
class Built:
    week: Week
    current: Figures
    previous: Figures


def build(config: Any, week: Week) -> Built:
    return Built(week, collect(config, week), collect(config, week.previous()))


def render(config: Any, built: Built, lang: str) -> Any:
    v = view(config, built.current, built.previous, lang)
    subject = t(
        lang,
        "report.subject",
        brand=config.brand.name,
        week=built.week.label,
        mentions=built.current.mentions,
        posts=built.current.published,
    )
    filename = csv_name(config, built.week)
    rendered = mail.render("report", subject=subject, r=v, csv_file=filename)
    rendered.attachments = [(filename, to_csv(built.current, built.previous), "text/csv")]
    return rendered


def csv_name(config: Any, week: Week) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", config.brand.name.lower()).strip("-") or "brand"
    return f"porte-voix-{slug}-{week.label}.csv"


def send(
    config: Any,
    week: Week | None = None,
    now: datetime | None = None,
    *,
    once: bool = False,
    built: Built | None = None,
) -> list[dict[str, Any]]:
    """Email the report of ``week`` (default: the last complete week) to each language group.

    With ``once`` (the schedule), a marker per week makes a retried run send nothing twice.
    """

    now = (now or datetime.now(UTC)).astimezone(UTC)
    week = week or Week.last_complete(now, config.tz)
    groups = config.recipients("report")
    if not groups:
        return []
    markers = [store.marker_key("report", week.label)] if once else []
    sent: list[dict[str, Any]] = []
    with store.once(*markers, now=now, keep=timedelta(days=60)) as claim:
        if markers and not claim.ok:
            return []
        built = built or build(config, week)
        for lang, recipients in groups.items():
            rendered = render(config, built, lang)
            sent += mail.send_chunked(
                config, recipients, rendered, kind=f"report-{lang}", lang=lang, week=week.label
            )
            claim.delivered = bool(sent)
    return sent
