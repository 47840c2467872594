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
    assert "2 compte(s) à reconnecter" in next(
        m["Subject"] for m in sent_messages() if m["To"] == "camille@brand.example"
    )
    assert "soon · mastodon (@bob): Expire bientôt" in fr and "revoked · mastodon: Refusé" in fr
    assert "good" not in fr
    assert "Expiring soon" in texts["alex@brand.example"]
    # Once a day, however often the schedule retries.
    assert health.alert(config, list(statuses.values()), NOW + timedelta(hours=1)) == []


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
