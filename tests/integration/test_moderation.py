"""Moderation: archived first, hidden where the network allows, the team asked otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from portevoix.core import secrets, store
from portevoix.inbox import filing
from portevoix.inbox.moderation import ModerationError, hide
from tests.fakes import FakeGraph
from tests.helpers import make_config

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def graph(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    fake = FakeGraph()
    aws.client("s3").create_bucket(
        Bucket="archive-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    monkeypatch.setenv("DATA_BUCKET", "archive-test")
    monkeypatch.setenv("PAGE_TOKEN", FakeGraph.TOKEN)
    monkeypatch.setenv("MASTO_TOKEN", "x")
    secrets.forget()
    yield fake
    fake.close()


def config_for(fake: FakeGraph, **moderation: Any) -> Any:
    return make_config(
        accounts=[
            {
                "network": "facebook",
                "id": "fb",
                "page_id": FakeGraph.PAGE,
                "base": fake.url,
                "secret": "env:PAGE_TOKEN",
            },
            {
                "network": "mastodon",
                "id": "masto",
                "instance": "http://127.0.0.1:9",
                "secret": "env:MASTO_TOKEN",
            },
        ],
        inbox={"moderation": {"auto_hide": True, **moderation}},
    )


def comment(i: str, text: str, account: str = "fb", author: str = "@troll") -> dict[str, Any]:
    record = {
        "PK": f"MENTION#{account}#{i}",
        "SK": "MENTION",
        "GSI1PK": "INBOX#new",
        "GSI1SK": f"x#{i}",
        "source": "facebook" if account == "fb" else "mastodon",
        "account": account,
        "ref": i,
        "status": "new",
        "author_handle": author,
        "text": text,
        "link": f"https://facebook.com/{i}",
        "received_at": "2026-11-28T09:59:00Z",
    }
    store.batch_put([record])
    return record


def archived(aws: Any) -> list[dict[str, Any]]:
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="archive-test").get("Contents", [])]
    return [json.loads(s3.get_object(Bucket="archive-test", Key=k)["Body"].read()) for k in keys]


def test_an_insult_is_archived_then_hidden(aws: Any, graph: FakeGraph) -> None:
    filed = filing.handle_new(
        config_for(graph), comment("111_9", "Bande d'escrocs, vous êtes des incapables"), NOW
    )
    assert filed["status"] == "hidden" and filed["moderation_rule"] == "insult"
    assert graph.hidden == {"111_9"}
    (copy,) = archived(aws)
    assert (
        copy["rule"] == "insult"
        and copy["mention"]["text"] == "Bande d'escrocs, vous êtes des incapables"
    )
    assert (
        copy["mention"]["author_handle"] == "@troll"
        and copy["mention"]["link"] == "https://facebook.com/111_9"
    )


def test_where_the_network_cannot_hide_the_team_is_asked(aws: Any, graph: FakeGraph) -> None:
    filed = filing.handle_new(
        config_for(graph), comment("m1", "You idiots, garbage bikes", account="masto"), NOW
    )
    assert filed["status"] == "needs_action" and "does not let us hide" in filed["moderation_note"]
    assert len(archived(aws)) == 1
    from tests.integration.test_digest import sent_messages

    asked = [m for m in sent_messages() if "urgent" in m["Subject"] or "Urgent" in m["Subject"]]
    assert asked, "the team must be told to act on it"


def test_repeated_messages_and_banned_words(aws: Any, graph: FakeGraph) -> None:
    config = config_for(graph, banned_words=["concurrent-pas-cher.example"])
    rules = [
        filing.handle_new(
            config, comment(f"111_{i}", "Rejoignez le groupe des clients Cyclia !"), NOW
        ).get("moderation_rule")
        for i in range(3)
    ]
    assert rules == [None, None, "repeated"]
    banned = filing.handle_new(
        config, comment("111_50", "Allez voir concurrent-pas-cher.example"), NOW
    )
    assert banned["moderation_rule"] == "banned_words" and banned["status"] == "hidden"


def test_no_archive_no_hide(aws: Any, graph: FakeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATA_BUCKET")
    record = comment("111_7", "Bande de nuls")
    with pytest.raises(ModerationError, match="nothing is hidden"):
        hide(config_for(graph), record, "insult", NOW)
    assert graph.hidden == set()
