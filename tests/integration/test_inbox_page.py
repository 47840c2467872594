"""The studio's inbox: filters, taking a message, replying from an edited template, settling
one or many, and the escalation of an urgent message left waiting past the SLA."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest

from portevoix.core import store
from portevoix.inbox import assignment, replies
from tests.integration.test_mastodon import alice_statuses
from tests.integration.test_replies import config_with, receive
from tests.integration.test_studio import Browser, sign_in, studio  # noqa: F401


@pytest.fixture
def inbox(studio: dict[str, Any], aws: Any, api: str, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    config = config_with(api, monkeypatch)
    question = receive(config, api, "@alice Vous livrez en Belgique ?")
    angry = receive(
        config, api, "@alice Votre SAV ne répond jamais, très déçu !", token="carol_token"
    )
    return {
        "config": config,
        "outbox": studio["outbox"],
        "camille": sign_in(config, studio["outbox"]),
        "question": store.id_of(question["PK"]),
        "angry": store.id_of(angry["PK"]),
        "api": api,
    }


def body(answer: Any) -> str:
    return unescape(str(answer.body))


def act(browser: Browser, mention_id: str, action: str, **form: str) -> Any:
    page = browser.go("GET", f"/inbox/m/{quote(mention_id, safe='')}")
    return browser.go(
        "POST",
        f"/inbox/m/{quote(mention_id, safe='')}/{action}",
        {"csrf": browser.field(page, "csrf"), **form},
    )


def test_the_inbox_filters_and_a_taken_message_is_seen_taken(inbox: dict[str, Any]) -> None:
    camille = inbox["camille"]
    page = camille.go("GET", "/inbox")
    assert page.status == 200
    assert "Vous livrez en Belgique" in body(page) and "très déçu" in body(page)
    questions = body(camille.go("GET", "/inbox?intent=question"))
    assert "Vous livrez en Belgique" in questions and "très déçu" not in questions
    urgent = body(camille.go("GET", "/inbox?urgent=1"))
    assert "très déçu" in urgent and "Vous livrez" not in urgent
    taken = act(camille, inbox["question"], "take", back="/inbox")
    assert taken.status == 303 and taken.headers["Location"] == "/inbox?done=taken"
    assert "Message pris" in body(camille.go("GET", taken.headers["Location"]))

    alex = sign_in(inbox["config"], inbox["outbox"], "alex@brand.example")
    listed = body(alex.go("GET", "/inbox"))
    assert "Taken by camille@brand.example" in listed  # Alex reads English
    refused = act(alex, inbox["question"], "take")
    assert refused.status == 409 and "camille@brand.example has taken this message" in body(refused)
    reply = act(alex, inbox["question"], "reply", text="Oui !")
    assert reply.status == 409 and replies.get(inbox["question"])["status"] == "needs_reply"
    mine = body(camille.go("GET", "/inbox?assignee=me"))
    assert "Vous livrez" in mine and "très déçu" not in mine
    nobody = body(camille.go("GET", "/inbox?assignee=none"))
    assert "très déçu" in nobody and "Vous livrez" not in nobody


def test_a_reply_from_an_edited_template_goes_out_once_and_names_who_sent_it(
    inbox: dict[str, Any],
) -> None:
    camille, mention_id = inbox["camille"], inbox["question"]
    page = camille.go("GET", f"/inbox/m/{quote(mention_id, safe='')}")
    draft = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', str(page.body), re.S)
    assert "Bonjour Bob, écrivez-nous en privé" in unescape(draft.group(1))
    sent = act(camille, mention_id, "reply", text="Bonjour Bob, oui, dès lundi !")
    assert sent.status == 200 and "Réponse envoyée." in body(sent)
    (toot,) = [s for s in alice_statuses(inbox["api"]) if "dès lundi" in s["content"]]
    assert toot["in_reply_to_id"]
    filed = replies.get(mention_id)
    assert filed["status"] == "replied" and filed["replied_by"] == "camille@brand.example"
    again = act(camille, mention_id, "reply", text="encore")
    assert again.status == 409 and "already replied" in body(again)
    assert len([s for s in alice_statuses(inbox["api"]) if "dès lundi" in s["content"]]) == 1


def test_bulk_actions_settle_the_checked_messages(inbox: dict[str, Any]) -> None:
    camille = inbox["camille"]
    page = camille.go("GET", "/inbox")
    done = camille.go(
        "POST",
        "/inbox/bulk",
        [  # type: ignore[arg-type] - a repeated field, as the browser sends it
            ("csrf", camille.field(page, "csrf")),
            ("back", "/inbox"),
            ("ids", inbox["question"]),
            ("ids", inbox["angry"]),
            ("action", "ignore"),
        ],
    )
    assert done.status == 303
    assert {replies.get(i)["status"] for i in (inbox["question"], inbox["angry"])} == {"ignored"}
    assert replies.get(inbox["angry"])["handled_by"] == "camille@brand.example"
    assert "Rien à afficher" in body(camille.go("GET", "/inbox"))


def test_an_urgent_message_escalates_once_at_the_sla_then_to_the_team(
    inbox: dict[str, Any],
) -> None:
    config, angry = inbox["config"], inbox["angry"]
    assert replies.get(angry)["urgency"] in ("high", "immediate")
    received = datetime.now(UTC)
    sla = timedelta(minutes=config.inbox.sla_minutes)
    assert assignment.escalate(config, received + sla / 2) == []  # not yet
    assignment.take(angry, "alex@brand.example")
    first = assignment.escalate(config, received + sla + timedelta(minutes=1))
    assert [m["to"] for m in first] == [["alex@brand.example"]]  # its holder first
    assert assignment.escalate(config, received + sla + timedelta(minutes=5)) == []  # once
    team = assignment.escalate(config, received + 2 * sla + timedelta(minutes=1))
    assert sorted(a for m in team for a in m["to"]) == [
        "alex@brand.example",
        "camille@brand.example",
    ]
    assert assignment.escalate(config, received + 3 * sla) == []
    replies.set_status(inbox["question"], "replied")  # a settled message never escalates


def test_the_weekly_report_gives_each_member_response_time(inbox: dict[str, Any]) -> None:
    from portevoix.reporting import report

    config = inbox["config"]
    act(inbox["camille"], inbox["question"], "reply", text="Bonjour Bob, oui !")
    replies.set_status(inbox["angry"], "replied", by="alex@brand.example")
    week = report.Week.containing(datetime.now(UTC), config.tz)
    built = report.build(config, week)
    assert set(built.current.by_member) == {"camille@brand.example", "alex@brand.example"}
    rendered = report.render(config, built, "en")
    assert "By member" in rendered.text and "camille@brand.example: 1 reply" in rendered.text
    csv_text = rendered.attachments[0][1]
    csv_text = csv_text.decode("utf-8-sig") if isinstance(csv_text, bytes) else csv_text
    assert "response_time_member,alex@brand.example,count,1," in csv_text


def test_a_reply_shows_the_post_it_answers(inbox: dict[str, Any]) -> None:
    from tests.integration.test_mastodon import as_user
    from tests.integration.test_replies import receive

    api, config = inbox["api"], inbox["config"]
    ours = as_user(
        api, "alice_token", "POST", "/api/v1/statuses", json={"status": "Nouveau : l'Urban 3 !"}
    )
    answer = receive(config, api, "@alice Il sort quand en Belgique ?", in_reply_to_id=ours["id"])
    page = inbox["camille"].go("GET", f"/inbox/m/{quote(store.id_of(answer['PK']), safe='')}")
    shown = body(page)
    assert page.status == 200 and "Nouveau : l'Urban 3 !" in shown and "@alice" in shown
