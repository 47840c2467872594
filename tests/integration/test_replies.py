"""Reply templates in a sandbox, and replies sent once through the mention's network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from portevoix.core import secrets, store
from portevoix.inbox import filing, replies
from portevoix.inbox.replies import ReplyError
from portevoix.listening.poller import Poller
from tests.helpers import make_config
from tests.integration.test_mastodon import as_user

TEMPLATES = {
    "sav": {
        "intents": ["complaint", "question"],
        "fr": "Bonjour {{ author }}, écrivez-nous en privé, on s'en occupe. — {{ brand }}",
        "en": "Hi {{ author }}, please DM us and we'll sort it out. — {{ brand }}",
    },
    "merci": {"intents": ["praise"], "fr": "Merci {{ author }} !", "en": "Thank you {{ author }}!"},
}


def config_with(
    api: str, monkeypatch: pytest.MonkeyPatch, templates: dict[str, Any] = TEMPLATES
) -> Any:
    monkeypatch.setenv("MASTO_TOKEN", "alice_token")
    secrets.forget()
    return make_config(
        accounts=[
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ],
        inbox={"templates": templates},
    )


def receive(
    config: Any, api: str, text: str, token: str = "bob_token", **status: Any
) -> dict[str, Any]:
    """Someone posts ``text`` (with ``status`` fields: visibility, language); a poll files it."""
    as_user(api, token, "POST", "/api/v1/statuses", json={"status": text, **status})
    Poller(config).poll(datetime.now(UTC))
    mention = next(
        m
        for m in store.query_gsi1("INBOX#new")
        if text.split(" ", 1)[1][:10] in (m.get("text") or "")
    )
    return filing.handle_new(config, mention)


def test_templates_are_offered_by_intent_and_language(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(api, monkeypatch)
    question = receive(config, api, "@alice Vous livrez en Belgique ?")
    assert replies.suggestions(config, question) == {
        "sav": "Bonjour Bob, écrivez-nous en privé, on s'en occupe. — Porte-voix"
    }
    praise = receive(config, api, "@alice Thanks, I love it, you're awesome!", token="carol_token")
    assert replies.suggestions(config, praise) == {"merci": "Thank you Carol!"}


def test_the_sandbox_and_hostile_messages(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A template naming a variable that does not exist is refused when the file is loaded.
    with pytest.raises(ValidationError, match="unknown variable.*prenom"):
        config_with(api, monkeypatch, {"missing": {"fr": "Bonjour {{ prenom }}", "en": "x"}})
    evil = {"leak": {"fr": "{{ ''.__class__.__mro__[1].__subclasses__() }}", "en": "x"}}
    config = config_with(api, monkeypatch, {**TEMPLATES, **evil})
    mention = receive(config, api, "@alice {{ config }} {% debug %} <script>alert(1)</script> ?")
    with pytest.raises(ReplyError, match="failed to render.*nothing was sent"):
        replies.render(config, "leak", mention, "fr")
    assert set(replies.suggestions(config, mention)) == {"sav"}  # broken ones are not offered
    mention["author"] = "{{ config }} <b>Bob</b>"
    assert replies.render(config, "sav", mention, "fr").startswith(
        "Bonjour {{ config }} <b>Bob</b>,"
    )
    with pytest.raises(ReplyError, match="no reply template 'nope'"):
        replies.render(config, "nope", mention)


def test_reply_goes_out_once_and_records_the_response_time(
    aws: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(api, monkeypatch)
    mention = receive(config, api, "@alice Ma commande est bloquée depuis 15 jours ?")
    mention_id = mention["PK"][8:]
    later = datetime.now(UTC) + timedelta(minutes=42)
    done = replies.reply(config, mention_id, replies.render(config, "sav", mention), now=later)
    assert done["status"] == "replied" and 42 * 60 - 5 <= done["response_seconds"] <= 42 * 60 + 60
    posted = as_user(api, "bob_token", "GET", f"/api/v1/statuses/{done['reply_ref']}")
    assert posted["in_reply_to_id"] == mention["ref"] and "@bob" in posted["content"]
    with pytest.raises(ReplyError, match="already replied"):
        replies.reply(config, mention_id, "encore")
    assert store.query_gsi1("INBOX#replied")[0]["PK"] == mention["PK"]


def test_feed_mentions_are_answered_where_they_are(
    aws: Any, feed_server: Any, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import rss

    feed_server.set("/f.rss", rss([("Porte-voix est cité ici", "https://blog.example/post")]))
    config = config_with(api, monkeypatch).model_copy(
        update={"feeds": make_config(feeds=[{"id": "f", "url": feed_server.url("/f.rss")}]).feeds}
    )
    Poller(config).poll(datetime.now(UTC))
    mention = next(m for m in store.query_gsi1("INBOX#new") if m["source"] == "rss")
    with pytest.raises(ReplyError, match="answer it there.*blog.example/post"):
        replies.reply(config, mention["PK"][8:], "Merci !")
