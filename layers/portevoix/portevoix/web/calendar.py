"""The editorial calendar: posts of a week or a month by local day, and the weekly targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from portevoix.core import store
from portevoix.core.timeutil import iso, parse_iso

DROPPED = ("cancelled", "rejected", "blocked", "expired")  # not counted against targets
# What a calendar cell shows; the index projects only these (infra/template.yaml, GSI2).
CALENDAR_FIELDS = (
    "post_id",
    "status",
    "title",
    "summary",
    "scheduled_at",
    "accounts",
    "results",
    "GSI2SK",
)


@dataclass
class Card:
    post_id: str
    time: str  # local HH:MM
    status: str
    title: str
    accounts: list[str]
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Day:
    day: date
    in_range: bool
    today: bool
    cards: list[Card] = field(default_factory=list)
    past: bool = False


@dataclass
class Target:
    account: str
    week: date
    planned: int
    target: int | None


@dataclass
class View:
    kind: str  # week | month
    start: date  # first day shown (a Monday)
    end: date  # day after the last one shown
    anchor: date
    weeks: list[list[Day]]
    targets: list[Target]
    previous: date
    next: date


_cache: dict[str, tuple[str, list[dict[str, Any]]]] = {}  # UTC month -> (version, posts)
_CACHED_MONTHS = 24


def posts_between(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Posts scheduled in ``[start, end)`` (aware datetimes), one Query per UTC month.

    A month read is kept in this container until a post changes anywhere (the
    calendar version that ``posts.changed`` bumps): a warm calendar costs one GetItem.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    version = store.version(store.calendar_version_key())
    out: list[dict[str, Any]] = []
    month = date(start.year, start.month, 1)
    while month <= end.date():
        name = month.strftime("%Y-%m")
        cached = _cache.get(name)
        if version is None or cached is None or cached[0] != version:
            found = store.query_index("GSI2", store.calendar_index(name), fields=CALENDAR_FIELDS)
            if len(_cache) >= _CACHED_MONTHS:
                _cache.clear()
            if version is not None:
                _cache[name] = (version, found)
            cached = (version or "", found)
        out += cached[1]
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    low, high = iso(start), iso(end)
    return [p for p in out if low <= p.get("GSI2SK", "") < high]


def build(
    config: Any, kind: str, anchor: date, account: str | None, today: date | None = None
) -> View:
    tz = config.tz
    today = today or datetime.now(tz).date()
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        end = start + timedelta(days=7)
        first, last = start, end
        previous, following = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        kind = "month"
        first = anchor.replace(day=1)
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        start = first - timedelta(days=first.weekday())
        end = last + timedelta(days=(7 - last.weekday()) % 7)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = last
    found = posts_between(datetime.combine(start, time(), tz), datetime.combine(end, time(), tz))
    by_day: dict[date, list[Card]] = {}
    for post in found:
        if account and account not in post.get("accounts", []):
            continue
        when = (parse_iso(post["scheduled_at"]) or datetime.now(UTC)).astimezone(tz)
        by_day.setdefault(when.date(), []).append(_card(post, when))
    days = []
    day = start
    while day < end:
        cards = sorted(by_day.get(day, []), key=lambda c: c.time)
        days.append(Day(day, first <= day < last, day == today, cards, day < today))
        day += timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    return View(
        kind, start, end, anchor, weeks, _targets(config, weeks, account), previous, following
    )


def _card(post: dict[str, Any], when: datetime) -> Card:
    title = post.get("title") or post.get("summary") or ""
    title = " ".join(title.split())
    return Card(
        post["post_id"],
        when.strftime("%H:%M"),
        post.get("status", "checking"),
        title[:80] + ("…" if len(title) > 80 else ""),
        list(post.get("accounts", [])),
        list(post.get("results") or []),
    )


def _targets(config: Any, weeks: list[list[Day]], only: str | None) -> list[Target]:
    """Per week and account: posts planned (not dropped) against the charter's weekly target."""
    out = []
    for week in weeks:
        for acc in config.accounts:
            if only and acc.key != only or acc.network in ("webhook", "reddit", "hackernews"):
                continue
            planned = sum(
                1
                for d in week
                for c in d.cards
                if acc.key in c.accounts and c.status not in DROPPED
            )
            target = config.charter.for_network(acc.network).weekly_target
            out.append(Target(acc.key, week[0].day, planned, target))
    return out
