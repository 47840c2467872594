"""The report's data as CSV: one figure a row, this week and the week before.

Cells that a spreadsheet would run as formulas are quoted (CSV injection).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from portevoix.core.timeutil import iso
from portevoix.reporting.figures import INTENTS, SENTIMENTS, Figures, compare


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
