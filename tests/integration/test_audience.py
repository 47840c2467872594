"""Each account's community, read once a day: a series with gaps where a read failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portevoix.core import secrets
from portevoix.reporting import audience
from portevoix.reporting.week import Week
from tests.fakes import FakeGraph, FakeLinkedIn, FakeX
from tests.helpers import make_config
from tests.integration.test_platforms import PLATFORMS, client

MONDAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 07:00 in Paris


@pytest.mark.parametrize("name", ["linkedin", "facebook", "instagram", "x"])
def test_each_network_says_its_followers_as_documented(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = next(p for p in PLATFORMS if p.name == name)
    fake = p.fake()
    try:
        found = client(p, fake.url, monkeypatch).audience()
    finally:
        fake.close()
    expected = {"linkedin": 830, "facebook": 1520, "instagram": 3400, "x": 4200}[name]
    assert found.followers == expected
    if name == "linkedin":  # Network Sizes, the organisation's URN encoded in the path
        (call,) = fake.calls("GET", r"/rest/networkSizes/.+")
        assert call.path == "/rest/networkSizes/urn%3Ali%3Aorganization%3A123"
        assert call.query == {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
    if name == "x":
        assert found.following == 210


def test_mastodon_followers_from_verify_credentials(api: str, monkeypatch: Any) -> None:
    from portevoix.networks import build

    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    secrets.forget()
    config = make_config(
        accounts=[
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ]
    )
    found = build(config.accounts[0], config).audience()
    assert found.followers is not None and found.followers >= 0 and found.posts is not None


def test_a_series_across_a_token_expiry_shows_the_gap_not_zeros(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five weeks of daily reads; the token expires for three days in the middle."""
    x = FakeX()
    try:
        monkeypatch.setenv("X_TOKEN", FakeX.TOKEN)
        secrets.forget()
        config = make_config(
            accounts=[
                {
                    "network": "x",
                    "id": "x",
                    "user_id": FakeX.USER,
                    "base": x.url,
                    "secret": "env:X_TOKEN",
                }
            ]
        )
        start = MONDAY - timedelta(weeks=5)
        for day in range(35):
            x.followers = 4000 + 10 * day
            expired = 23 <= day <= 25  # Thursday to Saturday of the fourth week
            monkeypatch.setenv("X_TOKEN", "expired" if expired else FakeX.TOKEN)
            secrets.forget()
            done = audience.collect(config, start + timedelta(days=day))
            assert (done["read"], bool(done["failed"])) == ([] if expired else ["x"], expired)
    finally:
        x.close()
    first = (start + timedelta(days=23)).astimezone(config.tz).date()
    days = audience.series("x", first, first + timedelta(days=2))
    assert [d.get("followers") for d in days.values()] == [None, None, None]
    assert all(d.get("error") for d in days.values())  # why each day is missing

    week = Week.last_complete(MONDAY, config.tz)  # 23-29 November: the last reading is Sunday
    (row,) = audience.weekly(config, week)
    assert row["followers"] == 4000 + 10 * 34 and row["previous"] == 4000 + 10 * 27
    assert row["change"] == 70 and row["gap_days"] == 3
    assert row["trend"][:7] == [None] * 7  # before the series began: a gap, never a zero
    assert row["trend"][-5:] == [4060, 4130, 4200, 4270, 4340]


def test_the_weekly_report_shows_growth_in_both_languages_and_the_csv_holds_it(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import io

    from portevoix.reporting import report

    graph, li = FakeGraph(), FakeLinkedIn()
    try:
        monkeypatch.setenv("META_TOKEN", FakeGraph.TOKEN)
        monkeypatch.setenv("LI_TOKEN", "revoked")  # LinkedIn fails all week
        secrets.forget()
        config = make_config(
            accounts=[
                {
                    "network": "facebook",
                    "page_id": FakeGraph.PAGE,
                    "base": graph.url,
                    "secret": "env:META_TOKEN",
                },
                {
                    "network": "linkedin",
                    "organization": FakeLinkedIn.ORG,
                    "base": li.url,
                    "secret": "env:LI_TOKEN",
                },
            ]
        )
        for day in range(14):
            graph.followers[FakeGraph.PAGE] = 1500 + 3 * day
            audience.collect(config, MONDAY - timedelta(days=14 - day))
    finally:
        graph.close()
        li.close()
    built = report.build(config, Week.last_complete(MONDAY, config.tz))
    fr = report.render(config, built, "fr").text
    en = report.render(config, built, "en").text
    assert "Communauté" in fr and "1 539 abonnés (+21 cette semaine)" in fr.replace("\u202f", " ")
    assert "Community" in en and "1,539 followers (+21 this week)" in en
    assert "12 weeks: ··········▁█" in en
    assert "not read this week" in en and "linkedin" in en
    rows = list(
        csv.reader(io.StringIO(report.to_csv(built.current, built.previous).decode("utf-8-sig")))
    )
    assert ["audience", "facebook", "followers", "1539", "1518"] in rows
    assert ["audience", "linkedin", "days_not_read_12_weeks", "14", ""] in rows


def test_the_accounts_page_draws_each_account_s_followers_with_its_gaps(
    aws: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import html

    from portevoix.core import store
    from portevoix.web import sessions
    from tests.integration.test_studio import sign_in

    monkeypatch.setenv("PORTEVOIX_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("APPROVAL_BASE_URL", "https://studio.example")
    sessions.forget_key()
    config = make_config(
        accounts=[{"network": "x", "id": "x", "user_id": FakeX.USER, "secret": "env:X_TOKEN"}]
    )
    today = datetime.now(config.tz).date()
    store.batch_put(
        [
            store.with_key(
                audience.key("x", today - timedelta(days=d)),
                **({"error": "token expired"} if d in (5, 6) else {"followers": 5000 - 4 * d}),
            )
            for d in range(30)
        ]
    )
    page = sign_in(config, tmp_path / "outbox").go("GET", "/accounts")
    text = html.unescape(str(page.body)).replace("\u202f", " ")
    assert text.count("<polyline") == 2  # the two days not read break the line
    assert "5 000 abonnés, +116 en 90 jours · 2 jours non lus" in text
    assert 'aria-label="Abonnés de x sur 90 jours, de 4 884 à 5 000"' in text
