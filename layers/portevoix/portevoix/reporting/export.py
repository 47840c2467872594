"""The report's data as CSV: one figure a row, this week and the week before.

Cells that a spreadsheet would run as formulas are quoted (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from portevoix.core.timeutil import iso
from portevoix.reporting.figures import INTENTS, SENTIMENTS, Figures, compare

Row = tuple[str, str, str, Any, Any]
HEADER = ["section", "item", "metric", "this_week", "previous_week"]


def to_csv(current: Figures, previous: Figures) -> bytes:
    """Every figure of the report, one per row (UTF-8 with a BOM, for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    sections = (_summary, _volume, _voice, _sentiment, _response, _publishing, _audience, _items)
    for section in sections:
        for s, item, metric, now, before in section(current, previous):
            writer.writerow([cell(s), cell(item), cell(metric), _num(now), _num(before)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _counts(
    section: str, now: dict[str, int], before: dict[str, int], keys: Iterable[str]
) -> Iterator[Row]:
    """One row per key with its mentions this week and the week before."""
    for key in keys:
        yield section, key, "mentions", now.get(key, 0), before.get(key, 0)


def _summary(current: Figures, previous: Figures) -> Iterator[Row]:
    week, before = current.week, previous.week
    yield "week", week.label, "start_utc", iso(week.start), iso(before.start)
    yield "week", week.label, "end_utc", iso(week.end), iso(before.end)
    for d in compare(current, previous):
        yield "summary", d.kpi, d.kind, d.current, d.previous


def _volume(current: Figures, previous: Figures) -> Iterator[Row]:
    yield "volume", "all", "mentions", current.mentions, previous.mentions
    yield "volume", "all", "left_out_spam_own", current.filtered, previous.filtered
    for i, day in enumerate(current.week.days):
        before = previous.by_day.get(previous.week.days[i], 0)
        yield "volume_by_day", day.isoformat(), "mentions", current.by_day[day], before
    sources = sorted(set(current.by_source) | set(previous.by_source))
    yield from _counts("volume_by_source", current.by_source, previous.by_source, sources)


def _share(count: int, total: int) -> Any:
    return round(100 * count / total, 2) if total else ""


def _voice(current: Figures, previous: Figures) -> Iterator[Row]:
    now_total, before_total = sum(current.voice.values()), sum(previous.voice.values())
    for name, now in current.voice.items():
        before = previous.voice.get(name, 0)
        yield "share_of_voice", name, "mentions", now, before
        yield (
            "share_of_voice",
            name,
            "share_pct",
            _share(now, now_total),
            _share(before, before_total),
        )


def _sentiment(current: Figures, previous: Figures) -> Iterator[Row]:
    yield from _counts("sentiment", current.sentiment, previous.sentiment, SENTIMENTS)
    for day, values in current.sentiment_by_day.items():
        for s in SENTIMENTS:
            yield "sentiment_by_day", day.isoformat(), s, values[s], ""
    used = [i for i in INTENTS if i in current.intents or i in previous.intents]
    yield from _counts("intent", current.intents, previous.intents, used)


def _response(current: Figures, previous: Figures) -> Iterator[Row]:
    yield from _timings("response_time", current.response, previous.response)
    yield "response_time", "all", "still_waiting", current.waiting, previous.waiting
    yield from _timings("response_time_member", current.by_member, previous.by_member)


def _timings(section: str, now: dict[str, Any], before: dict[str, Any]) -> Iterator[Row]:
    for key in sorted(set(now) | set(before)):
        a, b = now.get(key), before.get(key)
        for metric in ("count", "median", "p90"):
            name = metric if metric == "count" else f"{metric}_seconds"
            yield (
                section,
                key,
                name,
                getattr(a, metric) if a else "",
                getattr(b, metric) if b else "",
            )


def _publishing(current: Figures, previous: Figures) -> Iterator[Row]:
    before = {p["account"]: p for p in previous.publishing}
    for p in current.publishing:
        earlier = before.get(p["account"], {}).get("published", "")
        yield "publishing", p["account"], "published", p["published"], earlier
        target = p["target"] if p["target"] is not None else ""
        yield "publishing", p["account"], "weekly_target", target, ""
    for p in current.posts:
        item = f"{p['post_id']}:{p['account']}"
        yield "post", item, "title", p["title"], ""
        yield "post", item, "published_at_utc", p["published_at"], ""
        yield "post", item, "url", p["url"] or "", ""
        for f in ("likes", "shares", "replies", "views", "engagement"):
            yield "post", item, f, "" if p[f] is None else p[f], ""


def _audience(current: Figures, previous: Figures) -> Iterator[Row]:
    """Followers per account at the week's end (empty where nothing was read: a gap)."""
    for account in sorted(set(current.visits) | set(previous.visits)):
        now, before = current.visits.get(account, 0), previous.visits.get(account, 0)
        yield "visits", account, "link_clicks", now, before
    for poll in current.polls:
        item = f"{poll['post_id']}:{poll['account']}"
        yield "poll", item, "title", poll["title"], ""
        yield "poll", item, "votes", poll["total"], ""
        for label, votes, _ in poll["options"]:
            yield "poll", item, f"option:{label}", votes, ""
    for b in current.boosts:
        from portevoix.networks.ads import major
        from portevoix.publishing.boosts import digits

        places, item = digits(b["currency"]), f"{b['boost_id']}:{b['account']}"
        yield "boost", item, "post", b["post_id"], ""
        yield "boost", item, "currency", b["currency"], ""
        yield "boost", item, "budget", major(int(b["budget"]), places), ""
        yield "boost", item, "spend_week", major(b["week_spend"], places), ""
        yield "boost", item, "spend_total", major(b["total_spend"], places), ""
        yield "boost", item, "impressions_week", b["week_impressions"], ""
        yield "boost", item, "clicks_week", b["week_clicks"], ""
        yield "boost", item, "clicks_total", int(b.get("clicks") or 0), ""
        yield "boost", item, "reach_total", _blank(b.get("reach")), ""
    for a in current.audience:
        yield "audience", a["account"], "followers", _blank(a["followers"]), _blank(a["previous"])
        yield "audience", a["account"], "days_not_read_12_weeks", a["gap_days"], ""
        for weeks_ago, value in enumerate(reversed(a["trend"])):
            yield "audience", a["account"], f"followers_{weeks_ago}_weeks_ago", _blank(value), ""


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _items(current: Figures, previous: Figures) -> Iterator[Row]:
    yield "items", "all", "monitored_items", current.items, previous.items
    for topic, n in current.topics.items():
        yield "items", f"topic:{topic}", "items", n, previous.topics.get(topic, 0)
    for c in current.crises:
        yield "crisis", c["hour"], "negative_in_hour", c["count"], ""


def cell(value: Any) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def brand_slug(config: Any) -> str:
    """The brand's name in a file name (``porte-voix-<slug>-...csv``)."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", config.brand.name.lower()).strip("-") or "brand"


def _num(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if value is None:
        return ""
    return value if isinstance(value, int) else cell(value)
