"""The newsletter: double opt-in, one-click unsubscribe, SES bounces and complaints, an issue
approved then sent through SQS once to each subscriber, even when the sender stops midway."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from portevoix.core import store
from portevoix.newsletter import issues, subscribers
from tests.helpers import make_config
from tests.integration.test_studio import MEMBER, Browser, sign_in, studio  # noqa: F401

APPROVER = "alex@brand.example"


@pytest.fixture
def letter(studio: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # noqa: F811
    url = aws.client("sqs").create_queue(QueueName="newsletter")["QueueUrl"]
    monkeypatch.setenv("NEWSLETTER_QUEUE_URL", url)
    config = make_config(
        newsletter={"enabled": True, "rate_per_second": 500, "postal_address": "1 rue du Vélo"},
        team=[{"email": MEMBER, "language": "en"}, {"email": APPROVER, "language": "en"}],
        approvers=[APPROVER],
    )
    yield {**studio, "config": config, "queue": url, "sqs": aws.client("sqs")}


def mails(outbox: Path, kind: str) -> list[Any]:
    found = []
    for eml in sorted(outbox.glob(f"*-{kind}.eml")) if outbox.exists() else []:
        found.append(message_from_bytes(eml.read_bytes(), policy=policy.default))
    return found


def text_of(msg: Any) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def confirmed(addresses: list[str]) -> None:
    """Subscribers who confirmed long ago (imported as the table holds them)."""
    store.batch_put(
        [
            subscribers.record(
                a,
                "confirmed",
                language="fr",
                token=f"token-{i:05d}",
                consent_at="2026-01-05T10:00:00Z",
            )
            for i, a in enumerate(addresses)
        ]
    )


def signup(config: Any, outbox: Path, email: str, lang: str = "fr") -> Any:
    """A stranger signs up on the public page and confirms from the email."""
    visitor = Browser(config, client=f"198.51.100.{len(email)}")
    answer = visitor.go("POST", "/n", {"email": email, "language": lang})
    assert answer.status == 200
    confirm = [m for m in mails(outbox, "newsletter-confirm") if m["To"] == email.lower()]
    if not confirm:
        return None
    path = urlsplit(re.search(r"https://studio\.example/n/c/[\w-]+", text_of(confirm[-1])).group(0))
    page = visitor.go("GET", path.path)
    assert page.status == 200
    return visitor.go("POST", path.path, {"form_token": visitor.field(page, "form_token")})


def test_double_opt_in_stores_the_consent_and_tells_nobody_who_subscribed(
    letter: dict[str, Any],
) -> None:
    config, outbox = letter["config"], letter["outbox"]
    visitor = Browser(config)
    assert visitor.go("GET", "/n").status == 200
    bad = visitor.go("POST", "/n", {"email": "pas une adresse", "language": "fr"})
    assert bad.status == 422 and "is not an email address" in str(bad.body)

    answer = visitor.go("POST", "/n", {"email": "Lea@Example.org", "language": "fr"})
    assert answer.status == 200 and "email de confirmation" in str(answer.body)
    pending = subscribers.get("lea@example.org")
    assert pending["status"] == "pending" and pending["language"] == "fr"
    (confirm,) = mails(outbox, "newsletter-confirm")
    path = urlsplit(re.search(r"https://studio\.example/n/c/[\w-]+", text_of(confirm)).group(0))
    page = visitor.go("GET", path.path)  # a mail scanner opening the link changes nothing
    assert subscribers.get("lea@example.org")["status"] == "pending"
    forged = visitor.go("POST", path.path, {"form_token": "x" * 32})
    assert forged.status == 410 and subscribers.get("lea@example.org")["status"] == "pending"
    done = visitor.go("POST", path.path, {"form_token": visitor.field(page, "form_token")})
    assert done.status == 200
    sub = subscribers.get("lea@example.org")
    assert sub["status"] == "confirmed" and sub["consent_at"]
    assert sub["consent"] == "double opt-in: sign-up page /n, confirmed by email link"

    # Signing up again: the same answer, no email; the confirmation link is single-purpose.
    again = visitor.go("POST", "/n", {"email": "lea@example.org", "language": "fr"})
    assert str(again.body) == str(answer.body) and len(mails(outbox, "newsletter-confirm")) == 1
    # Someone typing a stranger's address again and again: at most two emails reach them.
    for _ in range(4):
        visitor.go("POST", "/n", {"email": "victime@example.org", "language": "fr"})
    sent = [m for m in mails(outbox, "newsletter-confirm") if m["To"] == "victime@example.org"]
    assert len(sent) == 2


def test_ses_bounces_and_complaints_suppress_the_address_for_good(letter: dict[str, Any]) -> None:
    from functions.newsletter.app import lambda_handler
    from portevoix_local.stack import LambdaContext

    config, outbox = letter["config"], letter["outbox"]
    for email in ("rebond@example.org", "plainte@example.org", "passager@example.org"):
        signup(config, outbox, email)

    def sns(message: dict[str, Any]) -> dict[str, Any]:
        event = {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "Sns": {"Type": "Notification", "Message": json.dumps(message)},
                }
            ]
        }
        return lambda_handler(event, LambdaContext("portevoix-newsletter"))

    # The shapes SES publishes (event publishing to SNS, "Contents of event data").
    sns(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {"emailAddress": "rebond@example.org", "diagnosticCode": "smtp; 550 5.1.1"}
                ],
            },
            "mail": {"destination": ["rebond@example.org"]},
        }
    )
    sns(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Transient",
                "bounceSubType": "MailboxFull",
                "bouncedRecipients": [{"emailAddress": "passager@example.org"}],
            },
        }
    )
    sns(
        {
            "eventType": "Complaint",
            "complaint": {
                "complaintFeedbackType": "abuse",
                "complainedRecipients": [{"emailAddress": "plainte@example.org"}],
            },
        }
    )
    assert subscribers.get("rebond@example.org")["status"] == "suppressed"
    assert "550 5.1.1" in subscribers.get("rebond@example.org")["suppressed_reason"]
    assert subscribers.get("plainte@example.org")["status"] == "suppressed"
    assert subscribers.get("passager@example.org")["status"] == "confirmed"  # it may recover
    before = len(mails(outbox, "newsletter-confirm"))
    Browser(config).go("POST", "/n", {"email": "plainte@example.org", "language": "fr"})
    assert len(mails(outbox, "newsletter-confirm")) == before
    assert subscribers.get("plainte@example.org")["status"] == "suppressed"


def approved_issue(letter: dict[str, Any], editorial: str = "Bonjour à toutes et à tous !") -> str:
    """An issue written in the studio, sent for approval, approved from the email's page."""
    config, outbox = letter["config"], letter["outbox"]
    store.put(
        store.with_key(
            store.item_key("rss#velo-1"),
            item_id="rss#velo-1",
            title="Le vélo en ville progresse",
            link="https://news.example/velo",
            summary="Une étude <b>récente</b>",
            feed_name="News",
        )
    )
    member = sign_in(config, outbox)
    page = member.go("GET", "/newsletter/pick/rss%23velo-1")
    picked = member.go(
        "POST", "/newsletter/pick/rss%23velo-1", {"csrf": member.field(page, "csrf")}
    )
    assert picked.status == 303
    editor = member.go("GET", "/newsletter")
    issue_id = issues.period(config, datetime.now(UTC))
    assert "Le vélo en ville progresse" in str(editor.body)
    asked = member.go(
        "POST",
        f"/newsletter/{issue_id}/ask",
        {"csrf": member.field(editor, "csrf"), "editorial_fr": editorial, "editorial_en": "Hello!"},
    )
    assert asked.status == 303 and asked.headers["Location"] == "/newsletter?done=asked"
    (ask,) = [m for m in mails(outbox, "newsletter-approval") if m["To"] == APPROVER]
    link = urlsplit(re.search(r"https://studio\.example/n/a/[\w-]+", text_of(ask)).group(0)).path
    approver = Browser(config)
    page = approver.go("GET", link)
    assert page.status == 200 and editorial in str(page.body).replace("&#39;", "'")
    assert issues.get(issue_id)["status"] == "awaiting_approval"
    done = approver.go(
        "POST", link, {"form_token": approver.field(page, "form_token"), "decision": "approve"}
    )
    assert done.status == 200
    return issue_id


def test_an_issue_goes_once_to_each_confirmed_subscriber_with_one_click_unsubscribe(
    letter: dict[str, Any],
) -> None:
    config, outbox = letter["config"], letter["outbox"]
    for i in range(7):
        signup(config, outbox, f"lecteur{i}@example.org", "en" if i % 2 else "fr")
    Browser(config).go("POST", "/n", {"email": "jamais@example.org", "language": "fr"})  # pending
    issue_id = approved_issue(letter)
    assert issues.get(issue_id)["status"] == "sending"

    result = issues.drain(config)
    assert result["sent"] == 7
    sent = mails(outbox, "newsletter")
    assert sorted(m["To"] for m in sent) == sorted(f"lecteur{i}@example.org" for i in range(7))
    final = issues.get(issue_id)
    assert final["status"] == "sent" and final["sent"] == 7 and final["uncertain"] == 0

    msg = next(m for m in sent if m["To"] == "lecteur1@example.org")
    body = text_of(msg)
    assert "Hello!" in body and "Le vélo en ville progresse" in body and "1 rue du Vélo" in body
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "<b>" not in html and "&lt;b&gt;" in html  # a stranger's summary stays text
    assert "<img" not in html  # no open-tracking pixel
    unsub = re.fullmatch(r"<(https://studio\.example/n/u/[\w-]+)>", msg["List-Unsubscribe"])
    assert unsub and msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(unsub.group(1)).path

    # What a mailbox provider does: a POST with that body, no cookie, no session, no token.
    nobody = Browser(config)
    assert nobody.go("GET", path).status == 200  # a GET only shows the button
    assert subscribers.get("lecteur1@example.org")["status"] == "confirmed"
    one_click = nobody.go("POST", path, {"List-Unsubscribe": "One-Click"})
    assert one_click.status == 200
    gone = subscribers.get("lecteur1@example.org")
    assert gone["status"] == "unsubscribed" and gone["unsubscribed_by"] == "one-click"
    assert nobody.go("POST", path, {"List-Unsubscribe": "One-Click"}).status == 200  # idempotent


def test_a_sender_that_stops_midway_resumes_without_sending_anyone_twice(
    letter: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from portevoix.core import mail

    config, outbox = letter["config"], letter["outbox"]
    confirmed([f"fan{i}@example.org" for i in range(120)])  # batches of 50, 50 and 20
    issue_id = approved_issue(letter)
    real, calls = mail.send, {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 73:
            raise SystemExit("the sender's container stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(mail, "send", crashing)
    with pytest.raises(SystemExit):
        issues.drain(config, visibility=1)
    monkeypatch.setattr(mail, "send", real)
    assert issues.get(issue_id)["status"] == "sending"
    time.sleep(1.2)  # the interrupted batch becomes visible again
    issues.drain(config, visibility=1)
    issues.finish(config)
    received = Counter(m["To"] for m in mails(outbox, "newsletter"))
    assert len(received) == 119 and set(received.values()) == {1}  # nobody twice
    final = issues.get(issue_id)
    # The one whose sending was cut between the claim and SES: counted, never sent twice.
    assert final["status"] == "sent" and final["sent"] == 119 and final["uncertain"] == 1


def test_an_issue_bigger_than_what_ses_allows_today_is_not_started(
    letter: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = letter["config"]
    confirmed([f"x{i}@example.org" for i in range(201)])  # the SES sandbox's 200 a day
    issue_id = approved_issue(letter)
    monkeypatch.delenv("PORTEVOIX_OUTBOX")  # the deployed stack: SES's own quota applies
    store.update(*issues.key(issue_id), {"status": "approved"})
    result = issues.sweep(config)
    assert result["resumed"] == []
    assert "SES allows" in issues.get(issue_id)["error"]
    assert issues.get(issue_id)["status"] == "approved"  # nothing queued, nothing lost
    assert issues.pacer(config).interval == pytest.approx(1 / 0.9)  # under SES's 1 a second


def test_the_pacer_keeps_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"t": 100.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["t"] += seconds

    monkeypatch.setattr(issues.time, "monotonic", lambda: clock["t"])
    pace = issues.Pacer(4, sleep=sleep)
    for _ in range(9):
        pace.wait()
    assert sum(slept) == pytest.approx(2.0)  # 9 sends at 4 a second: 8 intervals of 0.25 s
