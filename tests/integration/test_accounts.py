"""Account health: checked credentials, expiry warnings, one alert a day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portevoix.accounts import health
from portevoix.core import secrets
from tests.helpers import make_config, put_config
from tests.integration.test_digest import parts, sent_messages

NOW = datetime.now(UTC).replace(microsecond=0)


def config_with(api: str, monkeypatch: pytest.MonkeyPatch, **secrets_by_account: str) -> Any:
    entries = []
    for key, value in secrets_by_account.items():
        monkeypatch.setenv(f"TOKEN_{key.upper()}", value)
        entries.append(
            {
                "network": "mastodon",
                "id": key,
                "instance": api,
                "secret": f"env:TOKEN_{key.upper()}",
            }
        )
    secrets.forget()
    return make_config(accounts=entries)


def test_each_account_gets_a_status(aws: Any, api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    soon = (NOW + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (NOW + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = config_with(
        api,
        monkeypatch,
        good=json.dumps({"access_token": "alice_token", "expires_at": later}),
        soon=json.dumps({"access_token": "bob_token", "expires_at": soon}),
        revoked="nope",
    )
    statuses = {s.account: s for s in health.check(config, NOW)}
    assert statuses["good"].status == "ok" and statuses["good"].identity == "@alice"
    assert statuses["soon"].status == "expiring" and soon in statuses["soon"].detail
    assert (
        statuses["revoked"].status == "failed"
        and "reconnect this account" in statuses["revoked"].detail
    )

    sent = health.alert(config, list(statuses.values()), NOW)
    assert {s["lang"] for s in sent} == {"fr", "en"}
    texts = {m["To"]: parts(m)[0] for m in sent_messages()}
    fr = texts["camille@brand.example"]
    assert "2 comptes à reconnecter" in next(
        m["Subject"] for m in sent_messages() if m["To"] == "camille@brand.example"
    )
    assert "soon · mastodon (@bob): Expire bientôt" in fr and "revoked · mastodon: Refusé" in fr
    assert "good" not in fr
    assert "Expiring soon" in texts["alex@brand.example"]
    # Once a day, however often the schedule retries (a retry on the same local day).
    retry = NOW + timedelta(minutes=1)
    if retry.astimezone(config.tz).date() != NOW.astimezone(config.tz).date():
        retry = NOW - timedelta(minutes=1)  # NOW is a minute before local midnight
    assert health.alert(config, list(statuses.values()), retry) == []


def test_nothing_to_say_sends_nothing(aws: Any, api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_with(api, monkeypatch, good="alice_token")
    statuses = health.check(config, NOW)
    assert [s.status for s in statuses] == ["ok"]
    assert health.alert(config, statuses, NOW) == [] and sent_messages() == []


def test_daily_job_of_the_report_function(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    from functions.report.app import lambda_handler
    from portevoix_local.schedules import job_event as schedule_event
    from portevoix_local.stack import LambdaContext

    config = config_with(api, monkeypatch, masto="revoked")
    put_config(aws, monkeypatch, config)
    result = lambda_handler(schedule_event("accounts", NOW), LambdaContext("r"))
    assert result["accounts"] == {"masto": "failed"} and result["sent"] == 2


def linkedin_config(fake: Any, version: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests.fakes import FakeLinkedIn

    monkeypatch.setenv("TOKEN_LI", FakeLinkedIn.TOKEN)
    secrets.forget()
    return make_config(
        accounts=[
            {
                "network": "linkedin",
                "id": "li",
                "organization": FakeLinkedIn.ORG,
                "secret": "env:TOKEN_LI",
                "base": fake.url,
                "api_version": version,
            }
        ]
    )


def test_an_api_version_about_to_be_retired_is_announced_in_both_languages(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fakes import FakeLinkedIn

    fake = FakeLinkedIn()
    try:
        config = linkedin_config(fake, "202603", monkeypatch)
        in_30_days = datetime(2027, 2, 14, 9, 0, tzinfo=UTC)  # 202603 retires 2027-03-16
        (status,) = health.check(config, in_30_days)
        assert status.status == "outdated"
        assert "will be retired on 2027-03-16" in status.notes["en"]
        assert "sera retirée le 2027-03-16" in status.notes["fr"]
        health.alert(config, [status], in_30_days)
        texts = {m["To"]: parts(m)[0] for m in sent_messages()}
        assert "Version d'API bientôt retirée" in texts["camille@brand.example"]
        assert "API version retiring" in texts["alex@brand.example"]
        before = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # more than 60 days before
        assert [s.status for s in health.check(config, before)] == ["ok"]
        # A retired version: LinkedIn answers 426 to every call, named as such.
        (retired,) = health.check(linkedin_config(fake, "202411", monkeypatch), NOW)
        assert retired.status == "failed"
        assert "202411" in retired.detail and "move to 202603" in retired.detail
    finally:
        fake.close()
