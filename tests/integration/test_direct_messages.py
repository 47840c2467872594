"""Direct messages: Meta's signed webhooks (Facebook Page, Instagram) stored once and answered
in their conversation within Meta's 24 hours; Mastodon's direct mentions answered directly."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portevoix.core import secrets, store
from portevoix.inbox import filing, replies
from portevoix.web import routes
from portevoix.web.http import Request
from tests.fakes import FakeGraph
from tests.helpers import make_config
from tests.integration.test_mastodon import as_user
from tests.integration.test_replies import config_with, receive

SECRET = "meta-app-secret"


@pytest.fixture
def meta(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    aws.client("ssm").put_parameter(
        Name="/portevoix/apps/meta",
        Value=json.dumps({"client_id": "1", "client_secret": SECRET, "verify_token": "vt-123"}),
        Type="SecureString",
    )
    monkeypatch.setenv("PAGE_TOKEN", FakeGraph.TOKEN)
    secrets.forget()
    with FakeGraph() as g:
        config = make_config(
            accounts=[
                {
                    "network": "facebook",
                    "page_id": g.PAGE,
                    "base": g.url,
                    "secret": "env:PAGE_TOKEN",
                },
                {
                    "network": "instagram",
                    "user_id": g.IG,
                    "base": g.url,
                    "secret": "env:PAGE_TOKEN",
                },
            ]
        )
        yield config, g


def deliver(config: Any, payload: Any, secret: str = SECRET, raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = Request(
        "POST",
        "/hooks/meta",
        headers={"content-type": "application/json", "x-hub-signature-256": signature},
        body=body,
    )
    return routes.handle(config, request)


def messenger(page: str, mid: str, text: str, when: datetime | None = None) -> dict[str, Any]:
    stamp = int((when or datetime.now(UTC)).timestamp() * 1000)
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": stamp,
                "messaging": [
                    {
                        "sender": {"id": "6543210987"},
                        "recipient": {"id": page},
                        "timestamp": stamp,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


def test_the_subscription_check_answers_only_our_verify_token(meta: Any) -> None:
    config, _ = meta
    ok = Request(
        "GET",
        "/hooks/meta",
        query={
            "hub.mode": "subscribe",
            "hub.verify_token": "vt-123",
            "hub.challenge": "1158201444",
        },
    )
    answer = routes.handle(config, ok)
    assert answer.status == 200 and answer.body == "1158201444"
    forged = Request("GET", "/hooks/meta", query={**ok.query, "hub.verify_token": "guess"})
    assert routes.handle(config, forged).status == 403


def test_a_forged_or_unsigned_delivery_is_refused_and_stores_nothing(meta: Any) -> None:
    config, g = meta
    payload = messenger(g.PAGE, "m_1", "Bonjour, ma commande ?")
    assert deliver(config, payload, secret="not-the-secret").status == 403
    unsigned = Request(
        "POST", "/hooks/meta", headers={"content-type": "application/json"}, body=b"{}"
    )
    assert routes.handle(config, unsigned).status == 403
    tampered = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
    changed = tampered.replace(b"commande", b"virement")
    request = Request(
        "POST",
        "/hooks/meta",
        headers={"x-hub-signature-256": signature, "content-type": "application/json"},
        body=changed,
    )
    assert routes.handle(config, request).status == 403
    assert store.query_gsi1("INBOX#new") == []


def test_a_replayed_message_is_stored_once_and_answered_in_its_conversation(meta: Any) -> None:
    config, g = meta
    payload = messenger(g.PAGE, "m_ABC", "Bonjour\u202e, ma commande 1234 n'est pas arrivée")
    first = deliver(config, payload)
    again = deliver(config, payload)  # Meta redelivers when it did not hear 200 in time
    assert json.loads(first.body) == {"stored": 1} and json.loads(again.body) == {"stored": 0}
    (raw,) = store.query_gsi1("INBOX#new")
    assert raw["kind"] == "dm" and "\u202e" not in raw["text"]
    filed = filing.handle_new(config, raw)
    assert filed["status"] == "needs_reply"
    done = replies.reply(config, store.id_of(filed["PK"]), "Bonjour, nous regardons tout de suite.")
    assert done["status"] == "replied"
    assert g.messages == [
        {
            "recipient": "6543210987",
            "text": "Bonjour, nous regardons tout de suite.",
            "mid": g.messages[0]["mid"],
        }
    ]
    assert not g.calls("POST", r"/v\d+\.\d+/.+/comments")  # never a public comment


def test_meta_s_24_hour_window_is_respected(meta: Any) -> None:
    config, g = meta
    old = datetime.now(UTC) - timedelta(hours=25)
    deliver(config, messenger(g.PAGE, "m_OLD", "Vous êtes là ?", when=old))
    (raw,) = store.query_gsi1("INBOX#new")
    filed = filing.handle_new(config, raw)
    with pytest.raises(replies.ReplyError, match="within 24 hours"):
        replies.reply(config, store.id_of(filed["PK"]), "Oui !")
    assert g.messages == [] and replies.get(store.id_of(filed["PK"]))["status"] == "needs_reply"


def test_instagram_messages_and_echoes(meta: Any) -> None:
    config, g = meta
    payload = messenger(g.IG, "ig_1", "Hello, is it in stock?")
    payload["object"] = "instagram"
    echo = messenger(g.IG, "ig_2", "our own answer")
    echo["object"] = "instagram"
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = True
    stranger = messenger("999", "m_x", "for another Page")
    assert json.loads(deliver(config, payload).body) == {"stored": 1}
    assert json.loads(deliver(config, echo).body) == {"stored": 0}
    assert json.loads(deliver(config, stranger).body) == {"stored": 0}
    (raw,) = store.query_gsi1("INBOX#new")
    assert raw["source"] == "instagram" and raw["account"] == "instagram"


def test_a_mastodon_direct_mention_is_a_dm_answered_directly(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(api, monkeypatch)
    text = "@alice Bonjour, en privé : ma facture ?"
    filed = receive(config, api, text, visibility="direct")
    assert filed["kind"] == "dm"
    replies.reply(config, store.id_of(filed["PK"]), "Bonjour Bob, nous vous écrivons.")
    answer = as_user(api, "bob_token", "GET", "/api/v1/conversations")
    statuses = [c["last_status"] for c in answer if c.get("last_status")]
    assert any(
        "nous vous écrivons" in s["content"] and s["visibility"] == "direct" for s in statuses
    )
