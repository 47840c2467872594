"""Strangers' text is cleaned where it enters: a display name or an email carrying NUL, BEL,
ESC or a bidi override never reaches a reply, an email, or the terminal; and the language a
network declares beats the guess from words."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest

from portevoix.core import store
from portevoix.inbox import filing, replies
from tests.helpers import make_config
from tests.integration.test_digest import sent_messages
from tests.integration.test_inbound import bucket, deliver  # noqa: F401
from tests.integration.test_mastodon import alice_statuses, as_user
from tests.integration.test_replies import config_with, receive

HOSTILE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> bool:
    return not HOSTILE.search(str(value or ""))


def test_a_hostile_display_name_never_reaches_the_reply_or_the_emails(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(
        api,
        "bob_token",
        "PATCH",
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Bob\x00\x07\x1b[2J\u202eliam"},
    )
    config = config_with(api, monkeypatch)
    mention = receive(config, api, "@alice Vous livrez en Belgique ?\u202e\x1b[31m")
    assert mention["author"].startswith("Bob") and clean(mention["author"])
    assert clean(mention["text"]) and clean(mention["title"])
    suggestion = replies.suggestions(config, mention)["sav"]
    assert suggestion.startswith("Bonjour Bob") and clean(suggestion)
    replies.reply(config, store.id_of(mention["PK"]), suggestion)
    toot = next(s for s in alice_statuses(api) if "Bonjour Bob" in s["content"])
    assert clean(toot["content"])
    filing.send_batch(config)
    for msg in sent_messages():
        assert clean(msg["Subject"])
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                assert clean(part.get_content()), msg["Subject"]


def test_a_hostile_email_is_cleaned_and_its_reply_subject_is_one_line(
    bucket: Any,  # noqa: F811
) -> None:
    config = make_config()
    msg = EmailMessage()
    msg["From"] = "=?utf-8?q?Eve=07=1B=5B31m=E2=80=AE?= <eve@example.org>"
    msg["To"] = "contact@brand.example"
    msg["Subject"] = "=?utf-8?q?Commande=00_perdue=E2=80=AE=1B=5B2J?="
    msg["Message-ID"] = "<eve-1@example.org>"
    msg.set_content("Bonjour\x00, ma commande\u202e est perdue.\x1b[31m Merci\nEve")
    deliver(bucket, "inbound/eve", msg)
    (raw,) = store.query_gsi1("INBOX#new")
    assert clean(raw["author"]) and clean(raw["title"]) and clean(raw["text"])
    assert raw["title"].startswith("Commande") and "\n" in raw["text"]  # lines are kept
    filed = filing.handle_new(config, raw)
    replies.reply(config, store.id_of(filed["PK"]), "Bonjour, nous regardons.")
    answer = next(m for m in sent_messages() if m["To"] == "eve@example.org")
    assert clean(answer["Subject"]) and answer["Subject"].startswith("Re: Commande")


def test_the_language_the_network_declares_chooses_the_reply_language(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(api, monkeypatch)
    filed = receive(config, api, "@alice Salut, do you ship to Belgique ?", language="en")
    assert filed["declared_language"] == "en" and filed["language"] == "en"
    assert replies.suggestions(config, filed)["sav"].startswith("Hi Bob")
