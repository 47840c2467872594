"""The weekly report's rules on plain records: weeks, figures, the headline's threshold."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from portevoix.core.errors import ReportError
from portevoix.core.timeutil import utc_hours
from portevoix.reporting import figures
from portevoix.reporting.week import Week

PARIS = ZoneInfo("Europe/Paris")


def test_weeks_follow_the_brands_clock() -> None:
    autumn = Week.parse("2026-W43", PARIS)  # the clocks go back on Sunday 25 October
    assert autumn.start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
    assert autumn.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    assert len(utc_hours(autumn.start, autumn.end)) == 169
    spring = Week.parse("2026-W13", PARIS)  # forward on Sunday 29 March
    assert len(utc_hours(spring.start, spring.end)) == 167
    assert autumn.days[0] == date(2026, 10, 19) and autumn.previous().label == "2026-W42"
    assert Week.last_complete(datetime(2026, 11, 30, 7, 15, tzinfo=UTC), PARIS).label == "2026-W48"
    with pytest.raises(ReportError, match="YYYY-Www"):
        Week.parse("last week", PARIS)
    with pytest.raises(ReportError, match="2025 has no week 53"):
        Week.parse("2025-W53", PARIS)
    assert Week.parse("2026-W53", PARIS).days[-1] == date(2027, 1, 3)  # 2026 has 53 weeks


def mention(day: int, hour: int, **fields: object) -> dict:
    return {"received_at": f"2026-11-{day:02d}T{hour:02d}:00:00Z", "source": "mastodon", **fields}


def test_spam_and_own_posts_are_left_out_and_counted_apart() -> None:
    fig = figures.Figures(week=Week.parse("2026-W48", PARIS))
    kept = figures.add_mentions(
        fig,
        [
            mention(23, 9, sentiment="negative", intent="complaint", status="needs_reply"),
            mention(23, 23, sentiment="positive", intent="praise", response_seconds=600),
            mention(24, 9, intent="spam"),
            mention(24, 10, own=True, sentiment="positive"),
        ],
    )
    assert fig.mentions == len(kept) == 2 and fig.filtered == 2
    assert fig.by_day[date(2026, 11, 24)] == 1  # 23:00 UTC is Tuesday 00:00 in Paris
    assert fig.sentiment == {"positive": 1, "neutral": 0, "negative": 1}
    assert fig.waiting == 1 and fig.response["all"].median == 600


def test_share_of_voice_counts_network_and_feed_mentions_once() -> None:
    fig = figures.Figures(week=Week.parse("2026-W48", PARIS))
    kept = [
        {"source": "rss", "competitors": ["Hootsuite"]},  # already in the hourly counters
        {"source": "mastodon", "competitors": ["Hootsuite"]},
        {"source": "email", "competitors": ["Hootsuite"]},  # private: no share of voice
    ]
    hourly = Counter({"items": 40, "competitor:Hootsuite": 5, "topic:prix": 3})
    figures.add_items(fig, hourly, kept, "Porte-voix", ["Hootsuite"])
    assert fig.voice == {"Porte-voix": 2, "Hootsuite": 6}
    assert fig.topics == {"prix": 3} and fig.items == 40


def test_a_small_change_is_no_headline() -> None:
    week = Week.parse("2026-W48", PARIS)
    before = figures.Figures(week=week.previous(), mentions=1)
    after = figures.Figures(week=week, mentions=2)
    assert figures.most_changed(figures.compare(after, before)) is None  # 1 -> 2 under a base of 5
    after.mentions = 12
    assert figures.most_changed(figures.compare(after, before)).kpi == "mentions"


def test_cadence_against_the_weekly_target() -> None:
    account = SimpleNamespace(key="masto", network="mastodon")
    assert figures.cadence(account, 3, 5)["status"] == "under"
    assert figures.cadence(account, 5, 5)["status"] == "on"
    assert figures.cadence(account, 2, None)["status"] is None
