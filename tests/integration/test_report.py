"""The weekly report: every figure against data seeded with known answers."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from portevoix.core import store
from portevoix.core.errors import ReportError
from portevoix.core.timeutil import utc_hours
from portevoix.reporting import figures, report
from portevoix.reporting.view import headline
from tests.helpers import accounts, make_config, rss
from tests.integration.test_digest import parts, sent_messages

W47 = "2026-W47"  # Monday 16 to Sunday 22 November 2026, Paris = UTC+1


def accounts_config(**overrides: Any) -> Any:
    return make_config(
        accounts=accounts("masto", "x", "slack"),
        charter={"default": {"weekly_target": 3}},
        **overrides,
    )


_n = iter(range(10_000))


def mention(
    when: str, source: str = "mastodon", status: str = "needs_reply", **values: Any
) -> dict:
    n = next(_n)
    return {
        "PK": f"MENTION#{source}#{n}",
        "SK": "MENTION",
        "GSI1PK": f"INBOX#{status}",
        "GSI1SK": f"{when}#{source}#{n}",
        "type": "mention",
        "source": source,
        "status": status,
        "received_at": when,
        "text": f"message {n}",
        **values,
    }


def publication(
    post_id: str, account: str, network: str, when: str, metrics: Any, title: str
) -> list[dict]:
    entry = {
        "PK": f"POST#{post_id}",
        "SK": f"PUB#{account}",
        "GSI1PK": f"PUBLISHED#{account}",
        "GSI1SK": when,
        "status": "published",
        "published_at": when,
        "ref": post_id,
        "url": f"https://{network}.example/{post_id}",
        "account": account,
        "network": network,
    }
    if metrics is not None:
        entry["metrics"] = metrics
    return [
        {
            "PK": f"POST#{post_id}",
            "SK": "POST",
            "title": title,
            "variants": {account: {"text": title}},
        },
        entry,
    ]


@pytest.fixture
def seeded(aws: Any) -> Any:
    """Week 47 and the week before, with answers worked out by hand in the comments."""
    rows = []
    # Mastodon, Monday 16: 4 replied (10, 20, 30, 60 min), 2 waiting; 3 positive, 2 negative, 1 neutral.
    for i, (secs, sentiment, intent) in enumerate(
        [
            (600, "positive", "praise"),
            (1200, "negative", "complaint"),
            (1800, "positive", "question"),
            (3600, "negative", "complaint"),
            (None, "positive", "praise"),
            (None, "neutral", "question"),
        ]
    ):
        replied = secs is not None
        rows.append(
            mention(
                f"2026-11-16T0{i}:00:00Z",
                status="replied" if replied else "needs_reply",
                sentiment=sentiment,
                intent=intent,
                response_seconds=secs,
            )
        )
    # Feed items naming the brand, Wednesday 18: 2 waiting, 1 ignored; one also names Hootsuite
    # (already counted among the feed items' counters, so not counted twice).
    rows += [
        mention(
            "2026-11-18T09:00:00Z",
            "rss",
            sentiment="neutral",
            intent="other",
            competitors=["Hootsuite"],
        ),
        mention("2026-11-18T10:00:00Z", "rss", sentiment="neutral", intent="other"),
        mention("2026-11-18T11:00:00Z", "rss", "ignored", sentiment="neutral", intent="other"),
    ]
    # Emails, Friday 20: answered after 2 h and 3 h; private, so no share of voice.
    rows += [
        mention(
            "2026-11-20T08:00:00Z",
            "email",
            "replied",
            sentiment="negative",
            intent="complaint",
            response_seconds=7200,
        ),
        mention(
            "2026-11-20T09:00:00Z",
            "email",
            "replied",
            sentiment="negative",
            intent="complaint",
            response_seconds=10800,
        ),
    ]
    # Bluesky, Sunday 22 at 23:30 Paris (22:30Z), the week's last hour: names Hootsuite.
    rows.append(
        mention(
            "2026-11-22T22:30:00Z",
            "bluesky",
            sentiment="positive",
            intent="praise",
            competitors=["Hootsuite"],
        )
    )
    # Left out of every figure: spam, and the brand's own post.
    rows += [
        mention("2026-11-17T12:00:00Z", status="ignored", intent="spam", sentiment="neutral"),
        mention(
            "2026-11-17T13:00:00Z", status="ignored", intent="other", sentiment="positive", own=True
        ),
    ]
    # Outside week 47: Sunday 15 at 23:59 Paris, and Monday 23 at 00:00 Paris.
    rows += [
        mention("2026-11-15T22:59:59Z", sentiment="negative", intent="complaint"),
        mention("2026-11-22T23:00:00Z", sentiment="negative", intent="complaint"),
    ]
    # The week before (46): 3 more mentions on Wednesday 11 (4 with the one above), none answered.
    rows += [
        mention(f"2026-11-11T1{i}:00:00Z", sentiment="neutral", intent="question") for i in range(3)
    ]
    # Posts of week 47: masto 3 (on target), x 1 (below), one Slack message (no metrics there).
    rows += publication(
        "p1",
        "masto",
        "mastodon",
        "2026-11-16T09:00:00Z",
        {"likes": 10, "shares": 2, "replies": 3},
        "Lancement v2",
    )
    rows += publication(
        "p2", "masto", "mastodon", "2026-11-17T09:00:00Z", {"likes": 1}, "Astuce du mardi"
    )
    rows += publication("p3", "masto", "mastodon", "2026-11-21T09:00:00Z", None, "Samedi")
    rows += publication(
        "p1",
        "x",
        "x",
        "2026-11-16T09:05:00Z",
        {"likes": 5, "shares": 1, "replies": 0, "views": 300},
        "Lancement v2",
    )
    rows += publication("p4", "slack", "webhook", "2026-11-16T10:00:00Z", None, "Note interne")
    store.batch_put(rows)
    store.batch_put(
        [{"PK": "CRISIS#2026-11-19T14:00:00Z", "SK": "ALERT", "count": 12, "threshold": 10}]
    )
    # Feed items: 40 in week 47 (4 name Hootsuite), 100 just after it, 20 the week before.
    store.add_counts(
        datetime(2026, 11, 17, 10, 15, tzinfo=UTC),
        {"items": 40, "competitor:Hootsuite": 4, "topic:réseaux": 6},
    )
    store.add_counts(
        datetime(2026, 11, 22, 23, 30, tzinfo=UTC), {"items": 100, "competitor:Hootsuite": 50}
    )
    store.add_counts(datetime(2026, 11, 10, 8, 0, tzinfo=UTC), {"items": 20})
    return accounts_config()


def test_every_figure_of_a_week(seeded: Any) -> None:
    week = report.Week.parse(W47, seeded.tz)
    assert (week.start, week.end) == (
        datetime(2026, 11, 15, 23, tzinfo=UTC),
        datetime(2026, 11, 22, 23, tzinfo=UTC),
    )
    fig = report.collect(seeded, week)
    assert fig.mentions == 12 and fig.filtered == 2
    assert fig.by_source == {"mastodon": 6, "rss": 3, "email": 2, "bluesky": 1}
    assert fig.by_day == {
        date(2026, 11, 16): 6,
        date(2026, 11, 17): 0,
        date(2026, 11, 18): 3,
        date(2026, 11, 19): 0,
        date(2026, 11, 20): 2,
        date(2026, 11, 21): 0,
        date(2026, 11, 22): 1,
    }
    # Share of voice: 10 public brand mentions; Hootsuite 4 feed items + 1 on Bluesky.
    assert fig.voice == {"Porte-voix": 10, "Hootsuite": 5}
    assert fig.brand_share == pytest.approx(200 / 3)
    assert fig.sentiment == {"positive": 4, "neutral": 4, "negative": 4}
    assert fig.intents == {"complaint": 4, "question": 2, "praise": 3, "other": 3}
    assert fig.items == 40 and fig.topics == {"réseaux": 6}
    r = fig.response
    assert (r["mastodon"].count, r["mastodon"].median, r["mastodon"].p90) == (4, 1500, 3060)
    assert (r["email"].count, r["email"].median, r["email"].p90) == (2, 9000, 10440)
    assert (r["all"].count, r["all"].median, r["all"].p90) == (6, 2700, 9000)
    assert fig.waiting == 5  # mastodon 2, rss 2, bluesky 1
    assert [(p["account"], p["published"], p["target"], p["status"]) for p in fig.publishing] == [
        ("masto", 3, 3, "on"),
        ("x", 1, 3, "under"),
    ]
    by_key = {(p["post_id"], p["account"]): p for p in fig.posts}
    assert by_key[("p1", "masto")]["engagement"] == 15
    assert by_key[("p1", "x")]["views"] == 300 and by_key[("p1", "x")]["engagement"] == 6
    assert by_key[("p3", "masto")]["engagement"] is None  # not read yet
    assert by_key[("p4", "slack")]["available"] is False  # webhooks give no metrics
    assert fig.engagement == 22
    assert (fig.best["post_id"], fig.worst["post_id"]) == ("p1", "p2")
    assert fig.crises == [{"hour": "2026-11-19T14:00:00Z", "count": 12, "threshold": 10}]


def test_week_over_week_says_what_changed_most(seeded: Any) -> None:
    built = report.build(seeded, report.Week.parse(W47, seeded.tz))
    assert built.previous.week.label == "2026-W46"
    assert (built.previous.mentions, built.previous.items) == (4, 20)
    deltas = {d.kpi: d for d in figures.compare(built.current, built.previous)}
    assert (deltas["mentions"].current, deltas["mentions"].previous) == (12, 4)
    assert deltas["mentions"].ratio == 2.0
    assert deltas["engagement"].previous is None  # no post the week before
    # Posts went from 0 to 4: the largest change against its base (2 posts).
    assert figures.most_changed(list(deltas.values())).kpi == "published"
    assert headline(built.current, built.previous, "en") == (
        "What changed the most: posts published, 4 against 0 the week before."
    )
    assert headline(built.current, built.previous, "fr") == (
        "Ce qui a le plus changé : les publications, 4 contre 0 la semaine précédente."
    )


def test_headline_with_a_percentage_and_a_steady_week(aws: Any) -> None:
    config = make_config()
    store.batch_put([mention(f"2026-11-1{d}T10:00:00Z", sentiment="neutral") for d in (0, 1)])
    store.batch_put(
        [mention(f"2026-11-{16 + i % 7}T1{i}:00:00Z", sentiment="neutral") for i in range(8)]
    )
    built = report.build(config, report.Week.parse(W47, config.tz))
    assert (built.current.mentions, built.previous.mentions) == (8, 2)
    assert headline(built.current, built.previous, "en") == (
        "What changed the most: mentions, 8 against 2 the week before (+300%)."
    )
    assert "(+300\u00a0%)" in headline(built.current, built.previous, "fr")
    same = figures.Figures(week=built.current.week, mentions=8)
    assert headline(same, same, "en") == "Nothing changed much from the week before."


def test_an_empty_week_still_makes_a_readable_report(aws: Any) -> None:
    config = make_config()
    built = report.build(config, report.Week.parse("2026-W10", config.tz))
    assert not built.current.has_data
    assert headline(built.current, built.previous, "fr").startswith("Rien à signaler")
    for lang in ("fr", "en"):
        rendered = report.render(config, built, lang)
        assert "—" in rendered.html and rendered.text.strip()
    rows = list(
        csv.reader(io.StringIO(report.to_csv(built.current, built.previous).decode("utf-8-sig")))
    )
    assert rows[0] == ["section", "item", "metric", "this_week", "previous_week"]
    assert ["volume", "all", "mentions", "0", "0"] in rows


def test_a_week_that_ends_daylight_saving_has_169_hours(aws: Any) -> None:
    config = make_config()
    week = report.Week.parse("2026-W43", config.tz)  # Paris goes back an hour on Sunday 25 Oct
    assert (week.start, week.end) == (
        datetime(2026, 10, 18, 22, tzinfo=UTC),
        datetime(2026, 10, 25, 23, tzinfo=UTC),
    )
    assert len(utc_hours(week.start, week.end)) == 169
    store.batch_put(
        [
            mention("2026-10-18T22:30:00Z", sentiment="neutral"),  # Monday 00:30 CEST: in
            mention("2026-10-25T22:30:00Z", sentiment="neutral"),  # Sunday 23:30 CET: in
            mention("2026-10-25T23:30:00Z", sentiment="neutral"),  # Monday 00:30 CET: next week
        ]
    )
    # 02:30 happens twice that night; both hours are Sunday's and both count.
    store.add_counts(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), {"items": 1})
    store.add_counts(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), {"items": 2})
    store.add_counts(datetime(2026, 10, 25, 23, 0, tzinfo=UTC), {"items": 4})  # Monday 00:00 CET
    fig = report.collect(config, week)
    assert fig.mentions == 2
    assert fig.by_day[date(2026, 10, 19)] == 1 and fig.by_day[date(2026, 10, 25)] == 1
    assert fig.items == 3


def test_a_week_that_starts_daylight_saving_has_167_hours() -> None:
    from zoneinfo import ZoneInfo

    week = report.Week.parse("2027-W12", ZoneInfo("Europe/Paris"))  # 28 March 2027
    assert (week.start, week.end) == (
        datetime(2027, 3, 21, 23, tzinfo=UTC),
        datetime(2027, 3, 28, 22, tzinfo=UTC),
    )
    assert len(utc_hours(week.start, week.end)) == 167
    assert week.previous().label == "2027-W11"
    assert report.Week.parse("2027-w01", week.tz).previous().label == "2026-W53"


@pytest.mark.parametrize("text", ["2026-48", "W48", "2026-W54", "2025-W53", ""])
def test_a_malformed_week_is_named(text: str) -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(ReportError, match="week"):
        report.Week.parse(text, ZoneInfo("Europe/Paris"))


def test_sent_once_in_each_language_with_the_csv(seeded: Any) -> None:
    store.batch_put(
        publication(
            "p9",
            "masto",
            "mastodon",
            "2026-11-19T09:00:00Z",
            {"likes": 0},
            '=HYPERLINK("http://evil.example") <script>alert(1)</script>',
        )
    )
    week = report.Week.parse(W47, seeded.tz)
    sent = report.send(seeded, week, datetime(2026, 11, 23, 7, 15, tzinfo=UTC), once=True)
    assert sorted(s["lang"] for s in sent) == ["en", "fr"]
    assert report.send(seeded, week, once=True) == []  # a retried schedule sends nothing twice
    messages = {m["To"]: m for m in sent_messages()}
    assert set(messages) == {"camille@brand.example", "alex@brand.example"}
    fr = messages["camille@brand.example"]
    assert (
        fr["Subject"].strip()
        == "[Porte-voix] Rapport de la semaine 2026-W47 : 12 mentions, 5 publications"
    )
    text, html = parts(fr)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Part de voix" in html and "67\u00a0%" in html and "1 h 32" not in text
    assert "médiane 25 min" in text  # mastodon: 1500 s
    (attachment,) = list(fr.iter_attachments())
    assert attachment.get_filename() == "porte-voix-porte-voix-2026-W47.csv"
    assert attachment.get_content_type() == "text/csv"
    rows = list(csv.reader(io.StringIO(attachment.get_payload(decode=True).decode("utf-8-sig"))))
    assert ["share_of_voice", "Hootsuite", "mentions", "5", "0"] in rows
    assert ["response_time", "all", "median_seconds", "2700.0", ""] in rows
    title = next(r for r in rows if r[:3] == ["post", "p9:masto", "title"])
    assert title[3].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    _, en_html = parts(messages["alex@brand.example"])
    assert "Share of voice" in en_html and "What changed the most" in en_html


def test_feed_items_feed_the_counters_once(aws: Any, feed_server: Any) -> None:
    from portevoix.listening import poller

    feed_server.set(
        "/n.rss",
        rss(
            [
                ("Hootsuite lève des fonds", "https://ex.com/1"),
                ("Hootsuite recrute", "https://ex.com/2"),
                ("Porte-voix et Hootsuite", "https://ex.com/3"),
                ("Un réseau social", "https://ex.com/4"),
            ]
        ),
    )
    config = make_config(feeds=[{"id": "n", "url": feed_server.url("/n.rss")}])
    now = datetime.now(UTC)
    poller.poll(config, now)
    poller.poll(config, now, scheduled=False)
    totals = Counter()
    for values in store.read_counts(now, now + timedelta(hours=1)).values():
        totals.update(values)
    assert totals == {"items": 4, "brand": 1, "competitor:Hootsuite": 3, "topic:réseaux": 1}
    fig = report.collect(config, report.Week.containing(now, config.tz))
    assert fig.voice == {"Porte-voix": 1, "Hootsuite": 3}
