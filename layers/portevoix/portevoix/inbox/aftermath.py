"""A crisis episode's report: how long, how loud, how the mood moved, how fast the team
answered, what was held and what was said.

Built on demand from the table (the episode, its log, the inbox, the hourly
counters). Before and after are windows as long as the episode (an hour to a
day); "after" is given once its window is over (the weekly report has it).
Sent to the team when the episode closes, attached to the weekly report,
and downloadable from the crisis room as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.timeutil import iso, parse_iso

COMPARE_AT_MOST = timedelta(hours=24)  # the before/after windows: the episode's length, capped
INBOX_STATUSES = ("new", "needs_reply", "needs_action", "replied", "ignored", "hidden")
SENTIMENTS = ("positive", "neutral", "negative")


def mentions_between(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Messages received in ``[start, end)`` (any status), never spam nor the brand's own."""
    lo, hi = iso(start), iso(end)
    found = [
        m
        for status in INBOX_STATUSES
        for m in store.query_index("GSI1", store.inbox_index(status), lo, hi + "~")
        if lo <= (m.get("received_at") or "") < hi
        and m.get("intent") != "spam"
        and not m.get("own")
    ]
    found.sort(key=lambda m: m.get("received_at") or "")
    return found


def negative(message: dict[str, Any]) -> bool:
    return message.get("sentiment") == "negative" or message.get("intent") == "crisis"


def _sentiment(messages: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(SENTIMENTS, 0)
    for m in messages:
        if m.get("sentiment") in counts:
            counts[m["sentiment"]] += 1
    return counts


def windows(episode: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The episode's messages before, during and after it (one read for the three)."""
    started = parse_iso(episode["started_at"]) or now
    closed = parse_iso(episode.get("closed_at"))
    ended = closed or now
    span = max(min(ended - started, COMPARE_AT_MOST), timedelta(hours=1))
    complete = closed is not None and now >= closed + span  # "after" once its window is over
    found = mentions_between(started - span, ended + span if complete else ended)
    lo, hi = iso(started), iso(ended)
    return {
        "started": started,
        "closed": closed,
        "ended": ended,
        "span": span,
        "before": [m for m in found if m["received_at"] < lo],
        "during": [m for m in found if lo <= m["received_at"] < hi],
        "after": [m for m in found if m["received_at"] >= hi] if complete else None,
    }


def build(
    episode: dict[str, Any], now: datetime | None = None, seen: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The episode's figures, as of ``now`` (``seen``: its ``windows``, when already read)."""
    from portevoix.inbox import episodes
    from portevoix.reporting.figures import Timing

    now = now or datetime.now(UTC)
    seen = seen or windows(episode, now)
    started, closed, ended, span = seen["started"], seen["closed"], seen["ended"], seen["span"]
    before, during, after = seen["before"], seen["during"], seen["after"]
    answered = Timing.of(
        [float(m["response_seconds"]) for m in during if m.get("response_seconds") is not None]
    )
    held: dict[str, dict[str, Any]] = {}
    for line in episodes.actions(episode["episode_id"]):
        post = line.get("post")
        if line.get("action") == "held" and post:
            held[post] = {"post": post, "title": line.get("title") or post, "outcome": "held"}
        elif line.get("action") in ("release", "cancel", "reschedule") and post in held:
            held[post]["outcome"] = line["action"]
    for entry in held.values():  # released by the freeze's lift, or still held: ask the post
        current = store.get(*store.post_key(entry["post"])) or {}
        if entry["outcome"] == "held" and current.get("status") != "held":
            entry["outcome"] = current.get("status") or "gone"
    said = store.get(*store.post_key(episode.get("statement_post") or "-"))
    hours_from = (started - span).replace(minute=0, second=0, microsecond=0)
    hours_to = min(now, ended + span)
    counts = store.read_counts(hours_from, hours_to)
    hourly = []
    hour = hours_from
    while hour < hours_to:
        hourly.append((iso(hour), counts.get(hour, {}).get("negative", 0)))
        hour += timedelta(hours=1)
    first = started.replace(minute=0, second=0, microsecond=0)
    inside = [(h, c) for h, c in hourly if iso(first) <= h < iso(ended)]
    peak_at, peak = max(inside, key=lambda hc: hc[1], default=(episode.get("peak_at"), 0))
    return {
        "episode_id": episode["episode_id"],
        "started_at": iso(started),
        "closed_at": iso(closed) if closed else None,
        "duration_seconds": int((ended - started).total_seconds()),
        "messages": len(during),
        "negative": sum(1 for m in during if negative(m)),
        "peak": max(peak, int(episode.get("peak") or 0)),  # counters may be gone (TTL)
        "peak_at": peak_at,
        "baseline_mean": float(episode.get("baseline_mean") or 0),
        "threshold": float(episode.get("threshold") or 0),
        "window_hours": round(span.total_seconds() / 3600, 1),
        "sentiment": {
            "before": _sentiment(before),
            "during": _sentiment(during),
            "after": _sentiment(after) if after is not None else None,
        },
        "replied": answered.count,
        "response_median": answered.median,
        "response_p90": answered.p90,
        "waiting": sum(1 for m in during if m.get("status") in ("new", "needs_reply")),
        "held": list(held.values()),
        "statement": (
            {
                "post": said["post_id"],
                "status": said.get("status"),
                "published": [
                    r["account"]
                    for r in said.get("results") or []
                    if r.get("status") == "published"
                ],
            }
            if said
            else None
        ),
        "hourly": hourly,
    }


def to_csv(report: dict[str, Any]) -> bytes:
    """The report, one figure a row (``section,item,value``; UTF-8 with a BOM)."""
    from portevoix.reporting.export import cell

    rows: list[tuple[str, str, Any]] = [
        ("episode", "id", report["episode_id"]),
        ("episode", "started_at", report["started_at"]),
        ("episode", "closed_at", report["closed_at"] or ""),
        ("episode", "duration_minutes", report["duration_seconds"] // 60),
        ("volume", "messages", report["messages"]),
        ("volume", "negative", report["negative"]),
        ("volume", "peak_per_hour", report["peak"]),
        ("volume", "peak_hour", report["peak_at"] or ""),
        ("volume", "baseline_mean_per_hour", report["baseline_mean"]),
        ("volume", "threshold", report["threshold"]),
        ("sentiment", "window_hours", report["window_hours"]),
    ]
    for window in ("before", "during", "after"):
        counts = report["sentiment"][window]
        for name in SENTIMENTS:
            rows.append((f"sentiment_{window}", name, "" if counts is None else counts[name]))
    rows += [
        ("response", "replied", report["replied"]),
        ("response", "median_minutes", _minutes(report["response_median"])),
        ("response", "p90_minutes", _minutes(report["response_p90"])),
        ("response", "still_waiting", report["waiting"]),
    ]
    rows += [("held", h["post"], h["outcome"]) for h in report["held"]]
    if report["statement"]:
        s = report["statement"]
        rows.append(("statement", s["post"], s["status"]))
        rows += [("statement_published", account, "yes") for account in s["published"]]
    rows += [("hour", hour, count) for hour, count in report["hourly"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "item", "value"])
    for section, item, value in rows:
        writer.writerow(
            [section, cell(item), value if isinstance(value, int | float) else cell(value)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _minutes(seconds: float | None) -> Any:
    return "" if seconds is None else round(seconds / 60, 1)


def csv_name(config: Any, episode: dict[str, Any]) -> str:
    from portevoix.reporting.export import brand_slug

    return f"porte-voix-{brand_slug(config)}-crisis-{episode['episode_id']}.csv"


def lines(config: Any, report: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The report as a reader takes it in: (label, text) pairs in ``lang``."""
    from portevoix.core.i18n import format_date, format_duration, format_number, status_text, t

    hours = format_number(report["window_hours"], lang, 0)

    def when(value: str | None) -> str:
        moment = parse_iso(value)
        return format_date(moment.astimezone(config.tz), lang) if moment else "—"

    def mood(counts: dict[str, int] | None) -> str:
        if counts is None:
            return t(lang, "crisis.report.after_pending", hours=hours)
        return t(lang, "crisis.report.sentiment_value", **counts)

    out = [
        (t(lang, "crisis.report.duration"), format_duration(report["duration_seconds"], lang)),
        (
            t(lang, "crisis.report.messages"),
            t(
                lang,
                "crisis.report.messages_value",
                messages=report["messages"],
                negative=report["negative"],
            ),
        ),
        (
            t(lang, "crisis.report.peak"),
            t(
                lang,
                "crisis.report.peak_value",
                peak=report["peak"],
                when=when(report["peak_at"]),
                mean=format_number(report["baseline_mean"], lang, 1),
            ),
        ),
        (t(lang, "crisis.report.before", hours=hours), mood(report["sentiment"]["before"])),
        (t(lang, "crisis.report.during"), mood(report["sentiment"]["during"])),
        (t(lang, "crisis.report.after", hours=hours), mood(report["sentiment"]["after"])),
        (
            t(lang, "crisis.report.response"),
            t(
                lang,
                "crisis.report.response_value",
                replied=report["replied"],
                median=format_duration(report["response_median"], lang),
                p90=format_duration(report["response_p90"], lang),
                waiting=report["waiting"],
            ),
        ),
        (
            t(lang, "crisis.report.held"),
            ", ".join(f"{h['title']} ({outcome(h['outcome'], lang)})" for h in report["held"])
            or t(lang, "crisis.report.none"),
        ),
    ]
    said = report["statement"]
    out.append(
        (
            t(lang, "crisis.report.statement"),
            t(
                lang,
                "crisis.report.statement_value",
                status=status_text(lang, said["status"]),
                accounts=", ".join(said["published"]) or "—",
            )
            if said
            else t(lang, "crisis.report.none"),
        )
    )
    return out


def outcome(name: str, lang: str) -> str:
    """What became of a held post, in words."""
    from portevoix.core.i18n import has, status_text, t

    key = f"crisis.outcome.{name}"
    return t(lang, key) if has(key) else status_text(lang, name)


def send_closed(config: Any, episode: dict[str, Any], now: datetime | None = None) -> None:
    """Tell the team the episode is closed, with its report."""
    from portevoix.core import notices, settings
    from portevoix.core.i18n import format_date, format_duration, languages

    report = build(episode, now)
    store.update(  # the list of episodes shows the real peak, not the alert's count
        *store.episode_key(episode["episode_id"]),
        {"peak": report["peak"], "peak_at": report["peak_at"]},
    )
    by_lang = {lang: lines(config, report, lang) for lang in languages()}
    started = parse_iso(report["started_at"]) or datetime.now(UTC)
    notices.send(
        config,
        [m.email for m in config.team],
        "crisis.closed_mail",
        [
            {
                "label": {lang: by_lang[lang][i][0] for lang in by_lang},
                "text": {lang: by_lang[lang][i][1] for lang in by_lang},
            }
            for i in range(len(next(iter(by_lang.values()))))
        ],
        button=f"{settings.links_base_url()}/crisis/{episode['episode_id']}",
        values={"by": episode.get("closed_by") or "system"},
        values_by_lang={
            lang: {
                "start": format_date(started.astimezone(config.tz), lang),
                "duration": format_duration(report["duration_seconds"], lang),
            }
            for lang in languages()
        },
    )
