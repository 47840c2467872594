"""The local scheduler fires the template's own schedules, at the template's times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portevoix_local.schedules import Schedule, ScheduleError, from_template, schedule_event
from portevoix_local.stack import load_template

PARIS = {"DigestHour": 8, "TimeZone": "Europe/Paris"}


@pytest.fixture(scope="module")
def plan() -> dict[str, Schedule]:
    return {s.job: s for s in from_template(load_template(), PARIS)}


def test_every_schedule_of_the_template_is_read(plan: dict[str, Schedule]) -> None:
    assert set(plan) == {"veille", "digest", "inbox", "report", "metrics", "accounts"}
    assert plan["veille"].function == "veille" and plan["digest"].function == "report"
    assert plan["digest"].expression == "cron(0 8 * * ? *)"  # ${DigestHour} substituted
    assert plan["digest"].timezone == "Europe/Paris"


def test_a_rate_fires_at_once_then_every_period(plan: dict[str, Schedule]) -> None:
    veille, now = plan["veille"], datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert veille.due(None, now)
    assert not veille.due(now, now + timedelta(minutes=14))
    assert veille.due(now, now + timedelta(minutes=15))


def test_crons_fire_in_the_brands_zone(plan: dict[str, Schedule]) -> None:
    digest = plan["digest"]
    winter = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 08:00 in Paris (UTC+1)
    assert digest.fires_at(winter) and not digest.fires_at(winter + timedelta(hours=1))
    summer = datetime(2026, 7, 3, 6, 0, tzinfo=UTC)  # 08:00 in Paris (UTC+2)
    assert digest.fires_at(summer)
    # Checked every few seconds: fires once in the minute it was due, not again after.
    assert digest.due(winter - timedelta(seconds=5), winter + timedelta(seconds=3))
    assert not digest.due(winter + timedelta(seconds=3), winter + timedelta(seconds=8))


def test_the_weekly_report_fires_on_monday_only(plan: dict[str, Schedule]) -> None:
    report = plan["report"]
    monday = datetime(2026, 11, 30, 7, 15, tzinfo=UTC)  # Monday 08:15 in Paris
    assert report.fires_at(monday)
    assert not report.fires_at(monday + timedelta(days=1))
    assert not report.fires_at(monday - timedelta(minutes=15))


def test_the_event_is_the_templates_input_filled_in(plan: dict[str, Schedule]) -> None:
    event = schedule_event(plan["report"], datetime(2026, 11, 30, 7, 15, tzinfo=UTC))
    assert event["job"] == "report"
    assert event["scheduled_time"] == "2026-11-30T07:15:00Z"
    assert event["attempt"] == "1" and event["schedule_arn"].endswith("/report")


def test_an_unreadable_expression_is_named() -> None:
    odd = Schedule("odd", "report", "cron(0 8 L * ? *)", "UTC", {"job": "odd"})
    with pytest.raises(ScheduleError, match="not supported locally"):
        odd.fires_at(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
