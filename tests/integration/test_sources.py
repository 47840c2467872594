"""Read-only sources (Hacker News, Reddit) and internal webhooks, against fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from portevoix.core import secrets
from portevoix.networks import AuthError, LostResponse, Variant, build, publish_once
from tests.fakes import FakeApi, FakeReddit, Request
from tests.helpers import LossyProxy, make_config


@pytest.fixture
def fake() -> Iterator[FakeApi]:
    api = FakeApi()
    yield api
    api.close()


def net(account: dict[str, Any], monkeypatch: pytest.MonkeyPatch, secret: str | None = None) -> Any:
    if secret is not None:
        monkeypatch.setenv("SRC_SECRET", secret)
        account = {**account, "secret": "env:SRC_SECRET"}
    secrets.forget()
    config = make_config(accounts=[account])
    return build(config.accounts[0], config, sleep=lambda s: None)


def test_hacker_news_search_with_cursor(fake: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    hits = [
        {
            "objectID": "101",
            "created_at": "2026-11-28T09:00:00Z",
            "created_at_i": 1795856400,
            "title": "Show HN: Porte-voix",
            "url": "https://porte-voix.example",
            "author": "pg",
            "story_text": None,
            "_tags": ["story", "author_pg", "story_101"],
        },
        {
            "objectID": "102",
            "created_at": "2026-11-28T09:00:00Z",
            "created_at_i": 1795856400,
            "comment_text": "<p>Nice, but &lt;script&gt; in the &amp; docs</p>",
            "author": "dang",
            "parent_id": 101,
            "story_id": 101,
            "_tags": ["comment", "author_dang", "story_101"],
        },
    ]

    @fake.route("GET", r"/api/v1/search_by_date")
    def search(req: Request) -> Any:
        assert req.query["query"] == "Porte-voix" and req.query["tags"] == "(story,comment)"
        floor = int(req.query.get("numericFilters", "created_at_i>0").split(">")[1])
        return (
            200,
            {
                "hits": [h for h in hits if h["created_at_i"] > floor],
                "nbHits": len(hits),
                "page": 0,
                "nbPages": 1,
            },
            {},
        )

    hn = net({"network": "hackernews", "query": "Porte-voix", "base": fake.url}, monkeypatch)
    first, cursor = hn.fetch_mentions(None)
    assert [(m.kind, m.author, m.url) for m in first] == [
        ("search", "pg", "https://news.ycombinator.com/item?id=101"),
        ("comment", "dang", "https://news.ycombinator.com/item?id=102"),
    ]
    assert next(m for m in first if m.source_id == "102").text == "Nice, but <script> in the & docs"
    again, cursor = hn.fetch_mentions(cursor)
    assert again == []
    hits.append(
        {
            "objectID": "103",
            "created_at": "2026-11-28T09:00:00Z",
            "created_at_i": 1795856400,
            "comment_text": "same second",
            "author": "x",
            "_tags": ["comment"],
        }
    )
    newer, _ = hn.fetch_mentions(cursor)
    assert [m.source_id for m in newer] == ["103"]


def reddit_account(base: str, **extra: Any) -> dict[str, Any]:
    return {
        "network": "reddit",
        "query": "Porte-voix",
        "username": "brand_team",
        "base": base,
        "api_base": base,
        **extra,
    }


def test_reddit_search_per_subreddit_with_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeReddit()
    try:
        fake.add_post("t3_a", 1795856400.0, "france")
        fake.add_post("t3_b", 1795856401.0, "socialmedia")
        creds = json.dumps({"client_id": fake.CLIENT_ID, "client_secret": fake.CLIENT_SECRET})
        reddit = net(
            reddit_account(fake.url, subreddits=["france", "socialmedia"]), monkeypatch, creds
        )
        first, cursor = reddit.fetch_mentions(None)
        assert [m.source_id for m in first] == ["t3_a", "t3_b"]
        assert first[0].url == "https://www.reddit.com/r/france/comments/a/x/"
        agent = fake.calls("GET", r".*/search")[0].headers["user-agent"]
        assert agent.startswith("server:porte-voix:") and agent.endswith("(by /u/brand_team)")
        assert len(fake.calls("POST", r"/api/v1/access_token")) == 1  # one token, reused
        assert reddit.fetch_mentions(cursor)[0] == []
        fake.tokens.clear()  # expired or revoked: a new app token, once
        assert reddit.check_credentials().ok
        assert len(fake.calls("POST", r"/api/v1/access_token")) == 2
        wrong = json.dumps({"client_id": fake.CLIENT_ID, "client_secret": "nope"})
        with pytest.raises(AuthError, match="reconnect this account"):
            net(reddit_account(fake.url), monkeypatch, wrong).check_credentials()
        with pytest.raises(AuthError, match="client_secret"):
            net(reddit_account(fake.url), monkeypatch, "bare-token").check_credentials()
    finally:
        fake.close()


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("slack", lambda body: body["text"].startswith("Nouvelle mention")),
        (
            "discord",
            lambda body: (
                body["content"].startswith("Nouvelle mention")
                and body["allowed_mentions"] == {"parse": []}
            ),
        ),
        (
            "teams",
            lambda body: body["attachments"][0]["content"]["body"][0]["text"].startswith(
                "Nouvelle mention"
            ),
        ),
    ],
)
def test_webhooks_send_each_service_its_format(
    fake: FakeApi, monkeypatch: pytest.MonkeyPatch, kind: str, check: Any
) -> None:
    fake.route("POST", r"/hooks/T1/B2")(lambda req: (200, b"ok", {}))
    hook = net({"network": "webhook", "kind": kind}, monkeypatch, secret=f"{fake.url}/hooks/T1/B2")
    hook.publish(
        Variant(text="Nouvelle mention de la marque", link="https://x.example/1"), key="k1"
    )
    (sent,) = fake.calls("POST", r"/hooks/T1/B2")
    assert check(sent.json)
    assert "hooks/T1/B2" not in json.dumps(hook.check_credentials().__dict__)  # the URL is a secret


def test_webhook_with_a_lost_answer_is_not_sent_twice(
    fake: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.route("POST", r"/hook")(lambda req: (200, b"ok", {}))
    proxy = LossyProxy(fake.url)
    try:
        proxy.drop("POST", r"/hook", times=1)
        hook = net({"network": "webhook", "kind": "slack"}, monkeypatch, secret=f"{proxy.url}/hook")
        with pytest.raises(LostResponse):
            publish_once(hook, Variant(text="Alerte"), key="k2")
        assert len(fake.calls("POST", r"/hook")) == 1
    finally:
        proxy.close()
