"""What a person reads in the weekly report: every figure formatted for one language.

The templates only lay out what ``view`` returns. Charts are HTML table bars
(a width in percent of the largest value), so every mail client draws them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portevoix.core.i18n import (
    format_date,
    format_duration,
    format_number,
    format_percent,
    t,
    weekday,
)
from portevoix.core.timeutil import parse_iso
from portevoix.reporting.figures import SENTIMENTS, Figures, compare, most_changed

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
CARDS = ("mentions", "share_of_voice", "negative", "response_median", "published", "engagement")


def _fmt(kind: str, value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return format_percent(value, lang)
    if kind == "duration":
        return format_duration(value, lang)
    return format_number(value, lang)


def _pct(value: float, top: float) -> float:
    return round(100 * value / top, 1) if top else 0


def headline(current: Figures, previous: Figures, lang: str) -> str:
    """One plain line saying what changed the most (or that nothing did)."""
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
            "pct": _pct(value, top),
            "color": None,
        }
        for label, value in rows
    ]


def _voice(fig: Figures, lang: str) -> list[dict[str, Any]]:
    total = sum(fig.voice.values())
    rows = []
    for i, (name, count) in enumerate(fig.voice.items()):
        share = 100 * count / total if total else 0
        others = COLORS["competitors"]
        rows.append(
            {
                "label": name,
                "value": count,
                "text": f"{format_number(count, lang)} · {format_percent(share, lang)}",
                "pct": round(share, 1),
                "share": share,
                "color": COLORS["brand"] if i == 0 else others[(i - 1) % len(others)],
            }
        )
    return rows


def _sentiment_days(fig: Figures, lang: str) -> list[dict[str, Any]]:
    top = max((sum(v.values()) for v in fig.sentiment_by_day.values()), default=0)
    days = []
    for d, values in fig.sentiment_by_day.items():
        segments = [
            {"name": s, "value": values[s], "pct": _pct(values[s], top), "color": COLORS[s]}
            for s in SENTIMENTS
        ]
        days.append(
            {
                "label": weekday(d, lang),
                "segments": segments,
                "rest": round(100 - sum(seg["pct"] for seg in segments), 1),
                "text": " / ".join(format_number(values[s], lang) for s in SENTIMENTS),
            }
        )
    return days


def _response(fig: Figures, lang: str) -> list[dict[str, Any]]:
    """Response times per network, and all of them."""
    label = {source: source for source in fig.response}
    label["all"] = t(lang, "report.all_networks")
    return _timings(fig.response, label, lang)


def _members(config: Any, fig: Figures, lang: str) -> list[dict[str, Any]]:
    """Response times per member (who replied, or marked handled), by their name."""
    names = {m.email.lower(): m.name or m.email for m in config.team}
    return _timings(fig.by_member, {w: names.get(w.lower(), w) for w in fig.by_member}, lang)


def _timings(timings: dict[str, Any], labels: dict[str, str], lang: str) -> list[dict[str, Any]]:
    top = max((tm.median or 0 for tm in timings.values()), default=0)
    return [
        {
            "label": labels[key],
            "value": tm.median or 0,
            "pct": _pct(tm.median or 0, top),
            "color": None,
            "text": t(
                lang,
                "report.response_row",
                count=tm.count,
                median=format_duration(tm.median, lang),
                p90=format_duration(tm.p90, lang),
            ),
            "all": key == "all",
        }
        for key, tm in timings.items()
    ]


def _publishing(fig: Figures, lang: str) -> list[dict[str, Any]]:
    top = max((max(p["published"], p["target"] or 0) for p in fig.publishing), default=0)
    rows = []
    for p in fig.publishing:
        if p["target"] is None:
            text = t(lang, "report.no_target")
        else:
            verdict = t(lang, "report." + p["status"] + "_target")
            text = t(lang, "report.target", target=p["target"]) + f" ({verdict})"
        rows.append(
            {
                "label": p["account"],
                "network": p["network"],
                "value": p["published"],
                "pct": _pct(p["published"], top),
                "target_pct": _pct(p["target"], top) if p["target"] else None,
                "color": COLORS[p["status"]],
                "text": f"{p['published']} · {text}",
            }
        )
    return rows


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int | None]) -> str:
    """A text sparkline; ``·`` where nothing was read (a gap, not a zero)."""
    known = [v for v in values if v is not None]
    if not known:
        return "·" * len(values)
    low, high = min(known), max(known)
    steps = len(SPARK) - 1
    return "".join(
        "·"
        if v is None
        else SPARK[round((v - low) / (high - low) * steps) if high > low else steps // 2]
        for v in values
    )


def _boosts(fig: Figures, lang: str) -> list[dict[str, Any]]:
    from portevoix.publishing.boosts import money

    out = []
    for b in fig.boosts:
        cur = b["currency"]
        out.append(
            {
                "id": b["boost_id"],
                "label": f"{b.get('title') or b['post_id']} ({b['account']})",
                "text": t(
                    lang,
                    "report.boost_row",
                    week=money(b["week_spend"], cur, lang),
                    total=money(b["total_spend"], cur, lang),
                    budget=money(b["budget"], cur, lang),
                    reach=format_number(b["reach"], lang) if b.get("reach") is not None else "—",
                    clicks=format_number(b["week_clicks"], lang),
                    cpc=money(b["cpc"], cur, lang) if b.get("cpc") is not None else "—",
                ),
            }
        )
    return out


def _boosts_total(fig: Figures, lang: str) -> str | None:
    from portevoix.publishing.boosts import money

    if not fig.boosts:
        return None
    by_currency: dict[str, int] = {}
    for b in fig.boosts:
        by_currency[b["currency"]] = by_currency.get(b["currency"], 0) + int(b["week_spend"])
    spent = ", ".join(money(v, c, lang) for c, v in sorted(by_currency.items()))
    return t(lang, "report.boosts_total", spent=spent, count=len(fig.boosts))


def _audience(fig: Figures, lang: str) -> list[dict[str, Any]]:
    rows = []
    for a in fig.audience:
        change = a["change"]
        rows.append(
            {
                "label": a["account"],
                "network": a["network"],
                "text": t(
                    lang,
                    "report.audience_row",
                    followers=_number(a["followers"], lang),
                    change="—"
                    if change is None
                    else ("+" if change > 0 else "") + format_number(change, lang),
                ),
                "trend": t(lang, "report.audience_trend", spark=sparkline(a["trend"])),
                "gap": t(lang, "report.audience_gap", error=a["error"]) if a["error"] else None,
            }
        )
    return rows


def _number(value: Any, lang: str) -> str:
    return "—" if value is None else format_number(value, lang)


def _posts(config: Any, fig: Figures, lang: str) -> list[dict[str, Any]]:
    best, worst = fig.best, fig.worst
    rows = []
    for p in fig.posts:
        note = None
        if not p["read"]:
            note = t(lang, "report.no_metrics" if not p["available"] else "report.not_read")
        rank = "best" if p is best else "worst" if p is worst else None
        rows.append(
            {
                **p,
                "when": format_date(parse_iso(p["published_at"]).astimezone(config.tz), lang),
                "cells": [_number(p[f], lang) for f in ("likes", "shares", "replies", "views")],
                "note": note,
                "rank": rank,
            }
        )
    return rows


def _cards(current: Figures, previous: Figures, lang: str) -> list[dict[str, Any]]:
    deltas = {d.kpi: d for d in compare(current, previous)}
    cards = []
    for kpi in CARDS:
        d = deltas[kpi]
        cards.append(
            {
                "label": t(lang, f"report.card.{kpi}"),
                "value": _fmt(d.kind, d.current, lang),
                "before": t(lang, "report.vs", value=_fmt(d.kind, d.previous, lang)),
                "arrow": ("▲" if d.change > 0 else "▼") if d.change else "",
            }
        )
    return cards


def _crises(config: Any, fig: Figures, lang: str) -> list[str]:
    return [
        t(
            lang,
            "report.crisis_row",
            when=format_date(parse_iso(c["hour"]).astimezone(config.tz), lang),
            count=c["count"],
            threshold=format_number(float(c["threshold"] or 0), lang),
        )
        for c in fig.crises
    ]


def _episodes(config: Any, fig: Figures, lang: str) -> list[dict[str, str]]:
    from portevoix.core import settings
    from portevoix.inbox.aftermath import outcome

    return [
        {
            "text": t(
                lang,
                "report.episode_row",
                start=format_date(parse_iso(r["started_at"]).astimezone(config.tz), lang),
                duration=format_duration(r["duration_seconds"], lang),
                negative=r["negative"],
                peak=r["peak"],
                replied=r["replied"],
                median=format_duration(r["response_median"], lang),
                held=", ".join(f"{h['title']} ({outcome(h['outcome'], lang)})" for h in r["held"])
                or t(lang, "crisis.report.none"),
            ),
            "link": f"{settings.links_base_url()}/crisis/{r['episode_id']}",
        }
        for r in fig.episodes
    ]


def _net_sentiment(fig: Figures, lang: str) -> str:
    total = sum(fig.sentiment.values())
    if not total:
        return "—"
    return format_percent(
        100 * (fig.sentiment["positive"] - fig.sentiment["negative"]) / total, lang
    )


def view(config: Any, current: Figures, previous: Figures, lang: str) -> dict[str, Any]:
    """Everything the templates show, formatted for ``lang``."""
    week, tz = current.week, config.tz
    last_second = (week.end - timedelta(seconds=1)).astimezone(tz)
    legend = [
        {
            "name": t(lang, f"report.{s}"),
            "color": COLORS[s],
            "value": _number(current.sentiment[s], lang),
        }
        for s in SENTIMENTS
    ]
    intents = [(t(lang, f"inbox.intent.{i}"), n) for i, n in current.intents.items()]
    return {
        "lang": lang,
        "brand": config.brand.name,
        "week": week.label,
        "start": format_date(week.start.astimezone(tz), lang, with_time=False),
        "end": format_date(last_second, lang, with_time=False),
        "tz": config.timezone,
        "headline": headline(current, previous, lang),
        "has_data": current.has_data,
        "cards": _cards(current, previous, lang),
        "volume": _bars([(weekday(d, lang), n) for d, n in current.by_day.items()], lang),
        "sources": _bars(list(current.by_source.items()), lang),
        "voice": _voice(current, lang),
        "competitors": len(current.voice) > 1,
        "sentiment_days": _sentiment_days(current, lang),
        "sentiment_legend": legend,
        "net": t(lang, "report.net", value=_net_sentiment(current, lang)),
        "intents": _bars(intents, lang),
        "filtered": (
            t(lang, "report.filtered", count=current.filtered) if current.filtered else None
        ),
        "response": _response(current, lang),
        "members": _members(config, current, lang),
        "waiting": t(lang, "report.waiting", count=current.waiting) if current.waiting else None,
        "publishing": _publishing(current, lang),
        "posts": _posts(config, current, lang),
        "crises": _crises(config, current, lang),
        "episodes": _episodes(config, current, lang),
        "audience": _audience(current, lang),
        "visits": [
            {"label": account, "text": t(lang, "report.visits_row", count=n)}
            for account, n in sorted(current.visits.items(), key=lambda kv: -kv[1])
        ],
        "visits_total": sum(current.visits.values()),
        "polls": [
            {
                "title": f"{p['title']} ({p['account']})",
                "total": t(lang, "report.poll_votes", count=p["total"]),
                "options": [
                    {"label": label, "votes": votes, "pct": pct}
                    for label, votes, pct in p["options"]
                ],
            }
            for p in current.polls
        ],
        "boosts": _boosts(current, lang),
        "boosts_total": _boosts_total(current, lang),
        "topics": _bars(list(current.topics.items()), lang),
        "monitored": format_number(current.items, lang),
    }
