"""Acting on a mention from its email: the link's page edits and sends the reply, or marks it."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from portevoix.core import store
from tests.helpers import put_config
from tests.integration.test_digest import parts, sent_messages
from tests.integration.test_mastodon import alice_statuses
from tests.integration.test_replies import config_with, receive


def page(method: str, link: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    from functions.approval.app import lambda_handler
    from portevoix_local.stack import LambdaContext

    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": f"/m/{link}",
        "rawQueryString": "",
        "headers": {"accept-language": "fr", "content-type": "application/x-www-form-urlencoded"},
        "requestContext": {
            "accountId": "1",
            "apiId": "a",
            "domainName": "d",
            "domainPrefix": "d",
            "http": {
                "method": method,
                "path": f"/m/{link}",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "t",
            },
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
            "time": "t",
            "timeEpoch": 0,
        },
        "body": urlencode(form or {}) if method == "POST" else None,
        "isBase64Encoded": False,
    }
    resp = lambda_handler(event, LambdaContext("portevoix-approval"))
    resp["text"] = html.unescape(resp["body"])
    return resp


@pytest.fixture
def urgent(aws: Any, api: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Any], str]:
    config = config_with(api, monkeypatch)
    put_config(aws, monkeypatch, config)
    mention = receive(config, api, "@alice Votre SAV ne répond jamais, très déçu ! <b>vraiment</b>")
    assert mention["urgency"] == "high"
    email = next(
        m
        for m in sent_messages()
        if m["To"] == "camille@brand.example" and "urgent" in m["Subject"]
    )
    text = parts(email)[0]
    assert "Réponse proposée « sav » : Bonjour Bob, écrivez-nous en privé" in text
    link = re.search(r"/m/([\w-]+)", text).group(1)
    return config, mention, link


def test_the_page_shows_the_message_and_sends_the_edited_reply_once(urgent: Any, api: str) -> None:
    config, mention, link = urgent
    shown = page("GET", link)
    assert shown["statusCode"] == 200 and "très déçu ! <b>vraiment</b>" in shown["text"]
    assert "&lt;b&gt;vraiment&lt;/b&gt;" in shown["body"]  # the author's markup is text
    assert "Bonjour Bob, écrivez-nous en privé" in shown["text"]  # the suggestion, ready to edit
    token = re.search(r'name="form_token" value="([^"]+)"', shown["body"]).group(1)
    sent = page(
        "POST",
        link,
        {
            "form_token": token,
            "action": "send",
            "text": "Bonjour Bob, on vous rappelle aujourd'hui.",
        },
    )
    assert sent["statusCode"] == 200 and "Réponse envoyée" in sent["text"]
    replies = [s for s in alice_statuses(api) if s.get("in_reply_to_id") == mention["ref"]]
    assert len(replies) == 1 and "on vous rappelle aujourd" in replies[0]["content"]
    again = page("POST", link, {"form_token": token, "action": "send", "text": "encore"})
    assert again["statusCode"] == 409 and "Déjà traité (répondu)" in again["text"]
    assert len([s for s in alice_statuses(api) if s.get("in_reply_to_id") == mention["ref"]]) == 1


def test_forged_unknown_and_ignore(urgent: Any) -> None:
    config, mention, link = urgent
    assert page("GET", "nope")["statusCode"] == 404
    forged = page("POST", link, {"form_token": "guess", "action": "ignore"})
    assert (
        forged["statusCode"] == 403
        and store.get(mention["PK"], "MENTION")["status"] == "needs_reply"
    )
    token = re.search(r'name="form_token" value="([^"]+)"', page("GET", link)["body"]).group(1)
    assert "C'est noté" in page("POST", link, {"form_token": token, "action": "ignore"})["text"]
    assert store.get(mention["PK"], "MENTION")["status"] == "ignored"
