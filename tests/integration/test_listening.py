"""Network mentions read by the scheduled poll into the inbox, with cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from portevoix.core import secrets, store
from portevoix.listening.poller import Poller
from tests.helpers import make_config
from tests.integration.test_mastodon import as_user

NOW = datetime.now(UTC).replace(microsecond=0)


def inbox() -> list[dict[str, Any]]:
    return store.query_gsi1("INBOX#new")


def config_for(base: str, monkeypatch: pytest.MonkeyPatch, token: str = "alice_token") -> Any:
    monkeypatch.setenv("MASTO_TOKEN", token)
    secrets.forget()
    return make_config(
        accounts=[
            {"network": "mastodon", "id": "masto", "instance": base, "secret": "env:MASTO_TOKEN"}
        ]
    )


def test_mentions_land_in_the_inbox_once(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_for(api, monkeypatch)
    as_user(
        api,
        "bob_token",
        "POST",
        "/api/v1/statuses",
        json={"status": "@alice Hootsuite fait mieux ?"},
    )
    first = Poller(config).poll(NOW)
    assert (first.accounts, first.network_mentions, first.mentions, first.failed) == (1, 1, 1, [])
    (mention,) = inbox()
    assert mention["source"] == "mastodon" and mention["account"] == "masto"
    assert mention["author_handle"] == "@bob" and mention["competitors"] == ["Hootsuite"]
    assert mention["text"] == "@alice Hootsuite fait mieux ?"

    again = Poller(config).poll(NOW + timedelta(minutes=15))
    assert again.network_mentions == 0 and len(inbox()) == 1

    as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": "@alice toujours là ?"})
    third = Poller(config).poll(NOW + timedelta(minutes=30))
    assert third.network_mentions == 1 and len(inbox()) == 2


def test_refused_token_is_reported_and_marked(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_for(api, monkeypatch, token="revoked")
    report = Poller(config).poll(NOW)
    assert report.failed[0]["feed"] == "account:masto"
    assert "reconnect this account" in report.failed[0]["error"]
    state = store.get("ACCOUNT#masto", "CURSOR")
    assert "reconnect" in state["auth_error"] and state["failures"] == 1


def test_rate_limited_account_waits_then_reads_everything(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_for(api, monkeypatch)
    as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": "@alice premier"})
    requests.post(
        api + "/api/v1/_mock/faults",
        json={
            "match": {"path": "/api/v1/notifications"},
            "effect": {"type": "ratelimit", "headers": {"Retry-After": "1800"}},
            "count": 3,
        },
        timeout=10,
    )
    limited = Poller(config).poll(NOW)
    assert "rate limited" in limited.failed[0]["error"] and inbox() == []
    waiting = Poller(config).poll(NOW + timedelta(minutes=15))
    assert waiting.skipped[0]["feed"] == "account:masto" and waiting.failed == []
    requests.delete(api + "/api/v1/_mock/faults", timeout=10)
    later = Poller(config).poll(NOW + timedelta(minutes=31))
    assert later.network_mentions == 1 and [m["text"] for m in inbox()] == ["@alice premier"]
